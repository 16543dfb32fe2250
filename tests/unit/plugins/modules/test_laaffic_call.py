from __future__ import annotations

import pytest
from ansible.module_utils import basic

from ansible_collections.laaffic.voice.plugins.module_utils import _module, _records, _transport
from ansible_collections.laaffic.voice.plugins.modules import laaffic_call
from support.fake_http import FakeSession, ok, status
from support.hostile import Hostile, answer, envelope, redirect
from devtools.module_runner import run_module

AUTH = {'api_key': 'bDqJFiq9', 'api_secret': '7bz1lzh9', 'app_id': '4luaKsL2', 'api_url': 'https://api.test/v3'}


@pytest.fixture
def platform(monkeypatch):
    """A fake platform behind the module's client: sendSip answers from ``answers`` by account."""
    state = {'answers': {}, 'session': None, 'accounts': ['desk-a', 'desk-b', 'desk-1', 'desk-ok', 'busy', 'x']}

    def handler(method, url, body, headers):
        if url.endswith('/getBalance'):
            return ok(None, balance='12.5', gift='0', credit='0')
        if url.endswith('/voice/sipQuery'):
            return ok({'total': len(state['accounts']), 'records': [
                {'groupName': 'g', 'phoneName': a, 'account': a, 'password': 'Pw-%s-secret' % a, 'displayNum': '1'} for a in state['accounts']]})
        if url.endswith('/voice/sendSip'):
            return state['answers'].get(body['account'], ok('2611260000000000%03d' % len(state['session'].sent)))
        raise AssertionError('unexpected %s %s' % (method, url))

    real_client = _module.LaafficClient

    def client(options, pool_size=10, log=None):
        state['session'] = FakeSession(handler)
        return real_client(options, pool_size=pool_size, log=log, session=state['session'])

    monkeypatch.setattr(_module, 'LaafficClient', client)
    return state


def sent(platform, path):
    return [s for s in platform['session'].sent if s['url'].endswith(path)] if platform['session'] else []


def test_single_call_accepted(monkeypatch, platform):
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, account='desk-1', callee='+49 30 123456'))
    assert not failed and result['changed'] is True
    call = result['calls'][0]
    assert call['verdict'] == 'accepted' and call['ok'] and call['callee'] == '4930123456' and call['voice_id']
    assert sent(platform, '/voice/sendSip')[0]['body']['calledInfo'] == call['called_info']
    assert result['summary']['accepted'] == 1 and result['msg'] == 'all 1 calls met their expectation'


def test_items_override_task_values(monkeypatch, platform):
    calls = [{'account': 'desk-a'}, {'account': 'desk-b', 'callee': '4411122233', 'display_num': '49-30-5555', 'called_info': 'mine'}]
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', display_num='4930999999', calls=calls))
    assert not failed
    bodies = sorted((s['body'] for s in sent(platform, '/voice/sendSip')), key=lambda b: b['account'])
    assert bodies[0]['callee'] == '4930123456' and bodies[0]['displayNum'] == '4930999999'
    assert bodies[1] == {'account': 'desk-b', 'callee': '4411122233', 'displayNum': '49305555', 'calledInfo': 'mine', 'appId': '4luaKsL2'}


def test_rejected_call_fails_task_with_remedy(monkeypatch, platform):
    platform['answers']['busy'] = status(-68, 'The SIP is not in the idle state')
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', calls=[{'account': 'desk-ok'}, {'account': 'busy'}]))
    assert failed and '1 of 2 calls fell short' in result['msg'] and 'busy (rejected' in result['msg']
    busy = result['calls'][1]
    assert busy['api_status'] == '-68' and 'registered' in busy['remedy'] and result['changed'] is True


def test_summary_counts_the_requests_of_the_run(monkeypatch, platform):
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', calls=[{'account': 'desk-a'}, {'account': 'desk-b'}]))
    assert not failed and result['summary']['requests'] == {'place': 2, 'verify': 0, 'preflight': 0}
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', account='desk-a', _ansible_check_mode=True))
    assert not failed and result['summary']['requests'] == {'place': 0, 'verify': 0, 'preflight': 2}  # sipQuery, getBalance
    platform['answers']['busy'] = status(-68)
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', account='busy', preflight=True))
    assert failed and result['summary']['requests'] == {'place': 1, 'verify': 0, 'preflight': 1}


