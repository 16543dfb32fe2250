from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils._calls import (CallRunner, RecordPages, build_calls, meets, normalize_number, predict,
                                                                           summarize)
from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
from ansible_collections.laaffic.voice.plugins.module_utils._errors import ApiStatusError, HttpError, TransportError
from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
from ansible_collections.laaffic.voice.plugins.module_utils._paging import Records
from ansible_collections.laaffic.voice.plugins.module_utils._polling import Deadline, RateLimiter
from support.fake_http import FakeResponse, FakeSession, ok, status

RING = {'submitTime': '2026-11-26T10:00:00+08:00', 'ringingTime': '2026-11-26T10:00:01+08:00'}
ANSWERED = dict(RING, answerTime='2026-11-26T10:00:02+08:00')
NO_ANSWER = dict(RING, hangupTime='2026-11-26T10:00:06+08:00', terminationCode='480', terminationReason='no answer', sipCode='480',
                 callStatus=20)
BUSY = {'submitTime': '2026-11-26T10:00:00+08:00', 'hangupTime': '2026-11-26T10:00:01+08:00', 'terminationReason': 'busy',
        'sipCode': '486', 'callStatus': 10}
PENDING = {'submitTime': '2026-11-26T10:00:00+08:00'}


class FakeClient(object):
    """send_sip answers from ``placing[account]`` (an exception or a voice ID); record_sip walks ``records[voice_id]``;
    record_sip_query finds nothing (a platform whose query does not list the calls: each call's record is read)."""

    def __init__(self, placing=None, records=None, listing=None):
        self.placing = placing or {}
        self.records = records or {}
        self.listing = listing  # what record_sip_query lists (a list of records, or an exception); None: nothing
        self.placed = []
        self.polls = {}
        self.lock = threading.Lock()

    def send_sip(self, account, callee, app_id, display_num=None, called_info=None):
        with self.lock:
            self.placed.append(account)
        outcome = self.placing.get(account, 'v-%s' % account)
        if isinstance(outcome, list):  # one outcome per request, the last one repeated
            outcome = outcome.pop(0) if len(outcome) > 1 else outcome[0]
        if callable(outcome) and not isinstance(outcome, Exception):
            outcome = outcome(account, callee, called_info)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def record_sip_query(self, *args, **kwargs):
        with self.lock:
            self.queries = getattr(self, 'queries', 0) + 1
        if isinstance(self.listing, Exception):
            raise self.listing
        return Records(self.listing or [], pages=1)

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
    calls = calls_for(('desk-a', 'accepted'), ('desk-b', 'ringing'))
    assert [c.called_info for c in calls] == ['laaffic-voice:RUN:0:desk-a', 'laaffic-voice:RUN:1:desk-b']
    assert all(c.default_tag for c in calls)


def test_verdicts_from_records():
    client = FakeClient(records={
        'v-answ': [PENDING, RING, ANSWERED], 'v-ring': [PENDING, RING], 'v-noans': [RING, NO_ANSWER], 'v-busy': [BUSY],
        'v-late': [PENDING], 'v-none': [None], 'v-still': [RING],
    })
    calls = calls_for(('answ', 'answered'), ('ring', 'ringing'), ('noans', 'answered'), ('busy', 'ringing'), ('late', 'ringing'),
                      ('none', 'ringing'), ('still', 'answered'), ('accp', 'accepted'))
    result = run(client, calls)
    verdicts = dict((a, c.verdict) for a, c in result.items())
    assert verdicts == {'answ': 'answered', 'ring': 'rang', 'noans': 'rang', 'busy': 'failed', 'late': 'timeout', 'none': 'timeout',
                        'still': 'rang', 'accp': 'accepted'}
    assert 'SIP 480' in result['noans'].reason and 'SIP 486' in result['busy'].reason
    assert 'still not answered when wait_timeout expired' in result['still'].reason
    assert 'did not ring within wait_timeout' in result['late'].reason
    assert 'did not ring within wait_timeout: the platform has no record of the call yet' in result['none'].reason
    assert 'accp' not in [v[2:] for v in client.polls]  # accepted calls are not waited for
    summary = summarize(list(result.values()))
    assert summary['total'] == 8 and summary['ok'] == 3 and summary['rang'] == 3


