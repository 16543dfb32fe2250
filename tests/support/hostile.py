# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hostile HTTP server on 127.0.0.1 (ephemeral port) for tests: every answer is scripted.

    from support.hostile import Hostile, answer, redirect, reset, stall, lying_length, raw

    with Hostile() as api, Hostile() as elsewhere:
        api.handler = lambda req: redirect(307, elsewhere.url + '/v3/voice/sendSip')
        ...
        assert elsewhere.requests == []

``handler(request)`` gets a Request (method, path, headers, body, json()) and returns an answer:
- ``answer(body, status=200, reason=None, headers=None)``: any status line reason (echoes included), any
  headers, a JSON-able or bytes body;
- ``redirect(status, location)``; ``reset()``: a TCP reset instead of an answer; ``stall(seconds)``: no
  answer, then the connection closes; ``lying_length(body, claimed)``: a Content-Length that is not the
  body's; ``raw(data)``: bytes that are not HTTP.
Every request is kept in ``requests``. Standard library only.
"""

from __future__ import annotations

import http.server
import json
import socket
import struct
import threading


class Request(object):
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body

    def header(self, name, default=None):
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return default

    def json(self):
        return json.loads(self.body.decode('utf-8')) if self.body else None

    def __repr__(self):
        return 'Request(%s %s)' % (self.method, self.path)


def _encode(body):
    if body is None:
        return b''
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode('utf-8')
    return json.dumps(body).encode('utf-8')


def answer(body=None, status=200, reason=None, headers=None, length=None):
    """An HTTP answer; ``length`` overrides the Content-Length header (a lie when it differs)."""
    data = _encode(body)

    def write(handler):
        handler.send_response(status, reason)
        sent = dict(headers or {})
        sent.setdefault('Content-Type', 'application/json')
        # The connection is closed after every answer: say so, or a client may send its next request on it while
        # it closes (a POST lost that way is, rightly, a call that may exist; that is not what most tests test).
        sent.setdefault('Connection', 'close')
        sent['Content-Length'] = str(len(data) if length is None else length)
        for name, value in sent.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
        handler.wfile.flush()
        handler.close_connection = True
    return write


def redirect(status, location, reason=None):
    return answer(b'', status=status, reason=reason, headers={'Location': location})


def lying_length(body, claimed):
    return answer(body, length=claimed)


def raw(data):
    def write(handler):
        handler.wfile.write(_encode(data))
        handler.wfile.flush()
        handler.close_connection = True
    return write


def reset():
    def write(handler):
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        handler.close_connection = True
    return write


def stall(seconds):
    def write(handler):
        handler.server.stopping.wait(seconds)
        handler.close_connection = True
    return write


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def _serve(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else b''
        request = Request(self.command, self.path, dict(self.headers.items()), body)
        server = self.server.owner
        with server.lock:
            server.requests.append(request)
        server.handler(request)(self)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class Hostile(object):
    """The server; ``url`` is its base (http://127.0.0.1:port)."""

    def __init__(self, handler=None):
        self.handler = handler or (lambda request: answer({'status': '0', 'reason': 'success'}))
        self.requests = []
        self.lock = threading.Lock()
        self._server = _Server(('127.0.0.1', 0), _Handler)
        self._server.owner = self
        self._server.stopping = threading.Event()
        self.port = self._server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)
        self._thread.start()

    def paths(self):
        return [request.path for request in self.requests]

    def close(self):
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


def envelope(data=None, status='0', reason='success', **top):
    """A LAAFFIC answer body."""
    body = {'status': status, 'reason': reason}
    if data is not None:
        body['data'] = data
    body.update(top)
    return body
