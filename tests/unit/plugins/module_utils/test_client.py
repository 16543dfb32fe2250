from __future__ import annotations

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
from ansible_collections.laaffic.voice.plugins.module_utils._errors import ApiStatusError, HttpError, TransportError
from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
from ansible_collections.laaffic.voice.plugins.module_utils._signing import sign
from support.fake_http import FakeResponse, FakeSession, ok, read_timeout, refused, reset_after_send, status

SECRET = '7bz1lzh9'


def make(handler, base='https://api.example/v3', **kwargs):
    session = FakeSession(handler)
    options = ConnectionOptions(api_url=base, api_key='bDqJFiq9', api_secret=SECRET, app_id='4luaKsL2', timeout=2)
    lines = []
    client = LaafficClient(options, session=session, log=lines.append, sleep=lambda s: None, **kwargs)
    return client, session, lines


def script(*responses):
    """Answer the requests in order with these responses (exceptions are raised)."""
    queue = list(responses)

    def handler(method, url, body, headers):
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item
    return handler


def test_signed_headers_and_json_body():
    client, session, lines = make(script(ok('2203031113381000002')))
    assert client.send_sip('test_001', '932111111111', '4luaKsL2', '1008122211', 'info') == '2203031113381000002'
    sent = session.sent[0]
    assert sent['method'] == 'POST' and sent['url'] == 'https://api.example/v3/voice/sendSip'
    assert sent['body'] == {'callee': '932111111111', 'account': 'test_001', 'appId': '4luaKsL2', 'displayNum': '1008122211', 'calledInfo': 'info'}
    headers = sent['headers']
    assert headers['Content-Type'] == 'application/json;charset=UTF-8' and headers['Api-Key'] == 'bDqJFiq9'
    assert headers['Sign'] == sign('bDqJFiq9', SECRET, headers['Timestamp'])
    assert sent['timeout'] == 2 and sent['verify'] is True


def test_base_without_v3_and_fresh_timestamp_each_request(monkeypatch):
    import ansible_collections.laaffic.voice.plugins.module_utils._client as client_module
    times = iter([1000, 1001])
    monkeypatch.setattr(client_module.time, 'time', lambda: next(times))
    client, session, dummy = make(script(ok(None, balance='1'), ok(None, balance='1')), base='http://127.0.0.1:8099')
    client.get_balance()
    client.get_balance()
    assert session.sent[0]['url'] == 'http://127.0.0.1:8099/getBalance'
    assert [s['headers']['Timestamp'] for s in session.sent] == ['1000', '1001']


def test_ca_path_and_no_validation():
    session = FakeSession(script())
    options = ConnectionOptions(api_key='k', api_secret='s', ca_path='/etc/ca.pem')
    assert LaafficClient(options, session=session).verify == '/etc/ca.pem'
    options = ConnectionOptions(api_key='k', api_secret='s', validate_certs=False, ca_path='/etc/ca.pem')
    assert LaafficClient(options, session=session).verify is False


@pytest.mark.parametrize('value', ['0', 0])
def test_status_zero_string_or_number(value):
    client, dummy, dummy2 = make(script(FakeResponse(200, {'status': value, 'reason': 'success', 'balance': '9.5', 'gift': '0', 'credit': '1'})))
    assert client.get_balance() == {'balance': '9.5', 'gift': '0', 'credit': '1'}


def test_business_error_is_not_retried():
    client, session, dummy = make(script(status(-1, 'Authentication error')))
    with pytest.raises(ApiStatusError) as info:
        client.get_balance()
    assert info.value.code == '-1' and len(session.sent) == 1


def test_clock_error_shows_signed_time():
    client, dummy, dummy2 = make(script(status(-16, 'timestamp expires')))
    with pytest.raises(ApiStatusError) as info:
        client.get_balance()
    assert 'Local UTC time signed: ' in info.value.message


def test_reads_retry_transport_and_5xx_then_succeed():
    client, session, dummy = make(script(read_timeout(), FakeResponse(502, 'bad gateway'), FakeResponse(200, 'not json'), ok({'voiceId': '1'})))
    assert client.record_sip('1') == {'voiceId': '1'}
    assert len(session.sent) == 4


def test_reads_give_up_after_attempts():
    client, session, dummy = make(script(*[FakeResponse(500, 'boom')] * 4))
    with pytest.raises(HttpError) as info:
        client.record_sip('1')
    assert info.value.status == 500 and len(session.sent) == 4
    assert 'GET https://api.example/v3/voice/recordSip/1 answered HTTP 500' in info.value.message


def test_unknown_record_is_none():
    client, dummy, dummy2 = make(script(ok(None)))
    assert client.record_sip('999') is None


@pytest.mark.parametrize('failure', [read_timeout(), reset_after_send(), FakeResponse(500, 'x'), FakeResponse(502, 'x'),
                                     FakeResponse(503, 'x'), FakeResponse(200, 'garbage')])
def test_call_placing_never_retried_when_it_may_have_arrived(failure):
    client, session, dummy = make(script(failure, ok('1')))
    with pytest.raises((TransportError, HttpError)):
        client.send_sip('a', '4930123456', 'app')
    assert len(session.sent) == 1


