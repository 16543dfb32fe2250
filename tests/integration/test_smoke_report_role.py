# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""roles/desk_phone_smoke_test/tasks/report.yml in a playbook, with rows built here (no API, no emulator)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.laaffic.voice.plugins.module_utils import _history
from support.playbook import run_playbook

ROWS = [
    {'name': 'desk-10', 'account': 'desk-10', 'phone_name': 'Reception', 'group': 'front', 'callee': '441632960000', 'expect': 'answered',
     'verdict': 'answered', 'ok': True, 'reason': 'answered', 'voice_id': 'v10', 'submit_time': '2026-11-26T15:30:00+08:00',
     'answer_time': '2026-11-26T15:30:03+08:00'},
    {'name': 'desk-2', 'account': 'desk-2', 'phone_name': '', 'group': 'back', 'callee': '441632960000', 'expect': 'answered',
     'verdict': 'failed', 'ok': False, 'reason': 'not established (486)', 'voice_id': 'v2', 'submit_time': '2026-11-26T07:30:00+00:00',
     'hangup_time': '2026-11-26T07:30:01+00:00'},
]


def tasks(report_dir, run_id, verdict='failed', check_mode=False):
    rows = [ROWS[0], dict(ROWS[1], verdict=verdict, ok=verdict == 'answered')]
    result = {'run_id': run_id, 'check_mode': check_mode, 'passed': False, 'summary': {'total': 2, 'requests': {'place': 2, 'verify': 1}},
              'phones': rows, 'short': ['desk-2'], 'junit_report': '', 'html_report': '', 'finished': '2026-11-26T07:31:00Z'}
    return [
        {'name': 'Rows and result', 'ansible.builtin.set_fact': {'__desk_phone_smoke_test_rows': rows, 'desk_phone_smoke_test_result': result}},
        {'name': 'Reports', 'ansible.builtin.include_role': {'name': 'laaffic.voice.desk_phone_smoke_test', 'tasks_from': 'report'},
         'vars': {'desk_phone_smoke_test_report_dir': report_dir}},
        {'name': 'Result', 'ansible.builtin.set_fact': {'fact': '{{ desk_phone_smoke_test_result }}'}, 'register': 'out'},
    ]


def test_report_tasks_write_reports_history_and_flapping(tmp_path):
    report_dir = tmp_path / 'reports'
    report_dir.mkdir()
    for run, verdict in enumerate(('failed', 'answered', 'failed')):  # three earlier runs, then this one
        _history.add_run(str(report_dir / 'desk-phone-smoke-test.history'), 'run-%d' % run, 'now',
                         [('answered', True, 'desk-10', 'desk-10', 'front'), (verdict, verdict == 'answered', 'desk-2', 'desk-2', 'back')])
    play = run_playbook(tmp_path, tasks(str(report_dir), 'run-3', 'answered'))
    assert play.rc == 0, play.output
    fact = play.results['out']['ansible_facts']['fact']
    assert fact['flapping'] == ['desk-2'] and fact['history']['runs'] == 4 and fact['history']['updated'] is True
    assert fact['reports_written'] is True and fact['run_id'] == 'run-3'
    assert 'Desk phone smoke test, run run-3' in play.output and '[flapping]' in play.output
    root = ET.parse(str(tmp_path / 'reports' / 'desk-phone-smoke-test.junit.xml')).getroot()
    assert [suite.get('name') for suite in root.findall('testsuite')] == ['back', 'front']
    html = (tmp_path / 'reports' / 'desk-phone-smoke-test.html').read_text(encoding='utf-8')
    assert '<td>Reception' in html and 'fAfA' in html


def test_report_tasks_in_check_mode_write_nothing(tmp_path):
    play = run_playbook(tmp_path, tasks(str(tmp_path / 'reports'), 'run-c', check_mode=True), check=True)
    assert play.rc == 0, play.output
    fact = play.results['out']['ansible_facts']['fact']
    assert fact['reports_written'] is False and fact['history']['updated'] is False and fact['flapping'] == []
    assert not (tmp_path / 'reports').exists() and 'check mode: no call placed' in play.output


def test_action_plugin_rows_and_rows_var(tmp_path):
    report_dir = str(tmp_path / 'reports')
    play = run_playbook(tmp_path, [
        {'name': 'Bad rows', 'laaffic.voice.laaffic_smoke_report': {'rows': [ROWS[0], 'desk-3'], 'report_dir': report_dir},
         'register': 'bad', 'ignore_errors': True},
        {'name': 'Both', 'laaffic.voice.laaffic_smoke_report': {'rows': [ROWS[0]], 'rows_var': 'x', 'report_dir': report_dir},
         'register': 'both', 'ignore_errors': True},
        {'name': 'Rows given as a template', 'laaffic.voice.laaffic_smoke_report': {'rows_var': 'templated', 'report_dir': report_dir,
                                                                                    'history_keep': 5}, 'register': 'templated_out'},
    ], play_vars={'templated': '{{ [source[1]] }}', 'source': ROWS})
    assert play.results['bad']['failed'] and 'rows[1]: must be a dict, got str' in play.results['bad']['msg']
    assert play.results['both']['failed'] and 'not both' in play.results['both']['msg']
    assert play.results['templated_out']['short'] == ['desk-2'] and play.results['templated_out']['history']['runs'] == 1
