"""The laaffic_record and laaffic_report lookups, and laaffic_call verified through the report receiver."""

from __future__ import annotations

import datetime

import pytest

from support.credentials import CREDENTIALS
from devtools.emulator import Emulator
from support.hostile import Hostile, answer, envelope, redirect
from support.playbook import run_playbook
from devtools.receiver import Receiver

CALLEE = '4930123456'


def place(auth, calls, register='placed', **options):
    args = dict(auth, callee=CALLEE, calls=[{'account': a} for a in calls], fail_on='none')
    args.update(options)
    return {'name': 'Place', 'laaffic.voice.laaffic_call': args, 'register': register}


def fact(name, expression):
    return {'name': 'Lookup %s' % name, 'ansible.builtin.set_fact': {name: expression}, 'register': name + '_task'}


@pytest.mark.emulator_timing
def test_record_lookup_by_voice_id(tmp_path, emu, auth):
    tasks = [place(auth, ['desk-answer-01', 'desk-noanswer-01'], expect='ringing', poll_interval=0.3),
             fact('records', "{{ query('laaffic.voice.laaffic_record', *(placed.calls | map(attribute='voice_id')), **laaffic) }}")]
    run = run_playbook(tmp_path, tasks, play_vars={'laaffic': auth})
    assert run.rc == 0, run.output
    records = run.results['records_task']['ansible_facts']['records']
    voice_ids = [call['voice_id'] for call in run.results['placed']['calls']]
    assert [record['voiceId'] for record in records] == voice_ids
    assert all(record['ringingTime'] for record in records)
    assert records[0]['callee'] == CALLEE and len(emu.calls()) == 2  # the lookup placed nothing


def test_record_lookup_options_from_vars_and_env(tmp_path, emu, auth):
    tasks = [place(auth, ['desk-answer-01']),
             fact('from_vars', "{{ lookup('laaffic.voice.laaffic_record', placed.calls[0].voice_id) }}")]
    play_vars = {'laaffic_api_url': emu.api_url, 'laaffic_api_key': auth['api_key']}
    run = run_playbook(tmp_path, tasks, play_vars=play_vars, env={'LAAFFIC_API_SECRET': auth['api_secret']})
    assert run.rc == 0, run.output
    assert run.results['from_vars_task']['ansible_facts']['from_vars']['voiceId'] == run.results['placed']['calls'][0]['voice_id']


@pytest.mark.parametrize('on_missing, fails, warns', [('error', True, False), ('warn', False, True), ('ignore', False, False)])
def test_record_lookup_unknown_id(tmp_path, emu, auth, on_missing, fails, warns):
    tasks = [fact('missing', "{{ query('laaffic.voice.laaffic_record', '1111111111111111111', on_missing='%s', **laaffic) }}" % on_missing)]
    run = run_playbook(tmp_path, tasks, play_vars={'laaffic': auth})
    assert (run.rc != 0) is fails, run.output
    text = 'the platform has no record for voice ID 1111111111111111111'
    assert (text in ' '.join(run.output.split())) is (fails or warns)  # older cores wrap warnings
    if not fails:
        assert run.results['missing_task']['ansible_facts']['missing'] == [None]


def test_record_lookup_window_query(tmp_path, emu, auth):
    now = datetime.datetime.now(datetime.timezone.utc)
    start = (now - datetime.timedelta(hours=1)).isoformat(timespec='seconds')
    end = (now + datetime.timedelta(hours=1)).isoformat(timespec='seconds')
    tasks = [place(auth, ['desk-answer-01', 'desk-answer-02', 'desk-noanswer-01']),
             fact('window', "{{ query('laaffic.voice.laaffic_record', start_time='%s', end_time='%s', **laaffic) }}" % (start, end)),
             fact('group', "{{ query('laaffic.voice.laaffic_record', start_time='%s', end_time='%s', phone_name='answer-01', **laaffic) }}"
                  % (start, end))]
    run = run_playbook(tmp_path, tasks, play_vars={'laaffic': auth})
    assert run.rc == 0, run.output
    window = run.results['window_task']['ansible_facts']['window']
    assert sorted(r['voiceId'] for r in window) == sorted(c['voice_id'] for c in run.results['placed']['calls'])
    assert [r['phoneName'] for r in run.results['group_task']['ansible_facts']['group']] == ['answer-01']


