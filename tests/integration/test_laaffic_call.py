"""laaffic_call through ansible-playbook against the emulator."""

from __future__ import annotations

import hashlib
import re
import socket
import time

import pytest

from devtools.emulator import Emulator
from support.hostile import Hostile, answer, envelope, redirect
from support.playbook import run_playbook

from support.credentials import CREDENTIALS

CALLEE = '4930123456'


def call_task(auth, register='r', **options):
    args = dict(auth, callee=CALLEE)
    args.update(options)
    return {'name': 'Call', 'laaffic.voice.laaffic_call': args, 'register': register}


def by_account(result):
    return dict((call['account'], call) for call in result['calls'])


@pytest.mark.emulator_timing
def test_every_verdict(tmp_path, emu, auth):
    expectations = {
        'desk-answer-01': ('answered', 'answered'),
        'desk-noanswer-01': ('answered', 'rang'),
        'desk-reject-01': ('ringing', 'failed'),
        'desk-offline-01': ('ringing', 'rejected'),
        'desk-flaky-02': ('ringing', 'failed'),
        'desk-slowapi-01': ('ringing', 'rang'),  # its answer times out; the read-back finds the call (issue 18)
        'desk-late-01': ('ringing', 'timeout'),
        'desk-answer-02': ('accepted', 'accepted'),
    }
    calls = [{'account': account, 'expect': expect} for account, (expect, dummy) in expectations.items()]
    run = run_playbook(tmp_path, [call_task(auth, calls=calls, wait_timeout=7, timeout=2, poll_interval=0.3, fail_on='none')])
    assert run.rc == 0, run.output
    result = run.results['r']
    assert [call['account'] for call in result['calls']] == list(expectations)
    assert [call['index'] for call in result['calls']] == list(range(len(expectations)))
    for account, call in by_account(result).items():
        if account == 'desk-slowapi-01':  # followed from the read-back: it may be answered by the first look
            placed_ids = [c['voiceId'] for c in emu.calls() if c['account'] == account]
            assert call['verdict'] in ('rang', 'answered') and call['voice_id'] == placed_ids[0], call
            continue
        assert call['verdict'] == expectations[account][1], call
    calls = by_account(result)
    assert calls['desk-answer-01']['ok'] and calls['desk-answer-01']['answer_time'] and calls['desk-answer-01']['voice_id']
    assert calls['desk-noanswer-01']['ringing_time'] and not calls['desk-noanswer-01']['ok']
    assert calls['desk-noanswer-01']['sip_code'] == '480'
    assert calls['desk-reject-01']['sip_code'] == '486' and calls['desk-reject-01']['termination_reason']
    assert calls['desk-offline-01']['api_status'] == '-68' and 'registered' in calls['desk-offline-01']['remedy']
    assert calls['desk-slowapi-01']['voice_id'] and calls['desk-slowapi-01']['ok']
    assert calls['desk-answer-02']['ringing_time'] is None
    requests = result['summary'].pop('requests')
    slow = calls['desk-slowapi-01']['verdict']
    assert result['summary'] == {'total': 8, 'ok': 3, 'short': 5, 'accepted': 1, 'rang': 1 + (slow == 'rang'),
                                 'answered': 1 + (slow == 'answered'), 'failed': 2, 'rejected': 1, 'timeout': 1, 'unknown': 0}
    assert requests['place'] == 8 and requests['verify'] >= 1 and requests['preflight'] == 0
    assert result['changed'] is True
    placed = [c['account'] for c in emu.calls()]
    assert sorted(placed) == sorted(a for a in expectations if a != 'desk-offline-01')


def test_shortfall_fails_the_task_and_names_phones(tmp_path, emu, auth):
    run = run_playbook(tmp_path, [call_task(auth, calls=[{'account': 'desk-answer-01'}, {'account': 'desk-offline-01'}])])
    assert run.rc != 0
    assert '1 of 2 calls fell short' in run.output and 'desk-offline-01 (rejected' in run.output
    assert len(run.results['r']['calls']) == 2


