"""The one transport core (item 8 of issue 9), against the hostile loopback server: redaction at the boundary,
no redirects, bounded bodies, one retry rule, permanent errors at once."""

from __future__ import annotations

import pytest
import requests

from ansible_collections.laaffic.voice.plugins.module_utils import _transport
from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
from ansible_collections.laaffic.voice.plugins.module_utils._errors import (
    ApiStatusError, HttpError, RedirectError, TransportError, may_have_reached)
from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
from ansible_collections.laaffic.voice.plugins.module_utils._receiver import ReceiverClient
from ansible_collections.laaffic.voice.plugins.module_utils._transport import MASK, Redactor, Transport, new_session, retry_wait
from support.hostile import Hostile, answer, envelope, lying_length, raw, redirect, reset, stall

SECRET = '7bz1lzh9'
TOKEN = 'receiver-read-token-0123456789'


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch):
    monkeypatch.setattr(_transport, 'RETRY_DELAY', 0.01)


@pytest.fixture
def api():
    with Hostile() as server:
        yield server


@pytest.fixture
def elsewhere():
    with Hostile() as server:
        yield server


def client_for(server, timeout=2, **kwargs):
    options = ConnectionOptions(api_url=server.url + '/v3', api_key='bDqJFiq9', api_secret=SECRET, app_id='4luaKsL2', timeout=timeout)
    lines = []
    return LaafficClient(options, log=lines.append, **kwargs), lines


def receiver_for(server, **kwargs):
    lines = []
    return ReceiverClient(new_session(), server.url, TOKEN, 2, log=lines.append, **kwargs), lines


def signs(server):
    return [request.header('Sign') for request in server.requests if request.header('Sign')]


def text_of(exc, lines=()):
    return ' '.join(list(lines) + [str(exc), repr(exc.to_dict())])


# Item 2: one redaction, case-insensitive, every echo form -----------------------------------------------------------
ECHOES = {
    'reason phrase': lambda req: answer(b'no', status=500, reason='Bad sign %s' % req.header('Sign')),
    'upper-case sign in the body': lambda req: answer('bad sign %s' % req.header('Sign').upper(), status=400),
    'secret in the body, upper case': lambda req: answer('secret %s' % SECRET.upper(), status=400),
    'headers echoed in a 200 body': lambda req: answer('you sent Sign=%s %s' % (req.header('Sign'), req.headers), status=200),
    'sign in a status reason': lambda req: answer(envelope(status='-1', reason='sign %s is wrong' % req.header('Sign').upper())),
    'sign in the Location': lambda req: redirect(302, 'http://127.0.0.1:1/?sign=%s' % req.header('Sign')),
}


@pytest.mark.parametrize('echo', list(ECHOES), ids=list(ECHOES))
def test_no_echo_of_the_secret_or_a_sign_leaves_an_error(api, echo):
    api.handler = ECHOES[echo]
    client, lines = client_for(api)
    with pytest.raises((HttpError, ApiStatusError)) as info:
        client.get_balance()
    text = text_of(info.value, lines)
    assert MASK in text
    assert SECRET.lower() not in text.lower()
    assert signs(api) and not any(sign.lower() in text.lower() for sign in signs(api))


def test_success_data_is_redacted_in_every_field(api):
    def handler(req):
        sign = req.header('Sign')
        return answer(envelope({'voiceId': sign, 'terminationReason': 'echo %s' % sign.upper(), sign: SECRET, 'n': [[SECRET.upper()]]}))
    api.handler = handler
    client, dummy = client_for(api)
    record = client.record_sip('1')
    text = repr(record)
    assert record['voiceId'] == MASK and record['terminationReason'] == 'echo ' + MASK
    assert SECRET.lower() not in text.lower() and not any(sign in text.lower() for sign in signs(api))


def test_every_sign_of_the_clients_life_is_redacted(api):
    seen = []

    def handler(req):
        seen.append(req.header('Sign'))
        return answer(envelope(status='-1', reason='earlier signs: %s' % ' '.join(seen)))
    api.handler = handler
    client, dummy = client_for(api)
    for dummy in range(2):
        with pytest.raises(ApiStatusError) as info:
            client.get_balance()
    assert not any(sign in info.value.message for sign in seen)


def test_receiver_echoing_the_authorization_header_is_redacted(api):
    api.handler = lambda req: answer('denied for %s' % req.header('Authorization').upper(), status=401, reason=req.header('Authorization'))
    receiver, lines = receiver_for(api)
    with pytest.raises(HttpError) as info:
        receiver.report('1')
    text = text_of(info.value, lines)
    assert 'check receiver_token' in text and MASK in text and TOKEN.lower() not in text.lower()


