# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Any Transfer-Encoding other than exactly ``chunked`` is refused (501, request not processed, connection
closed); ``gzip, chunked`` used to be taken as chunked with the gzip ignored."""

from __future__ import annotations

import json

import pytest

CALLEE = '919876543210'


def sendsip(emu, coding_lines, account='desk-answer-01'):
    body = json.dumps({'callee': CALLEE, 'account': account, 'appId': emu.app_id}).encode()
    chunked = b'%x\r\n%s\r\n0\r\n\r\n' % (len(body), body)
    signed = ''.join('%s: %s\r\n' % item for item in emu.signed_headers().items())
    head = 'POST /v3/voice/sendSip HTTP/1.1\r\nHost: x\r\n%s%s\r\n' % (signed, ''.join('Transfer-Encoding: %s\r\n' % c for c in coding_lines))
    # a second request on the same connection: it must not be answered, the connection closes after the 501
    follow = b'GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n'
    return head.encode() + chunked + follow


@pytest.mark.parametrize('codings', [['gzip, chunked'], ['chunked', 'chunked'], ['identity, chunked'],
                                     ['chunked, identity'], ['x-custom, chunked']])
def test_other_transfer_codings_are_refused(emu, raw, codings):
    data = raw(emu.port, sendsip(emu, codings), 2)
    # aiohttp refuses some itself (400, HTTP/1.0 form); the rest reach the emulator, which answers 501
    assert data.startswith((b'HTTP/1.1 501 ', b'HTTP/1.0 400 ')), data[:200]
    assert data.startswith(b'HTTP/1.0 400 ') or b'only Transfer-Encoding: chunked' in data
    assert data.count(b'HTTP/1.') == 1  # closed: the pipelined request behind it is not read
    assert emu.calls() == []


def test_chunked_alone_still_works(emu, raw):
    for coding in ('chunked', 'Chunked'):
        data = raw(emu.port, sendsip(emu, [coding], account='desk-answer-01' if coding == 'chunked' else 'desk-answer-02'), 2)
        assert data.startswith(b'HTTP/1.1 200 ') and b'"status":"0"' in data and b'{"ok":true}' in data
    assert len(emu.calls()) == 2