@pytest.mark.emulator_timing
def test_ringing_does_not_wait_for_hangup(tmp_path, emu, auth):
    run = run_playbook(tmp_path, [call_task(auth, account='desk-longcall-01', expect='ringing', poll_interval=0.2)])
    assert run.rc == 0, run.output
    call = run.results['r']['calls'][0]
    # the call lasts 30 s: a verdict given while it has no hangup time was not waiting for the end
    assert call['verdict'] in ('rang', 'answered') and call['hangup_time'] is None


def test_single_call_and_callee_normalisation(tmp_path, emu, auth):
    run = run_playbook(tmp_path, [call_task(auth, account='desk-answer-01', callee='+49 30-123.456', display_num='(0049) 301 234 567')])
    assert run.rc == 0, run.output
    call = run.results['r']['calls'][0]
    assert call['verdict'] == 'accepted' and call['callee'] == '4930123456'
    placed = emu.calls()
    assert len(placed) == 1 and placed[0]['callee'] == '4930123456' and placed[0]['displayNum'] == '0049301234567'
    assert placed[0]['calledInfo'] == call['called_info'] and call['called_info'].startswith('laaffic-voice:')
    assert call['called_info'].endswith(':0:desk-answer-01')


def test_invalid_items_place_no_call(tmp_path, emu, auth):
    calls = [{'account': 'desk-answer-01'}, {'account': 'desk-answer-02', 'callee': '12ab'}, {'callee': '4930123456'},
             {'account': 'desk-answer-01', 'display_num': '123'}, {'account': 'desk-noanswer-01', 'called_info': 'x' * 1001}]
    run = run_playbook(tmp_path, [call_task(auth, calls=calls)])
    assert run.rc != 0
    for text in ('calls[1].callee: must be 7-15 digits', 'calls[2].account: is required', 'calls[3].display_num',
                 'calls[4].called_info: must be at most 1000'):
        assert text in run.output
    assert 'calls[0]' not in run.output
    assert emu.calls() == []


@pytest.mark.parametrize('options, words', [
    ({'api_url': 'ftp://127.0.0.1/'}, 'api_url: must be an http:// or https:// URL'),
    ({'api_key': ''}, 'api_key: must be a non-empty string'),
    ({'app_id': ''}, 'app_id: must be a non-empty string'),
    ({'concurrency': 0}, 'concurrency: must be between 1 and 100'),
])
def test_bad_options_fail_before_sending(tmp_path, emu, auth, options, words):
    run = run_playbook(tmp_path, [call_task(dict(auth, **options), account='desk-answer-01')])
    assert run.rc != 0 and words in run.output
    assert emu.calls() == []


def test_check_mode_places_nothing(tmp_path, emu, auth):
    run = run_playbook(tmp_path, [call_task(auth, calls=[{'account': 'desk-answer-01'}, {'account': 'desk-noanswer-01'}])], check=True)
    assert run.rc == 0, run.output
    result = run.results['r']
    assert result['changed'] is True and [c['verdict'] for c in result['calls']] == [None, None]
    assert [c['account'] for c in result['calls']] == ['desk-answer-01', 'desk-noanswer-01']
    assert 'balance' in result['balance']
    assert emu.calls() == []


def test_check_mode_checks_credentials(tmp_path, emu, auth):
    run = run_playbook(tmp_path, [call_task(dict(auth, api_secret='wrong'), account='desk-answer-01')], check=True)
    assert run.rc != 0 and 'status -1' in run.output and 'api_key, api_secret and app_id' in run.output
    assert emu.calls() == []


