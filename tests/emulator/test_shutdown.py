# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SIGTERM stops the emulator whatever it is doing: pushes waiting on a receiver that never answers, answers
held by slow faults and slow phones, open idle and half-sent connections."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time

from devtools.emulator import SERVERS, Emulator


def busy(emu, blackhole_port):
    """Put every kind of work in flight; return the sockets to keep open."""
    emu.config(push_url='http://127.0.0.1:%d/push/x' % blackhole_port, push_timeout=300, push_attempts=100,
               push_retry_interval=0, push_duplicates=100, push_duplicate_delay=0)
    emu.phone('desk-reject-01', behaviour='reject', reject_after=0)
    emu.phone('desk-slowapi-01', behaviour='slow_api', api_delay=86400)
    emu.fault(endpoint='getBalance', kind='slow', delay=3600, count=10)
    assert emu.send_sip('desk-reject-01')['status'] == '0'  # ends at once: 101 pushes to the black hole
    held = []
    signed = ''.join('%s: %s\r\n' % item for item in emu.signed_headers().items())
    body = json.dumps({'callee': '919876543210', 'account': 'desk-slowapi-01', 'appId': emu.app_id})
    requests = ['GET /v3/getBalance HTTP/1.1\r\nHost: x\r\n%s\r\n' % signed] * 5 + [
        'POST /v3/voice/sendSip HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n%s' % (signed, len(body), body),
        'POST /v3/voice/sendSip HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"callee":']  # half a body
    for text in requests + [''] * 50:  # and 50 idle connections
        sock = socket.create_connection(('127.0.0.1', emu.port), timeout=5)
        if text:
            sock.sendall(text.encode())
        held.append(sock)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pushes = emu.pushes()
        if len(pushes) >= 101 and len(emu.calls()) == 2:
            break
        time.sleep(0.05)
    assert len(pushes) >= 101 and not any(p['done'] for p in pushes)
    return held


def test_sigterm_stops_it_with_work_in_flight():
    blackhole = socket.socket()
    blackhole.bind(('127.0.0.1', 0))
    blackhole.listen(1024)  # accepts connections (the kernel does) and never answers
    emu = Emulator('default', quiet=True)
    held = []
    try:
        emu.start()
        held = busy(emu, blackhole.getsockname()[1])
        started = time.monotonic()
        emu.proc.send_signal(signal.SIGTERM)
        emu.proc.wait(30)  # a hang shows as a timeout here, not as a time compared with a limit
        took = time.monotonic() - started
        print('SIGTERM with work in flight: exited after %.2f s' % took)
        assert emu.proc.returncode == 0
        assert 'laaffic emulator stopped' in emu.log()
    finally:
        emu.stop()
        for sock in held:
            sock.close()
        blackhole.close()


def test_sigterm_stops_it_while_its_log_pipe_is_full(tmp_path):
    """Nobody reads its stderr: the pipe fills, a log write blocks the event loop, and SIGTERM still stops it."""
    port_file = tmp_path / 'port'
    env = dict(os.environ, PYTHONPATH=SERVERS)
    proc = subprocess.Popen([sys.executable, '-m', 'laaffic_emulator', '--port', '0', '--port-file', str(port_file)],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(port_file.read_text().strip())
        stuck = False
        for _unused in range(200):  # each request logs its 8 KB path: the pipe (64 KiB here) is soon full
            conn = http.client.HTTPConnection('127.0.0.1', port, timeout=1)
            try:
                conn.request('GET', '/' + 'x' * 8000)
                conn.getresponse().read()
            except (socket.timeout, TimeoutError):
                stuck = True
                break
            finally:
                conn.close()
        assert stuck, 'the log pipe never filled'
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0  # before: it never exited
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        proc.stderr.close()