def test_verify_rate_limit_accepts_zero_and_the_range(monkeypatch, platform):
    for value in (0, 0.01, 1000):
        result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', account='desk-a', verify_rate_limit=value))
        assert not failed, result['msg']


def test_fail_on_none(monkeypatch, platform):
    platform['answers']['busy'] = status(-68)
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', account='busy', fail_on='none'))
    assert not failed and result['summary']['rejected'] == 1 and result['changed'] is False


def test_check_mode_reads_only(monkeypatch, platform):
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', account='desk-a', _ansible_check_mode=True))
    assert not failed and result['changed'] is True and result['calls'][0]['verdict'] is None
    assert result['balance'] == {'balance': '12.5', 'gift': '0', 'credit': '0'}
    assert sent(platform, '/voice/sendSip') == [] and len(sent(platform, '/getBalance')) == 1
    assert len(sent(platform, '/voice/sipQuery')) == 1 and 'Pw-' not in repr(result)


def test_all_invalid_items_reported_and_nothing_sent(monkeypatch, platform):
    calls = [{'account': 'desk-a', 'callee': '123'}, {'callee': '4930123456'}, {'account': 'c d', 'callee': '4930123456', 'display_num': 'x'}]
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, calls=calls))
    assert failed and result['msg'].startswith('Invalid parameters, no call was placed')
    assert result['errors'] == [
        "calls[0].callee: must be 7-15 digits (ASCII 0-9) with the country code (a leading +, spaces and dashes are removed), got '123'",
        'calls[1].account: is required (the SIP account of the desk phone)',
        "calls[2].account: must be 4-32 printable ASCII characters without spaces (the SIP account of the desk phone, as the platform "
        "names it), got 'c d'",
        "calls[2].display_num: must be empty or 7-15 digits (ASCII 0-9), got 'x'",
    ]
    assert platform['session'] is None


def test_missing_app_id(monkeypatch, platform):
    monkeypatch.delenv('LAAFFIC_APP_ID', raising=False)
    args = dict(AUTH, account='desk-a', callee='4930123456')
    del args['app_id']
    result, failed = run_module(monkeypatch, laaffic_call.main, args)
    assert failed and 'app_id: must be a non-empty string' in result['msg'] and platform['session'] is None


def test_receiver_token_required(monkeypatch, platform):
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, account='desk-a', callee='4930123456', receiver_url='http://127.0.0.1:1'))
    assert failed and 'receiver_token: is required' in result['msg']


def test_requests_missing(monkeypatch):
    monkeypatch.setattr(_module, 'HAS_REQUESTS', False)
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, account='desk-a', callee='4930123456'))
    assert failed and 'requests' in result['msg'] and 'Failed to import the required Python library' in result['msg']


def test_secret_masked_everywhere(monkeypatch, platform):
    platform['answers']['x'] = status(-1, 'Authentication error 7bz1lzh9')
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, account='x', callee='4930123456'))
    assert failed and '7bz1lzh9' not in repr(result)


# Against the hostile loopback server (issue 9) ---------------------------------------------------------------------

SECRET = AUTH['api_secret']
VOICE_ID = '2611260000000000001'


@pytest.fixture
def hostile(monkeypatch):
    monkeypatch.setattr(_transport, 'RETRY_DELAY', 0.01)
    with Hostile() as api, Hostile() as elsewhere:
        yield api, elsewhere


def platform_answers(send=None, record=None, accounts=('desk-1', 'desk-2')):
    """A LAAFFIC stand-in: ``send(req)`` and ``record(req)`` give the sendSip and recordSip answers."""
    def handler(req):
        if req.path.endswith('/voice/sendSip'):
            return send(req) if send else answer(envelope(VOICE_ID))
        if '/voice/recordSip/' in req.path:
            return record(req) if record else answer(envelope({'voiceId': VOICE_ID, 'ringingTime': '2026-11-26T10:00:01+08:00'}))
        if req.path.endswith('/voice/sipQuery'):
            return answer(envelope({'total': len(accounts), 'records': [
                {'groupName': 'g', 'phoneName': a, 'account': a, 'password': 'SipPass-%s' % a, 'displayNum': '1'} for a in accounts]}))
        if req.path.endswith('/getBalance'):
            return answer(envelope(balance='1', gift='0', credit='0'))
        return answer(b'', status=404)
    return handler


