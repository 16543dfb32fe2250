# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Call records over a call's life for each phone behaviour, record queries, balance and SIP account queries."""

from __future__ import annotations

import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest


CALLEE = '919876543210'
RECORD_FIELDS = {'voiceId', 'sipGroupName', 'phoneName', 'callee', 'displayNum', 'code', 'submitTime', 'callTime',
                 'ringingTime', 'answerTime', 'hangupTime', 'callDuration', 'chargedDuration', 'ringDuration',
                 'terminationCode', 'terminationReason', 'sipCode', 'callStatus', 'cost', 'billPeriod', 'rate',
                 'recordingFileId', 'calledInfo'}
TIME_FIELDS = ('callTime', 'ringingTime', 'answerTime', 'hangupTime')


def watch(emu, voice_id, timeout=15.0):
    """Poll recordSip until the call ended; return every distinct record seen, in order."""
    seen = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        record = emu.record(voice_id)
        if not seen or record != seen[-1]:
            seen.append(record)
        if record['hangupTime'] is not None:
            return seen
        time.sleep(0.04)
    raise AssertionError('call %s did not end: %r' % (voice_id, seen[-1]))


def stages(seen):
    """Which of the time fields were set, per observed record, de-duplicated."""
    out = []
    for record in seen:
        stage = tuple(field for field in TIME_FIELDS if record[field] is not None)
        if not out or out[-1] != stage:
            out.append(stage)
    return out


def parse(text):
    value = datetime.fromisoformat(text)
    assert value.utcoffset() == timedelta(hours=8)
    return value


def check_in_progress(record):
    for field in ('terminationCode', 'terminationReason', 'sipCode', 'callStatus', 'hangupTime'):
        assert record[field] is None


@pytest.mark.emulator_timing
def test_answer_timeline(emu):
    emu.phone('t-answer', behaviour='answer', group='g1', name='answer-phone', display_num='8613811111111',
              ring_after=0.5, answer_after=0.5, talk=1.0)
    voice_id = emu.send_sip('t-answer', calledInfo='user 7')['data']
    seen = watch(emu, voice_id)
    assert set(seen[0]) == RECORD_FIELDS
    assert seen[0]['submitTime'] is not None
    for record in seen[:-1]:
        check_in_progress(record)
    assert stages(seen)[-4:] == [('callTime',), ('callTime', 'ringingTime'), ('callTime', 'ringingTime', 'answerTime'),
                                 ('callTime', 'ringingTime', 'answerTime', 'hangupTime')]
    final = seen[-1]
    times = [parse(final[f]) for f in ('submitTime',) + TIME_FIELDS]
    assert times == sorted(times)
    assert final['voiceId'] == voice_id
    assert (final['sipGroupName'], final['phoneName'], final['displayNum']) == ('g1', 'answer-phone', '8613811111111')
    assert final['callee'] == CALLEE and final['code'] == 'India(Karnataka)' and final['calledInfo'] == 'user 7'
    assert (final['terminationCode'], final['terminationReason'], final['sipCode'], final['callStatus']) == ('0', 'success', '200', 50)
    assert (final['callDuration'], final['chargedDuration'], final['ringDuration']) == (1, 60, 1)
    assert final['billPeriod'] == '60+60' and final['rate'] == '0.023625' and final['cost'] == '0.023625'
    assert final['recordingFileId']


@pytest.mark.emulator_timing
def test_no_answer_timeline(emu):
    emu.phone('t-noanswer', behaviour='no_answer', ring_after=0.4, ring_timeout=0.8)
    voice_id = emu.send_sip('t-noanswer', callee='4420123456789')['data']
    seen = watch(emu, voice_id)
    assert ('callTime', 'ringingTime') in stages(seen)
    final = seen[-1]
    assert final['answerTime'] is None and final['ringingTime'] is not None
    assert (final['terminationCode'], final['terminationReason'], final['sipCode'], final['callStatus']) == ('480', 'no answer', '480', 20)
    assert (final['callDuration'], final['chargedDuration'], final['ringDuration'], final['cost']) == (0, 0, 1, '0.000000')
    assert final['code'] == 'United Kingdom' and final['rate'] == '0.030000'
    assert final['recordingFileId'] is None