def test_ringing_satisfied_without_waiting_for_hangup():
    client = FakeClient(records={'v-desk-a': [RING]})
    result = run(client, calls_for(('desk-a', 'ringing')), wait=5)
    assert result['desk-a'].verdict == 'rang' and client.polls['v-desk-a'] == 1


def test_at_least_one_look_even_when_no_time_is_left():
    client = FakeClient(records={'v-desk-a': [RING], 'v-desk-b': [PENDING]})
    result = run(client, calls_for(('desk-a', 'ringing'), ('desk-b', 'ringing')), wait=0)
    assert result['desk-a'].verdict == 'rang' and result['desk-b'].verdict == 'timeout'
    assert client.polls == {'v-desk-a': 1, 'v-desk-b': 1}  # one look, no more


# FakeClient's read-back lists no call: after an answer with which the platform was done that proves the call was not
# placed (sent again after 429/500/503, up to 4 requests); after a reset or a gateway error it proves nothing.
@pytest.mark.parametrize('error, verdict, sends', [
    (ApiStatusError('-68', 'busy', 'POST', 'u'), 'rejected', 1),
    (ApiStatusError('-10', 'balance', 'POST', 'u'), 'rejected', 1),
    (TransportError('POST', 'u', 'reset', sent=True), 'unknown', 1),
    (TransportError('POST', 'u', 'refused', sent=False), 'rejected', 1),
    (HttpError('POST', 'u', 500), 'rejected', 4),
    (HttpError('POST', 'u', 200, 'garbage'), 'rejected', 1),
    (HttpError('POST', 'u', 503), 'rejected', 4),
    (HttpError('POST', 'u', 503, retry_after=1), 'rejected', 4),
    (HttpError('POST', 'u', 429), 'rejected', 4),
    (HttpError('POST', 'u', 404), 'rejected', 1),
])
def test_placing_failures(error, verdict, sends):
    client = FakeClient(placing={'desk-a': error})
    result = run(client, calls_for(('desk-a', 'ringing')), sleep=lambda seconds: None)
    call = result['desk-a']
    assert call.verdict == verdict and not call.ok and client.polls == {}
    assert call.may_exist is (verdict == 'unknown')
    assert len(client.placed) == sends


def test_read_errors_keep_waiting_then_explain():
    failure = TransportError('GET', 'u', 'reset', sent=True)
    client = FakeClient(records={'v-desk-a': [failure, failure, RING], 'v-desk-b': [failure]})
    result = run(client, calls_for(('desk-a', 'ringing'), ('desk-b', 'ringing')))
    assert result['desk-a'].verdict == 'rang'
    assert result['desk-b'].verdict == 'timeout' and 'did not ring within wait_timeout: GET u got no answer (reset)' in result['desk-b'].reason


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

    specs = [('desk-p%d' % n, 'accepted') for n in range(30)]
    run(Slow(), calls_for(*specs), concurrency=4)
    assert active['max'] == 4


def test_invalid_expect_and_empty_calls():
    params = dict(account='desk-a', callee='4930123456', display_num=None, called_info=None, expect='accepted', calls=[])
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
    result = run(FakeClient(placing={'desk-a': data}), calls_for(('desk-a', 'accepted')))
    assert result['desk-a'].verdict == verdict and result['desk-a'].may_exist


def test_unexpected_error_while_placing_is_unknown_not_lost():
    result = run(FakeClient(placing={'desk-a': OverflowError('cannot convert float infinity to integer')}), calls_for(('desk-a', 'ringing')))
    assert result['desk-a'].verdict == 'unknown' and result['desk-a'].may_exist and 'unexpected OverflowError' in result['desk-a'].reason


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


# Reading the records in bulk (issue 12) ----------------------------------------------------------------------------

