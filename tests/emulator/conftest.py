"""The emulator these tests share (tests/conftest.py starts one per pytest process), reset before every test
that uses it, and a raw-socket client for input that an HTTP library would refuse to send."""

from __future__ import annotations

import socket

import pytest


@pytest.fixture
def emu(emulator_process):
    emulator_process.reset()
    return emulator_process


def answered(data, expect_responses):
    """True when ``data`` holds ``expect_responses`` final answers, the last one with its whole body."""
    if data.count(b'HTTP/1.1 ') - data.count(b'HTTP/1.1 100 ') < expect_responses:
        return False
    start = data.rfind(b'HTTP/1.1 ')
    head_end = data.find(b'\r\n\r\n', start)
    if head_end < 0:
        return False
    head = data[start:head_end].decode('latin-1').lower()
    if 'content-length:' not in head:
        return True
    length = int(head.split('content-length:')[1].split('\r\n')[0])
    return len(data) - (head_end + 4) >= length


def exchange(port, payload, expect_responses=1, timeout=5.0):
    """Send raw bytes to 127.0.0.1:``port``; read until ``expect_responses`` complete answers arrived or the
    peer closed. A peer that neither answers nor closes within ``timeout`` raises socket.timeout."""
    sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    try:
        sock.sendall(payload)
        data = b''
        while not answered(data, expect_responses):
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
        return data
    finally:
        sock.close()


@pytest.fixture
def raw():
    """``raw(port, payload, expect_responses=1, timeout=5.0)``: see exchange()."""
    return exchange
