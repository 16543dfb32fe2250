# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the LAAFFIC report receiver (the package roles/report_receiver/files/laaffic_receiver) for tests.

    from devtools.receiver import Receiver

    with Receiver() as rcv:                  # random secret and token, temp DB, ephemeral port
        requests.post(rcv.push_url, json={'voiceId': '1', 'calledInfo': 'x'})
        assert rcv.report('1')['final']

Secrets must be 16+ characters (A-Z a-z 0-9 . _ ~ -), tokens 16+ printable characters.
LAAFFIC_RECEIVER_PYTHON selects the interpreter that runs the receiver (default: this one; it needs aiohttp).
``preexec_fn`` runs in the child before the receiver starts (an open-files limit, a umask).

The receiver runs as ``python -m laaffic_receiver`` with RECEIVER_DIR (roles/report_receiver/files) first on
PYTHONPATH (``receiver_command()`` and ``receiver_env()``); ``receiver_file`` runs a single-file receiver instead
(the benchmark compares one). Tests of its parts import the package normally (RECEIVER_DIR is on pytest's
pythonpath): ``from laaffic_receiver.push import parse_push``.
``exchange()`` and ``raw_http()`` send raw bytes on a socket, for requests a client library would refuse
to send; ``exchange()`` reads the answers with the standard library's ``http.client``, ``raw_http()`` and
``read_all()`` return the bytes. Standard library only.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any, Callable, Dict, Iterable, List, NoReturn, Optional, Sequence

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The directory holding the receiver's package (laaffic_receiver/), as the role deploys it.
RECEIVER_DIR = os.path.join(ROOT, 'roles', 'report_receiver', 'files')
# Interpreter that runs the receiver (the role deploys it for any system python3 >= 3.9).
RECEIVER_PYTHON = os.environ.get('LAAFFIC_RECEIVER_PYTHON') or sys.executable


def receiver_command(python: Optional[str] = None, receiver_file: Optional[str] = None) -> List[str]:
    """The command line that runs the receiver: the package as a module, or a single-file receiver."""
    if receiver_file:
        return [python or RECEIVER_PYTHON, receiver_file]
    return [python or RECEIVER_PYTHON, '-m', 'laaffic_receiver']