class Platform(object):
    """A LAAFFIC stand-in behind the real client (FakeSession): sendSip gives voice IDs v0001, v0002...;
    recordSipQuery pages ``listing()`` (newest first: other runs' records, then this run's, minus ``hidden``),
    calling ``before_page(current)`` first; recordSip answers ``records``. ``pages`` logs each page request."""

    def __init__(self, others=0, record=None, hidden=(), claim=None):
        self.record = record or RING
        self.records = {}
        self.others = [dict(RING, voiceId='other-%05d' % n) for n in range(others)]
        self.hidden = set(hidden)
        self.claim = claim
        self.before_page = None
        self.pages = []
        self.fail_page = {}
        self.lock = threading.RLock()  # calls are placed and pages read from several threads

    def listing(self):
        ours = [record for voice_id, record in sorted(self.records.items(), reverse=True) if voice_id not in self.hidden]
        return self.others + ours

    def handler(self, method, url, body, headers):
        with self.lock:
            return self._handle(url, body)

    def _handle(self, url, body):
        if url.endswith('/voice/sendSip'):
            voice_id = 'v%04d' % (len(self.records) + 1)
            self.records[voice_id] = dict(self.record, voiceId=voice_id)
            return ok(voice_id)
        if url.endswith('/voice/recordSipQuery'):
            current, size = body['current'], body['size']
            self.pages.append(dict(body['params'], current=current, size=size))
            if current in self.fail_page:
                return self.fail_page[current]
            if self.before_page:
                self.before_page(self, current)
            listing = self.listing()
            page = {'size': size, 'current': current, 'records': listing[(current - 1) * size:current * size]}
            if self.claim != 'none':
                total = len(listing) if self.claim is None else self.claim
                page.update(total=total, pages=-(-total // size))
            return ok(page)
        if '/voice/recordSip/' in url:
            return ok(self.records.get(url.rsplit('/', 1)[1]))
        raise AssertionError('unexpected request to %s' % url)


def real_client(platform):
    session = FakeSession(platform.handler)
    options = ConnectionOptions(api_url='https://api.test/v3', api_key='bDqJFiq9', api_secret='7bz1lzh9', app_id='app', timeout=2)
    return LaafficClient(options, session=session, log=lambda line: None, sleep=lambda s: None, retry_delay=0.001), session


def per_call_reads(session):
    return sorted(s['url'].rsplit('/', 1)[1] for s in session.sent if '/voice/recordSip/' in s['url'])


def bulk(count, platform, wait=0.5, expect='ringing', **kwargs):
    client, session = real_client(platform)
    calls = calls_for(*[('desk-%04d' % n, expect) for n in range(count)])
    runner = CallRunner(client, 'app', poll_interval=0.02, run_id='RUN', **kwargs)
    runner.run(calls, wait)
    return calls, client, session, runner


def test_bulk_reads_pages_and_ignores_other_runs():
    platform = Platform(others=150)
    calls, client, session, runner = bulk(120, platform)
    assert all(c.verdict == 'rang' for c in calls) and [c.progress.ringing_time for c in calls[:1]] == ['2026-11-26T10:00:01+08:00']
    assert per_call_reads(session) == []  # every call was on the pages: no recordSip at all
    assert sorted(p['current'] for p in platform.pages) == [1, 2, 3] and all(p['size'] == 100 for p in platform.pages)
    assert client.requests.as_dict() == {'place': 120, 'verify': 3, 'preflight': 0}
    assert runner.pages.given_up is None


def test_bulk_window_in_the_platform_offset_with_margins():
    platform = Platform()
    client, session = real_client(platform)
    pages = RecordPages(client, (1764208800.7, 1764208803.2), 3)  # first call sent, last call answered (epoch seconds)
    assert (pages.start, pages.end) == ('2025-11-27T09:59:00+08:00', '2025-11-27T10:01:04+08:00')  # 60 s margins, +08:00
    call = calls_for(('desk-1', 'ringing'))[0]
    call.voice_id = 'v0001'
    platform.records['v0001'] = dict(RING, voiceId='v0001')
    assert pages.read([call], None) == [] and call.progress.rang
    assert platform.pages == [{'strTime': '2025-11-27T09:59:00+08:00', 'endTime': '2025-11-27T10:01:04+08:00', 'current': 1, 'size': 100}]


def test_bulk_narrowed_to_the_one_group_preflight_found():
    platform = Platform()
    groups = dict(('desk-%04d' % n, 'lab') for n in range(3))
    bulk(3, platform, groups=groups)
    assert platform.pages[0]['sipGroupName'] == 'lab'
    platform = Platform()
    bulk(3, platform, groups=dict(groups, **{'desk-0002': 'other'}))
    assert 'sipGroupName' not in platform.pages[0]


def test_calls_missing_from_the_pages_read_their_own_record():
    platform = Platform(others=20, hidden={'v0002', 'v0005'})
    calls, client, session, runner = bulk(6, platform)
    assert all(c.verdict == 'rang' for c in calls)
    assert per_call_reads(session) == ['v0002', 'v0005']
    assert client.requests.as_dict()['verify'] == 1 + 2


def test_a_page_that_changes_between_reads():
    """Newest first: a record inserted while the pages are read pushes the others down, so a record is seen twice
    (the later read wins); a record removed meanwhile pulls the others up, so one is never seen (its own record is read).
    Every other call rings on the first look, so one look settles the run if, and only if, the pages were read right."""
    platform = Platform()

    def insert_before_page_2(plat, current):
        if current == 1:
            plat.records['v0051'] = dict(PENDING, voiceId='v0051')  # v0051 is last on page 1, still pending there
        if current == 2:
            plat.others.insert(0, dict(RING, voiceId='other-new'))
            plat.records['v0051'] = dict(RING, voiceId='v0051')  # pushed down: first on page 2, ringing now
    platform.before_page = insert_before_page_2
    calls, client, session, runner = bulk(150, platform, wait=30)
    by_id = dict((c.voice_id, c) for c in calls)
    assert by_id['v0051'].progress.rang and by_id['v0051'].verdict == 'rang'  # the later read (page 2) won
    assert all(c.verdict == 'rang' for c in calls)
    assert per_call_reads(session) == [] and [p['current'] for p in platform.pages] == [1, 2]  # one look

    platform = Platform()

    def remove_before_page_2(plat, current):
        if current == 2:
            del plat.records['v0150']  # read on page 1; the rest moves up one place, v0050 onto page 1
    platform.before_page = remove_before_page_2
    calls, client, session, runner = bulk(150, platform, wait=30)
    assert per_call_reads(session) == ['v0050']  # never on a page when that page was read: read alone
    assert [p['current'] for p in platform.pages] == [1, 2] and all(c.verdict == 'rang' for c in calls)


def test_paging_stopped_by_the_bound_gives_up_bulk_for_the_run():
    platform = Platform(others=5000, record=PENDING)  # a busy application: far more than 3 records per call
    calls, client, session, runner = bulk(50, platform, wait=0.2)
    assert [p['current'] for p in platform.pages] == [1]  # the first page's total ended the walk
    assert 'busy application' in runner.pages.given_up and '5050' in runner.pages.given_up
    reads = per_call_reads(session)
    assert set(reads) == set('v%04d' % n for n in range(1, 51)) and len(reads) > 50  # every round read each call
    assert client.requests.as_dict()['verify'] == 1 + len(reads)
    assert all(c.verdict == 'timeout' for c in calls)


def test_a_server_that_claims_little_but_never_stops_is_bounded():
    platform = Platform(others=100000, claim='none')  # full pages, no total, no page count
    calls, client, session, runner = bulk(3, platform)
    assert len(platform.pages) == runner.pages.max_pages == 3  # 3 * 3 + 100 records allowed: 2 pages and one more
    assert per_call_reads(session) == ['v0001', 'v0002', 'v0003']
    assert 'busy application' in runner.pages.given_up


def test_calls_given_one_voice_id_both_get_the_record():
    platform = Platform(others=2)
    client, session = real_client(platform)
    calls = calls_for(('desk-1', 'ringing'), ('desk-2', 'ringing'), ('desk-3', 'ringing'))
    platform.records['v0001'] = dict(RING, voiceId='v0001')
    for call in calls[:2]:
        call.voice_id = 'v0001'
    calls[2].voice_id = 'v0404'
    pages = RecordPages(client, (time.time(), time.time()), 3)
    assert pages.read(calls, None) == [calls[2]]
    assert calls[0].progress.rang and calls[1].progress.rang and calls[0].progress is not calls[1].progress


def test_a_single_call_reads_its_own_record():
    platform = Platform(others=3)
    calls, client, session, runner = bulk(1, platform)
    assert calls[0].verdict == 'rang' and platform.pages == [] and per_call_reads(session) == ['v0001']


def test_bulk_only_while_it_costs_fewer_requests_than_the_waiting_calls():
    platform = Platform()
    ringing = dict(('v%04d' % n, RING) for n in range(1, 150))
    platform.record = PENDING

    def settle_most(plat, current):
        for voice_id, record in ringing.items():
            plat.records[voice_id].update(record)
    platform.before_page = settle_most
    calls, client, session, runner = bulk(150, platform, wait=0.2)
    assert [c.voice_id for c in calls if c.verdict == 'timeout'] == ['v0150']
    assert [p['current'] for p in platform.pages] == [1, 2]  # one bulk read of two pages, then one call waits: its record
    assert set(per_call_reads(session)) == {'v0150'}


def looks_and_sleeps(count, settle_per_read):
    """Run ``count`` calls whose records ring ``settle_per_read[n]`` more calls at the n-th bulk read; return the sleeps."""
    platform = Platform()
    platform.record = PENDING
    reads = []

    def ring_some(plat, current):
        if current != 1:
            return
        reads.append(current)
        rung = sum(settle_per_read[:len(reads)])
        for n in range(1, rung + 1):
            plat.records['v%04d' % n].update(RING)
    platform.before_page = ring_some
    client, dummy = real_client(platform)
    calls = calls_for(*[('desk-%04d' % n, 'ringing') for n in range(count)])
    sleeps = []
    CallRunner(client, 'app', poll_interval=1.0, run_id='RUN', sleep=sleeps.append).run(calls, 5)
    return calls, sleeps


def test_a_look_that_settles_some_calls_brings_the_next_bulk_look_forward():
    calls, sleeps = looks_and_sleeps(300, [200, 100])
    assert all(c.verdict == 'rang' for c in calls)
    assert len(sleeps) == 2 and sleeps[0] >= 1.0 and sleeps[1] == pytest.approx(0.25)


def test_a_look_that_settles_nothing_keeps_the_backoff():
    calls, sleeps = looks_and_sleeps(300, [0, 300])
    assert all(c.verdict == 'rang' for c in calls)
    assert len(sleeps) == 2 and sleeps[0] >= 1.0 and sleeps[1] >= 1.3 * 0.9


@pytest.mark.parametrize('failure, pages', [(status(-15, 'Frequent query'), [1]), (FakeResponse(500, 'x'), [1, 1, 1, 1])])
def test_a_failed_bulk_read_falls_back_and_says_why(failure, pages):
    platform = Platform()
    platform.fail_page[1] = failure
    calls, client, session, runner = bulk(5, platform)
    assert all(c.verdict == 'rang' for c in calls) and len(per_call_reads(session)) == 5
    assert [p['current'] for p in platform.pages] == pages  # a read is retried (500), a status is not (-15)
    assert runner.pages.failed.startswith('reading the records in bulk failed: ')


def test_a_page_failing_after_the_first_keeps_what_was_read():
    platform = Platform()
    platform.fail_page[2] = status(-18, 'Port program unusual')
    calls, client, session, runner = bulk(130, platform)
    assert all(c.verdict == 'rang' for c in calls)
    assert per_call_reads(session) == ['v%04d' % n for n in range(1, 31)]  # the oldest 30 were on page 2
    assert 'status -18' in runner.pages.failed


def test_fruitless_bulk_reads_are_given_up():
    platform = Platform(record=PENDING)
    platform.hidden = set('v%04d' % n for n in range(1, 6))  # the query never shows this run's calls (clocks far apart)
    calls, client, session, runner = bulk(5, platform, wait=0.3)
    assert len(platform.pages) == 2 and 'saved no request (the last showed 0 of 5 waiting calls)' in runner.pages.given_up


def test_bulk_reads_that_show_too_few_calls_are_given_up_and_those_that_pay_are_not():
    platform = Platform(record=PENDING)
    platform.hidden = set('v%04d' % n for n in range(1, 5))  # 1 page shows 1 of 5: 1 + 4 requests, no saving
    calls, client, session, runner = bulk(5, platform, wait=0.3)
    assert len(platform.pages) == 2 and 'the last showed 1 of 5 waiting calls' in runner.pages.given_up
    platform = Platform(record=PENDING)
    platform.hidden = set('v%04d' % n for n in range(1, 4))  # 1 page shows 2 of 5: 1 + 3 requests instead of 5
    calls, client, session, runner = bulk(5, platform, wait=0.3)
    assert runner.pages.given_up is None and len(platform.pages) > 2


def test_verify_rate_limit_paces_every_verification_attempt():
    platform = Platform(record=PENDING)
    client, session = real_client(platform)
    calls = calls_for(('desk-1', 'ringing'))
    CallRunner(client, 'app', poll_interval=0.05, run_id='RUN', verify_rate_limit=2).run(calls, 1.3)
    reads = per_call_reads(session)
    # a round every ~0.05-0.1 s would read ~15 times; 2 in any second within 1.3 s and no slot past the deadline: 4 at most
    assert 1 <= len(reads) <= 4 and client.requests.as_dict()['verify'] == len(reads)
    assert client.pace['verify'].burst == 2 and calls[0].verdict == 'timeout'


def test_a_request_whose_turn_comes_after_the_deadline_is_not_sent():
    platform = Platform()
    client, session = real_client(platform)
    client.pace['verify'] = RateLimiter(0.1)
    client.record_sip('v0001', Deadline(5))
    with pytest.raises(TransportError) as caught:
        client.record_sip('v0001', Deadline(5))  # the next slot is 10 s away
    assert caught.value.permanent and not caught.value.sent and len(session.sent) == 1
    assert client.requests.as_dict()['verify'] == 1


# One rule for requests that create something (issue 18): a lost answer is read back, never guessed ---------------
TAG = 'laaffic-voice:RUN:0:desk-a'


def record_of(voice_id, called_info=TAG, callee='4930123456'):
    return dict(PENDING, voiceId=voice_id, calledInfo=called_info, callee=callee)


def placed_then(error, listing, voice_id='v-first'):
    """A sendSip that places the call (it joins ``listing``) and then answers with ``error``."""
    def send(account, callee, called_info):
        listing.append(record_of(voice_id, called_info, callee))
        return error
    return send


def test_a_call_placed_then_answered_503_goes_on_with_the_voice_id_read_back():
    listing, sleeps = [], []
    client = FakeClient(placing={'desk-a': [placed_then(HttpError('POST', 'u', 503, retry_after=0), listing), 'v-second']},
                        listing=listing, records={'v-first': [RING]})
    call = run(client, calls_for(('desk-a', 'ringing')), sleep=sleeps.append)['desk-a']
    assert client.placed == ['desk-a'] and client.queries == 1  # sent once, read back once
    assert call.voice_id == 'v-first' and call.verdict == 'rang' and call.ok and call.may_exist
    assert sleeps[0] == 0.5  # Retry-After 0: still a pause before the read-back


@pytest.mark.parametrize('error', [HttpError('POST', 'u', 429, retry_after=2), HttpError('POST', 'u', 404),
                                   HttpError('POST', 'u', 200, 'garbage'), TransportError('POST', 'u', 'reset', sent=True),
                                   ApiStatusError('-18', 'system exception', 'POST', 'u'), HttpError('POST', 'u', 504)])
def test_a_call_placed_then_lost_is_found_by_its_record_whatever_the_answer(error):
    listing = []
    client = FakeClient(placing={'desk-a': [placed_then(error, listing), 'v-second']}, listing=listing)
    call = run(client, calls_for(('desk-a', 'accepted')), sleep=lambda seconds: None)['desk-a']
    assert client.placed == ['desk-a'] and call.voice_id == 'v-first' and call.verdict == 'accepted'
    assert 'recordSipQuery lists this call with voice ID v-first' in call.reason


def test_a_503_that_did_nothing_is_sent_again_after_retry_after():
    sleeps = []
    client = FakeClient(placing={'desk-a': [HttpError('POST', 'u', 503, retry_after=3), 'v-second']})
    call = run(client, calls_for(('desk-a', 'accepted')), sleep=sleeps.append)['desk-a']
    assert client.placed == ['desk-a', 'desk-a'] and client.queries == 1 and call.voice_id == 'v-second' and call.verdict == 'accepted'
    assert sleeps[0] == 3


def test_a_retry_after_too_long_is_read_back_at_once_and_not_sent_again():
    sleeps = []
    client = FakeClient(placing={'desk-a': [HttpError('POST', 'u', 429, retry_after=3600), 'v-second']})
    call = run(client, calls_for(('desk-a', 'accepted')), sleep=sleeps.append)['desk-a']
    assert client.placed == ['desk-a'] and call.verdict == 'rejected' and 'not placed (request sent 1 time)' in call.reason
    assert 3600 not in sleeps


@pytest.mark.parametrize('listing, words', [
    (HttpError('POST', 'u', 500), 'reading the records back failed: POST u answered HTTP 500'),
    ([record_of('v-x'), record_of('v-y')], 'lists 2 record(s) with this callee and called_info'),
    ([record_of('not a voice id')], 'lists 1 record(s)'),
])
def test_a_read_back_that_cannot_decide_leaves_the_call_unknown_in_its_place(listing, words):
    client = FakeClient(placing={'desk-b': [HttpError('POST', 'u', 503, retry_after=0), 'v-second']}, listing=listing)
    calls = run(client, calls_for(('desk-b', 'accepted'), ('desk-a', 'accepted'), called_info=TAG), sleep=lambda seconds: None)
    call = calls['desk-b']
    assert client.placed.count('desk-b') == 1 and call.verdict == 'unknown' and call.may_exist and words in call.reason
    assert 'not sent again' in call.reason and call.index == 0 and calls['desk-a'].verdict == 'accepted'


def test_a_resend_that_meets_the_busy_phone_is_unknown():
    client = FakeClient(placing={'desk-a': [HttpError('POST', 'u', 503, retry_after=0), ApiStatusError('-68', 'busy', 'POST', 'u')]})
    call = run(client, calls_for(('desk-a', 'accepted')), sleep=lambda seconds: None)['desk-a']
    assert client.placed == ['desk-a', 'desk-a'] and client.queries == 2 and call.verdict == 'unknown' and call.may_exist
    assert 'the phone is busy: the first request may have placed the call' in call.reason


def test_the_read_back_never_takes_a_record_another_call_of_the_run_has():
    listing = [record_of('v-desk-a', called_info='shared')]
    client = FakeClient(placing={'desk-a': 'v-desk-a', 'desk-b': HttpError('POST', 'u', 404)}, listing=listing)
    calls = run(client, calls_for(('desk-a', 'accepted'), ('desk-b', 'accepted'), called_info='shared', concurrency=1), sleep=lambda seconds: None)
    assert calls['desk-a'].voice_id == 'v-desk-a' and calls['desk-b'].voice_id is None and calls['desk-b'].verdict == 'rejected'
    assert client.queries == 1 and 'recordSipQuery lists no such call' in calls['desk-b'].reason
