# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input a hostile client sends (raw sockets where a client library would refuse to send it), strict JSON
out, invalid text refused, and secrets neither printed nor served unless asked for."""

from __future__ import annotations

import json
import time

import pytest

from devtools.emulator import Emulator

CALLEE = '919876543210'
SECRET_PATH = 'pUsH-sEcReT-4f1c9a'


def strict_json(data):
    """Parse as a strict JSON parser would: NaN and Infinity are not JSON."""
    def refuse(name):
        raise ValueError('not JSON: %s' % name)
    return json.loads(data, parse_constant=refuse)


def refused(data):
    """An HTTP 400 answer (aiohttp answers a request it cannot parse in HTTP/1.0 form, then closes)."""
    return data[:12] in (b'HTTP/1.1 400', b'HTTP/1.0 400')


def signed_block(emu):
    return ''.join('%s: %s\r\n' % item for item in emu.signed_headers().items())


def still_serving(emu, raw):
    """A normal signed request on a new connection gets its normal answer."""
    data = raw(emu.port, ('GET /v3/getBalance HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n' % signed_block(emu)).encode())
    assert data.startswith(b'HTTP/1.1 200') and b'"balance"' in data


def test_negative_chunk_size_is_refused_and_sigterm_still_works(raw):
    emulator = Emulator('default', quiet=True)
    emulator.start()
    try:
        head = ('POST /v3/voice/sendSip HTTP/1.1\r\nHost: x\r\n%sTransfer-Encoding: chunked\r\n\r\n' % signed_block(emulator)).encode()
        data = raw(emulator.port, head + b'-6\r\n', timeout=5)
        assert data == b'' or refused(data)
        assert emulator.control('GET', '/_emulator/health') == {'ok': True}
        still_serving(emulator, raw)
        assert emulator.calls() == []
    finally:
        started = time.monotonic()
        code = emulator.stop()
    assert code == 0 and time.monotonic() - started < 5


MALFORMED_FRAMING = {
    'content-length superscript two': b'Content-Length: \xc2\xb2\r\n\r\n{}',
    'content-length negative': b'Content-Length: -1\r\n\r\n{}',
    'content-length twice, different': b'Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
    'chunk size 0x14': b'Transfer-Encoding: chunked\r\n\r\n0x14\r\n' + b'{"callee":"1","x":1}' + b'\r\n0\r\n\r\n',
    'chunk size 1_4': b'Transfer-Encoding: chunked\r\n\r\n1_4\r\n' + b'{"callee":"1","x":1}' + b'\r\n0\r\n\r\n',
    'chunk size +14': b'Transfer-Encoding: chunked\r\n\r\n+14\r\n' + b'{"callee":"1","x":1}' + b'\r\n0\r\n\r\n',
    'chunked and content-length': b'Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
}


@pytest.mark.parametrize('tail', MALFORMED_FRAMING.values(), ids=MALFORMED_FRAMING.keys())
def test_malformed_framing_gets_400(emu, raw, tail):
    data = raw(emu.port, ('POST /v3/voice/sendSip HTTP/1.1\r\nHost: x\r\n%s' % signed_block(emu)).encode() + tail)
    assert refused(data)
    assert emu.calls() == []
    still_serving(emu, raw)


def test_refused_requests_are_logged_in_one_line_without_their_bytes(emu, raw):
    sign = emu.signed_headers()['Sign']
    data = raw(emu.port, ('GET /v3/getBalance HTTP/1.1\r\nHost: x\r\nSign: %s\x01\r\n\r\n' % sign).encode())
    assert refused(data)
    deadline = time.time() + 5
    while 'Error handling request' not in emu.log() and time.time() < deadline:
        time.sleep(0.05)
    log = emu.log()
    assert 'Error handling request from 127.0.0.1: BadHttpMessage (HTTP 400)' in log
    assert sign not in log and 'Traceback' not in log


def test_head_is_answered_without_a_body(emu, raw):
    payload = (b'HEAD /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n'
               b'GET /_emulator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    data = raw(emu.port, payload, 2)
    first_end = data.index(b'\r\n\r\n') + 4
    assert data.startswith(b'HTTP/1.1 200')
    assert data[first_end:].startswith(b'HTTP/1.1 200')  # nothing between the HEAD answer's headers and the next answer
    assert data.endswith(b'{"ok":true}')


def test_deeply_nested_json_is_not_json(emu):
    for depth in (980, 100000):
        body = b'[' * depth + b']' * depth
        status, _headers, data = emu.request('POST', '/v3/voice/sendSip', body, emu.signed_headers())
        assert status == 200 and strict_json(data)['status'] in ('-18', '-22')
    status, _headers, data = emu.request('POST', '/_emulator/faults', b'[' * 100000 + b']' * 100000)
    assert status == 400 and strict_json(data)['ok'] is False
    assert emu.api('GET', '/getBalance')[1]['status'] == '0'


def test_undecodable_header_bytes(emu, raw):
    for header in (b'Timestamp: \xff\xfe', b'Api-Key: \xff', b'Sign: \xed\xa0\x80'):
        data = raw(emu.port, b'GET /v3/getBalance HTTP/1.1\r\nHost: x\r\n' + header + b'\r\nConnection: close\r\n\r\n')
        assert data.startswith(b'HTTP/1.1 '), header
        assert not data.startswith(b'HTTP/1.1 5'), header
    still_serving(emu, raw)


def test_odd_paths_get_answers(emu, raw):
    block = signed_block(emu)
    for path in (b'/v3/voice/recordSip/%ff', b'/v3/voice/recordSip/%ED%A0%80', b'/_emulator/phones/%ff', b'/%00',
                 b'/v3/voice/recordSip/' + b'9' * 5000):
        data = raw(emu.port, b'GET ' + path + b' HTTP/1.1\r\nHost: x\r\n' + block.encode() + b'Connection: close\r\n\r\n')
        assert data.startswith(b'HTTP/1.1 ') and not data.startswith(b'HTTP/1.1 5'), path


# invalid text -------------------------------------------------------------------------------------
LONE = '\ud800'
SEND_SIP_FIELDS = ['calledInfo', 'callee', 'account', 'appId', 'displayNum', 'somethingExtra']


@pytest.mark.parametrize('field', SEND_SIP_FIELDS)
def test_lone_surrogate_in_send_sip_is_refused(emu, field):
    body = {'callee': CALLEE, 'account': 'desk-answer-01', 'appId': emu.app_id, 'calledInfo': 'ok'}
    body[field] = 'x' + LONE + 'y'
    status, answer = emu.api('POST', '/voice/sendSip', body)
    assert status == 200 and answer == {'status': '-22', 'reason': 'Parameter exception'}
    assert emu.calls() == []
    # everything that lists stored text keeps working
    voice_id = emu.send_sip('desk-answer-02', calledInfo='fine')['data']
    assert emu.record(voice_id)['calledInfo'] == 'fine'
    assert [c['voiceId'] for c in emu.calls()] == [voice_id]
    start = time.strftime('%Y-%m-%dT00:00:00+08:00', time.gmtime(time.time() + 8 * 3600 - 86400))
    end = time.strftime('%Y-%m-%dT23:59:59+08:00', time.gmtime(time.time() + 8 * 3600))
    query = emu.api('POST', '/voice/recordSipQuery', {'current': 1, 'size': 10, 'params': {'strTime': start, 'endTime': end}})
    assert query[0] == 200 and query[1]['data']['total'] == 1


def test_lone_surrogate_in_a_key_is_refused(emu):
    raw_body = ('{"callee":"%s","account":"desk-answer-01","appId":"%s","\\udc00":1}' % (CALLEE, emu.app_id)).encode()
    status, _headers, data = emu.request('POST', '/v3/voice/sendSip', raw_body, emu.signed_headers())
    assert status == 200 and strict_json(data)['status'] == '-22'
    assert emu.calls() == []


def test_surrogate_pair_is_valid_text(emu):
    voice_id = emu.send_sip('desk-answer-01', calledInfo='\ud83d\ude00 ok')['data']
    assert emu.record(voice_id)['calledInfo'] == '\U0001F600 ok'
    assert emu.calls()[0]['calledInfo'] == '\U0001F600 ok'


def test_lone_surrogate_in_queries_is_refused(emu):
    body = {'current': 1, 'size': 10, 'params': {'strTime': '2026-01-01T00:00:00+08:00', 'endTime': '2026-01-02T00:00:00+08:00',
                                                 'sipGroupName': LONE}}
    assert emu.api('POST', '/voice/recordSipQuery', body)[1]['status'] == '-22'
    assert emu.api('POST', '/voice/sipQuery', {'current': 1, 'size': 10, 'params': {'appId': emu.app_id, 'x': LONE}})[1]['status'] == '-22'


def test_lone_surrogate_in_control_api_is_refused(emu):
    status, _headers, data = emu.request('POST', '/_emulator/phones/desk-new', {'behaviour': 'answer', 'name': 'a' + LONE})
    assert status == 400 and strict_json(data)['ok'] is False
    assert emu.control('GET', '/_emulator/phones')['phones']
    status, _headers, _data = emu.request('POST', '/_emulator/faults', {'kind': 'http_500', 'account': LONE})
    assert status == 400
    assert emu.control('GET', '/_emulator/faults') == {'faults': []}


def test_non_finite_numbers_are_refused_by_the_control_api(emu):
    for raw_body in (b'{"push_retry_interval": 1e400}', b'{"time_scale": NaN}', b'{"timestamp_window": Infinity}'):
        status, _headers, _data = emu.request('POST', '/_emulator/config', raw_body)
        assert status == 400, raw_body
    config = strict_json(emu.request('GET', '/_emulator/config')[2])['config']
    assert config['push_retry_interval'] == 1.0 and config['time_scale'] == 1.0


# recordSipQuery time format -----------------------------------------------------------------------
@pytest.mark.parametrize('bad', ['tomorrow', '2026-01-01', '2026-01-01T00:00:00', '2026-13-01T00:00:00+08:00', '',
                                 '2026-01-01T00:00:00+08:00 trailing', '2026-01-01T25:00:00+08:00'])
@pytest.mark.parametrize('which', ['strTime', 'endTime'])
def test_record_sip_query_bad_time_format(emu, bad, which):
    params = {'strTime': '2026-01-01T00:00:00+08:00', 'endTime': '2026-01-02T00:00:00+08:00'}
    params[which] = bad
    answer = emu.api('POST', '/voice/recordSipQuery', {'current': 1, 'size': 10, 'params': params})[1]
    assert answer == {'status': '-11', 'reason': 'Incorrect time format'}


@pytest.mark.parametrize('value', [None, 20260101, ['2026-01-01T00:00:00+08:00']])
def test_record_sip_query_time_missing_or_not_text_is_a_parameter_error(emu, value):
    params = {'strTime': value, 'endTime': '2026-01-02T00:00:00+08:00'}
    answer = emu.api('POST', '/voice/recordSipQuery', {'current': 1, 'size': 10, 'params': params})[1]
    assert answer == {'status': '-22', 'reason': 'Parameter exception'}


# secrets ------------------------------------------------------------------------------------------
def test_secrets_not_printed_or_served_unless_asked():
    push_url = 'http://127.0.0.1:9/push/' + SECRET_PATH
    with Emulator('default', push_url=push_url) as emulator:
        started = emulator.log()
        assert 'listening on http://127.0.0.1:%d' % emulator.port in started
        assert SECRET_PATH not in started and emulator.api_secret not in started
        status, _headers, data = emulator.request('GET', '/_emulator/app')
        app = strict_json(data)
        assert status == 200 and 'api_secret' not in app and emulator.api_secret.encode() not in data
        assert app['api_key'] == emulator.api_key and app['app_id'] == emulator.app_id
        assert emulator.control('GET', '/_emulator/app?secrets=1')['api_secret'] == emulator.api_secret
        # the push URL's path is the receiver's secret: hidden in config and the push log unless asked for
        status, _headers, data = emulator.request('GET', '/_emulator/config')
        assert status == 200 and SECRET_PATH.encode() not in data
        assert strict_json(data)['config']['push_url'].startswith('http://127.0.0.1:9/')
        assert emulator.control('GET', '/_emulator/config?secrets=1')['config']['push_url'] == push_url
        emulator.config(push_attempts=1, push_ringing=False)
        emulator.phone('quick', behaviour='reject', reject_after=0.05)
        emulator.send_sip('quick')
        deadline = time.time() + 10
        while time.time() < deadline and not (emulator.pushes() and emulator.pushes()[0]['done']):
            time.sleep(0.05)
        status, _headers, data = emulator.request('GET', '/_emulator/pushes')
        assert status == 200 and b'"done":true' in data and SECRET_PATH.encode() not in data
        assert emulator.control('GET', '/_emulator/pushes?secrets=1')['pushes'][0]['url'] == push_url
        emulator.api('GET', '/getBalance')
        log = emulator.log()
        assert 'PUSH report' in log
        assert SECRET_PATH not in log and emulator.api_secret not in log