@pytest.mark.emulator_timing
def test_answer_after_ring_timeout_is_no_answer(emu):
    emu.phone('t-slowpick', behaviour='answer', ring_after=0.2, answer_after=5, ring_timeout=0.4)
    final = watch(emu, emu.send_sip('t-slowpick')['data'])[-1]
    assert final['answerTime'] is None and final['sipCode'] == '480'


@pytest.mark.emulator_timing
def test_reject_timeline(emu):
    voice_id = emu.send_sip('desk-reject-01')['data']
    assert emu.send_sip('desk-reject-01')['status'] == '-68'
    seen = watch(emu, voice_id)
    final = seen[-1]
    assert final['ringingTime'] is None and final['answerTime'] is None
    assert (final['terminationCode'], final['sipCode'], final['callStatus'], final['terminationReason']) == ('486', '486', 10, 'busy')
    assert final['ringDuration'] == 0
    assert emu.send_sip('desk-reject-01')['status'] == '0'  # idle again once the call ended


def test_flaky_always_fails(emu):
    emu.phone('t-flaky', behaviour='flaky', fail_rate=1.0, fail_sip_code='503', fail_after=0.2)
    final = watch(emu, emu.send_sip('t-flaky')['data'])[-1]
    assert (final['terminationCode'], final['sipCode'], final['callStatus']) == ('503', '503', 60)
    assert final['terminationReason'] == 'service unavailable' and final['ringingTime'] is None


def test_flaky_never_fails_behaves_otherwise(emu):
    emu.phone('t-flaky0', behaviour='flaky', fail_rate=0.0, otherwise='no_answer', ring_after=0.1, ring_timeout=0.2)
    final = watch(emu, emu.send_sip('t-flaky0')['data'])[-1]
    assert final['sipCode'] == '480' and final['ringingTime'] is not None


def test_flaky_mixes_outcomes_reproducibly(emu):
    emu.phone('t-flaky5', behaviour='flaky', fail_rate=0.5, fail_after=0.05, otherwise='reject', reject_after=0.05)

    def outcomes():
        result = []
        for _unused in range(16):
            voice_id = emu.send_sip('t-flaky5')['data']
            result.append(watch(emu, voice_id)[-1]['sipCode'])
        return result
    first = outcomes()
    assert set(first) == {'503', '486'}
    emu.reset()
    emu.phone('t-flaky5', behaviour='flaky', fail_rate=0.5, fail_after=0.05, otherwise='reject', reject_after=0.05)
    assert outcomes() == first  # the scenario seed makes runs reproducible


@pytest.mark.emulator_timing
def test_slow_api_answers_late_but_places_the_call(emu):
    emu.phone('t-slow', behaviour='slow_api', api_delay=1.5, then='answer', ring_after=0.1, answer_after=0.1, talk=0.2)
    body = {'callee': CALLEE, 'account': 't-slow', 'appId': emu.app_id}
    with pytest.raises((socket.timeout, TimeoutError)):
        emu.api('POST', '/voice/sendSip', body, timeout=0.3)
    calls = emu.calls()
    assert [c['account'] for c in calls] == ['t-slow']
    final = watch(emu, calls[0]['voiceId'])[-1]
    assert final['sipCode'] == '200'
    # waited long enough, the client gets the normal answer
    emu.phone('t-slow', api_delay=0.3)
    status, answer = emu.api('POST', '/voice/sendSip', body, timeout=10)
    assert status == 200 and answer['status'] == '0' and answer['data'] == emu.calls()[-1]['voiceId']


@pytest.mark.emulator_timing
def test_slow_api_does_not_block_other_requests(emu):
    emu.phone('t-slow2', behaviour='slow_api', api_delay=3.0)
    results = {}

    def slow():
        results['slow'] = emu.api('POST', '/voice/sendSip', {'callee': CALLEE, 'account': 't-slow2', 'appId': emu.app_id})[1]
    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)
    assert emu.api('GET', '/getBalance')[1]['status'] == '0'
    assert 'slow' not in results  # the quick request was answered while the slow one still waited
    thread.join(10)
    assert results['slow']['status'] == '0'


