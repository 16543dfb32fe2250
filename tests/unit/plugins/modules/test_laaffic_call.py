from __future__ import annotations

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils import _module
from ansible_collections.laaffic.voice.plugins.modules import laaffic_call
from support.fake_http import FakeSession, ok, status
from support.module_runner import run_module

AUTH = {'api_key': 'bDqJFiq9', 'api_secret': '7bz1lzh9', 'app_id': '4luaKsL2', 'api_url': 'https://api.test/v3'}


@pytest.fixture
def platform(monkeypatch):
    """A fake platform behind the module's client: sendSip answers from ``answers`` by account."""
    state = {'answers': {}, 'session': None, 'accounts': ['a', 'b', 'desk-1', 'ok', 'busy', 'x']}

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
    calls = [{'account': 'a'}, {'account': 'b', 'callee': '4411122233', 'display_num': '49-30-5555', 'called_info': 'mine'}]
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', display_num='4930999999', calls=calls))
    assert not failed
    bodies = sorted((s['body'] for s in sent(platform, '/voice/sendSip')), key=lambda b: b['account'])
    assert bodies[0]['callee'] == '4930123456' and bodies[0]['displayNum'] == '4930999999'
    assert bodies[1] == {'account': 'b', 'callee': '4411122233', 'displayNum': '49305555', 'calledInfo': 'mine', 'appId': '4luaKsL2'}


def test_rejected_call_fails_task_with_remedy(monkeypatch, platform):
    platform['answers']['busy'] = status(-68, 'The SIP is not in the idle state')
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', calls=[{'account': 'ok'}, {'account': 'busy'}]))
    assert failed and '1 of 2 calls fell short' in result['msg'] and 'busy (rejected' in result['msg']
    busy = result['calls'][1]
    assert busy['api_status'] == '-68' and 'registered' in busy['remedy'] and result['changed'] is True


def test_fail_on_none(monkeypatch, platform):
    platform['answers']['busy'] = status(-68)
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', account='busy', fail_on='none'))
    assert not failed and result['summary']['rejected'] == 1 and result['changed'] is False


def test_check_mode_reads_only(monkeypatch, platform):
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, callee='4930123456', account='a', _ansible_check_mode=True))
    assert not failed and result['changed'] is True and result['calls'][0]['verdict'] is None
    assert result['balance'] == {'balance': '12.5', 'gift': '0', 'credit': '0'}
    assert sent(platform, '/voice/sendSip') == [] and len(sent(platform, '/getBalance')) == 1
    assert len(sent(platform, '/voice/sipQuery')) == 1 and 'Pw-' not in repr(result)


def test_all_invalid_items_reported_and_nothing_sent(monkeypatch, platform):
    calls = [{'account': 'a', 'callee': '123'}, {'callee': '4930123456'}, {'account': 'c d', 'callee': '4930123456', 'display_num': 'x'}]
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, calls=calls))
    assert failed and result['msg'].startswith('Invalid parameters, no call was placed')
    assert result['errors'] == [
        "calls[0].callee: must be 7-15 digits (ASCII 0-9) with the country code (a leading +, spaces and dashes are removed), got '123'",
        'calls[1].account: is required (the SIP account of the desk phone)',
        "calls[2].account: must be the SIP account name without spaces, at most 64 characters (printable ASCII, no control characters), "
        "got 'c d'",
        "calls[2].display_num: must be empty or 7-15 digits (ASCII 0-9), got 'x'",
    ]
    assert platform['session'] is None


def test_missing_app_id(monkeypatch, platform):
    monkeypatch.delenv('LAAFFIC_APP_ID', raising=False)
    args = dict(AUTH, account='a', callee='4930123456')
    del args['app_id']
    result, failed = run_module(monkeypatch, laaffic_call.main, args)
    assert failed and 'app_id: must be a non-empty string' in result['msg'] and platform['session'] is None


def test_receiver_token_required(monkeypatch, platform):
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, account='a', callee='4930123456', receiver_url='http://127.0.0.1:1'))
    assert failed and 'receiver_token: is required' in result['msg']


def test_requests_missing(monkeypatch):
    monkeypatch.setattr(_module, 'HAS_REQUESTS', False)
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, account='a', callee='4930123456'))
    assert failed and 'requests' in result['msg'] and 'Failed to import the required Python library' in result['msg']


def test_secret_masked_everywhere(monkeypatch, platform):
    platform['answers']['x'] = status(-1, 'Authentication error 7bz1lzh9')
    result, failed = run_module(monkeypatch, laaffic_call.main, dict(AUTH, account='x', callee='4930123456'))
    assert failed and '7bz1lzh9' not in repr(result)