def call_args(api, **extra):
    args = dict(AUTH, api_url=api.url + '/v3', callee='4930123456', account='desk-1', poll_interval=0.05, wait_timeout=10, timeout=10)
    args.update(extra)
    return args


def sent_signs(server):
    return [r.header('Sign') for r in server.requests if r.header('Sign')]


def assert_clean(result, *servers, extra=()):
    text = repr(result).lower()
    assert SECRET.lower() not in text
    for server in servers:
        for sign in sent_signs(server):
            assert sign.lower() not in text
    for value in extra:
        assert value.lower() not in text


def send_requests(server):
    return [r for r in server.requests if r.path.endswith('/voice/sendSip')]


@pytest.mark.parametrize('record', [
    {'voiceId': VOICE_ID, 'ringingTime': '2026-11-26T10:00:01+08:00', 'answerTime': 99999999999999999999},
    {'voiceId': VOICE_ID, 'ringingTime': -99999999999999999999, 'answerTime': '99999999999999999999', 'callStatus': 1e999},
    {'voiceId': VOICE_ID, 'submitTime': '9' * 400, 'hangupTime': 'yesterday-ish', 'terminationCode': {'x': 1}},
])
def test_out_of_range_platform_values_never_lose_the_call(monkeypatch, hostile, record):
    api, dummy = hostile
    api.handler = platform_answers(record=lambda req: answer(envelope(record)))
    result, failed = run_module(monkeypatch, laaffic_call.main, call_args(api, expect='answered', fail_on='none'))
    assert not failed and result['changed'] is True
    call = result['calls'][0]
    assert call['voice_id'] == VOICE_ID and call['index'] == 0 and call['account'] == 'desk-1' and call['verdict']
    assert len(send_requests(api)) == 1


def test_answer_time_out_of_range_kept_as_text(monkeypatch, hostile):
    api, dummy = hostile
    api.handler = platform_answers(record=lambda req: answer(envelope({'voiceId': VOICE_ID, 'answerTime': 99999999999999999999})))
    result, failed = run_module(monkeypatch, laaffic_call.main, call_args(api, expect='answered'))
    assert not failed and result['calls'][0]['verdict'] == 'answered'
    assert result['calls'][0]['answer_time'] == '99999999999999999999'


def test_any_unexpected_error_after_placing_still_lists_every_call(monkeypatch, hostile):
    api, dummy = hostile
    api.handler = platform_answers()

    class Broken(object):
        def __init__(self, record):
            raise OSError('[Errno 75] Value too large for defined data type')
    monkeypatch.setattr(_records, 'Progress', Broken)
    monkeypatch.setattr(laaffic_call.CallRunner, '_verify', lambda self, pool, calls, wait: Broken({}))
    args = call_args(api, calls=[{'account': 'desk-1', 'expect': 'ringing'}, {'account': 'desk-2', 'expect': 'accepted'}])
    result, failed = run_module(monkeypatch, laaffic_call.main, args)
    assert failed and result['changed'] is True and 'Value too large' in result['msg']
    calls = result['calls']
    assert [(c['index'], c['account'], c['voice_id']) for c in calls] == [(0, 'desk-1', VOICE_ID), (1, 'desk-2', VOICE_ID)]
    assert calls[0]['verdict'] == 'unknown' and 'following it up broke' in calls[0]['reason']
    assert calls[1]['verdict'] == 'accepted'
    assert len(send_requests(api)) == 2


@pytest.mark.parametrize('name, value', [('rate_limit', 1e-300), ('rate_limit', float('nan')), ('wait_timeout', float('inf')),
                                         ('poll_interval', float('nan')), ('timeout', float('nan')), ('timeout', float('inf')),
                                         ('wait_timeout', -1), ('poll_interval', 1e-9), ('rate_limit', 'inf'),
                                         ('verify_rate_limit', float('nan')), ('verify_rate_limit', float('inf')), ('verify_rate_limit', -1),
                                         ('verify_rate_limit', 1e-300), ('verify_rate_limit', 1001), ('verify_rate_limit', '-inf')])
def test_bad_numbers_fail_before_anything_is_sent(monkeypatch, hostile, name, value):
    api, dummy = hostile
    result, failed = run_module(monkeypatch, laaffic_call.main, call_args(api, **{name: value}))
    assert failed and ('%s: must be a number from' % name) in result['msg']
    assert api.requests == [] and result.get('changed', False) is False