def test_credentials_from_environment_and_module_defaults(tmp_path, emu):
    env = {'LAAFFIC_API_URL': emu.api_url, 'LAAFFIC_API_KEY': CREDENTIALS['api_key'], 'LAAFFIC_API_SECRET': CREDENTIALS['api_secret'],
           'LAAFFIC_APP_ID': CREDENTIALS['app_id']}
    tasks = [
        {'name': 'From the environment', 'laaffic.voice.laaffic_call': {'account': 'desk-answer-01', 'callee': CALLEE}, 'register': 'env'},
        {'name': 'From module_defaults', 'module_defaults': {'group/laaffic.voice.laaffic': dict(CREDENTIALS, api_url=emu.api_url)},
         'block': [{'name': 'Call', 'laaffic.voice.laaffic_call': {'account': 'desk-answer-02', 'callee': CALLEE}, 'register': 'defaults'},
                   {'name': 'Sign', 'laaffic.voice.laaffic_sign': {}, 'register': 'signed', 'no_log': True}]},
    ]
    run = run_playbook(tmp_path, tasks, env=env)
    assert run.rc == 0, run.output
    assert run.results['env']['calls'][0]['verdict'] == 'accepted'
    assert run.results['defaults']['calls'][0]['verdict'] == 'accepted'
    assert run.results['signed']['headers']['Api-Key'] == CREDENTIALS['api_key']
    assert len(emu.calls()) == 2


@pytest.fixture(scope='module')
def fleet_emulator():
    with Emulator(scenario='fleet') as fleet:  # not quiet: its log lists every request, to count them
        yield fleet


@pytest.fixture
def fleet(fleet_emulator):
    fleet_emulator.reset()
    fleet_emulator.log_mark = len(fleet_emulator.log().splitlines())
    yield fleet_emulator
    fleet_emulator.clear_faults()


def requests_since_mark(fleet):
    """API requests the emulator served since the test began, by endpoint (sendSip, recordSip, recordSipQuery...)."""
    counts = {}
    for line in fleet.log().splitlines()[fleet.log_mark:]:
        match = re.match(r'(?:GET|POST) /(?:v3/)?(?:voice/)?(\w+)', line)
        if match:
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    return counts


FLEET_200 = [{'account': 'fleet-%04d' % n} for n in range(1, 201)]


def run_fleet_200(tmp_path, fleet, **options):
    run = run_playbook(tmp_path, [call_task(dict(CREDENTIALS, api_url=fleet.api_url), calls=FLEET_200, expect='ringing',
                                            concurrency=20, **options)])
    assert run.rc == 0, run.output
    result = run.results['r']
    assert result['summary']['rang'] == 200 and result['summary']['ok'] == 200
    assert [c['account'] for c in result['calls']] == [c['account'] for c in FLEET_200]
    assert all(c['ringing_time'] and c['voice_id'] for c in result['calls'])
    placed = [c for c in fleet.calls() if (c['calledInfo'] or '').startswith('laaffic-voice:%s:' % result['run_id'])]
    assert len(placed) == 200 and len(set(c['account'] for c in placed)) == 200
    return run, result, requests_since_mark(fleet)


@pytest.mark.core_independent
def test_batch_of_200_phones_verified_in_bulk(tmp_path, fleet):
    run, result, served = run_fleet_200(tmp_path, fleet)
    assert 'recordSip' not in served  # no call was read alone: the pages showed them all
    assert served['recordSipQuery'] == result['summary']['requests']['verify'] >= 2  # 200 records: 2 pages a round
    assert result['summary']['requests'] == {'place': 200, 'verify': served['recordSipQuery'], 'preflight': 0}
    assert served['sendSip'] == 200


@pytest.mark.core_independent
def test_batch_of_200_phones_in_a_busy_application_reads_each_record(tmp_path, fleet):
    others = ['fleet-%04d' % n for n in range(201, 1001)]  # 800 calls of "another run" just before: the window holds 1,000
    for account in others:
        assert fleet.send_sip(account, '4930123456')['status'] == '0'
    fleet.log_mark = len(fleet.log().splitlines())
    run, result, served = run_fleet_200(tmp_path, fleet)
    assert served['recordSipQuery'] == 1  # the first page claimed 1,000 records (> 3 x 200 + 100): no other page, no other bulk read
    assert served['recordSip'] >= 100  # newest first, that page showed the run's last 100 calls; the others were read alone
    assert result['summary']['requests'] == {'place': 200, 'verify': 1 + served['recordSip'], 'preflight': 0}