def receiver_env(env: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """``env`` (default: this process's environment) with RECEIVER_DIR first on PYTHONPATH."""
    result = dict(os.environ if env is None else env)
    result['PYTHONPATH'] = os.pathsep.join([RECEIVER_DIR] + [p for p in result.get('PYTHONPATH', '').split(os.pathsep) if p])
    return result


class Receiver:
    """The receiver as a subprocess on 127.0.0.1 with an ephemeral port; started by the constructor."""

    def __init__(self, secret: Optional[str] = None, token: Optional[str] = None, db: Optional[str] = None,
                 args: Iterable[str] = (), env: Optional[Dict[str, str]] = None, python: Optional[str] = None,
                 start_timeout: float = 20.0, preexec_fn: Optional[Callable[[], Any]] = None,
                 receiver_file: Optional[str] = None) -> None:
        self.secret = secret or secrets.token_urlsafe(24)
        self.token = token or secrets.token_urlsafe(24)
        self.tmpdir = tempfile.mkdtemp(prefix='laaffic-receiver-')
        self.db = db or os.path.join(self.tmpdir, 'reports.db')
        self.log_path = os.path.join(self.tmpdir, 'receiver.log')
        self.port_file = os.path.join(self.tmpdir, 'port')
        self.returncode: Optional[int] = None
        child_env = {k: v for k, v in os.environ.items() if not k.startswith('RECEIVER_')}
        child_env.update({'RECEIVER_SECRET': self.secret, 'RECEIVER_TOKEN': self.token, 'RECEIVER_HOST': '127.0.0.1'})
        child_env.update(env or {})
        child_env = receiver_env(child_env)
        cmd = receiver_command(python, receiver_file) + ['--port', '0', '--port-file', self.port_file, '--db', self.db]
        cmd.extend(args)
        self._log = open(self.log_path, 'ab')  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(cmd, env=child_env, stdin=subprocess.DEVNULL, stdout=self._log,  # pylint: disable=consider-using-with
                                     stderr=self._log, cwd=self.tmpdir, preexec_fn=preexec_fn)
        try:
            self.port = self._wait_port(start_timeout)
        except Exception:
            self.kill()
            raise
        self.base = 'http://127.0.0.1:%d' % self.port
        self.push_url = self.base + '/push/' + self.secret
        self._wait_healthy(start_timeout)

    # -- lifecycle
    def _wait_port(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('receiver exited with %s:\n%s' % (self.proc.returncode, self.log_text()))
            try:
                with open(self.port_file, 'r', encoding='ascii') as handle:
                    text = handle.read().strip()
                if text:
                    return int(text)
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        raise RuntimeError('receiver did not write its port file:\n%s' % self.log_text())

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                status, body = self.request('GET', '/healthz', auth=False)
                if status == 200 and body.get('ok'):
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError('receiver not healthy:\n%s' % self.log_text())
            time.sleep(0.02)

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, wait, then SIGKILL; returns the exit code. Removes the temp dir (and a temp DB)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.returncode = self.proc.returncode
        self._log.close()
        shutil.rmtree(self.tmpdir, ignore_errors=True)
        return self.returncode

    def kill(self) -> int:
        """SIGKILL without cleanup of the database (durability tests); the log stays readable."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.returncode = self.proc.returncode
        return self.returncode

    def log_text(self) -> str:
        try:
            with open(self.log_path, 'r', encoding='utf-8', errors='replace') as handle:
                return handle.read()
        except OSError:
            return ''

    def log_lines(self) -> List[Any]:
        """The structured log lines (dicts); non-JSON lines are returned as {'raw': line}."""
        result: List[Any] = []
        for line in self.log_text().splitlines():
            try:
                result.append(json.loads(line))
            except ValueError:
                result.append({'raw': line})
        return result

    # -- HTTP helpers
    def request(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
                auth: bool = True, timeout: float = 10.0) -> tuple[int, Any]:
        """Return (status, decoded JSON body or raw text)."""
        hdrs = dict(headers or {})
        if auth:
            hdrs.setdefault('Authorization', 'Bearer ' + self.token)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode('utf-8')
            hdrs.setdefault('Content-Type', 'application/json;charset=UTF-8')
        req = urllib.request.Request(self.base + path, data=data, headers=hdrs, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        try:
            return status, json.loads(raw.decode('utf-8'))
        except ValueError:
            return status, raw.decode('utf-8', 'replace')

    def push(self, body: Any, secret: Optional[str] = None) -> int:
        """POST a push (object, list or raw bytes) to /push/<secret>; returns the HTTP status."""
        return self.request('POST', '/push/' + (secret or self.secret), body=body, auth=False)[0]

    def report(self, voice_id: object) -> Any:
        status, body = self.request('GET', '/reports/' + urllib.parse.quote(str(voice_id), safe=''))
        if status == 404:
            return None
        if status != 200:
            raise RuntimeError('GET /reports/%s: HTTP %s %s' % (voice_id, status, body))
        return body

    def page(self, **query: Any) -> Any:
        """One page: {'reports': [...], 'next': cursor-or-None}."""
        params = {k: v for k, v in query.items() if v is not None}
        path = '/reports' + ('?' + urllib.parse.urlencode(params) if params else '')
        status, body = self.request('GET', path)
        if status != 200:
            raise RuntimeError('GET %s: HTTP %s %s' % (path, status, body))
        return body

    def reports(self, **query: Any) -> List[Any]:
        """All pages of GET /reports with the given filters (since, calledInfo, calledInfoPrefix, limit, after)."""
        result: List[Any] = []
        while True:
            body = self.page(**query)
            result.extend(body['reports'])
            if not body['next']:
                return result
            query['after'] = body['next']


# -- raw sockets ------------------------------------------------------------------------------------


def read_all(sock: socket.socket, until_close: bool = True) -> bytes:
    """What the peer sends: everything until it closes (or the socket times out or is reset), or one recv."""
    chunks: List[bytes] = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if not until_close:
                break
    except (socket.timeout, ConnectionResetError):
        pass
    return b''.join(chunks)


def raw_http(port: int, data: bytes, read_until_close: bool = True, timeout: float = 5.0) -> bytes:
    """Send raw bytes, return everything the server sent (until it closes or times out)."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as sock:
        sock.sendall(data)
        return read_all(sock, read_until_close)


def status_of(response: bytes) -> int:
    """The status code of a raw HTTP response."""
    return int(response.split(b' ', 2)[1])


class _Unclosable:
    """One buffered reader shared by several http.client responses read from the same connection."""

    def __init__(self, fp: IO[bytes]) -> None:
        self._fp = fp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fp, name)

    def close(self) -> None:
        """http.client closes its reader after each response; the next one still needs it."""


class _SharedReader:
    def __init__(self, fp: IO[bytes]) -> None:
        self._fp = _Unclosable(fp)

    def makefile(self, *_args: object, **_kwargs: object) -> _Unclosable:
        return self._fp


class Answer:
    """One HTTP response read off a raw socket: status, headers (lower-case names), body bytes."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.body = response.read()

    def json(self) -> Any:
        """The body as strict JSON (NaN and Infinity are refused)."""
        return json.loads(self.body.decode('utf-8'), parse_constant=_refuse_constant)

    def __repr__(self) -> str:
        return 'Answer(%d, %r, %r)' % (self.status, self.headers, self.body[:200])


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError('not strict JSON: %s' % name)


def exchange(port: int, data: bytes, methods: Sequence[str] = ('GET',), timeout: float = 5.0) -> List[Answer]:
    """Send raw bytes; read one answer per entry of ``methods`` (the request methods, so that HEAD answers are
    read without a body). Returns the list of Answer objects read before the connection closed, failed or
    timed out: an empty list means the server sent no answer at all."""
    answers = []
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass
        reader = _SharedReader(sock.makefile('rb'))
        for method in methods:
            # a stand-in for the socket: HTTPResponse only calls its makefile()
            response = http.client.HTTPResponse(reader, method=method)  # type: ignore[arg-type]
            try:
                response.begin()
                answers.append(Answer(response))
            except (http.client.HTTPException, OSError, ValueError):
                break
    return answers
