# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The laaffic_smoke_test action plugin (plugins/action/laaffic_smoke_test.py), its laaffic_call run replaced by a stand-in."""

from __future__ import annotations

import os
from types import SimpleNamespace

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.laaffic.voice.plugins.action.laaffic_smoke_test import ActionModule

PHONES = [{'name': 'lobby', 'account': 'desk-001'}, {'name': 'helpdesk', 'account': 'desk-002', 'expect': 'answered'}]
DEFAULTS = {'callee': '493012345678', 'expect': 'ringing'}


def call_result(verdicts):
    calls = [{'index': index, 'account': account, 'callee': '493012345678', 'expect': expect, 'verdict': verdict,
              'ok': ok, 'reason': reason, 'voice_id': 'v%d' % index}
             for index, (account, expect, verdict, ok, reason) in enumerate(verdicts)]
    return {'changed': True, 'run_id': 'run-1', 'calls': calls, 'summary': {'total': len(calls)}}


def answering(verdicts):
    """A laaffic_call stand-in that answers with these calls."""
    return lambda module_args: call_result(verdicts)


def run(tmp_path, args, answer=None, check_mode=False, hostvars=None):
    """Run the plugin; returns (result, the module_args laaffic_call got or None)."""
    task = Task()
    task.args = dict({'defaults': DEFAULTS, 'report_dir': str(tmp_path / 'reports')}, **args)
    task.check_mode = check_mode
    context = PlayContext()
    context.check_mode = check_mode
    connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir='/nowhere'))
    plugin = ActionModule(task=task, connection=connection, play_context=context, loader=DataLoader(),
                          templar=Templar(loader=DataLoader()), shared_loader_obj=None)
    sent = []

    def execute_module(module_name, module_args, task_vars):
        assert module_name == 'laaffic.voice.laaffic_call'
        sent.append(module_args)
        return answer(module_args) if answer else call_result([])

    plugin._execute_module = execute_module
    result = plugin.run(task_vars={'hostvars': hostvars or {}})
    return result, (sent[0] if sent else None)


def test_calls_every_phone_once_and_returns_rows_short_and_reports(tmp_path):
    answer = answering([('desk-001', 'ringing', 'rang', True, 'rang at 10:00'),
                        ('desk-002', 'answered', 'failed', False, 'busy, SIP 486')])
    result, sent = run(tmp_path, {'phones': PHONES, 'api_key': 'k', 'api_secret': 's3cret', 'concurrency': 50}, answer)
    assert not result.get('failed'), result
    assert sent['calls'] == [{'account': 'desk-001', 'callee': '493012345678', 'expect': 'ringing'},
                             {'account': 'desk-002', 'callee': '493012345678', 'expect': 'answered'}]
    assert sent['fail_on'] == 'none' and sent['concurrency'] == 50 and sent['api_secret'] == 's3cret'
    assert 'phones' not in sent and 'report_dir' not in sent  # only laaffic_call's own options go to it
    outcome = result['run']
    assert [(row['name'], row['verdict']) for row in outcome['phones']] == [('lobby', 'rang'), ('helpdesk', 'failed')]
    assert outcome['short'] == ['helpdesk'] and outcome['passed'] is False and outcome['run_id'] == 'run-1'
    assert outcome['short_lines'] == ['helpdesk (account desk-002): failed, expected answered - busy, SIP 486']
    assert outcome['reports_written'] and os.path.exists(outcome['junit_report']) and os.path.exists(outcome['html_report'])
    assert result['changed'] and any('helpdesk' in line for line in result['summary_lines'])
    for path in (outcome['junit_report'], outcome['html_report'], outcome['history']['path']):
        with open(path, encoding='utf-8') as handle:
            assert 's3cret' not in handle.read()


def test_phones_from_host_variables(tmp_path):
    hostvars = {'desk-7': {'laaffic_account': 'desk-7', 'laaffic_phone_group': 'floor-1', 'laaffic_callee': '4930999999'}}
    answer = answering([('desk-7', 'ringing', 'rang', True, '')])
    result, sent = run(tmp_path, {'hosts': ['desk-7']}, answer, hostvars=hostvars)
    assert sent['calls'] == [{'account': 'desk-7', 'callee': '4930999999', 'expect': 'ringing'}]
    assert result['run']['phones'][0]['group'] == 'floor-1'


def test_phones_that_cannot_be_called_stop_it_before_anything_is_sent(tmp_path):
    result, sent = run(tmp_path, {'phones': [{'name': 'x', 'account': 'desk-001', 'callee': '12ab'}]})
    assert result['failed'] and sent is None
    assert result['error'].startswith('Phones that cannot be called, nothing was called: x: callee: must be 7-15 digits')
    result, sent = run(tmp_path, {'hosts': []})
    assert result['failed'] and sent is None and result['error'].startswith('No phones to test')


def test_a_call_module_that_stopped_early_is_reported_with_its_message(tmp_path):
    def answer(module_args):
        return {'failed': True, 'msg': 'api_key: must be a non-empty string', 'calls': [], 'changed': False}
    result, dummy = run(tmp_path, {'phones': PHONES}, answer)
    assert result['failed'] and result['error'] == 'api_key: must be a non-empty string' and 'run' not in result


def test_calls_placed_then_a_failure_keep_every_phone(tmp_path):
    def answer(module_args):
        outcome = call_result([('desk-001', 'ringing', 'rang', True, ''), ('desk-002', 'answered', 'unknown', False, 'lost')])
        outcome.update(failed=True, msg='unexpected error after placing')
        return outcome
    result, dummy = run(tmp_path, {'phones': PHONES}, answer)
    assert result['failed'] and result['changed'] and result['error'] == 'unexpected error after placing'
    assert [row['verdict'] for row in result['run']['phones']] == ['rang', 'unknown']


def test_reports_that_cannot_be_written_fail_it_with_every_phone_kept(tmp_path):
    (tmp_path / 'reports').write_text('a file where the directory should be', encoding='utf-8')
    answer = answering([('desk-001', 'ringing', 'rang', True, ''), ('desk-002', 'answered', 'answered', True, '')])
    result, dummy = run(tmp_path, {'phones': PHONES}, answer)
    assert result['failed'] and 'every phone is in the result' in result['error']
    assert len(result['run']['phones']) == 2 and result['run']['reports_written'] is False


def test_check_mode_counts_only_predicted_shortfalls(tmp_path):
    answer = answering([('desk-001', 'ringing', None, False, None),
                        ('desk-002', 'answered', 'rejected', False, 'preflight: no such account')])
    result, dummy = run(tmp_path, {'phones': PHONES}, answer, check_mode=True)
    assert result['run']['check_mode'] and result['run']['short'] == ['helpdesk'] and not result['run']['passed']
    assert not result['run']['reports_written']  # the reports are written in check mode only when asked to


def test_a_bad_option_comes_back_in_error(tmp_path):
    result, sent = run(tmp_path, {'phones': PHONES, 'concurrency': 'many'})
    assert result['failed'] and sent is None and 'concurrency' in result['error']