@pytest.mark.parametrize('kwargs, words', [
    ("start_time='2026-11-01T00:00:00+00:00', end_time='2026-12-15T00:00:00+00:00'", 'at most 31 days'),
    ("start_time='yesterday', end_time='2026-12-15T00:00:00+00:00'", 'start_time must be ISO-8601 with an offset'),
    ("start_time='2026-11-01T00:00:00+00:00'", 'both start_time and end_time'),
    ("'123', api_url='file:///etc'", 'api_url: must be an http:// or https:// URL'),
])
def test_record_lookup_bad_input(tmp_path, emu, auth, kwargs, words):
    run = run_playbook(tmp_path, [fact('bad', "{{ query('laaffic.voice.laaffic_record', %s, **laaffic) }}" % kwargs)],
                       play_vars={'laaffic': dict(auth, api_url=auth['api_url'])} if 'api_url' not in kwargs else
                       {'laaffic': dict((k, v) for k, v in auth.items() if k != 'api_url')})
    assert run.rc != 0 and words in run.output


@pytest.fixture(scope='module')
def pushed():
    """A receiver and an emulator that pushes its reports (and ringing notifications) to it."""
    with Receiver() as receiver, Emulator(push_url=receiver.push_url, quiet=True) as emulator:
        yield receiver, emulator


@pytest.mark.emulator_timing
def test_call_verified_through_receiver(tmp_path, pushed):
    receiver, emulator = pushed
    emulator.reset()
    auth = dict(CREDENTIALS, api_url=emulator.api_url)
    calls = [{'account': 'desk-answer-01', 'expect': 'answered'}, {'account': 'desk-noanswer-01', 'expect': 'ringing'},
             {'account': 'desk-reject-01', 'expect': 'ringing'}, {'account': 'desk-late-01', 'expect': 'ringing'},
             {'account': 'desk-answer-02', 'expect': 'answered', 'called_info': 'custom tag'}]
    task = {'name': 'Place', 'register': 'placed', 'laaffic.voice.laaffic_call': dict(
        auth, callee=CALLEE, calls=calls, receiver_url=receiver.base, receiver_token=receiver.token, wait_timeout=8,
        poll_interval=0.3, fail_on='none')}
    run = run_playbook(tmp_path, [task])
    assert run.rc == 0, run.output
    verdicts = dict((c['account'], c['verdict']) for c in run.results['placed']['calls'])
    assert verdicts == {'desk-answer-01': 'answered', 'desk-noanswer-01': 'rang', 'desk-reject-01': 'failed',
                        'desk-late-01': 'timeout', 'desk-answer-02': 'answered'}
    late = [c for c in run.results['placed']['calls'] if c['account'] == 'desk-late-01'][0]
    assert 'for this call reached the receiver' in late['reason']
    assert receiver.token not in run.output

    run_id = run.results['placed']['run_id']
    tasks = [fact('by_id', "{{ query('laaffic.voice.laaffic_report', '%s', '1234', receiver_url='%s', receiver_token='%s') }}"
                  % (run.results['placed']['calls'][0]['voice_id'], receiver.base, receiver.token)),
             fact('by_run', "{{ query('laaffic.voice.laaffic_report', called_info_prefix='laaffic-voice:%s:') }}" % run_id)]
    run2 = run_playbook(tmp_path, tasks, env={'LAAFFIC_RECEIVER_URL': receiver.base, 'LAAFFIC_RECEIVER_TOKEN': receiver.token})
    assert run2.rc == 0, run2.output
    by_id = run2.results['by_id_task']['ansible_facts']['by_id']
    assert by_id[0]['final'] is True and by_id[0]['report']['voiceId'] == run.results['placed']['calls'][0]['voice_id']
    assert by_id[1] is None
    accounts = sorted(obj['account'] for obj in run2.results['by_run_task']['ansible_facts']['by_run'] if obj['account'])
    assert 'desk-answer-01' in accounts and 'desk-reject-01' not in accounts


def test_receiver_token_is_checked(tmp_path, pushed):
    receiver, emulator = pushed
    emulator.reset()
    task = {'name': 'Place', 'register': 'placed', 'laaffic.voice.laaffic_call': dict(
        CREDENTIALS, api_url=emulator.api_url, callee=CALLEE, account='desk-answer-01', expect='ringing',
        receiver_url=receiver.base, receiver_token='wrong-token', wait_timeout=3, poll_interval=0.3, fail_on='none')}
    run = run_playbook(tmp_path, [task])
    assert run.rc == 0, run.output
    call = run.results['placed']['calls'][0]
    assert call['verdict'] == 'timeout' and 'HTTP 401' in call['reason'] and 'check receiver_token' in call['reason']


