# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The smoke test reports: order, one zone, voice IDs, groups and JUnit suites with time, no reprs, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ansible_collections.laaffic.voice.plugins.module_utils import _history
from ansible_collections.laaffic.voice.plugins.module_utils._report import Report, case_seconds, natural_key, utc_text


def row(name, verdict, ok, group='', account=None, phone_name='', **extra):
    values = dict(name=name, account=account or name, phone_name=phone_name, group=group, callee='441632960000', expect='answered',
                  verdict=verdict, ok=ok, reason='' if ok else 'verdict %s' % verdict, remedy=None, voice_id='vid-' + name,
                  api_status=None, submit_time=None, ringing_time=None, answer_time=None, hangup_time=None)
    values.update(extra)
    return values


ROWS = [
    row('desk-10', 'answered', True, 'sales'),
    row('desk-2', 'answered', True, 'sales'),
    row('desk-11', 'rejected', False, 'support', api_status='-68', remedy='Register the phone'),
    row('desk-1', 'failed', False, 'support', submit_time='2026-11-26T15:30:00+08:00', hangup_time='2026-11-26T15:30:03+08:00'),
    row('desk-3', 'rang', False, 'sales', submit_time='2026-11-26T07:30:00+00:00', ringing_time='2026-11-26T07:30:02.5Z'),
    row('desk-9', 'answered', True, '', submit_time='2026-11-26T15:30:00+08:00', answer_time='2026-11-26T07:30:04+00:00',
        reason='answered at 2026-11-26T15:30:04+08:00'),
]
SUMMARY = {'total': 6, 'ok': 3, 'short': 3, 'answered': 3, 'requests': {'place': 6, 'verify': 2, 'preflight': 0}}


def html_rows(html):
    return re.findall(r'<tr class="[^"]*" data-k="[^"]*" data-v="[^"]*" data-g="[^"]*" data-s="[^"]*"><td>([^<]*)', html)


def test_natural_key():
    assert sorted(['desk-10', 'desk-2', 'Desk-1', 'desk-011'], key=natural_key) == ['Desk-1', 'desk-2', 'desk-10', 'desk-011']


def test_failures_first_then_natural_order_within_each_verdict():
    report = Report(ROWS, run_id='r1', summary=SUMMARY)
    expected = ['desk-1', 'desk-11', 'desk-3', 'desk-2', 'desk-9', 'desk-10']
    assert [phone.name for phone in report.phones] == expected
    assert html_rows(report.html()) == expected
    cases = [case.get('name').split(' [')[0] for case in ET.fromstring(report.junit()).iter('testcase')]
    assert cases == ['desk-9', 'desk-3', 'desk-2', 'desk-10', 'desk-1', 'desk-11']  # per group: (no group), sales, support
    assert [phone.name for phone in report.short] == ['desk-1', 'desk-11', 'desk-3']
    lines = report.summary_lines('j.xml', 'r.html')
    assert [line.split()[1] for line in lines[2:8]] == expected and lines[2].startswith('FAIL desk-1 ')


def test_every_time_in_utc():
    assert utc_text('2026-11-26T15:30:02+08:00') == '2026-11-26 07:30:02'
    assert utc_text('2026-11-26T07:30:02+00:00') == '2026-11-26 07:30:02'
    assert utc_text('2026-11-26T07:30:02Z') == '2026-11-26 07:30:02'
    assert utc_text('soon') == 'soon' and utc_text(None) == ''
    # a platform time without an offset is in the platform's zone, UTC+8 (module_utils/_time)
    assert utc_text('2026-11-26 07:30:02') == '2026-11-25 23:30:02' and utc_text('2026-11-26T07:30:02') == '2026-11-25 23:30:02' and utc_text(None) == ''
    report = Report(ROWS, run_id='r1', finished='2026-11-26T15:31:00+08:00')
    html, junit = report.html(), report.junit()
    assert '+08:00' not in html and '+00:00' not in html and '+08:00' not in junit and '+00:00' not in junit
    assert 'Submitted (UTC)' in html and 'all times in UTC' in html and '2026-11-26 07:30:04' in html
    assert 'timestamp="2026-11-26T07:31:00Z"' in junit
    assert 'answered at 2026-11-26 07:30:04 UTC' in html  # times inside the reason text too


def test_voice_ids_in_both_reports():
    report = Report(ROWS, run_id='r1')
    html, root = report.html(), ET.fromstring(report.junit())
    for phone in ROWS:
        assert '<td class="voice">vid-%s</td>' % phone['name'] in html
    for case in root.iter('testcase'):
        name = case.get('name').split(' [')[0]
        assert case.find("properties/property[@name='voice_id']").get('value') == 'vid-' + name
        assert 'voice_id=vid-%s ' % name in case.find('system-out').text
    assert 'voice_id: vid-desk-1' in root.find(".//testcase[@name='desk-1 [desk-1]']/failure").text


