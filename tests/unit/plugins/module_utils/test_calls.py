from __future__ import annotations

import threading

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils._calls import CallRunner, build_calls, meets, normalize_number, predict, summarize
from ansible_collections.laaffic.voice.plugins.module_utils._errors import ApiStatusError, HttpError, TransportError

RING = {'submitTime': '2026-11-26T10:00:00+08:00', 'ringingTime': '2026-11-26T10:00:01+08:00'}
ANSWERED = dict(RING, answerTime='2026-11-26T10:00:02+08:00')
NO_ANSWER = dict(RING, hangupTime='2026-11-26T10:00:06+08:00', terminationCode='480', terminationReason='no answer', sipCode='480',
                 callStatus=20)
BUSY = {'submitTime': '2026-11-26T10:00:00+08:00', 'hangupTime': '2026-11-26T10:00:01+08:00', 'terminationReason': 'busy',
        'sipCode': '486', 'callStatus': 10}
PENDING = {'submitTime': '2026-11-26T10:00:00+08:00'}


class FakeClient(object):
    """send_sip answers from ``placing[account]`` (an exception or a voice ID); record_sip walks ``records[voice_id]``."""

    def __init__(self, placing=None, records=None):
        self.placing = placing or {}
        self.records = records or {}
        self.placed = []
        self.polls = {}
        self.lock = threading.Lock()

    def send_sip(self, account, callee, app_id, display_num=None, called_info=None):
        with self.lock:
            self.placed.append(account)
        outcome = self.placing.get(account, 'v-%s' % account)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def record_sip(self, voice_id, deadline=None):
        with self.lock:
            count = self.polls[voice_id] = self.polls.get(voice_id, 0) + 1
        timeline = self.records.get(voice_id, [None])
        item = timeline[min(count, len(timeline)) - 1]
        if isinstance(item, Exception):
            raise item
        return item


def calls_for(*specs, **task):
    params = dict(account=None, callee='4930123456', display_num=None, called_info=None, expect='accepted')
    params.update(task)
    params['calls'] = [dict(account=a, expect=e) for a, e in specs]
    calls, errors = build_calls(params, 'RUN')
    assert errors == []
    return calls


def run(client, calls, wait=0.5, **kwargs):
    CallRunner(client, 'app', poll_interval=0.02, run_id='RUN', **kwargs).run(calls, wait)
    return dict((c.account, c) for c in calls)


def test_meets():
    assert meets('answered', 'ringing') and meets('rang', 'ringing') and meets('accepted', 'accepted')
    assert not meets('rang', 'answered') and not meets('accepted', 'ringing') and not meets('failed', 'accepted')


@pytest.mark.parametrize('raw, expected', [('+49 30 1234-5678', '493012345678'), ('(030) 12.34/56', '030123456'), (4930123, '4930123')])
def test_normalize_number(raw, expected):
    assert normalize_number(raw) == expected


def test_default_tag_and_index():
    calls = calls_for(('a', 'accepted'), ('b', 'ringing'))
    assert [c.called_info for c in calls] == ['laaffic-voice:RUN:0:a', 'laaffic-voice:RUN:1:b']
    assert all(c.default_tag for c in calls)


def test_verdicts_from_records():
    client = FakeClient(records={
        'v-ans': [PENDING, RING, ANSWERED], 'v-ring': [PENDING, RING], 'v-noans': [RING, NO_ANSWER], 'v-busy': [BUSY],
        'v-late': [PENDING], 'v-none': [None], 'v-still': [RING],
    })
    calls = calls_for(('ans', 'answered'), ('ring', 'ringing'), ('noans', 'answered'), ('busy', 'ringing'), ('late', 'ringing'),
                      ('none', 'ringing'), ('still', 'answered'), ('acc', 'accepted'))
    result = run(client, calls)
    verdicts = dict((a, c.verdict) for a, c in result.items())
    assert verdicts == {'ans': 'answered', 'ring': 'rang', 'noans': 'rang', 'busy': 'failed', 'late': 'timeout', 'none': 'timeout',
                        'still': 'rang', 'acc': 'accepted'}
    assert 'SIP 480' in result['noans'].reason and 'SIP 486' in result['busy'].reason
    assert 'still not answered when wait_timeout expired' in result['still'].reason
    assert 'did not ring within wait_timeout' in result['late'].reason
    assert 'did not ring within wait_timeout: the platform has no record of the call yet' in result['none'].reason
    assert 'acc' not in [v[2:] for v in client.polls]  # accepted calls are not waited for
    summary = summarize(list(result.values()))
    assert summary['total'] == 8 and summary['ok'] == 3 and summary['rang'] == 3


def test_ringing_satisfied_without_waiting_for_hangup():
    client = FakeClient(records={'v-a': [RING]})
    result = run(client, calls_for(('a', 'ringing')), wait=5)
    assert result['a'].verdict == 'rang' and client.polls['v-a'] == 1


@pytest.mark.parametrize('error, verdict', [
    (ApiStatusError('-68', 'busy', 'POST', 'u'), 'rejected'),
    (ApiStatusError('-10', 'balance', 'POST', 'u'), 'rejected'),
    (TransportError('POST', 'u', 'reset', sent=True), 'unknown'),
    (TransportError('POST', 'u', 'refused', sent=False), 'rejected'),
    (HttpError('POST', 'u', 500), 'unknown'),
    (HttpError('POST', 'u', 200, 'garbage'), 'unknown'),
    (HttpError('POST', 'u', 503), 'unknown'),
    (HttpError('POST', 'u', 503, retry_after=1), 'rejected'),
    (HttpError('POST', 'u', 429), 'rejected'),
    (HttpError('POST', 'u', 404), 'rejected'),
])
def test_placing_failures(error, verdict):
    client = FakeClient(placing={'a': error})
    result = run(client, calls_for(('a', 'ringing')))
    call = result['a']
    assert call.verdict == verdict and not call.ok and client.polls == {}
    assert call.may_exist is (verdict == 'unknown')