@pytest.mark.parametrize('field, value', [
    ('callee', '４９３０１２３４５６'),            # fullwidth digits
    ('callee', '٤٩٣٠١٢٣٤٥٦'),                   # Arabic-Indic digits
    ('callee', '49301234²'),                    # superscript two
    ('display_num', '４９３０１２３４５６'),
    ('account', 'desk\x001'),
    ('account', 'desk\x1b[31m'),
    ('account', 'déskphone'),
])
def test_only_ascii_digits_and_printable_accounts_are_sent(monkeypatch, hostile, field, value):
    api, dummy = hostile
    args = call_args(api, calls=[{'account': 'desk-2'}, {field: value}])
    result, failed = run_module(monkeypatch, laaffic_call.main, args)
    assert failed and result['msg'].startswith('Invalid parameters, no call was placed')
    assert [error.split(':')[0] for error in result['errors']] == ['calls[1].%s' % field]
    assert api.requests == []


ECHO_FORMS = {
    'reason phrase': lambda req: answer(b'x', status=500, reason='Bad sign %s' % req.header('Sign')),
    'upper-case sign in the body': lambda req: answer('BAD SIGN %s' % req.header('Sign').upper(), status=400),
    'sign as the voice ID': lambda req: answer(envelope(req.header('Sign'))),
    'secret in a status reason': lambda req: answer(envelope(status='-1', reason='secret %s' % SECRET.upper())),
}


@pytest.mark.parametrize('form', list(ECHO_FORMS), ids=list(ECHO_FORMS))
def test_echoed_credentials_appear_in_no_result(monkeypatch, hostile, form):
    api, dummy = hostile
    api.handler = platform_answers(send=ECHO_FORMS[form], record=lambda req: answer(envelope(
        {'voiceId': VOICE_ID, 'ringingTime': 1670939570000, 'terminationReason': 'sign %s' % req.header('Sign').upper()})))
    result, failed = run_module(monkeypatch, laaffic_call.main, call_args(api, expect='ringing'))
    assert result['calls'][0]['verdict']
    assert_clean(result, api)


def test_redirected_call_is_rejected_and_never_sent_elsewhere(monkeypatch, hostile):
    api, elsewhere = hostile
    api.handler = platform_answers(send=lambda req: redirect(307, elsewhere.url + '/v3/voice/sendSip'))
    result, failed = run_module(monkeypatch, laaffic_call.main, call_args(api, fail_on='none'))
    call = result['calls'][0]
    assert call['verdict'] == 'rejected' and 'set api_url to the final address' in call['reason'] and elsewhere.url in call['reason']
    assert elsewhere.requests == [] and len(send_requests(api)) == 1 and result['changed'] is False


def test_receiver_redirect_and_echo(monkeypatch, hostile):
    api, elsewhere = hostile
    token = 'receiver-token-0123456789abcdef'
    api.handler = platform_answers()
    with Hostile(lambda req: answer('who is %s' % req.header('Authorization').upper(), status=500, reason=req.header('Authorization'))) as rcv:
        result, failed = run_module(monkeypatch, laaffic_call.main, call_args(
            api, expect='ringing', receiver_url=rcv.url, receiver_token=token, wait_timeout=0.5, fail_on='none'))
        assert result['calls'][0]['voice_id'] == VOICE_ID and rcv.requests
        assert_clean(result, api, extra=[token])
        rcv.handler = lambda req: redirect(302, elsewhere.url + req.path)
        result, failed = run_module(monkeypatch, laaffic_call.main, call_args(
            api, expect='ringing', receiver_url=rcv.url, receiver_token=token, wait_timeout=2, fail_on='none'))
        assert 'set receiver_url to the final address' in result['calls'][0]['reason'] and elsewhere.requests == []


def test_preflight_rejects_unknown_accounts_without_calling_them(monkeypatch, hostile):
    api, dummy = hostile
    api.handler = platform_answers(accounts=('desk-1',))
    args = call_args(api, preflight=True, fail_on='none', calls=[{'account': 'desk-1'}, {'account': 'desk-9'}])
    result, failed = run_module(monkeypatch, laaffic_call.main, args)
    assert [c['verdict'] for c in result['calls']] == ['accepted', 'rejected']
    assert 'has no SIP account' in result['calls'][1]['reason']
    assert [r.json()['account'] for r in send_requests(api)] == ['desk-1']
    assert 'SipPass' not in repr(result)


