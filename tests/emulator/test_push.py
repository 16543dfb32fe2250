# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Push reports to a tiny loopback receiver: single and batch form, ringing notification, retries, duplicates, order."""

from __future__ import annotations

import time

import pytest

from devtools.emulator import Emulator
from support.push_sink import PushSink

# every test here depends on the emulator's simulated timings (make stress repeats them)
pytestmark = pytest.mark.emulator_timing

REPORT_FIELDS = {'voiceId', 'type', 'callee', 'displayNum', 'submitTime', 'callTime', 'ringingTime', 'answerTime',
                 'hangupTime', 'callDuration', 'chargedDuration', 'billPeriod', 'code', 'rate', 'baseCost', 'cost',
                 'terminationCode', 'terminationReason', 'sipCode', 'callStatus', 'ringDuration', 'calledInfo',
                 'feedbackValue', 'recordingFileId'}


def first_push(emu, predicate, timeout=10.0):
    """The emulator's first push record once ``predicate`` holds for it: the emulator records an attempt only
    after it has read the receiver's answer, a moment after the receiver has seen the request."""
    deadline = time.time() + timeout
    while True:
        pushes = emu.pushes()
        if pushes and predicate(pushes[0]):
            return pushes[0]
        if time.time() >= deadline:
            raise AssertionError('push condition not met; got %r' % pushes)
        time.sleep(0.03)


@pytest.fixture(scope='module')
def receiver():
    rec = PushSink()
    yield rec
    rec.close()


@pytest.fixture(scope='module')
def emu(receiver):
    with Emulator('default', push_url=receiver.url) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def fresh(emu, receiver):
    emu.reset()
    receiver.clear()
    emu.phone('p-answer', behaviour='answer', ring_after=0.2, answer_after=0.2, talk=0.3, display_num='8613822222222')
    emu.phone('p-noanswer', behaviour='no_answer', ring_after=0.2, ring_timeout=0.3)
    emu.phone('p-reject', behaviour='reject', reject_after=0.1)


def reports(items):
    return [item for item in items if isinstance(item['body'], dict) and 'voiceId' in item['body']]


def ringings(items):
    return [item for item in items if isinstance(item['body'], list)]


def test_report_and_ringing_for_answered_call(emu, receiver):
    voice_id = emu.send_sip('p-answer', calledInfo='who')['data']
    items = receiver.wait(reports)
    ring = ringings(items)
    assert len(ring) == 1
    event = ring[0]['body'][0]
    assert event['callId'] == voice_id and event['type'] == 3 and event['called'] == '919876543210'
    assert event['sipAccount'] == 'p-answer' and event['noAnswerSipList'] == [] and event['calledInfo'] == 'who'
    assert len(event['callinEventTime']) == 19 and event['callinEventTime'][10] == ' '
    assert ring[0]['time'] <= reports(items)[0]['time']
    report = reports(items)[0]
    headers = report['headers']
    assert headers['Content-Type'] == 'application/json;charset=UTF-8'
    assert headers['User-Agent'] == 'Java/1.8.0_232'
    assert report['path'] == '/push'
    body = report['body']
    assert set(body) == REPORT_FIELDS
    assert body['voiceId'] == voice_id and body['type'] == 3 and body['feedbackValue'] == '-1'
    assert body['displayNum'] == '8613822222222' and body['calledInfo'] == 'who'
    assert (body['terminationCode'], body['sipCode'], body['callStatus']) == ('0', '200', 50)
    stamps = [body[f] for f in ('submitTime', 'callTime', 'ringingTime', 'answerTime', 'hangupTime')]
    assert all(isinstance(s, int) and s > 1_600_000_000_000 for s in stamps)
    assert stamps == sorted(stamps)
    assert body['callDuration'] == 1 and body['chargedDuration'] == 60 and body['cost'] == body['baseCost']
    # the push matches the pulled record
    record = emu.record(voice_id)
    assert record['cost'] == body['cost'] and record['ringDuration'] == body['ringDuration']
    pushes = emu.pushes()
    assert {p['kind'] for p in pushes} == {'ringing', 'report'}
    assert all(p['delivered'] and p['attempts'][0]['http_status'] == 200 for p in pushes)


def test_unanswered_and_rejected_reports(emu, receiver):
    emu.send_sip('p-noanswer')
    emu.send_sip('p-reject')
    items = receiver.wait(lambda items: len(reports(items)) == 2)
    by_code = {item['body']['sipCode']: item['body'] for item in reports(items)}
    assert by_code['480']['answerTime'] == 0 and by_code['480']['ringingTime'] > 0 and by_code['480']['callStatus'] == 20
    assert by_code['486']['ringingTime'] == 0 and by_code['486']['answerTime'] == 0 and by_code['486']['callStatus'] == 10
    assert len(ringings(items)) == 1  # the rejecting phone never rang


