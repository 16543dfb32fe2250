# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A small hand-written HTTP/1.1 server on asyncio.Protocol.

Supports keep-alive, pipelining (requests on one connection are answered in order), Content-Length and
chunked request bodies, ``Expect: 100-continue``, delayed responses (without blocking other connections)
and connection resets (RST, via SO_LINGER 0). It is deliberately small: the emulator needs speed, not
the whole of RFC 9112.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from email.utils import formatdate
from urllib.parse import unquote

MAX_HEADER = 64 * 1024
MAX_BODY = 4 * 1024 * 1024

REASONS = {
    100: 'Continue', 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed',
    411: 'Length Required', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large',
    500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
}

_DATE_CACHE = [0, '']


def http_date():
    """Return the IMF-fixdate for now, recomputed at most once a second."""
    now = int(time.time())
    if _DATE_CACHE[0] != now:
        _DATE_CACHE[0] = now
        _DATE_CACHE[1] = formatdate(now, usegmt=True)
    return _DATE_CACHE[1]


class BadRequest(Exception):
    """The bytes on the connection are not an HTTP request we accept."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Request:
    """One parsed request."""

    __slots__ = ('method', 'target', 'path', 'query', 'version', 'headers', 'body', 'keep_alive', 'peer')

    def __init__(self, method, target, version, headers, body, peer):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.peer = peer
        if target.startswith(('http://', 'https://')):
            slash = target.find('/', target.find('//') + 2)
            target = target[slash:] if slash >= 0 else '/'
        path, _sep, query = target.partition('?')
        if '%' in path:
            path = unquote(path)
        self.path = path
        self.query = query
        conn = headers.get('connection', '').lower()
        if version == 'HTTP/1.1':
            self.keep_alive = 'close' not in conn
        else:
            self.keep_alive = 'keep-alive' in conn


class Response:
    """What the application answers. ``reset`` drops the connection with an RST instead of answering;
    ``delay`` answers that many seconds later (other connections keep being served)."""

    __slots__ = ('status', 'body', 'headers', 'lstatus', 'delay', 'reset', 'content_type')

    def __init__(self, status=200, body=b'', headers=None, lstatus=None, delay=0.0, reset=False,
                 content_type='application/json;charset=UTF-8'):
        self.status = status
        self.body = body
        self.headers = headers
        self.lstatus = lstatus
        self.delay = delay
        self.reset = reset
        self.content_type = content_type


def parse_chunked(buf, start):
    """Decode a chunked body starting at ``start``; return (body, end offset) or None when incomplete."""
    pos = start
    out = bytearray()
    while True:
        eol = buf.find(b'\r\n', pos)
        if eol < 0:
            return None
        size_text = bytes(buf[pos:eol]).split(b';', 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise BadRequest(400, 'bad chunk size') from None
        pos = eol + 2
        if size == 0:
            # trailers end with an empty line
            while True:
                eol = buf.find(b'\r\n', pos)
                if eol < 0:
                    return None
                if eol == pos:
                    return bytes(out), eol + 2
                pos = eol + 2
        if len(buf) < pos + size + 2:
            return None
        out += buf[pos:pos + size]
        if len(out) > MAX_BODY:
            raise BadRequest(413, 'body too large')
        pos += size + 2


class HttpProtocol(asyncio.Protocol):
    """asyncio Protocol: one instance per connection. ``app.handle(request)`` returns a Response."""

    def __init__(self, app, loop):
        super().__init__()
        self.app = app
        self.loop = loop
        self.transport = None
        self.buf = bytearray()
        self.waiting = False
        self.closed = False
        self.peer = ''
        self.continue_sent = False

    # asyncio.Protocol interface -------------------------------------------------------------
    def connection_made(self, transport):
        """Remember the transport and the client's address."""
        self.transport = transport
        peer = transport.get_extra_info('peername')
        self.peer = peer[0] if peer else ''
        self.app.connections.add(self)

    def connection_lost(self, exc):  # pylint: disable=unused-argument
        """Forget the connection."""
        self.closed = True
        self.app.connections.discard(self)

    def data_received(self, data):
        """Buffer bytes and handle every complete request (unless an answer is pending)."""
        self.buf += data
        if not self.waiting:
            self._process()

    def eof_received(self):
        """Client half-closed: finish what is pending, then close."""
        if not self.waiting:
            self.transport.close()
        return True

    def pause_writing(self):
        """Flow control is not needed for the small answers this server writes."""

    def resume_writing(self):
        """See pause_writing."""

    # internals -------------------------------------------------------------------------------
    def _process(self):
        while not self.waiting and not self.closed and self.buf:
            try:
                req = self._parse()
            except BadRequest as exc:
                self._fail(exc.status, str(exc))
                return
            if req is None:
                return
            started = time.perf_counter()
            try:
                resp = self.app.handle(req)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                self.app.log_error(req, exc)
                resp = Response(500, b'{"status":500,"error":"Internal Server Error"}', lstatus='crash')
            if resp.delay > 0:
                self.waiting = True
                self.loop.call_later(resp.delay, self._finish, req, resp, started)
            else:
                self._finish(req, resp, started)

    def _parse(self):
        buf = self.buf
        while buf[:2] == b'\r\n':
            del buf[:2]
        end = buf.find(b'\r\n\r\n')
        if end < 0:
            if len(buf) > MAX_HEADER:
                raise BadRequest(431, 'header too large')
            return None
        lines = bytes(buf[:end]).decode('latin-1').split('\r\n')
        parts = lines[0].split(' ')
        if len(parts) != 3 or not parts[2].startswith('HTTP/1.'):
            raise BadRequest(400, 'bad request line')
        method, target, version = parts
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(':')
            if not sep:
                raise BadRequest(400, 'bad header line')
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if 'transfer-encoding' in headers:
            if headers['transfer-encoding'].lower() != 'chunked':
                raise BadRequest(501, 'unsupported transfer-encoding')
            parsed = parse_chunked(buf, start)
            if parsed is None:
                self._maybe_continue(headers)
                return None
            body, stop = parsed
        else:
            length = headers.get('content-length', '0') or '0'
            if not length.isdigit():
                raise BadRequest(400, 'bad content-length')
            length = int(length)
            if length > MAX_BODY:
                raise BadRequest(413, 'body too large')
            stop = start + length
            if len(buf) < stop:
                self._maybe_continue(headers)
                return None
            body = bytes(buf[start:stop])
        del buf[:stop]
        self.continue_sent = False
        return Request(method, target, version, headers, body, self.peer)

    def _maybe_continue(self, headers):
        if not self.continue_sent and headers.get('expect', '').lower() == '100-continue':
            self.continue_sent = True
            self.transport.write(b'HTTP/1.1 100 Continue\r\n\r\n')

    def _finish(self, req, resp, started):
        was_waiting = self.waiting
        self.waiting = False
        if self.closed:
            return
        if resp.reset:
            self.app.log_request(req, 'RST', resp.lstatus, started)
            self.reset()
            return
        keep = req.keep_alive
        head = 'HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: %s\r\n' % (
            resp.status, REASONS.get(resp.status, 'Unknown'), http_date(), resp.content_type, len(resp.body),
            'keep-alive' if keep else 'close')
        if resp.headers:
            head += ''.join('%s: %s\r\n' % item for item in resp.headers)
        # logged before writing, so whoever sees the answer can also see its log line
        self.app.log_request(req, resp.status, resp.lstatus, started)
        self.transport.write((head + '\r\n').encode('latin-1') + resp.body)
        if not keep:
            self.closed = True
            self.transport.close()
            return
        if was_waiting and self.buf:
            self._process()

    def _fail(self, status, message):
        body = ('{"status":%d,"error":"%s"}' % (status, message)).encode('ascii')
        self.transport.write(('HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n'
                              'Connection: close\r\n\r\n' % (status, REASONS.get(status, 'Error'), http_date(), len(body))
                              ).encode('latin-1') + body)
        self.closed = True
        self.transport.close()

    def reset(self):
        """Drop the connection with a TCP RST (SO_LINGER 0) and discard anything unread."""
        self.closed = True
        self.buf.clear()
        sock = self.transport.get_extra_info('socket')
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            except OSError:
                pass
        self.transport.abort()