def test_receiver_success_data_is_redacted(api):
    api.handler = lambda req: answer({'voiceId': '1', 'report': {'terminationReason': req.header('Authorization')}})
    receiver, dummy = receiver_for(api)
    assert TOKEN not in repr(receiver.report('1'))


def test_redactor_forms():
    redactor = Redactor('abc', 'p@ss/word')
    redactor.add_sign('0123456789abcdef0123456789abcdef')
    assert redactor.redact('abc') == 'abc'  # shorter than 4 characters: not searched for
    assert redactor.redact('P@SS/WORD p%40ss%2Fword') == '%s %s' % (MASK, MASK)
    assert redactor.redact('xx0123456789ABCDEF0123456789ABCDEFyy') == 'xx%syy' % MASK
    assert redactor.redact('ff0123456789abcdef0123456789abcdef') == 'ff' + MASK
    assert redactor.redact_data({'k': [1, 2.5, None, True]}) == {'k': [1, 2.5, None, True]}
    with pytest.raises(ValueError):
        nested = []
        for dummy in range(100):
            nested = [nested]
        redactor.redact_data(nested)


# Item 3: redirects are never followed --------------------------------------------------------------------------------
@pytest.mark.parametrize('status', [301, 302, 303, 307, 308])
def test_signed_requests_never_follow_redirects(api, elsewhere, status):
    api.handler = lambda req: redirect(status, elsewhere.url + '/v3/voice/sendSip')
    client, dummy = client_for(api)
    with pytest.raises(RedirectError) as info:
        client.send_sip('desk-1', '4930123456', '4luaKsL2')
    assert elsewhere.requests == [] and len(api.requests) == 1
    assert elsewhere.url in info.value.message and 'set api_url to the final address' in info.value.message
    assert not may_have_reached(info.value)


def test_receiver_reads_never_follow_redirects(api, elsewhere):
    api.handler = lambda req: redirect(308, elsewhere.url + req.path)
    receiver, dummy = receiver_for(api)
    with pytest.raises(RedirectError) as info:
        receiver.reports(calledInfoPrefix='x')
    assert elsewhere.requests == [] and len(api.requests) == 1 and 'set receiver_url to the final address' in info.value.message


# Item 8: one retry rule, one "may have reached" --------------------------------------------------------------------
@pytest.mark.parametrize('hostile, reached', [
    (lambda req: reset(), True),
    (lambda req: stall(5), True),
    (lambda req: raw(b'SSH-2.0-not-http\r\n'), True),
    (lambda req: lying_length(envelope('1'), 5000), True),
    (lambda req: lying_length(envelope('12345'), 10), True),
    (lambda req: answer(b'<html>oops</html>'), True),
    (lambda req: answer(b'x', status=502), True),
    (lambda req: answer(b'x', status=503, headers={'Retry-After': '0'}), True),
    (lambda req: answer(b'x', status=429, headers={'Retry-After': '0'}), True),
    (lambda req: answer(b'x', status=404), True),
    (lambda req: answer(b'x', status=400), True),
    (lambda req: answer(envelope(status='-18', reason='system exception')), True),
    (lambda req: answer(envelope(status='-99', reason='undocumented')), True),
    (lambda req: answer(envelope(status='-68', reason='busy')), False),
])
def test_a_call_request_is_sent_once_when_it_may_have_reached_the_platform(api, hostile, reached):
    api.handler = hostile
    client, dummy = client_for(api, timeout=0.5)
    with pytest.raises((HttpError, TransportError, ApiStatusError)) as info:
        client.send_sip('desk-1', '4930123456', '4luaKsL2')
    assert may_have_reached(info.value) is reached
    # an answer, whatever it says (a 503 or 429 with Retry-After too), is never followed by the same request here
    assert len([r for r in api.requests if r.path.endswith('/voice/sendSip')]) == 1


@pytest.mark.parametrize('path, body', [('voice/sipAdd', {'groupName': 'floor-3', 'phoneName': 'floor3-desk', 'quantity': 2, 'appId': 'a'}),
                                        ('voice/sipReset', {'account': 'lobby_001', 'appId': 'a'})])
@pytest.mark.parametrize('code', [429, 503])
def test_creating_phone_requests_are_not_resent_on_retry_after(api, path, body, code):
    api.handler = lambda req: answer(b'busy', status=code, headers={'Retry-After': '0'})
    client, dummy = client_for(api)
    with pytest.raises(HttpError) as info:
        client.request('POST', path, body, places_call=True)
    assert info.value.status == code and info.value.retry_after == 0 and may_have_reached(info.value)
    assert len(api.requests) == 1
    with pytest.raises(HttpError):
        client.request('POST', 'voice/sipQuery', {'current': 1, 'size': 100, 'params': {'appId': 'a'}})  # reads keep their retries
    assert len(api.requests) == 5


