# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""laaffic_smoke_report: files written, history kept, check mode, bad history, nothing secret in the history."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ansible_collections.laaffic.voice.plugins.modules import laaffic_smoke_report
from devtools.module_runner import run_module


def rows(second_verdict='failed'):
    base = dict(callee='441632960000', expect='answered', phone_name='', reason='', remedy=None, api_status=None,
                submit_time='2026-11-26T15:30:00+08:00', answer_time='2026-11-26T15:30:04+08:00', sip_password='S3cretSip!')
    return [dict(base, name='desk-1', account='acct-1', group='sales', verdict='answered', ok=True, voice_id='v1'),
            dict(base, name='desk-2', account='acct-2', group='support', verdict=second_verdict, ok=second_verdict == 'answered',
                 voice_id='v2', reason='Sign 0123456789abcdef0123456789abcdef echoed')]


def args(tmp_path, **extra):
    values = dict(rows=rows(), run_id='run-1', summary={'total': 2, 'requests': {'place': 2}}, finished='2026-11-26T07:31:00Z',
                  report_dir=str(tmp_path / 'reports'))
    values.update(extra)
    return values


def test_writes_both_reports_and_the_history(monkeypatch, tmp_path):
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path))
    assert not failed and result['changed'] and result['written']
    reports = tmp_path / 'reports'
    assert result['junit_report'] == str(reports / 'desk-phone-smoke-test.junit.xml')
    assert result['html_report'] == str(reports / 'desk-phone-smoke-test.html')
    assert result['short'] == ['desk-2'] and result['flapping'] == []
    assert result['history'] == {'path': str(reports / 'desk-phone-smoke-test.history'), 'runs': 1, 'started_new': True,
                                 'updated': True, 'problem': None}
    root = ET.parse(result['junit_report']).getroot()
    assert [suite.get('name') for suite in root.findall('testsuite')] == ['sales', 'support']
    assert 'desk-2' in open(result['html_report'], encoding='utf-8').read()
    assert result['summary_lines'][0] == 'Desk phone smoke test, run run-1' and result['summary_lines'][-1].startswith('HTML report:')


def test_history_holds_nothing_secret(monkeypatch, tmp_path):
    run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path))
    history = (tmp_path / 'reports' / 'desk-phone-smoke-test.history').read_text(encoding='utf-8')
    assert 'S3cretSip!' not in history and '0123456789abcdef' not in history and '441632960000' not in history
    assert history.splitlines()[1:] == [
        'R\trun-1\t2026-11-26T07:31:00Z\t2', 'P\tfailed\t0\tacct-2\tdesk-2\tsupport', 'P\tanswered\t1\tacct-1\tdesk-1\tsales']


def test_flapping_phones_after_alternating_runs(monkeypatch, tmp_path):
    for run, verdict in enumerate(('answered', 'failed', 'answered', 'failed')):
        result, failed = run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path, rows=rows(verdict), run_id='run-%d' % run))
        assert not failed
    assert result['flapping'] == ['desk-2'] and result['history']['runs'] == 4
    assert '<span class="badge">flapping</span>' in open(result['html_report'], encoding='utf-8').read()
    # A history that keeps 3 runs sees 2 changes at most: no phone flaps.
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path, rows=rows('answered'), run_id='run-5', history_keep=3))
    assert not failed and result['flapping'] == [] and result['history']['runs'] == 3


def test_check_mode_writes_nothing_and_keeps_the_history(monkeypatch, tmp_path):
    run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path))
    history = tmp_path / 'reports' / 'desk-phone-smoke-test.history'
    before = history.read_bytes()
    (tmp_path / 'reports' / 'desk-phone-smoke-test.html').unlink()
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path, run_id='run-2', _ansible_check_mode=True))
    assert not failed and not result['changed'] and not result['written']
    assert not (tmp_path / 'reports' / 'desk-phone-smoke-test.html').exists() and history.read_bytes() == before
    assert result['history']['updated'] is False and result['history']['runs'] == 1
    assert result['summary_lines'][-1] == 'Reports are not written in check mode.'
    (tmp_path / 'other').mkdir()
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path, report_dir=str(tmp_path / 'other'), _ansible_check_mode=True))
    assert not failed and list((tmp_path / 'other').iterdir()) == []  # not even a lock file


def test_check_mode_writes_reports_when_asked_but_never_the_history(monkeypatch, tmp_path):
    check_rows = [dict(row, verdict=None) for row in rows()]
    options = args(tmp_path, rows=check_rows, check_mode=True, write_in_check_mode=True, _ansible_check_mode=True)
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, options)
    assert not failed and result['written'] and result['changed']
    root = ET.parse(result['junit_report']).getroot()
    assert root.get('skipped') == '2' and root.get('failures') == '0'
    assert not (tmp_path / 'reports' / 'desk-phone-smoke-test.history').exists() and result['history']['updated'] is False
    # A run in check mode (check_mode option) outside Ansible's check mode does not go into the history either.
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path, rows=check_rows, check_mode=True))
    assert not failed and result['written'] and not (tmp_path / 'reports' / 'desk-phone-smoke-test.history').exists()


def test_corrupt_history_does_not_fail_the_run(monkeypatch, tmp_path):
    history = tmp_path / 'nightly.history'
    history.write_bytes(b'api_secret=do-not-echo\n\x00\x01')
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path, history=str(history)))
    assert not failed and result['history']['started_new'] and result['history']['runs'] == 1
    assert 'not a laaffic.voice smoke-test history' in result['history']['problem']
    assert 'do-not-echo' not in repr(result)
    html = open(result['html_report'], encoding='utf-8').read()
    assert 'History problem: the history file is not a laaffic.voice smoke-test history' in html
    assert any(line.startswith('History problem:') for line in result['summary_lines'])


def test_unwritable_history_does_not_fail_the_run(monkeypatch, tmp_path):
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path, history=str(tmp_path / 'missing-dir' / 'h.history')))
    assert not failed and result['written'] and result['history']['updated'] is False
    assert result['history']['problem'].startswith('the history could not be updated')


def test_bad_options(monkeypatch, tmp_path):
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path, report_name='../x'))
    assert failed and 'report_name' in result['msg']
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, args(tmp_path, history_keep=0))
    assert failed and 'history_keep' in result['msg']
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, dict(args(tmp_path, rows_var='smoke_rows'), rows=None))
    assert failed and 'rows_var: only the action plugin can read a variable' in result['msg']
    result, failed = run_module(monkeypatch, laaffic_smoke_report.main, dict(args(tmp_path), rows=None))
    assert failed and result['msg'].startswith('rows: required')