def test_read_errors_keep_waiting_then_explain():
    failure = TransportError('GET', 'u', 'reset', sent=True)
    client = FakeClient(records={'v-a': [failure, failure, RING], 'v-b': [failure]})
    result = run(client, calls_for(('a', 'ringing'), ('b', 'ringing')))
    assert result['a'].verdict == 'rang'
    assert result['b'].verdict == 'timeout' and 'did not ring within wait_timeout: GET u got no answer (reset)' in result['b'].reason


def test_concurrency_bound():
    active = {'now': 0, 'max': 0}
    lock = threading.Lock()
    gate = threading.Event()

    class Slow(FakeClient):
        def send_sip(self, *args, **kwargs):
            with lock:
                active['now'] += 1
                active['max'] = max(active['max'], active['now'])
            gate.wait(0.02)
            with lock:
                active['now'] -= 1
            return FakeClient.send_sip(self, *args, **kwargs)

    specs = [('p%d' % n, 'accepted') for n in range(30)]
    run(Slow(), calls_for(*specs), concurrency=4)
    assert active['max'] == 4


def test_invalid_expect_and_empty_calls():
    params = dict(account='a', callee='4930123456', display_num=None, called_info=None, expect='accepted', calls=[])
    assert build_calls(params, 'R')[1] == ['calls: must list at least one call']
    params['calls'] = [{'expect': 'rings'}, 'desk-1']
    errors = build_calls(params, 'R')[1]
    assert errors == ["calls[0].expect: must be one of accepted, ringing, answered, got 'rings'",
                      'calls[1]: must be a dictionary with account, callee, display_num, called_info, expect']


class FakeReceiver(object):
    """The receiver's view: ``objects[voice_id]`` as stored (ringing notification, no final report)."""

    def __init__(self, objects):
        self.objects = objects

    def reports(self, after=None, deadline=None, **filters):
        return list(self.objects.values()), after

    def report(self, voice_id, deadline=None):
        return self.objects.get(voice_id)


def test_answered_through_the_receiver_reads_the_record_of_a_call_that_rang():
    ringing_only = {'voiceId': 'v-long', 'ringing': True, 'ringingTime': '2026-11-26T10:00:01+08:00', 'final': False, 'report': None}
    client = FakeClient(records={'v-long': [ANSWERED]})
    receiver = FakeReceiver({'v-long': ringing_only, 'v-ring': dict(ringing_only, voiceId='v-ring')})
    result = run(client, calls_for(('long', 'answered'), ('ring', 'ringing')), wait=2, receiver=receiver)
    assert result['long'].verdict == 'answered' and result['long'].progress.answer_time == '2026-11-26T10:00:02+08:00'
    assert result['ring'].verdict == 'rang'
    assert 'v-ring' not in client.polls  # only calls that must be answered have their record read


def test_answered_through_the_receiver_stays_rang_when_the_record_has_no_answer():
    ringing_only = {'voiceId': 'v-long', 'ringing': True, 'final': False, 'report': None}
    client = FakeClient(records={'v-long': [RING]})
    result = run(client, calls_for(('long', 'answered')), wait=0.3, receiver=FakeReceiver({'v-long': ringing_only}))
    assert result['long'].verdict == 'rang' and 'still not answered when wait_timeout expired' in result['long'].reason


@pytest.mark.parametrize('data, verdict', [('12345', 'accepted'), (12345, 'accepted'), (None, 'unknown'), ('', 'unknown'),
                                           ({'voiceId': 1}, 'unknown'), (True, 'unknown'), ('a b', 'unknown'), ('x' * 65, 'unknown')])
def test_voice_id_must_be_one(data, verdict):
    result = run(FakeClient(placing={'a': data}), calls_for(('a', 'accepted')))
    assert result['a'].verdict == verdict and result['a'].may_exist


def test_unexpected_error_while_placing_is_unknown_not_lost():
    result = run(FakeClient(placing={'a': OverflowError('cannot convert float infinity to integer')}), calls_for(('a', 'ringing')))
    assert result['a'].verdict == 'unknown' and result['a'].may_exist and 'unexpected OverflowError' in result['a'].reason


def test_broke_gives_every_call_a_verdict():
    calls = calls_for(('placed', 'ringing'), ('sending', 'ringing'), ('waiting', 'ringing'), ('done', 'accepted'))
    calls[0].voice_id, calls[0].verdict = 'v1', 'accepted'
    calls[1].attempted = True
    calls[3].voice_id, calls[3].verdict = 'v3', 'accepted'
    for call in calls:
        call.broke('unexpected OSError: boom')
    assert [c.verdict for c in calls] == ['unknown', 'unknown', 'rejected', 'accepted']
    assert [c.may_exist for c in calls] == [True, True, False, True]
    assert 'voice ID v1' in calls[0].reason and 'not placed: the run broke' in calls[2].reason


def test_predict_rejects_accounts_the_application_lacks():
    calls = calls_for(('desk-1', 'ringing'), ('desk-9', 'ringing'))
    predict(calls, {'desk-1'}, 'app')
    assert [c.verdict for c in calls] == [None, 'rejected'] and "has no SIP account 'desk-9'" in calls[1].reason