# Against the hostile loopback server (issue 9) ---------------------------------------------------------------------


def test_record_lookup_errors_carry_no_sign(tmp_path):
    with Hostile(lambda req: answer('SIGN %s' % req.header('Sign').upper(), status=500, reason='Bad sign %s' % req.header('Sign'))) as api:
        auth = dict(CREDENTIALS, api_url=api.url + '/v3')
        run = run_playbook(tmp_path, [fact('rec', "{{ query('laaffic.voice.laaffic_record', '123', **laaffic) }}")],
                           play_vars={'laaffic': auth}, verbosity=4)
        assert run.rc != 0 and 'answered HTTP 500 Bad sign ********' in run.output
        signs = [r.header('Sign') for r in api.requests]
        assert signs and not any(sign.lower() in run.output.lower() for sign in signs)


def test_record_window_is_bounded_whatever_pages_are_claimed(tmp_path):
    def endless(req):
        current = req.json()['current']
        return answer(envelope({'total': 10 ** 11, 'pages': 10 ** 9, 'current': current,
                                'records': [{'voiceId': '%d-%d' % (current, n)} for n in range(100)]}))
    with Hostile(endless) as api:
        auth = dict(CREDENTIALS, api_url=api.url + '/v3')
        window = "start_time='2026-11-01T00:00:00+00:00', end_time='2026-11-02T00:00:00+00:00'"
        tasks = [fact('window', "{{ query('laaffic.voice.laaffic_record', %s, max_pages=7, **laaffic) | length }}" % window)]
        run = run_playbook(tmp_path, tasks, play_vars={'laaffic': auth})
        assert run.rc == 0, run.output
        assert len(api.requests) == 7 and str(run.results['window_task']['ansible_facts']['window']) == '700'
        assert 'stopped after 7 pages of records' in ' '.join(run.output.split())
        api.requests.clear()
        api.handler = lambda req: answer(envelope({'total': 10 ** 11, 'pages': 10 ** 9, 'records': [{'voiceId': '1'}]}))
        run = run_playbook(tmp_path, [fact('short', "{{ query('laaffic.voice.laaffic_record', %s, **laaffic) }}" % window)],
                           play_vars={'laaffic': auth})
        assert run.rc == 0 and len(api.requests) == 1 and 'stopped after' not in run.output


def test_report_lookup_never_shows_the_token_and_never_follows_redirects(tmp_path):
    token = 'receiver-token-0123456789abcdef'
    with Hostile() as receiver, Hostile() as elsewhere:
        receiver.handler = lambda req: answer('token %s' % req.header('Authorization').upper(), status=403, reason=req.header('Authorization'))
        lookup = "{{ query('laaffic.voice.laaffic_report', '1', receiver_url='%s') }}" % receiver.url
        env = {'LAAFFIC_RECEIVER_TOKEN': token}
        run = run_playbook(tmp_path, [fact('echo', lookup)], verbosity=4, env=env)
        assert run.rc != 0 and 'check receiver_token' in run.output and 'HTTP 403 Bearer ********' in run.output
        assert token.lower() not in run.output.lower() and receiver.requests
        receiver.handler = lambda req: redirect(301, elsewhere.url + req.path)
        run = run_playbook(tmp_path, [fact('moved', lookup)], env=env)
        assert run.rc != 0 and 'set receiver_url to the final address' in run.output and elsewhere.requests == []


def test_answered_through_the_receiver_before_the_hangup(tmp_path, pushed):
    receiver, emulator = pushed
    emulator.reset()
    task = {'name': 'Place', 'register': 'placed', 'laaffic.voice.laaffic_call': dict(
        CREDENTIALS, api_url=emulator.api_url, callee=CALLEE, account='desk-longcall-01', expect='answered',
        receiver_url=receiver.base, receiver_token=receiver.token, wait_timeout=15, poll_interval=0.3)}
    run = run_playbook(tmp_path, [task])
    assert run.rc == 0, run.output
    call = run.results['placed']['calls'][0]
    # the call talks for 30 s: answered without its final report means the record was read for the answer time
    assert call['verdict'] == 'answered' and call['answer_time'] and call['hangup_time'] is None
