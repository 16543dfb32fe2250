# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report receiver against the hostile inputs of issue 18: out-of-range ringing times, clients that half-close
their socket, Transfer-Encoding other than exactly chunked, duplicate Authorization and Content-Length headers.
Raw sockets on 127.0.0.1 where a client library would not send the request."""

from __future__ import annotations

import json
import socket
import types
import uuid

import pytest

from devtools.receiver import exchange, status_of
from laaffic_receiver import errors, times

HOST = 'Host: 127.0.0.1\r\n'


def new_id():
    return 'i18-' + uuid.uuid4().hex[:12]


def push_request(rcv, body, headers='', close=True):
    return ('POST /push/%s HTTP/1.1\r\n%sContent-Length: %d\r\n%s%s\r\n' % (
        rcv.secret, HOST, len(body), headers, 'Connection: close\r\n' if close else '')).encode() + body


def half_close_and_read(port, data, timeout=5.0):
    """Send ``data``, shut the socket down for writing, and read until the server closes: (bytes, closed by server)."""
    chunks = []
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return b''.join(chunks), True
                chunks.append(chunk)
        except socket.timeout:
            return b''.join(chunks), False


def answers_in(raw):
    """The status codes of the HTTP answers in ``raw`` (bodies are JSON with Content-Length)."""
    statuses = []
    while raw:
        head, _sep, rest = raw.partition(b'\r\n\r\n')
        length = int([line.split(b':', 1)[1] for line in head.split(b'\r\n') if line.lower().startswith(b'content-length:')][0])
        statuses.append(status_of(head))
        raw = rest[length:]
    return statuses


# -- out-of-range ringing times --------------------------------------------------------------------------


OUT_OF_RANGE = ['"0001-01-01 00:00:00"', '"9999-12-31 23:59:59"', '"9999-12-31T23:59:59-12:00"', '"0001-01-01T00:00:00+14:00"',
                '"1999-12-31 23:59:59"', '"3000-01-01T00:00:00Z"', '0', '-1', '99999999999999', '1e300', '1' + '0' * 400]


@pytest.mark.parametrize('when', OUT_OF_RANGE)
def test_out_of_range_ringing_time_gets_400_naming_the_field(rcv, when):
    voice_id = new_id()
    body = ('[{"callId":"%s","type":3,"sipAccount":"1001","callinEventTime":%s}]' % (voice_id, when)).encode()
    answers = exchange(rcv.port, push_request(rcv, body), methods=('POST',))
    assert answers, 'no answer'
    assert answers[0].status == 400, answers
    assert 'callinEventTime' in answers[0].json()['error'] and '2000 to 2999' in answers[0].json()['error']
    assert rcv.report(voice_id) is None


def test_a_batch_with_one_out_of_range_ringing_time_stores_nothing(rcv):
    good, bad = new_id(), new_id()
    body = json.dumps([{'callId': good, 'type': 3, 'callinEventTime': '2025-03-01 20:15:30'},
                       {'callId': bad, 'type': 3, 'callinEventTime': '0001-01-01 00:00:00'}]).encode()
    assert exchange(rcv.port, push_request(rcv, body), methods=('POST',))[0].status == 400
    assert rcv.report(good) is None and rcv.report(bad) is None


def test_ringing_time_range_boundaries():
    module = types.SimpleNamespace(ringing_time_iso=times.ringing_time_iso, BadRequest=errors.BadRequest)
    assert module.ringing_time_iso('2000-01-01 08:00:00') == '2000-01-01T00:00:00Z'  # UTC+8
    assert module.ringing_time_iso('2999-12-31T23:59:59Z') == '2999-12-31T23:59:59Z'
    assert module.ringing_time_iso(1740831330000) == module.ringing_time_iso(1740831330) == '2025-03-01T12:15:30Z'
    for value in ('2000-01-01 07:59:59', '3000-01-01T00:00:00Z', '0001-01-01 00:00:00', 10 ** 400, -10 ** 400, 32503680000):
        with pytest.raises(module.BadRequest, match='callinEventTime'):
            module.ringing_time_iso(value)
    assert module.ringing_time_iso('not a time') is None and module.ringing_time_iso(None) is None


# -- half-closed clients ------------------------------------------------------------------------------------


def test_half_closed_client_gets_its_answer(rcv):
    # several pushes, with and without Connection: close: before the fix, whether the answer got out before the
    # EOF closed the transport was a race that the answer nearly always lost
    for close in (True, False) * 3:
        voice_id = new_id()
        raw, closed = half_close_and_read(rcv.port, push_request(rcv, json.dumps({'voiceId': voice_id}).encode(), close=close))
        assert raw, 'no answer to a complete request from a half-closed client (Connection: close %s)' % close
        assert answers_in(raw) == [200] and raw.endswith(b'{"status":"0"}')
        assert closed, 'the connection stays open after the answer to a half-closed client'
        assert rcv.report(voice_id)['final'] is True


def test_half_closed_client_gets_every_pipelined_answer(rcv):
    ids = [new_id() for _unused in range(3)]
    data = b''.join(push_request(rcv, json.dumps({'voiceId': voice_id}).encode(), close=False) for voice_id in ids)
    raw, closed = half_close_and_read(rcv.port, data)
    assert answers_in(raw) == [200, 200, 200] and closed
    assert all(rcv.report(voice_id)['final'] for voice_id in ids)


def test_half_closed_client_with_a_short_body_gets_400_and_nothing_is_stored(rcv):
    voice_id = new_id()
    body = json.dumps({'voiceId': voice_id}).encode()
    data = ('POST /push/%s HTTP/1.1\r\n%sContent-Length: %d\r\n\r\n' % (rcv.secret, HOST, len(body) + 10)).encode() + body
    raw, closed = half_close_and_read(rcv.port, data)
    assert answers_in(raw) == [400] and closed, raw
    assert rcv.report(voice_id) is None


# -- body framing and duplicate headers --------------------------------------------------------------------


def chunked_push(rcv, voice_id, coding_headers):
    body = json.dumps({'voiceId': voice_id}).encode()
    return ('POST /push/%s HTTP/1.1\r\n%s%sConnection: close\r\n\r\n' % (rcv.secret, HOST, coding_headers)).encode() + \
        b'%x\r\n%s\r\n0\r\n\r\n' % (len(body), body)


def test_transfer_encoding_other_than_exactly_chunked_is_refused(rcv):
    refused = {}
    for coding in ('gzip, chunked', 'deflate,chunked', 'chunked, gzip', 'identity', 'gzip',
                   'chunked\r\nTransfer-Encoding: chunked', 'gzip\r\nTransfer-Encoding: chunked'):
        voice_id = new_id()
        answers = exchange(rcv.port, chunked_push(rcv, voice_id, 'Transfer-Encoding: %s\r\n' % coding), methods=('POST',))
        refused[coding] = (answers[0].status if answers else None, rcv.report(voice_id))
    assert {k: v for k, v in refused.items() if v[0] not in (400, 501) or v[1] is not None} == {}
    voice_id = new_id()  # exactly chunked, in any letter case, is the one coding accepted
    assert exchange(rcv.port, chunked_push(rcv, voice_id, 'Transfer-Encoding: Chunked\r\n'), methods=('POST',))[0].status == 200
    assert rcv.report(voice_id)['final'] is True


def test_duplicate_authorization_or_content_length_gets_400(rcv):
    for first, second in ((rcv.token, 'not-the-token-0123456789'), ('not-the-token-0123456789', rcv.token), (rcv.token, rcv.token)):
        request = 'GET /reports HTTP/1.1\r\n%sAuthorization: Bearer %s\r\nAuthorization: Bearer %s\r\nConnection: close\r\n\r\n' % (
            HOST, first, second)
        answers = exchange(rcv.port, request.encode())
        assert answers and answers[0].status == 400, answers
        assert 'Authorization' in answers[0].json()['error']
    voice_id = new_id()
    body = json.dumps({'voiceId': voice_id}).encode()
    answers = exchange(rcv.port, push_request(rcv, body, headers='Content-Length: %d\r\n' % len(body)), methods=('POST',))
    assert answers and answers[0].status == 400, answers
    assert rcv.report(voice_id) is None
