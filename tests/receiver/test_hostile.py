# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report receiver against a hostile client (issue 10): raw-socket requests that a client library would
refuse to send, out-of-range numbers, HEAD, strict JSON output, file modes, X-Real-IP, and bounded resources
(open-files limit, connection cap, deadlines, idle timeout, body limit, rate-limited accept errors)."""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import stat
import subprocess
import time
import uuid

import pytest

from devtools.receiver import Receiver, exchange, receiver_command, receiver_env
from laaffic_receiver.logs import Throttled

HOST = 'Host: 127.0.0.1\r\n'


def short_id():
    """Six characters: {"voiceId":"<id>"} is then exactly 20 (0x14) bytes."""
    return 'h' + uuid.uuid4().hex[:5]


def is_json_error(answer):
    return answer.headers.get('content-type', '').startswith('application/json') and 'error' in answer.json()


def get(rcv, target, token=True, method='GET'):
    auth = 'Authorization: Bearer %s\r\n' % rcv.token if token else ''
    return exchange(rcv.port, ('%s %s HTTP/1.1\r\n%s%sConnection: close\r\n\r\n' % (method, target, HOST, auth)).encode(),
                    methods=(method,))


# -- request smuggling: chunk sizes that are not plain hexadecimal ------------------------------------


@pytest.mark.parametrize('size', [b'0x14', b'1_4', b'+14', b' 14', b'14 ', b'-6'])
def test_chunk_size_not_plain_hex_is_refused(rcv, size):
    voice_id = short_id()
    body = ('{"voiceId":"%s"}' % voice_id).encode()
    assert len(body) == 0x14
    data = ('POST /push/%s HTTP/1.1\r\n%sTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' % (rcv.secret, HOST)).encode()
    data += size + b'\r\n' + body + b'\r\n0\r\n\r\n'
    answers = exchange(rcv.port, data)
    assert answers, 'no answer'
    assert 400 <= answers[0].status < 500 and is_json_error(answers[0]), answers
    assert rcv.report(voice_id) is None


def test_plain_hex_chunk_size_is_accepted(rcv):
    voice_id = short_id()
    body = ('{"voiceId":"%s"}' % voice_id).encode()
    data = ('POST /push/%s HTTP/1.1\r\n%sTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' % (rcv.secret, HOST)).encode()
    data += b'14\r\n' + body + b'\r\n0\r\n\r\n'
    assert exchange(rcv.port, data)[0].status == 200
    assert rcv.report(voice_id)['final']


# -- requests that used to get no answer at all ------------------------------------------------------


@pytest.mark.parametrize('request_line', ['OPTIONS * HTTP/1.1', 'CONNECT 127.0.0.1:1 HTTP/1.1', 'GET http://x/healthz HTTP/1.1',
                                          'GET /a b HTTP/1.1', 'PRI * HTTP/2.0', 'BREW /pot HTTP/1.1'])
def test_odd_request_lines_get_a_json_answer(rcv, request_line):
    answers = exchange(rcv.port, ('%s\r\n%sConnection: close\r\n\r\n' % (request_line, HOST)).encode())
    assert answers and 400 <= answers[0].status < 600 and is_json_error(answers[0]), answers


def test_percent_ff_voice_id_gets_an_answer(rcv):
    answers = get(rcv, '/reports/%ff')
    assert answers, 'no answer'
    assert 400 <= answers[0].status < 500 and is_json_error(answers[0])


@pytest.mark.parametrize('query', ['after=99999999999999999999999', 'since=1e400', 'since=-1e20'])
def test_numbers_outside_int64_or_finite_range_get_400(rcv, query):
    answers = get(rcv, '/reports?' + query)
    assert answers, 'no answer'
    assert answers[0].status == 400 and is_json_error(answers[0])
    assert query.split('=')[0] in answers[0].json()['error']


@pytest.mark.parametrize('query', ['after=1_0', 'limit=1_0', 'after=%D9%A1', 'limit=+5', 'after=-1', 'since=nan', 'since=inf',
                                   'since=1_000', 'limit=99999999999999999999999', 'since=99999999999999999'])
def test_numbers_must_be_plain_and_in_range(rcv, query):
    answers = get(rcv, '/reports?' + query)
    assert answers and answers[0].status == 400 and is_json_error(answers[0]), (query, answers)


def test_plain_numbers_still_work(rcv):
    for query in ('after=0', 'limit=1', 'since=0', 'since=1700000000.5', 'since=2026-01-01T00:00:00Z', 'after=9223372036854775807'):
        answers = get(rcv, '/reports?' + query)
        assert answers[0].status == 200, (query, answers)


@pytest.mark.parametrize('encoding', ['latin-1', 'utf-8'])
@pytest.mark.parametrize('secret', [True, False], ids=['with-secret', 'without-secret'])
def test_content_length_superscript_two_gets_400(rcv, secret, encoding):
    path = '/push/' + (rcv.secret if secret else 'not-the-secret-0123456789')
    data = ('POST %s HTTP/1.1\r\n%sContent-Length: \u00b2\r\n\r\n' % (path, HOST)).encode(encoding) + b'{}'
    answers = exchange(rcv.port, data)
    assert answers, 'no answer'
    assert answers[0].status == 400 and is_json_error(answers[0])


def test_chunk_size_line_over_64k_gets_an_answer(rcv):
    data = ('POST /push/%s HTTP/1.1\r\n%sTransfer-Encoding: chunked\r\n\r\n' % (rcv.secret, HOST)).encode()
    data += b'1;' + b'e' * 70000 + b'\r\nx\r\n0\r\n\r\n'
    answers = exchange(rcv.port, data)
    assert answers, 'no answer'
    assert 400 <= answers[0].status < 500 and is_json_error(answers[0])
    assert rcv.request('GET', '/healthz', auth=False)[0] == 200


@pytest.mark.parametrize('depth', [100, 980, 3000])
def test_deeply_nested_json_gets_400(rcv, depth):
    voice_id = short_id()
    body = ('{"voiceId":"%s","x":%s%s}' % (voice_id, '[' * depth, ']' * depth)).encode()
    data = ('POST /push/%s HTTP/1.1\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n' % (rcv.secret, HOST, len(body))).encode()
    answers = exchange(rcv.port, data + body)
    assert answers, 'no answer'
    assert answers[0].status == 400 and is_json_error(answers[0])
    assert rcv.report(voice_id) is None


def test_moderate_nesting_is_stored(rcv):
    voice_id = short_id()
    report = {'voiceId': voice_id, 'x': [[[[{'a': [1, {'b': 2}]}]]]]}
    assert rcv.push(report) == 200
    assert rcv.report(voice_id)['report'] == report


# -- HEAD, strict JSON output -------------------------------------------------------------------------


@pytest.mark.parametrize('target,token,status', [('/healthz', False, 200), ('/reports', False, 401), ('/reports?limit=1', True, 200),
                                                 ('/nowhere', False, 404)])
def test_head_is_answered_without_a_body(rcv, target, token, status):
    auth = 'Authorization: Bearer %s\r\n' % rcv.token if token else ''
    data = ('HEAD %s HTTP/1.1\r\n%s%s\r\nGET /healthz HTTP/1.1\r\n%sConnection: close\r\n\r\n' % (target, HOST, auth, HOST)).encode()
    answers = exchange(rcv.port, data, methods=('HEAD', 'GET'))
    assert len(answers) == 2, answers
    assert answers[0].status == status and answers[0].body == b''
    # the next answer on the connection starts right after the HEAD answer's headers
    assert answers[1].status == 200 and answers[1].json() == {'ok': True}


@pytest.mark.parametrize('number', [b'1e400', b'-1e400', b'1e309', b'123456789e999'])
def test_pushed_infinite_number_is_refused_not_served_as_infinity(rcv, number):
    voice_id = short_id()
    body = b'{"voiceId":"' + voice_id.encode() + b'","callDuration":' + number + b'}'
    status = rcv.push(body)
    answers = get(rcv, '/reports/' + voice_id)
    answers[0].json()  # strict JSON whatever happened
    assert status == 400
    assert answers[0].status == 404


def test_output_is_strict_json(rcv):
    voice_id = short_id()
    assert rcv.push({'voiceId': voice_id, 'big': 1.7976931348623157e308, 'small': -5e-324, 'int': 10 ** 30}) == 200
    answers = get(rcv, '/reports/' + voice_id)
    assert answers[0].json()['report']['int'] == 10 ** 30
    answers = get(rcv, '/reports?limit=1000')
    assert answers[0].status == 200
    answers[0].json()


# -- file modes ----------------------------------------------------------------------------------------------


def test_database_files_are_0600_under_umask_022(tmp_path):
    db = str(tmp_path / 'direct.db')
    with Receiver(db=db, preexec_fn=lambda: os.umask(0o022)) as direct:
        assert direct.push({'voiceId': short_id()}) == 200
        modes = {suffix: stat.S_IMODE(os.stat(db + suffix).st_mode) for suffix in ('', '-wal', '-shm')}
    assert modes == {'': 0o600, '-wal': 0o600, '-shm': 0o600}


def test_existing_database_is_tightened_to_0600(tmp_path):
    db = str(tmp_path / 'loose.db')
    for suffix in ('', '-wal', '-shm'):
        with open(db + suffix, 'wb'):
            pass
        os.chmod(db + suffix, 0o644)
    with Receiver(db=db, preexec_fn=lambda: os.umask(0o022)) as direct:
        assert direct.push({'voiceId': short_id()}) == 200
        modes = {suffix: stat.S_IMODE(os.stat(db + suffix).st_mode) for suffix in ('', '-wal', '-shm')}
    assert modes == {'': 0o600, '-wal': 0o600, '-shm': 0o600}


# -- X-Real-IP -------------------------------------------------------------------------------------------------


def test_x_real_ip_is_not_believed_by_default():
    with Receiver(args=['--allow', '203.0.113.0/24', '--trusted-proxies', '127.0.0.1/32']) as proxied:
        voice_id = short_id()
        status, _body = proxied.request('POST', '/push/' + proxied.secret, body={'voiceId': voice_id},
                                        headers={'X-Real-IP': '203.0.113.9'}, auth=False)
        assert status == 403
        assert proxied.report(voice_id) is None


def test_x_real_ip_is_believed_when_enabled_and_only_from_a_trusted_proxy():
    with Receiver(args=['--allow', '203.0.113.0/24', '--trusted-proxies', '127.0.0.1/32', '--trust-x-real-ip', 'true']) as proxied:
        voice_id = short_id()
        path = '/push/' + proxied.secret
        assert proxied.request('POST', path, body={'voiceId': voice_id}, headers={'X-Real-IP': '203.0.113.9'}, auth=False)[0] == 200
        # X-Forwarded-For is not read when X-Real-IP is the chosen header
        assert proxied.request('POST', path, body={'voiceId': short_id()}, headers={'X-Forwarded-For': '203.0.113.9'},
                               auth=False)[0] == 403
        assert proxied.request('POST', path, body={'voiceId': short_id()}, headers={'X-Real-IP': 'garbage'}, auth=False)[0] == 403
        logged = [line for line in proxied.log_lines() if line.get('status') == 200 and line.get('method') == 'POST']
        assert logged[-1]['ip'] == '203.0.113.9'
    with Receiver(args=['--allow', '203.0.113.0/24', '--trusted-proxies', '10.0.0.0/8', '--trust-x-real-ip', 'true']) as untrusted:
        assert untrusted.request('POST', '/push/' + untrusted.secret, body={'voiceId': short_id()},
                                 headers={'X-Real-IP': '203.0.113.9'}, auth=False)[0] == 403


# -- bounded resources ------------------------------------------------------------------------------------------


def limit_open_files(soft, hard):
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return apply


def open_idle_connections(port, count, deadline):
    """Open up to ``count`` connections that send nothing; stops at the deadline."""
    socks = []
    while len(socks) < count and time.monotonic() < deadline:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(2.0)
        try:
            sock.connect(('127.0.0.1', port))
        except OSError:
            sock.close()
            continue
        socks.append(sock)
    return socks


def closed_by_server(sock):
    sock.setblocking(False)
    try:
        return sock.recv(1) == b''
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_1100_idle_connections_at_1024_open_files_do_not_block_health_checks():
    with Receiver(preexec_fn=limit_open_files(1024, 1024)) as limited:
        socks = []
        try:
            socks = open_idle_connections(limited.port, 1100, time.monotonic() + 60)
            assert len(socks) == 1100
            started = time.monotonic()
            answers = get(limited, '/healthz', token=False)
            assert answers and answers[0].status == 200, 'health check not answered'
            assert time.monotonic() - started < 5
            time.sleep(1.0)
            # the connections beyond the cap were closed (the longest idle first), not left waiting
            closed = sum(1 for sock in socks if closed_by_server(sock))
            assert closed >= 1100 - 1024
            for _round in range(3):
                assert get(limited, '/healthz', token=False)[0].status == 200
            voice_id = short_id()
            assert limited.push({'voiceId': voice_id}) == 200
        finally:
            for sock in socks:
                sock.close()
        listening = [line for line in limited.log_lines() if line.get('event') == 'listening'][0]
        assert listening['open_files'] == 1024
        assert 0 < listening['max_connections'] < 1024
        assert os.path.getsize(limited.log_path) < 256 * 1024
        accept_errors = [line for line in limited.log_lines() if line.get('event') == 'accept_error']
        assert len(accept_errors) <= time.monotonic() - started + 2
        assert limited.report(voice_id)['final']


def rss_mib(pid):
    with open('/proc/%d/status' % pid, encoding='ascii') as handle:
        for line in handle:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    raise AssertionError('no VmRSS')


def test_1500_connections_holding_partial_headers_are_bounded():
    with Receiver(preexec_fn=limit_open_files(1024, 1024)) as limited:
        before = rss_mib(limited.proc.pid)
        fields = b''.join(b'X-Pad-%02d: %s\r\n' % (number, b'p' * 1900) for number in range(30))
        head = ('POST /push/%s HTTP/1.1\r\n%s' % (limited.secret, HOST)).encode() + fields  # about 57 KB, never finished
        socks = []
        try:
            deadline = time.monotonic() + 60
            while len(socks) < 1500 and time.monotonic() < deadline:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                sock.settimeout(2.0)
                try:
                    sock.connect(('127.0.0.1', limited.port))
                    sock.sendall(head)
                except OSError:
                    sock.close()
                    continue
                socks.append(sock)
            assert len(socks) == 1500
            time.sleep(1.0)
            grown = rss_mib(limited.proc.pid) - before
            answers = get(limited, '/healthz', token=False)
            assert answers and answers[0].status == 200
        finally:
            for sock in socks:
                sock.close()
        listening = [line for line in limited.log_lines() if line.get('event') == 'listening'][0]
    # the cap keeps at most max_connections of them (about 130 KB each in aiohttp); the rest were closed
    assert grown < listening['max_connections'] * 0.2 + 20, grown


def test_connections_beyond_the_cap_are_closed_at_once_when_all_are_busy():
    with Receiver(args=['--max-connections', '8', '--request-timeout', '4']) as capped:
        busy = []
        try:
            for _number in range(8):
                sock = socket.create_connection(('127.0.0.1', capped.port), timeout=10)
                sock.sendall(('POST /push/%s HTTP/1.1\r\n%sContent-Length: 100\r\n\r\n{"voiceId":' % (capped.secret, HOST)).encode())
                busy.append(sock)
            time.sleep(0.5)
            extra = socket.create_connection(('127.0.0.1', capped.port), timeout=10)
            started = time.monotonic()
            try:
                assert extra.recv(1) == b''
            except ConnectionResetError:
                pass
            finally:
                extra.close()
            assert time.monotonic() - started < 2
            # the busy requests reach their deadline: each gets a 408 answer, then the receiver is free again
            for sock in busy:
                sock.settimeout(15)
                response = sock.recv(65536)
                assert response.startswith(b'HTTP/1.1 408 '), response[:100]
            assert get(capped, '/healthz', token=False)[0].status == 200
        finally:
            for sock in busy:
                sock.close()
        assert any(line.get('event') == 'connections_refused' for line in capped.log_lines())


def test_partial_head_is_closed_at_the_request_deadline_even_when_bytes_trickle():
    with Receiver(args=['--request-timeout', '1.5']) as strict:
        with socket.create_connection(('127.0.0.1', strict.port), timeout=15) as sock:
            started = time.monotonic()
            sock.sendall(b'GET /healthz HTTP/1.1\r\n')
            closed_after = None
            for number in range(40):
                time.sleep(0.25)
                try:
                    sock.sendall(b'X-Drip-%d: 1\r\n' % number)
                except OSError:
                    closed_after = time.monotonic() - started
                    break
                if closed_by_server(sock):
                    closed_after = time.monotonic() - started
                    break
            assert closed_after is not None and 1.0 <= closed_after < 6


def test_partial_body_gets_408_at_the_request_deadline():
    with Receiver(args=['--request-timeout', '1']) as strict:
        with socket.create_connection(('127.0.0.1', strict.port), timeout=15) as sock:
            sock.sendall(('POST /push/%s HTTP/1.1\r\n%sContent-Length: 50\r\n\r\n{"voiceId":' % (strict.secret, HOST)).encode())
            response = sock.recv(65536)
        assert response.startswith(b'HTTP/1.1 408 ') and b'application/json' in response


def test_idle_keep_alive_connection_is_closed_after_the_idle_timeout():
    with Receiver(args=['--idle-timeout', '1']) as strict:
        with socket.create_connection(('127.0.0.1', strict.port), timeout=15) as sock:
            sock.sendall(('GET /healthz HTTP/1.1\r\n%s\r\n' % HOST).encode())
            first = b''
            while not first.endswith(b'{"ok":true}'):
                first += sock.recv(65536)
            assert first.startswith(b'HTTP/1.1 200 ')
            started = time.monotonic()
            assert sock.recv(65536) == b''
            assert 0.5 <= time.monotonic() - started < 6


def test_body_limit_is_configurable():
    with Receiver(args=['--max-body', '2048']) as small:
        big = {'voiceId': short_id(), 'pad': 'x' * 3000}
        assert small.push(big) == 413
        assert small.report(big['voiceId']) is None
        fits = {'voiceId': short_id(), 'pad': 'x' * 1500}
        assert small.push(fits) == 200


def test_open_files_soft_limit_is_raised_to_the_hard_limit():
    with Receiver(preexec_fn=limit_open_files(256, 4096)) as raised:
        with open('/proc/%d/limits' % raised.proc.pid, encoding='ascii') as handle:
            line = [row for row in handle if row.startswith('Max open files')][0]
        assert line.split()[3:5] == ['4096', '4096']
        listening = [row for row in raised.log_lines() if row.get('event') == 'listening'][0]
        assert listening['open_files'] == 4096


# -- accept errors: at most one log line a second, with a count ------------------------------------------------


def test_repeated_events_are_logged_at_most_once_a_second_with_a_count():
    now = [1000.0]
    lines = []
    throttle = Throttled(lambda **record: lines.append(record), 'accept_error', clock=lambda: now[0])
    total = 0
    for _step in range(5000):  # 5 simulated seconds of errors, one every millisecond
        throttle.hit(error='EMFILE')
        total += 1
        now[0] += 0.001
        throttle.flush()
    now[0] += 5
    throttle.flush()
    assert 5 <= len(lines) <= 7
    assert sum(line['count'] for line in lines) == total
    assert all(line['event'] == 'accept_error' and line['error'] == 'EMFILE' for line in lines)


@pytest.mark.parametrize('args,field', [(['--max-connections', '0'], 'max_connections'), (['--request-timeout', 'abc'], 'request_timeout'),
                                        (['--idle-timeout', '-1'], 'idle_timeout'), (['--max-body', '10'], 'max_body'),
                                        (['--trust-x-real-ip', 'maybe'], 'trust_x_real_ip')])
def test_bad_resource_options_are_config_errors(args, field):
    env = {k: v for k, v in os.environ.items() if not k.startswith('RECEIVER_')}
    env.update({'RECEIVER_SECRET': 's' * 20, 'RECEIVER_TOKEN': 't' * 20})
    result = subprocess.run(receiver_command() + ['--check-config'] + args, env=receiver_env(env), capture_output=True, text=True,
                            timeout=30, check=False)
    assert result.returncode == 2 and field in result.stderr, result.stderr


def test_request_log_keeps_json_lines_for_protocol_errors(rcv):
    exchange(rcv.port, b'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: \xc2\xb2\r\n\r\n')
    exchange(rcv.port, ('GET /reports?t=%s HTTP/1.1\r\nX-Junk: \x01\r\n\r\n' % rcv.token).encode())
    time.sleep(0.2)
    text = rcv.log_text()
    assert rcv.token not in text and rcv.secret not in text
    for line in text.splitlines():
        json.loads(line)


def test_sigterm_with_idle_and_unfinished_requests_exits_promptly():
    receiver = Receiver()
    socks = []
    try:
        socks.append(socket.create_connection(('127.0.0.1', receiver.port), timeout=10))  # never sends
        partial_head = socket.create_connection(('127.0.0.1', receiver.port), timeout=10)
        partial_head.sendall(b'GET /healthz HTTP/1.1\r\nHo')
        partial_body = socket.create_connection(('127.0.0.1', receiver.port), timeout=10)
        partial_body.sendall(('POST /push/%s HTTP/1.1\r\n%sContent-Length: 50\r\n\r\n{"voiceId":' % (receiver.secret, HOST)).encode())
        socks.extend([partial_head, partial_body])
        assert get(receiver, '/healthz', token=False)[0].status == 200
        time.sleep(0.3)
        started = time.monotonic()
        receiver.proc.send_signal(signal.SIGTERM)
        assert receiver.proc.wait(30) == 0
        # nothing of theirs was stored or acknowledged: the receiver does not wait for their deadlines
        assert time.monotonic() - started < 10
    finally:
        for sock in socks:
            sock.close()
        receiver.stop()
