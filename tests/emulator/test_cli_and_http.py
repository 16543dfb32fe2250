# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Process life cycle, scenarios, logging and the HTTP/1.1 layer (keep-alive, pipelining, chunked, 100-continue)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from devtools.emulator import SERVERS, Emulator

CALLEE = '919876543210'


@pytest.fixture(scope='module')
def emu():
    with Emulator('default') as emulator:
        yield emulator


def signed_block(emu):
    return ''.join('%s: %s\r\n' % item for item in emu.signed_headers().items())


def test_sigterm_exits_cleanly():
    emulator = Emulator('default')
    emulator.start()
    assert emulator.control('GET', '/_emulator/health') == {'ok': True}
    assert emulator.stop() == 0
    assert 'stopped' in emulator.log()


def test_sigint_exits_cleanly(tmp_path):
    port_file = tmp_path / 'port'
    env = dict(os.environ, PYTHONPATH=SERVERS)
    proc = subprocess.Popen([sys.executable, '-m', 'laaffic_emulator', '--port', '0', '--port-file', str(port_file), '--quiet'],
                            env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        while not port_file.exists() and time.time() < deadline:
            time.sleep(0.05)
        assert int(port_file.read_text().strip()) > 0
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()


def test_bad_scenario_exits_2(tmp_path):
    bad = tmp_path / 'bad.yml'
    bad.write_text('phones:\n  - {account: x, behaviour: teleport}\n')
    env = dict(os.environ, PYTHONPATH=SERVERS)
    for scenario in (str(bad), 'no-such-scenario'):
        result = subprocess.run([sys.executable, '-m', 'laaffic_emulator', '--port', '0', '--scenario', scenario],
                                env=env, capture_output=True, timeout=30, check=False)
        assert result.returncode == 2
        assert b'laaffic emulator:' in result.stderr


def test_json_scenario_file_with_fee_failure_and_faults(tmp_path):
    scenario = {
        'app': {'api_key': 'myKey123', 'api_secret': 'mySecret', 'app_id': 'myApp001'},
        'account': {'balance': '5'},
        'rates': {'per_minute': None, 'prefixes': {'91': '0.02'}, 'per_call': '0.5'},
        'faults': [{'endpoint': 'getBalance', 'kind': 'http_503', 'count': 1, 'retry_after': 2}],
        'phones': [{'account': 'solo', 'behaviour': 'reject', 'reject_after': 0.1},
                   {'pattern': 'bulk_{:03d}', 'count': 3, 'group': 'bulk'}],
    }
    path = tmp_path / 'custom.json'
    path.write_text(json.dumps(scenario))
    with Emulator(str(path)) as emu:
        assert (emu.api_key, emu.app_id) == ('myKey123', 'myApp001')
        assert emu.api('GET', '/getBalance')[0] == 503
        assert emu.api('GET', '/getBalance')[1]['balance'] == '5.000000'
        assert emu.send_sip('solo', callee='4412345678')['status'] == '-26'
        assert emu.send_sip('solo')['status'] == '0'
        assert emu.api('GET', '/getBalance')[1]['balance'] == '4.500000'  # per-call charge at accept
        accounts = [r['account'] for r in emu.api('POST', '/voice/sipQuery', {'current': 1, 'size': 10,
                                                                              'params': {'appId': 'myApp001'}})[1]['data']['records']]
        assert accounts == ['solo', 'bulk_001', 'bulk_002', 'bulk_003']
        # the documented example credentials are not valid for this scenario
        assert emu.api('GET', '/getBalance', headers=emu.signed_headers(api_key='bDqJFiq9', api_secret='7bz1lzh9'))[1]['status'] == '-1'


@pytest.mark.emulator_timing
def test_fleet_scenario_and_time_scale():
    with Emulator('fleet', args=['--time-scale', '0.1', '--quiet']) as emu:
        data = emu.api('POST', '/voice/sipQuery', {'current': 10, 'size': 100, 'params': {'appId': emu.app_id}})[1]['data']
        assert data['total'] == 1000 and data['records'][-1]['account'] == 'fleet-1000'
        assert data['records'][-1]['groupName'] == 'fleet'
        voice_id = emu.send_sip('fleet-0001')['data']
        assert emu.send_sip('fleet-0001')['status'] == '-68'
        deadline = time.time() + 10
        while emu.record(voice_id)['hangupTime'] is None and time.time() < deadline:
            time.sleep(0.05)
        record = emu.record(voice_id)
        assert record['sipCode'] == '480' and record['ringingTime'] is not None and record['answerTime'] is None
        assert emu.send_sip('fleet-0001')['status'] == '0'


def test_log_lines_never_show_secrets(emu):
    emu.api('POST', '/voice/sendSip', {'callee': CALLEE, 'account': 'desk-answer-02', 'appId': emu.app_id})
    emu.api('GET', '/getBalance', headers={'Sign': 'deadbeef' * 4})
    log = emu.log()
    assert 'POST /v3/voice/sendSip 200 0 ' in log
    assert 'GET /v3/getBalance 200 -1 ' in log
    assert emu.api_secret not in log and 'deadbeef' not in log and emu.signed_headers()['Sign'] not in log


def test_keep_alive_reuses_connection(emu):
    conn = http.client.HTTPConnection('127.0.0.1', emu.port, timeout=5)
    try:
        for _unused in range(3):
            conn.request('GET', '/v3/getBalance', headers=emu.signed_headers())
            resp = conn.getresponse()
            assert resp.status == 200 and json.loads(resp.read())['status'] == '0'
            assert resp.getheader('Connection') == 'keep-alive'
            assert resp.getheader('Content-Type') == 'application/json;charset=UTF-8'
        sock = conn.sock
        conn.request('GET', '/_emulator/health')
        conn.getresponse().read()
        assert conn.sock is sock
    finally:
        conn.close()


def test_pipelined_requests_answer_in_order(emu, raw):
    block = signed_block(emu)
    one = 'GET /v3/voice/recordSip/1 HTTP/1.1\r\nHost: x\r\n%s\r\n' % block
    two = 'GET /v3/getBalance HTTP/1.1\r\nHost: x\r\n%s\r\n' % block
    three = 'GET /_emulator/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
    data = raw(emu.port, (one + two + three).encode(), 3)
    assert data.count(b'HTTP/1.1 200 OK') == 3
    assert data.index(b'"data":null') < data.index(b'"balance"') < data.index(b'{"ok":true}')


def test_chunked_body_and_expect_continue(emu, raw):
    body = json.dumps({'callee': CALLEE, 'account': 'desk-noanswer-02', 'appId': emu.app_id}).encode()
    chunked = b'%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n' % (10, body[:10], len(body) - 10, body[10:])
    head = ('POST /voice/sendSip HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n%sConnection: close\r\n\r\n'
            % signed_block(emu)).encode()
    data = raw(emu.port, head + chunked, 1)
    assert b'"status":"0"' in data
    # Expect: 100-continue -> interim answer before the body is sent
    sock = socket.create_connection(('127.0.0.1', emu.port), timeout=5)
    try:
        body = json.dumps({'callee': CALLEE, 'account': 'desk-flaky-01', 'appId': emu.app_id}).encode()
        sock.sendall(('POST /v3/voice/sendSip HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\n%s'
                      'Connection: close\r\n\r\n' % (len(body), signed_block(emu))).encode())
        assert sock.recv(100).startswith(b'HTTP/1.1 100 Continue')
        sock.sendall(body)
        answer = b''
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        assert answer.startswith(b'HTTP/1.1 200 OK') and b'"status":"0"' in answer
    finally:
        sock.close()


def test_http10_closes_and_bad_request(emu, raw):
    # an HTTP/1.0 request without keep-alive: the answer, then the connection closes (raw() reads until then)
    data = raw(emu.port, b'GET /_emulator/health HTTP/1.0\r\n\r\n', 2)
    assert data.startswith(b'HTTP/1.0 200 OK') and data.endswith(b'{"ok":true}') and b'keep-alive' not in data
    data = raw(emu.port, b'this is not http\r\n\r\n', 1)
    assert data[:12] in (b'HTTP/1.0 400', b'HTTP/1.1 400')
