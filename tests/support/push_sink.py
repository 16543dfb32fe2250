# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A loopback HTTP server that stands in for a push receiver in the emulator's tests: it records every POST
(path, headers, JSON body, the status it answered, when) and answers the queued status codes first, then 200."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class PushSink:
    """Loopback HTTP server recording every POST; answers the queued status codes first, then 200."""

    def __init__(self, path='/push'):
        self.items = []
        self.codes = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # pylint: disable=invalid-name
                length = int(self.headers.get('Content-Length', '0'))
                raw = self.rfile.read(length)
                with receiver.lock:
                    code = receiver.codes.pop(0) if receiver.codes else 200
                    receiver.items.append({'path': self.path, 'headers': dict(self.headers), 'body': json.loads(raw),
                                           'code': code, 'time': time.time()})
                self.send_response(code)
                self.send_header('Content-Length', '2')
                self.end_headers()
                self.wfile.write(b'OK')

            def log_message(self, *args):  # pylint: disable=arguments-differ
                pass

        self.server = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d%s' % (self.server.server_address[1], path)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, predicate, timeout=10.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                items = list(self.items)
            if predicate(items):
                return items
            time.sleep(0.03)
        raise AssertionError('receiver condition not met; got %r' % self.items)

    def clear(self):
        with self.lock:
            self.items = []
            self.codes = []

    def close(self):
        self.server.shutdown()
        self.server.server_close()
