"""A scripted stand-in for requests.Session: unit tests say what each request gets, and see what was sent."""

from __future__ import annotations

import json
import threading

import requests


class FakeResponse(object):
    def __init__(self, status_code=200, body=None, headers=None, reason=''):
        self.status_code = status_code
        if body is None or isinstance(body, (bytes, str)):
            self.content = body.encode('utf-8') if isinstance(body, str) else (body or b'')
        else:
            self.content = json.dumps(body).encode('utf-8')
        self.headers = headers or {}
        self.reason = reason

    def json(self):
        return json.loads(self.content.decode('utf-8'))

    def iter_content(self, chunk_size=1):
        for start in range(0, len(self.content), chunk_size):
            yield self.content[start:start + chunk_size]

    def close(self):
        pass


def ok(data=None, **top):
    """A success envelope."""
    body = {'status': '0', 'reason': 'success'}
    if data is not None:
        body['data'] = data
    body.update(top)
    return FakeResponse(200, body)


def status(code, reason='error'):
    return FakeResponse(200, {'status': str(code), 'reason': reason})


class FakeSession(object):
    """``handler(method, url, body, headers)`` returns a FakeResponse or raises a requests exception.

    Every request is kept in ``sent`` as a dict with method, url, body (parsed JSON), headers, timeout, verify."""

    def __init__(self, handler):
        self.handler = handler
        self.sent = []
        self.headers = {}
        self.closed = False
        self._lock = threading.Lock()

    def request(self, method, url, data=None, headers=None, timeout=None, verify=None, params=None, allow_redirects=True, stream=False):
        body = json.loads(data.decode('utf-8')) if data else None
        entry = dict(method=method, url=url, body=body, headers=dict(headers or {}), timeout=timeout, verify=verify, params=params,
                     allow_redirects=allow_redirects)
        with self._lock:
            self.sent.append(entry)
        return self.handler(method, url, body, entry['headers'])

    def get(self, url, params=None, headers=None, timeout=None, verify=None):
        return self.request('GET', url, headers=headers, timeout=timeout, verify=verify, params=params)

    def close(self):
        self.closed = True


def refused():
    """The exception requests raises when nothing listens on the port."""
    from urllib3.exceptions import MaxRetryError, NewConnectionError
    reason = NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')
    return requests.exceptions.ConnectionError(MaxRetryError(None, '/voice/sendSip', reason))


def reset_after_send():
    """The exception requests raises when the server drops the connection after reading the request."""
    from urllib3.exceptions import ProtocolError
    return requests.exceptions.ConnectionError(ProtocolError('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')))


def read_timeout():
    return requests.exceptions.ReadTimeout('Read timed out. (read timeout=1)')