@pytest.mark.core_independent
def test_batch_of_200_phones_when_the_bulk_read_fails(tmp_path, fleet):
    fleet.fault(endpoint='recordSipQuery', kind='status_-18', count=1)
    run, result, served = run_fleet_200(tmp_path, fleet)
    assert 'reading the records in bulk failed' in run.output and 'status -18' in run.output
    assert served['recordSipQuery'] == 1 and served['recordSip'] >= 200
    assert result['summary']['requests']['verify'] == 1 + served['recordSip']


@pytest.mark.emulator_timing
@pytest.mark.core_independent
def test_concurrency_limit_visible_in_arrivals(tmp_path, emu, auth):
    delay, concurrency = 0.6, 3
    accounts = ['slow-%02d' % n for n in range(9)]
    for account in accounts:
        emu.phone(account, behaviour='slow_api', api_delay=delay, then='answer', ring_after=0.5, answer_after=0.5, talk=1)
    run = run_playbook(tmp_path, [call_task(auth, calls=[{'account': a} for a in accounts], concurrency=concurrency)])
    assert run.rc == 0, run.output
    arrivals = sorted(c['time'] for c in emu.calls())
    assert len(arrivals) == 9
    for moment in arrivals:
        in_flight = [t for t in arrivals if moment - delay < t <= moment]
        assert len(in_flight) <= concurrency
    assert max(len([t for t in arrivals if moment - delay < t <= moment]) for moment in arrivals) == concurrency


@pytest.mark.emulator_timing
@pytest.mark.core_independent
def test_rate_limit_visible_in_arrivals(tmp_path):
    with Emulator(scenario='fleet', quiet=True) as fleet:
        rate = 10.0
        calls = [{'account': 'fleet-%04d' % n} for n in range(1, 16)]
        run = run_playbook(tmp_path, [call_task(dict(CREDENTIALS, api_url=fleet.api_url), calls=calls, rate_limit=rate, concurrency=10)])
        assert run.rc == 0, run.output
        arrivals = sorted(c['time'] for c in fleet.calls())
        assert len(arrivals) == 15
        assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) / rate * 0.9
        for moment in arrivals:
            assert len([t for t in arrivals if moment <= t < moment + 1.0]) <= rate + 1


def fault_hits(emu):
    return dict((fault['kind'], fault['hits']) for fault in emu.control('GET', '/_emulator/faults')['faults'])


# issue 18: every answer but a refusal is read back (recordSipQuery); a 500 proven to have placed nothing is sent again
@pytest.mark.core_independent
@pytest.mark.parametrize('kind, verdict, placed, sent', [
    ('http_500', 'rejected', 0, 4),
    ('http_502', 'unknown', 0, 1),
    ('reset_before_read', 'unknown', 0, 1),
    ('reset_after_read', 'accepted', 1, 1),
    ('non_json', 'rejected', 0, 1),
    ('status_-18', 'rejected', 0, 1),
])
def test_faults_never_duplicate_a_call(tmp_path, emu, auth, kind, verdict, placed, sent):
    emu.fault(endpoint='sendSip', kind=kind, count=5)
    run = run_playbook(tmp_path, [call_task(auth, account='desk-answer-01', fail_on='none')])
    assert run.rc == 0, run.output
    assert run.results['r']['calls'][0]['verdict'] == verdict
    assert fault_hits(emu)[kind] == sent  # sent again only after a read-back proved nothing was placed
    assert len(emu.calls()) == placed


@pytest.mark.emulator_timing
@pytest.mark.core_independent
def test_slow_response_is_read_back_and_not_repeated(tmp_path, emu, auth):
    emu.fault(endpoint='sendSip', kind='slow', delay=3, count=5)
    run = run_playbook(tmp_path, [call_task(auth, account='desk-answer-01', timeout=1, fail_on='none')])
    assert run.rc == 0, run.output
    call = run.results['r']['calls'][0]
    assert call['verdict'] == 'accepted' and 'no response within 1s' in call['reason'] and call['voice_id'] == emu.calls()[0]['voiceId']
    assert fault_hits(emu)['slow'] == 1 and len(emu.calls()) == 1