def test_call_placing_retried_when_never_sent():
    client, session, dummy = make(script(refused(), refused(), ok('42')))
    assert client.send_sip('a', '4930123456', 'app') == '42'
    assert len(session.sent) == 3


@pytest.mark.parametrize('code', [429, 503])
def test_call_placing_not_retried_after_retry_after(code):
    # issue 18: the platform may have placed the call before answering 429/503; only laaffic_call's read-back may resend
    waits = []
    client, session, dummy = make(script(FakeResponse(code, 'later', headers={'Retry-After': '2'}), ok('42')))
    client.transport._sleep = waits.append
    with pytest.raises(HttpError) as info:
        client.send_sip('a', '4930123456', 'app')
    assert info.value.status == code and info.value.retry_after == 2.0
    assert waits == [] and len(session.sent) == 1


def test_transport_error_flags():
    client, dummy, dummy2 = make(script(reset_after_send()))
    with pytest.raises(TransportError) as info:
        client.send_sip('a', '4930123456', 'app')
    assert info.value.sent is True
    client, dummy, dummy2 = make(script(*[refused()] * 4))
    with pytest.raises(TransportError) as info:
        client.send_sip('a', '4930123456', 'app')
    assert info.value.sent is False and 'Check api_url' in info.value.message


def test_record_query_reads_all_pages():
    pages = [ok({'total': 3, 'pages': 2, 'current': 1, 'records': [{'voiceId': '1'}, {'voiceId': '2'}]}),
             ok({'total': 3, 'pages': 2, 'current': 2, 'records': [{'voiceId': '3'}]})]
    client, session, dummy = make(script(*pages))
    records = client.record_sip_query('2026-11-01T00:00:00+00:00', '2026-11-02T00:00:00+00:00', sip_group_name='g', page_size=2)
    assert [r['voiceId'] for r in records] == ['1', '2', '3']
    assert session.sent[1]['body'] == {'current': 2, 'size': 2, 'params': {
        'strTime': '2026-11-01T00:00:00+00:00', 'endTime': '2026-11-02T00:00:00+00:00', 'sipGroupName': 'g'}}


def test_secret_and_sign_never_in_logs_or_errors():
    failures = [status(-1, 'Authentication error'), FakeResponse(500, 'x'), reset_after_send(), status(-16, 'expired')]
    for failure in failures:
        client, session, lines = make(script(failure, failure, failure, failure))
        with pytest.raises(Exception) as info:
            client.get_balance()
        signs = [s['headers']['Sign'] for s in session.sent]
        text = ' '.join(lines) + str(info.value) + repr(info.value.to_dict())
        assert SECRET not in text
        assert not any(value in text for value in signs)


def echo(status_code, as_reason=False):
    """A server that echoes the request headers back, as some proxies' error pages do."""
    def handler(method, url, body, headers):
        text = 'you sent %s with secret %s' % (headers, SECRET)
        if as_reason:
            return FakeResponse(200, {'status': '-1', 'reason': text})
        return FakeResponse(status_code, text)
    return handler


@pytest.mark.parametrize('handler', [echo(400), echo(200), echo(200, as_reason=True)])
def test_echoed_credentials_are_redacted(handler):
    client, session, lines = make(handler)
    with pytest.raises(Exception) as info:
        client.get_balance()
    text = str(info.value) + repr(info.value.to_dict())
    assert 'you sent' in text and '********' in text
    assert SECRET not in text and session.sent[0]['headers']['Sign'] not in text


def test_sip_query_reads_the_accounts_over_pages():
    first = [{'groupName': 'g', 'phoneName': 'p%d' % n, 'account': 'a%d' % n, 'password': 'pw', 'displayNum': '1'} for n in range(100)]
    pages = [ok({'total': 101, 'pages': 2, 'current': 1, 'records': first}),
             ok({'total': 101, 'pages': 2, 'current': 2, 'records': [dict(first[0], account='last')]})]
    client, session, dummy = make(script(*pages))
    records = client.sip_query('4luaKsL2')
    assert [r['account'] for r in records] == ['a%d' % n for n in range(100)] + ['last'] and not records.truncated
    assert [s['body'] for s in session.sent] == [{'current': n, 'size': 100, 'params': {'appId': '4luaKsL2'}} for n in (1, 2)]
    assert all(s['url'].endswith('/voice/sipQuery') and s['method'] == 'POST' for s in session.sent)


def test_paging_is_bounded_by_records_not_by_claimed_pages():
    # a server claiming 10**9 pages but returning a short page: one request
    client, session, dummy = make(script(ok({'total': 10 ** 11, 'pages': 10 ** 9, 'records': [{'voiceId': '1'}]})))
    records = client.record_sip_query('2026-11-01T00:00:00+00:00', '2026-11-02T00:00:00+00:00')
    assert len(session.sent) == 1 and len(records) == 1 and not records.truncated


def test_paging_stops_at_the_page_bound_and_says_so():
    def full_pages(method, url, body, headers):
        return ok({'total': 10 ** 11, 'pages': 10 ** 9, 'records': [{'voiceId': str(body['current'])}] * 100})
    client, session, dummy = make(full_pages)
    records = client.record_sip_query('2026-11-01T00:00:00+00:00', '2026-11-02T00:00:00+00:00', max_pages=7)
    assert len(session.sent) == 7 and len(records) == 700 and records.truncated and records.pages == 7