def test_check_mode_predicts_and_fails_for_unknown_accounts(monkeypatch, hostile):
    api, dummy = hostile
    api.handler = platform_answers(accounts=('desk-1',))
    args = call_args(api, calls=[{'account': 'desk-1'}, {'account': 'desk-9'}], _ansible_check_mode=True)
    result, failed = run_module(monkeypatch, laaffic_call.main, args)
    assert failed and '1 of 2 calls would fall short' in result['msg']
    assert [c['verdict'] for c in result['calls']] == [None, 'rejected'] and result['changed'] is True
    assert send_requests(api) == [] and 'SipPass' not in repr(result)


def test_preflight_refused_application(monkeypatch, hostile):
    api, dummy = hostile
    api.handler = lambda req: answer(envelope(status='-22', reason='Parameter exception'))
    result, failed = run_module(monkeypatch, laaffic_call.main, call_args(api, preflight=True))
    assert failed and 'Preflight: the platform refused to list the SIP accounts of application 4luaKsL2' in result['msg']
    assert 'Check app_id' in result['msg'] and send_requests(api) == [] and result['changed'] is False


# Reading the records in bulk (issue 12) ----------------------------------------------------------------------------

def bulk_platform(query):
    """sendSip gives desk-N the voice ID 26112600000000000N; recordSip says it rang; ``query(req, voice_ids)`` answers
    recordSipQuery."""
    placed = []

    def handler(req):
        if req.path.endswith('/voice/sendSip'):
            placed.append('26112600000000000%02d' % int(req.json()['account'].split('-')[1]))
            return answer(envelope(placed[-1]))
        if req.path.endswith('/voice/recordSipQuery'):
            return query(req, list(placed))
        if '/voice/recordSip/' in req.path:
            return answer(envelope({'voiceId': req.path.rsplit('/', 1)[1], 'ringingTime': '2026-11-26T10:00:01+08:00'}))
        return answer(b'', status=404)
    return handler


def test_bulk_pages_echoing_credentials_reach_no_result(monkeypatch, hostile):
    api, dummy = hostile

    def query(req, voice_ids):
        sign = req.header('Sign')
        records = [{'voiceId': 'someone-else-%d' % n, 'terminationReason': sign} for n in range(5)]
        records += [{'voiceId': voice_id, 'ringingTime': '2026-11-26T10:00:01+08:00', 'terminationReason': 'sign %s secret %s' % (
            sign.upper(), SECRET), 'sipGroupName': sign} for voice_id in voice_ids]
        return answer(envelope({'total': len(records), 'records': records}))
    api.handler = bulk_platform(query)
    calls = [{'account': 'desk-%d' % n} for n in range(1, 5)]
    result, failed = run_module(monkeypatch, laaffic_call.main, call_args(api, calls=calls, expect='ringing'))
    assert not failed and [c['verdict'] for c in result['calls']] == ['rang'] * 4
    assert result['summary']['requests'] == {'place': 4, 'verify': 1, 'preflight': 0}
    assert not [r for r in api.requests if '/voice/recordSip/' in r.path]  # no call was read alone
    assert_clean(result, api)


def test_a_failing_bulk_read_warns_and_reads_each_record(monkeypatch, hostile):
    api, dummy = hostile
    warnings = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, warning, *args, **kwargs: warnings.append(warning))
    api.handler = bulk_platform(lambda req, voice_ids: answer(envelope(status='-15', reason='Frequent query %s' % req.header('Sign'))))
    calls = [{'account': 'desk-%d' % n} for n in range(1, 4)]
    result, failed = run_module(monkeypatch, laaffic_call.main, call_args(api, calls=calls, expect='ringing'))
    assert not failed and [c['verdict'] for c in result['calls']] == ['rang'] * 3
    assert result['summary']['requests'] == {'place': 3, 'verify': 1 + 3, 'preflight': 0}
    warning, = [w for w in warnings if 'reading the records in bulk failed' in w]
    assert 'status -15' in warning and "each waiting call's own record was read instead" in warning
    assert_clean({'warning': warning}, api)