@pytest.mark.emulator_timing
@pytest.mark.core_independent
def test_503_with_retry_after_is_retried_once(tmp_path, emu, auth):
    emu.fault(endpoint='sendSip', kind='http_503', retry_after=1, count=1)
    run = run_playbook(tmp_path, [call_task(auth, account='desk-answer-01')])
    assert run.rc == 0, run.output
    assert run.results['r']['calls'][0]['verdict'] == 'accepted'
    assert len(emu.calls()) == 1


@pytest.mark.core_independent
def test_connection_refused_is_retried_then_rejected(tmp_path, emu):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    run = run_playbook(tmp_path, [call_task(dict(CREDENTIALS, api_url='http://127.0.0.1:%d/v3' % port), account='desk-answer-01', fail_on='none')])
    assert run.rc == 0, run.output
    call = run.results['r']['calls'][0]
    assert call['verdict'] == 'rejected' and 'could not be sent' in call['reason']
    assert run.results['r']['changed'] is False


@pytest.mark.emulator_timing
@pytest.mark.core_independent
def test_record_reads_retried_through_faults(tmp_path, emu, auth):
    emu.fault(endpoint='recordSip', kind='http_500', count=2)
    run = run_playbook(tmp_path, [call_task(auth, account='desk-answer-01', expect='ringing', poll_interval=0.3)])
    assert run.rc == 0, run.output
    assert run.results['r']['calls'][0]['verdict'] in ('rang', 'answered')
    assert len(emu.calls()) == 1


def test_secret_and_signs_absent_from_vvvv_output(tmp_path, emu, auth):
    started = int(time.time())
    tasks = [call_task(auth, calls=[{'account': 'desk-answer-01'}, {'account': 'desk-offline-01'}], expect='ringing', fail_on='none',
                       poll_interval=0.3),
             call_task(dict(auth, api_secret=auth['api_secret']), register='bad', account='desk-answer-02', api_url='ftp://x')]
    tasks[1]['ignore_errors'] = True
    tasks.append({'name': 'Sign', 'laaffic.voice.laaffic_sign': dict(auth), 'register': 'signed', 'no_log': True})
    tasks.append({'name': 'Lookup', 'ansible.builtin.set_fact': {
        'records': "{{ query('laaffic.voice.laaffic_record', r.calls[0].voice_id, '1', on_missing='warn', **laaffic) }}"}})
    run = run_playbook(tmp_path, tasks, verbosity=4, play_vars={'laaffic': auth})
    assert run.rc == 0, run.output
    assert 'desk-answer-01' in run.output and 'laaffic: GET' in run.output  # the verbose output is really there
    assert auth['api_secret'] not in run.output
    for timestamp in range(started - 5, int(time.time()) + 5):
        material = '%s%s%d' % (auth['api_key'], auth['api_secret'], timestamp)
        assert hashlib.md5(material.encode()).hexdigest() not in run.output


@pytest.mark.emulator_timing
def test_async_poll(tmp_path, emu, auth):
    task = call_task(auth, account='desk-answer-01', expect='answered', poll_interval=0.3)
    task.update({'async': 60, 'poll': 1})
    run = run_playbook(tmp_path, [task])
    assert run.rc == 0, run.output
    assert run.results['r']['calls'][0]['verdict'] == 'answered' and run.results['r']['finished'] == 1


# Against the hostile loopback server (issue 9) ---------------------------------------------------------------------

VOICE_ID = '2611260000000000001'