@pytest.mark.emulator_timing
def test_late_ring(emu):
    emu.phone('t-late', behaviour='late_ring', ring_after=1.0, then='no_answer', ring_timeout=0.2)
    voice_id = emu.send_sip('t-late')['data']
    time.sleep(0.5)
    assert emu.record(voice_id)['ringingTime'] is None
    final = watch(emu, voice_id)[-1]
    assert final['ringingTime'] is not None and final['sipCode'] == '480'


def test_unknown_voice_id(emu):
    assert emu.api('GET', '/voice/recordSip/2203031113381000002')[1] == {'status': '0', 'reason': 'success', 'data': None}
    emu.config(unknown_voice_id='error')
    assert emu.api('GET', '/voice/recordSip/2203031113381000002')[1]['status'] == '-22'


def test_record_sip_both_prefixes(emu):
    voice_id = emu.send_sip('desk-answer-01')['data']
    assert emu.api('GET', '/voice/recordSip/' + voice_id, prefix='')[1]['data']['voiceId'] == voice_id


@pytest.mark.emulator_timing
def test_concurrent_calls_to_one_phone(emu):
    emu.phone('t-busy', behaviour='answer', ring_after=1, answer_after=1, talk=5)
    barrier = threading.Barrier(8)
    answers = []

    def call():
        barrier.wait()
        answers.append(emu.send_sip('t-busy')['status'])
    threads = [threading.Thread(target=call) for _unused in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(answers) == ['-68'] * 7 + ['0']
    assert len(emu.calls()) == 1


def window(start_delta=-1, end_delta=1):
    now = datetime.now(timezone(timedelta(hours=8)))
    return ((now + timedelta(hours=start_delta)).isoformat(timespec='seconds'),
            (now + timedelta(hours=end_delta)).isoformat(timespec='seconds'))


def query(emu, current=1, size=20, **params):
    start, end = window()
    body_params = {'strTime': start, 'endTime': end}
    body_params.update(params)
    return emu.api('POST', '/voice/recordSipQuery', {'current': current, 'size': size, 'params': body_params})[1]


def test_record_sip_query_paging_and_filters(emu):
    placed = []
    for account in ('desk-answer-01', 'desk-answer-02', 'desk-noanswer-01', 'desk-noanswer-02', 'desk-flaky-02'):
        placed.append(emu.send_sip(account)['data'])
    page1 = query(emu, current=1, size=2)
    assert page1['status'] == '0'
    data = page1['data']
    assert (data['total'], data['size'], data['current'], data['pages'], data['searchCount']) == (5, 2, 1, 3, True)
    assert len(data['records']) == 2 and set(data['records'][0]) == RECORD_FIELDS
    page3 = query(emu, current=3, size=2)['data']
    assert len(page3['records']) == 1
    every = query(emu, size=100)['data']['records']
    assert sorted(r['voiceId'] for r in every) == sorted(placed)
    assert [r['voiceId'] for r in every] == placed[::-1]  # newest first
    by_group = query(emu, sipGroupName='desk-flaky')['data']
    assert [r['voiceId'] for r in by_group['records']] == [placed[4]]
    by_name = query(emu, phoneName='answer-02')['data']
    assert [r['voiceId'] for r in by_name['records']] == [placed[1]]
    assert query(emu, sipGroupName='', phoneName='')['data']['total'] == 5
    assert query(emu, phoneName='nobody')['data'] == {'total': 0, 'size': 20, 'current': 1, 'pages': 0, 'searchCount': True, 'records': []}
    past_start, past_end = window(-48, -24)
    old = emu.api('POST', '/voice/recordSipQuery', {'current': 1, 'size': 10, 'params': {'strTime': past_start, 'endTime': past_end}})[1]
    assert old['data']['total'] == 0


QUERY_BAD = [
    {'current': None},
    {'current': 0},
    {'current': '1'},
    {'size': 0},
    {'size': 101},
    {'size': True},
    {'params': None},
    {'params': {'endTime': '2026-01-02T00:00:00+08:00'}},
    {'params': {'strTime': '2026-01-01T00:00:00+08:00'}},
    {'params': {'strTime': '2026-01-01T00:00:00+08:00', 'endTime': '2026-02-02T00:00:00+08:00'}},
    {'params': {'strTime': '2026-01-02T00:00:00+08:00', 'endTime': '2026-01-01T00:00:00+08:00'}},
]


@pytest.mark.parametrize('change', QUERY_BAD, ids=[repr(c)[:50] for c in QUERY_BAD])
def test_record_sip_query_bad_parameters(emu, change):
    # a time that is text but not ISO-8601 with an offset is -11 (test_hostile.py)
    body = {'current': 1, 'size': 10, 'params': {'strTime': '2026-01-01T00:00:00+08:00', 'endTime': '2026-01-31T00:00:00+08:00'}}
    body.update(change)
    body = {k: v for k, v in body.items() if v is not None}
    assert emu.api('POST', '/voice/recordSipQuery', body)[1] == {'status': '-22', 'reason': 'Parameter exception'}


def test_record_sip_query_31_days_is_allowed(emu):
    body = {'current': 1, 'size': 10, 'params': {'strTime': '2026-01-01T00:00:00+08:00', 'endTime': '2026-02-01T00:00:00+08:00'}}
    assert emu.api('POST', '/voice/recordSipQuery', body)[1]['status'] == '0'
    body['params'] = {'strTime': '2026-01-01T00:00:00Z', 'endTime': '2026-01-02T00:00:00-05:00'}
    assert emu.api('POST', '/voice/recordSipQuery', body)[1]['status'] == '0'


def test_get_balance(emu):
    status, body = emu.api('GET', '/getBalance')
    assert status == 200
    assert body == {'status': '0', 'reason': 'success', 'balance': '100.000000', 'gift': '0.000000', 'credit': '0.000000'}
    emu.control('POST', '/_emulator/balance', {'balance': '12.5', 'gift': '3', 'credit': '1.25'})
    assert emu.api('GET', '/getBalance', prefix='')[1] == {'status': '0', 'reason': 'success', 'balance': '12.500000',
                                                           'gift': '3.000000', 'credit': '1.250000'}


def test_sip_query(emu):
    body = emu.api('POST', '/voice/sipQuery', {'current': 1, 'size': 5, 'params': {'appId': emu.app_id}})[1]
    assert body['status'] == '0'
    data = body['data']
    assert data['total'] == 12 and data['pages'] == 3 and data['current'] == 1 and data['size'] == 5
    first = data['records'][0]
    assert set(first) == {'groupName', 'phoneName', 'account', 'password', 'displayNum'}
    assert first['account'] == 'desk-answer-01' and first['groupName'] == 'desk-lab' and len(first['password']) == 8
    accounts = []
    for page in (1, 2, 3):
        accounts += [r['account'] for r in emu.api('POST', '/voice/sipQuery', {'current': page, 'size': 5,
                                                                               'params': {'appId': emu.app_id}})[1]['data']['records']]
    assert len(accounts) == 12 and len(set(accounts)) == 12
    assert 'desk-offline-01' in accounts
    default_size = emu.api('POST', '/voice/sipQuery', {'params': {'appId': emu.app_id}})[1]['data']
    assert default_size['size'] == 25 and default_size['current'] == 1


@pytest.mark.parametrize('body', [{'current': 1, 'size': 10, 'params': {'appId': 'other'}}, {'current': 1, 'size': 10},
                                  {'current': 1, 'size': 101, 'params': {'appId': '4luaKsL2'}},
                                  {'current': 0, 'size': 10, 'params': {'appId': '4luaKsL2'}}])
def test_sip_query_bad_parameters(emu, body):
    assert emu.api('POST', '/voice/sipQuery', body)[1]['status'] == '-22'