def test_groups_and_junit_suites_with_time():
    report = Report(ROWS, run_id='r1', summary=SUMMARY)
    root = ET.fromstring(report.junit())
    suites = root.findall('testsuite')
    assert [(s.get('name'), s.get('tests'), s.get('failures')) for s in suites] == [('(no group)', '1', '0'), ('sales', '3', '1'), ('support', '2', '2')]
    assert root.get('tests') == '6' and root.get('failures') == '3'
    times = dict((case.get('name').split(' [')[0], case.get('time')) for case in root.iter('testcase'))
    assert times == {'desk-9': '4.000', 'desk-3': '2.500', 'desk-1': '3.000', 'desk-2': '0.000', 'desk-10': '0.000', 'desk-11': '0.000'}
    assert suites[1].get('time') == '2.500' and root.get('time') == '9.500'
    assert {case.get('classname') for case in suites[1].iter('testcase')} == {'desk_phone_smoke_test.sales'}
    html = report.html()
    assert '<option value="sales">sales</option>' in html and '<option value="">(no group)</option>' in html
    assert 'data-g="support"' in html and '<td>support</td>' in html


def test_case_time_is_zero_when_unknown():
    assert case_seconds(row('x', 'answered', True, submit_time='garbage', answer_time='2026-11-26T07:30:04Z')) == 0
    assert case_seconds(row('x', 'timeout', False, submit_time='2026-11-26T07:30:00Z', hangup_time='2026-11-26T07:30:04Z')) == 0
    assert case_seconds(row('x', 'answered', True, submit_time='2026-11-26T07:30:09Z', answer_time='2026-11-26T07:30:04Z')) == 0


def test_no_python_reprs():
    junit = Report(ROWS, run_id='r1', summary=SUMMARY).junit()
    properties = dict((p.get('name'), p.get('value')) for p in ET.fromstring(junit).find('testsuite/properties'))
    assert properties['summary.requests.place'] == '6' and properties['summary.requests.verify'] == '2'
    assert properties['summary.total'] == '6' and properties['run_id'] == 'r1' and properties['check_mode'] == 'false'
    assert 'summary.requests' not in properties
    assert '{' not in junit and '&#39;place' not in junit and 'None' not in junit


def test_phone_name_when_the_host_name_is_the_account():
    rows = [row('100234', 'answered', True, phone_name='Reception'), row('lobby', 'answered', True, account='100235', phone_name='Lobby 2')]
    html = Report(rows).html()
    assert html_rows(html) == ['lobby', 'Reception']
    assert '<td>100234</td>' in html and 'data-s="100234 100234 reception"' in html


def test_escaping_and_xml_safety():
    odd = row('Desk <A&B> "1"\x01', 'failed', False, group='g&"x"', reason='bad \x0b\ufffe<reason>')
    report = Report([odd], run_id='r<1>')
    junit, html = report.junit(), report.html()
    root = ET.fromstring(junit)
    assert root.find('testsuite').get('name') == 'g&"x"'
    assert root.find('.//failure').get('message') == 'verdict failed, expected answered: bad <reason>'
    assert 'Desk &lt;A&amp;B&gt; "1"' in html and '<A&B>' not in html and '\x01' not in html and '\x01' not in junit


def test_check_mode_skips_every_case():
    rows = [dict(r, verdict=None, ok=True) for r in ROWS]
    report = Report(rows, run_id='r1', check_mode=True)
    root = ET.fromstring(report.junit())
    assert root.get('skipped') == '6' and root.get('failures') == '0' and len(root.findall('.//skipped')) == 6
    assert report.passed and report.short == [] and 'check mode: no call placed' in report.html()
    assert report.summary_lines(written=False)[-1] == 'Reports are not written in check mode.'


def test_trends_and_flapping_shown(tmp_path):
    path = str(tmp_path / 'h')
    for verdict in ('answered', 'failed', 'answered'):
        _history.add_run(path, 'run-' + verdict, 'now', [(verdict, verdict == 'answered', 'desk-1', 'desk-1', 'support')])
    state = _history.add_run(path, 'run-4', 'now', [('failed', False, 'desk-1', 'desk-1', 'support')])
    report = Report([row('desk-1', 'failed', False, 'support')], history=state)
    assert [phone.name for phone in report.flapping] == ['desk-1']
    html = report.html()
    assert '<td class="trend" title="answered, failed (short), answered, failed (short)">AfAf</td>' in html
    assert 'class="bad flap"' in html and '<span class="badge">flapping</span>' in html
    assert '[flapping]' in report.summary_lines('j', 'h')[2]


def test_large_fleet_lists_only_short_and_flapping_phones():
    rows = [row('desk-%d' % n, 'answered', True) for n in range(200)] + [row('desk-x', 'failed', False)]
    lines = Report(rows).summary_lines('j', 'h')
    assert len(lines) == 7 and 'desk-x' in lines[3] and '201 phone(s): 200 ok, 1 short' in lines[4]