def test_retry_after_non_200(emu, receiver):
    emu.config(push_retry_interval=0.2, push_ringing=False)
    receiver.codes = [500, 503]
    voice_id = emu.send_sip('p-reject')['data']
    items = receiver.wait(lambda items: len(items) == 3)
    assert [item['code'] for item in items] == [500, 503, 200]
    assert all(item['body']['voiceId'] == voice_id for item in items)
    push = first_push(emu, lambda push: push['done'])
    assert push['delivered'] and [a['http_status'] for a in push['attempts']] == [500, 503, 200]


def test_gives_up_after_three_attempts(emu, receiver):
    emu.config(push_retry_interval=0.1, push_ringing=False)
    receiver.codes = [500, 500, 500, 500]
    emu.send_sip('p-reject')
    receiver.wait(lambda items: len(items) == 3)
    push = first_push(emu, lambda push: push['done'])
    time.sleep(0.3)
    assert len(receiver.items) == 3
    assert not push['delivered'] and len(push['attempts']) == 3


def test_unreachable_receiver_is_recorded(emu, receiver):
    emu.config(push_url='http://127.0.0.1:9/nowhere', push_retry_interval=0.05, push_ringing=False)
    emu.send_sip('p-reject')
    push = first_push(emu, lambda push: push['done'])
    assert not push['delivered'] and len(push['attempts']) == 3 and 'error' in push['attempts'][0]
    assert emu.api('GET', '/getBalance')[1]['status'] == '0'


def test_batch_form(emu, receiver):
    emu.config(push_format='batch', push_batch_interval=0.5, push_ringing=False)
    first = emu.send_sip('p-reject')['data']
    second = emu.send_sip('p-noanswer', callee='6312345678')['data']
    items = receiver.wait(lambda items: sum(len(i['body']['array']) for i in items) == 2)
    assert all(set(item['body']) == {'array'} for item in items)
    ids = [report['voiceId'] for item in items for report in item['body']['array']]
    assert sorted(ids) == sorted([first, second])
    assert set(items[0]['body']['array'][0]) == REPORT_FIELDS


def test_batch_size_flushes(emu, receiver):
    emu.config(push_format='batch', push_batch_size=2, push_batch_interval=30, push_ringing=False)
    emu.send_sip('p-reject')
    emu.send_sip('p-answer')
    items = receiver.wait(lambda items: len(items) == 1, timeout=10)
    assert len(items[0]['body']['array']) == 2


def test_duplicates(emu, receiver):
    emu.config(push_duplicates=2, push_duplicate_delay=0.1, push_ringing=False)
    voice_id = emu.send_sip('p-reject')['data']
    items = receiver.wait(lambda items: len(items) == 3)
    assert [item['body']['voiceId'] for item in items] == [voice_id] * 3
    assert [p['duplicate'] for p in emu.pushes()] == [False, True, True]


def test_out_of_order(emu, receiver):
    emu.config(push_out_of_order=True, push_out_of_order_window=5, push_ringing=False)
    emu.phone('p-reject2', behaviour='reject', reject_after=0.4)
    first = emu.send_sip('p-reject')['data']
    second = emu.send_sip('p-reject2')['data']
    items = receiver.wait(lambda items: len(items) == 2)
    assert [item['body']['voiceId'] for item in sorted(items, key=lambda i: i['time'])] == [second, first]


def test_out_of_order_single_report_is_released(emu, receiver):
    emu.config(push_out_of_order=True, push_out_of_order_window=0.3, push_ringing=False)
    voice_id = emu.send_sip('p-reject')['data']
    assert receiver.wait(lambda items: len(items) == 1)[0]['body']['voiceId'] == voice_id


def test_late_reports(emu, receiver):
    emu.config(push_late=1.0, push_ringing=False)
    voice_id = emu.send_sip('p-reject')['data']
    time.sleep(0.6)
    assert emu.record(voice_id)['hangupTime'] is not None
    assert not receiver.items
    assert receiver.wait(lambda items: len(items) == 1)[0]['body']['voiceId'] == voice_id


def test_separate_ringing_url_and_ringing_off(emu, receiver):
    emu.config(ringing_url=receiver.url.replace('/push', '/ring'))
    emu.send_sip('p-answer')
    items = receiver.wait(reports)
    assert [i['path'] for i in ringings(items)] == ['/ring']
    receiver.clear()
    emu.config(push_ringing=False)
    emu.send_sip('p-noanswer')
    items = receiver.wait(reports)
    assert not ringings(items)


def test_no_push_without_url(emu, receiver):
    emu.config(push_url=None)
    voice_id = emu.send_sip('p-reject')['data']
    deadline = time.time() + 5
    while emu.record(voice_id)['hangupTime'] is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert not receiver.items and emu.pushes() == []