def echoing_platform(req):
    """sendSip: desk-a gets a 500 whose reason echoes the Sign, desk-b the Sign (upper case) as its voice ID, desk-c a voice ID;
    recordSip echoes the Sign in the termination reason and sends an out-of-range answer time."""
    sign = req.header('Sign') or ''
    if req.path.endswith('/voice/sendSip'):
        account = req.json()['account']
        if account == 'desk-a':
            return answer('bad sign %s' % sign.upper(), status=500, reason='Bad sign %s' % sign)
        if account == 'desk-b':
            return answer(envelope(sign.upper()))
        return answer(envelope(VOICE_ID))
    if '/voice/recordSip/' in req.path:
        return answer(envelope({'voiceId': VOICE_ID, 'ringingTime': 1670939570000, 'answerTime': 99999999999999999999,
                                'hangupTime': 1670939580000, 'terminationReason': 'sign %s secret %s' % (sign.upper(), CREDENTIALS['api_secret'])}))
    return answer(envelope(status='-1', reason='Authentication error for sign %s' % sign.upper()))


def assert_no_credentials(text, *servers):
    lowered = text.lower()
    assert CREDENTIALS['api_secret'].lower() not in lowered
    for server in servers:
        for request in server.requests:
            for name in ('Sign', 'Authorization'):
                value = request.header(name)
                if value:
                    assert value.lower() not in lowered and value.split()[-1].lower() not in lowered, name


def test_hostile_echoes_reach_no_output(tmp_path):
    with Hostile(echoing_platform) as api:
        auth = dict(CREDENTIALS, api_url=api.url + '/v3')
        tasks = [call_task(auth, calls=[{'account': 'desk-a'}, {'account': 'desk-b'}, {'account': 'desk-c'}], expect='answered',
                           poll_interval=0.2, wait_timeout=3, timeout=2)]
        tasks[0]['ignore_errors'] = True
        run = run_playbook(tmp_path, tasks, verbosity=4)
        assert 'fell short' in run.output and run.results['r']['failed'] is True  # the failure and its message are there
        calls = by_account(run.results['r'])
        assert calls['desk-a']['verdict'] == 'unknown' and calls['desk-c']['verdict'] == 'answered'
        assert calls['desk-c']['answer_time'] == '99999999999999999999'
        assert run.results['r']['changed'] is True
        assert_no_credentials(run.output + repr(run.results), api)
        assert len([r for r in api.requests if r.path.endswith('/voice/sendSip')]) == 3


def test_redirected_call_goes_nowhere_else(tmp_path):
    with Hostile() as api, Hostile() as elsewhere:
        api.handler = lambda req: redirect(307, elsewhere.url + req.path)
        run = run_playbook(tmp_path, [call_task(dict(CREDENTIALS, api_url=api.url + '/v3'), account='desk-answer-01', fail_on='none')])
        assert run.rc == 0, run.output
        call = run.results['r']['calls'][0]
        assert call['verdict'] == 'rejected' and 'set api_url to the final address' in call['reason']
        assert elsewhere.requests == [] and len(api.requests) == 1


def test_preflight_on_the_emulator(tmp_path, emu, auth):
    calls = [{'account': 'desk-answer-01'}, {'account': 'desk-nosuch-01'}]
    tasks = [call_task(auth, register='checked', calls=calls, fail_on='none'),
             call_task(auth, register='placed', calls=calls, preflight=True, fail_on='none'),
             dict(call_task(dict(auth, app_id='nosuchapp'), register='wrongapp', calls=calls, preflight=True), ignore_errors=True)]
    tasks[0]['check_mode'] = True
    run = run_playbook(tmp_path, tasks, verbosity=4)
    assert run.rc == 0, run.output
    checked, placed, wrong = run.results['checked'], run.results['placed'], run.results['wrongapp']
    assert [c['verdict'] for c in checked['calls']] == [None, 'rejected'] and 'has no SIP account' in checked['calls'][1]['reason']
    assert [c['verdict'] for c in placed['calls']] == ['accepted', 'rejected']
    assert wrong['failed'] and 'refused to list the SIP accounts of application nosuchapp' in wrong['msg']
    assert [c['account'] for c in emu.calls()] == ['desk-answer-01']  # check mode and the wrong app placed nothing
    status, body = emu.api('POST', '/voice/sipQuery', {'current': 1, 'size': 100, 'params': {'appId': emu.app_id}})
    passwords = [record['password'] for record in body['data']['records']]
    assert passwords and not any(password in run.output for password in passwords)
