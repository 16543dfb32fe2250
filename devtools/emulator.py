# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test/bench harness: run the LAAFFIC emulator as a subprocess on loopback and drive its control API.

    from devtools.emulator import Emulator
    with Emulator('default') as emu:
        status, body = emu.api('POST', '/voice/sendSip', {...})   # signed request
        assert len(emu.calls()) == 1

Standard library only.
"""

from __future__ import annotations

import atexit
import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from typing import IO, Any, Iterable, Optional, Union

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVERS = os.path.join(ROOT, 'servers')

DEFAULT_KEY = 'bDqJFiq9'
DEFAULT_SECRET = '7bz1lzh9'
DEFAULT_APP_ID = '4luaKsL2'


def sign(api_key: str, api_secret: str, timestamp: Union[str, int]) -> str:
    """The documented LAAFFIC signature: md5(apiKey + apiSecret + timestamp), lowercase hex."""
    return hashlib.md5(('%s%s%s' % (api_key, api_secret, timestamp)).encode('utf-8')).hexdigest()


# Every emulator this process started and has not stopped: stopped at exit (atexit) and by the test session's
# reaper (tests/conftest.py), so that an exception or an interrupted run leaves none behind. A SIGKILL of this
# process is covered by the emulator itself (EMULATOR_PARENT_PID: it gets SIGTERM when its parent ends).
LIVE: set[Emulator] = set()


def stop_all() -> int:
    """Stop every emulator this process started and has not stopped; return how many were still running."""
    running = [emulator for emulator in list(LIVE) if emulator.proc is not None and emulator.proc.poll() is None]
    for emulator in list(LIVE):
        emulator.stop()
    return len(running)


atexit.register(stop_all)


class EmulatorError(RuntimeError):
    """The emulator did not start, or a control call failed."""


class Emulator:
    """Context manager running ``python -m laaffic_emulator`` on 127.0.0.1 with an ephemeral port."""

    def __init__(self, scenario: str = 'default', push_url: Optional[str] = None, args: Iterable[str] = (),
                 env: Optional[dict[str, str]] = None, start_timeout: float = 20.0, quiet: bool = False,
                 servers: str = SERVERS, isolated: bool = False, fleet_size: Optional[int] = None,
                 sip_port: Optional[int] = None) -> None:
        self.scenario = scenario
        self.push_url = push_url
        self.args = list(args)
        self.env = env
        # ``servers``: the directory holding the laaffic_emulator package (an installed collection's copy, say).
        # ``isolated``: the child's environment is ``env`` alone, with PYTHONPATH set to ``servers`` only.
        self.servers = servers
        self.isolated = isolated
        self.start_timeout = start_timeout
        # ``fleet_size``: N generated fleet phones besides the scenario's (--fleet-size; docs/emulator.md)
        self.fleet_size = fleet_size
        # ``sip_port``: serve SIP on 127.0.0.1 (0 = a free port; docs/emulator.md "SIP side"); ``sip_port`` is
        # the bound one once started
        self.sip_port = sip_port
        self.quiet = quiet
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.port: Optional[int] = None
        self.base: Optional[str] = None
        self.api_url: Optional[str] = None
        self.api_key = DEFAULT_KEY
        self.api_secret = DEFAULT_SECRET
        self.app_id = DEFAULT_APP_ID
        self._tmp: Optional[str] = None
        self._log: Optional[IO[bytes]] = None

    # lifecycle -----------------------------------------------------------------------------------
    def __enter__(self) -> Emulator:
        # already started (start() then ``with emulator:``): not a second process, which nobody would stop
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Emulator:
        """Start the subprocess and wait until /_emulator/health answers."""
        self._tmp = tempfile.mkdtemp(prefix='laaffic-emu-')
        port_file = os.path.join(self._tmp, 'port')
        cmd = [sys.executable, '-m', 'laaffic_emulator', '--host', '127.0.0.1', '--port', '0', '--port-file', port_file,
               '--scenario', self.scenario]
        if self.push_url:
            cmd += ['--push-url', self.push_url]
        if self.quiet:
            cmd.append('--quiet')
        if self.fleet_size is not None:
            cmd += ['--fleet-size', str(self.fleet_size)]
        sip_port_file = os.path.join(self._tmp, 'sip_port')
        if self.sip_port is not None:
            cmd += ['--sip-port', str(self.sip_port), '--sip-host', '127.0.0.1', '--sip-port-file', sip_port_file]
        cmd += self.args
        env = {} if self.isolated else dict(os.environ)
        env.update(self.env or {})
        inherited = [] if self.isolated else [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p]
        env['PYTHONPATH'] = os.pathsep.join([self.servers] + inherited)
        # the emulator ends when this process does, even by SIGKILL (see laaffic_emulator.cli.die_with_parent);
        # Linux's rule: when the thread that started it ends, so start it from a thread that lives as long
        env['EMULATOR_PARENT_PID'] = str(os.getpid())
        self._log = open(os.path.join(self._tmp, 'stderr.log'), 'w+b')  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, env=env)  # pylint: disable=consider-using-with
        LIVE.add(self)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise EmulatorError('emulator exited with %s:\n%s' % (self.proc.returncode, self.log()))
            if os.path.exists(port_file):
                with open(port_file, encoding='ascii') as handle:
                    text = handle.read().strip()
                if text.isdigit():
                    self.port = int(text)
                    self.base = 'http://127.0.0.1:%d' % self.port
                    self.api_url = self.base + '/v3'
                    try:
                        if self.control('GET', '/_emulator/health').get('ok'):
                            # the API secret is served only when asked for explicitly
                            app = self.control('GET', '/_emulator/app?secrets=1')
                            self.api_key, self.api_secret, self.app_id = app['api_key'], app['api_secret'], app['app_id']
                            if self.sip_port is not None:  # written before the HTTP port file, once Kamailio is up
                                with open(sip_port_file, encoding='ascii') as handle:
                                    self.sip_port = int(handle.read().strip())
                            return self
                    except (OSError, EmulatorError):
                        pass
            time.sleep(0.05)
        self.stop()
        raise EmulatorError('emulator did not become healthy within %.0f s:\n%s' % (self.start_timeout, self.log()))

    def stop(self) -> Optional[int]:
        """SIGTERM, wait, then kill. Returns the exit code."""
        code = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            code = self.proc.returncode
        LIVE.discard(self)
        if self._log is not None and not self._log.closed:
            self._log.flush()
        return code

    def log(self) -> str:
        """Everything the emulator wrote to stderr so far."""
        if self._log is None:
            return ''
        self._log.flush()
        with open(self._log.name, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')

    # raw HTTP ------------------------------------------------------------------------------------
    def request(self, method: str, path: str, body: Any = None, headers: Optional[dict[str, str]] = None,
                timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
        """One HTTP request to the emulator; returns (status, headers dict, body bytes). ``body`` may be bytes or JSON-able."""
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=timeout)
        try:
            if body is not None and not isinstance(body, (bytes, bytearray)):
                body = json.dumps(body).encode('utf-8')
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """A control API call; returns the decoded JSON (raises EmulatorError on non-200)."""
        status, _headers, data = self.request(method, path, body)
        if status != 200:
            raise EmulatorError('%s %s -> %s %r' % (method, path, status, data[:200]))  # %r: as %s did, b'...'
        return json.loads(data)

    def signed_headers(self, timestamp: Union[str, int, None] = None, api_key: Optional[str] = None,
                       api_secret: Optional[str] = None) -> dict[str, str]:
        """The four LAAFFIC headers, signed for ``timestamp`` (default now)."""
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        api_key = self.api_key if api_key is None else api_key
        api_secret = self.api_secret if api_secret is None else api_secret
        return {'Content-Type': 'application/json;charset=UTF-8', 'Api-Key': api_key, 'Sign': sign(api_key, api_secret, timestamp),
                'Timestamp': timestamp}

    def api(self, method: str, path: str, body: Any = None, headers: Optional[dict[str, str]] = None,
            prefix: str = '/v3', timeout: float = 10.0) -> tuple[int, Any]:
        """A signed LAAFFIC request (path like '/voice/sendSip'); returns (http status, decoded JSON or raw bytes)."""
        hdrs = self.signed_headers()
        hdrs.update(headers or {})
        status, _headers, data = self.request(method, prefix + path, body, hdrs, timeout)
        try:
            return status, json.loads(data)
        except ValueError:
            return status, data

    def send_sip(self, account: str, callee: str = '919876543210', **extra: Any) -> Any:
        """Signed sendSip for ``account``; returns the decoded answer."""
        body = {'callee': callee, 'account': account, 'appId': self.app_id}
        body.update(extra)
        return self.api('POST', '/voice/sendSip', body)[1]

    def record(self, voice_id: str) -> Any:
        """Signed recordSip; returns ``data``."""
        return self.api('GET', '/voice/recordSip/%s' % voice_id)[1].get('data')

    # control API ---------------------------------------------------------------------------------
    def calls(self) -> Any:
        """Every accepted sendSip call, in order."""
        return self.control('GET', '/_emulator/calls')['calls']

    def reset(self) -> None:
        """Back to the scenario's initial state."""
        self.control('POST', '/_emulator/reset', {})

    def fault(self, **spec: Any) -> None:
        """Arm a fault, e.g. fault(endpoint='sendSip', kind='http_503', count=2, retry_after=1)."""
        self.control('POST', '/_emulator/faults', spec)

    def clear_faults(self) -> None:
        """Disarm every fault."""
        self.control('DELETE', '/_emulator/faults')

    def phone(self, account: str, **behaviour: Any) -> None:
        """Change (or create) a phone, e.g. phone('desk-x', behaviour='answer', ring_after=0.1)."""
        self.control('POST', '/_emulator/phones/%s' % account, behaviour)

    def balance(self, value: object) -> None:
        """Set the account balance (a decimal string or number)."""
        self.control('POST', '/_emulator/balance', {'balance': str(value)})

    def config(self, **options: Any) -> None:
        """Change run-time settings (see docs/emulator.md)."""
        self.control('POST', '/_emulator/config', options)

    def pushes(self) -> Any:
        """Every push attempted so far with its delivery result."""
        return self.control('GET', '/_emulator/pushes')['pushes']