@pytest.mark.parametrize('hostile', [lambda req: reset(), lambda req: answer(b'x', status=500), lambda req: answer(b'garbage')])
def test_both_clients_retry_reads_by_the_same_rule(api, hostile):
    api.handler = hostile
    client, dummy = client_for(api)
    with pytest.raises((HttpError, TransportError)):
        client.record_sip('1')
    api_attempts = len(api.requests)
    receiver, dummy = receiver_for(api)
    with pytest.raises((HttpError, TransportError)):
        receiver.report('1')
    assert api_attempts == 4 and len(api.requests) - api_attempts == 4


def test_tls_failure_fails_at_once(api):
    options = ConnectionOptions(api_url='https://127.0.0.1:%d/v3' % api.port, api_key='k', api_secret=SECRET, timeout=2)
    client = LaafficClient(options)
    with pytest.raises(TransportError) as info:
        client.get_balance()
    assert 'TLS handshake failed' in info.value.message and info.value.permanent and not info.value.sent
    assert len(api.requests) == 0  # the plain-HTTP server saw no request: the handshake failed, once


def test_invalid_url_fails_at_once():
    attempts = []

    class Session(object):
        def request(self, *args, **kwargs):
            attempts.append(args)
            raise requests.exceptions.InvalidURL('bad')

    transport = Transport(Session(), 1, sleep=lambda seconds: pytest.fail('retried'))
    with pytest.raises(TransportError) as info:
        transport.send('GET', 'http://[x/', {})
    assert len(attempts) == 1 and info.value.permanent and 'Check api_url' in info.value.message


def test_body_size_is_bounded(api, monkeypatch):
    monkeypatch.setattr(_transport, 'MAX_BODY', 1000)
    api.handler = lambda req: answer(b'{"status":"0","data":"' + b'9' * 5000 + b'"}')
    options = ConnectionOptions(api_url=api.url, api_key='k', api_secret=SECRET, timeout=2)
    client = LaafficClient(options)
    client.transport.max_body = 1000
    with pytest.raises(HttpError) as info:
        client.get_balance()
    assert 'larger than 1000 bytes' in info.value.message


def test_nan_and_huge_numbers_in_json_do_not_crash(api):
    api.handler = lambda req: answer(b'{"status": "0", "data": {"callStatus": NaN, "answerTime": 99999999999999999999, "x": Infinity}}')
    client, dummy = client_for(api)
    assert client.record_sip('1') == {'callStatus': 'NaN', 'answerTime': 99999999999999999999, 'x': 'Infinity'}


def test_retry_rule_table():
    reset_after_send = TransportError('POST', 'u', 'reset', sent=True)
    refused = TransportError('POST', 'u', 'refused', sent=False)
    tls = TransportError('POST', 'u', 'tls', sent=False, permanent=True)
    assert retry_wait(reset_after_send, True, 1) is None and retry_wait(reset_after_send, False, 1) == 1
    assert retry_wait(refused, True, 1) == 1 and retry_wait(tls, False, 1) is None
    assert retry_wait(RedirectError('GET', 'u', 302, 'l', 'api_url'), False, 1) is None
    assert retry_wait(HttpError('POST', 'u', 429, retry_after=2), True, 1) is None
    assert retry_wait(HttpError('POST', 'u', 503, retry_after=2), True, 1) is None
    assert retry_wait(HttpError('POST', 'u', 503, retry_after=2), False, 1) == 2
    assert retry_wait(HttpError('POST', 'u', 429), True, 1) is None and retry_wait(HttpError('GET', 'u', 429), False, 1) == 1


def test_the_environment_is_read_once_per_host_and_still_honoured(monkeypatch):
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.test:3128')
    monkeypatch.setenv('NO_PROXY', 'direct.test')
    session = new_session()
    reads = []
    real = requests.utils.get_environ_proxies
    monkeypatch.setattr(requests.sessions, 'get_environ_proxies', lambda url, no_proxy=None: reads.append(url) or real(url, no_proxy))
    for dummy in range(3):
        proxied = session.merge_environment_settings('https://api.test/v3/voice/sendSip', {}, True, True, None)
    direct = session.merge_environment_settings('https://direct.test/v3/getBalance', {}, True, True, None)
    assert proxied['proxies']['https'] == 'http://proxy.test:3128' and 'https' not in direct['proxies']
    assert reads == ['https://api.test/v3/voice/sendSip', 'https://direct.test/v3/getBalance']  # once per host
    proxied['proxies'] = None
    assert session.merge_environment_settings('https://api.test/v3/x', {}, True, True, None)['proxies']  # callers get copies
