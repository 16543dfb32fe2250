# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's SIP side (off by default; ``--sip-port``): real SIP phones register with the application's
accounts and the platform's call leg rings them.

No SIP is parsed or written here. Kamailio (the Debian package) is the registrar and the proxy: it
authenticates REGISTER with digest against an in-memory table that this module fills over Kamailio's JSON-RPC
(Unix datagram socket) with every account and its current password, and it relays the platform's INVITE to the
phone's registered contact. The platform's user agent for each call is one SIPp (Debian ``sip-tester``)
process playing sip_files/platform_leg.xml. Kamailio writes one ``LAAFFIC-*`` line to its standard error per
event this module needs (a phone's 18x, 200 and final failure, a BYE, a registration accepted or refused),
with account names, Call-IDs and codes only; the Call-ID is the call's voiceId. This module keeps the
accounts in step, decides which phones are SIP phones, and turns those lines into the call's outcome.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import re
import secrets
import shutil
import signal
import socket
import tempfile
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from laaffic_emulator.envelope import Answer, fail

if TYPE_CHECKING:
    from laaffic_emulator.calls import Call
    from laaffic_emulator.core import Platform
    from laaffic_emulator.scenario import Phone

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'sip_files')
MODULE_DIRS = ('/usr/lib/x86_64-linux-gnu/kamailio/modules', '/usr/lib/aarch64-linux-gnu/kamailio/modules',
               '/usr/lib/kamailio/modules', '/usr/lib64/kamailio/modules', '/usr/local/lib64/kamailio/modules')
EVENT = re.compile(r'LAAFFIC-(CALL|BYE|REG) (.*)$')
INSTALL_HINT = 'apt-get install kamailio sip-tester (as root; devtools/ensure_sip.sh does it)'
# No answer at all (not even 100 Trying from the phone) within this many seconds: 408 from Kamailio.
NO_PROVISIONAL_MS = 5000
# SIPp's exit status for a fatal error (at start-up: a port taken between our pick and its bind): start the leg again
SIPP_FATAL = 254
LEG_ATTEMPTS = 3
# Each leg's media ports start at the next of these (step 4): SIPp's own default, 6000, and its scan upwards from there
# run out near 50 legs at once.
MEDIA_PORTS = (20000, 60000)


class SipUnavailable(RuntimeError):
    """Kamailio or SIPp is missing, or Kamailio did not start."""


class Pending(Answer):
    """An answer that needs the registrar first: the HTTP side awaits ``pending`` for the real answer."""

    __slots__ = ('pending',)

    def __init__(self, pending: Awaitable[Answer]) -> None:
        super().__init__()
        self.pending = pending


def free_port(host: str) -> int:
    """A port free for both UDP and TCP on ``host`` (Kamailio needs a number; 0 is not one)."""
    for _attempt in range(50):
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.bind((host, 0))
        port = tcp.getsockname()[1]
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            udp.bind((host, port))
        except OSError:
            continue
        finally:
            udp.close()
            tcp.close()
        return port
    raise SipUnavailable('no free SIP port on %s' % host)


def die_with_us() -> None:
    """Run in the child before exec: SIGTERM when the emulator ends, however it ends."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class SipSide:
    """Kamailio as registrar and proxy, SIPp as the platform's user agent, both on ``host``."""

    def __init__(self, platform: Platform, host: str = '127.0.0.1', port: int = 5060, children: int = 2) -> None:
        self.platform = platform
        self.host = host
        self.port = port
        self.children = children
        self.token = secrets.token_hex(16)
        self.rundir: Optional[str] = None
        self.proc: Optional[asyncio.subprocess.Process] = None
        self.reader: Optional[asyncio.Future[None]] = None
        self.rpc_sock: Optional[socket.socket] = None
        self.rpc_lock = asyncio.Lock()
        self.rpc_id = 0
        self.fed: dict[str, str] = {}            # account -> password Kamailio has
        self.created: set[str] = set()     # accounts sipAdd created: SIP phones only
        self.legs: dict[str, Call] = {}           # voiceId -> Call on the SIP leg
        self.media_next = MEDIA_PORTS[0]
        self.bye: dict[str, float] = {}            # voiceId -> time of the BYE
        self.registered_seen: dict[str, str] = {}   # account -> 'ok' / 'refused ...' (last REGISTER outcome, for the control API)
        self.tasks: set[asyncio.Future[Any]] = set()
        self.sync_lock = asyncio.Lock()

    # start and stop ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start Kamailio, wait for its RPC, feed every account."""
        kamailio = shutil.which('kamailio') or ('/usr/sbin/kamailio' if os.path.exists('/usr/sbin/kamailio') else None)
        self.sipp = shutil.which('sipp')
        mpath = next((path for path in MODULE_DIRS if os.path.exists(os.path.join(path, 'registrar.so'))), None)
        if kamailio is None or self.sipp is None or mpath is None:
            raise SipUnavailable('the SIP side needs Kamailio and SIPp: %s' % INSTALL_HINT)
        if not self.port:
            self.port = free_port(self.host)
        self.rundir = tempfile.mkdtemp(prefix='laaffic-sip-')
        with open(os.path.join(HERE, 'kamailio.cfg.in'), encoding='utf-8') as handle:
            # Kamailio's own first line; kept out of the template, whose '#!' ansible-test would take for a script's.
            text = '#!KAMAILIO\n' + handle.read()
        listen = 'listen=udp:%s:%d\nlisten=tcp:%s:%d' % (self.host, self.port, self.host, self.port)
        size = max(4, min(16, (len(self.platform.phones) + 1000).bit_length()))
        for key, value in (('@CHILDREN@', str(self.children)), ('@LISTEN@', listen), ('@MPATH@', mpath),
                           ('@RUNDIR@', self.rundir), ('@HTSIZE@', str(size)), ('@TOKEN@', self.token)):
            text = text.replace(key, value)
        cfg = os.path.join(self.rundir, 'kamailio.cfg')
        with open(os.open(cfg, os.O_WRONLY | os.O_CREAT, 0o600), 'w', encoding='utf-8') as handle:
            handle.write(text)
        self.proc = await asyncio.create_subprocess_exec(
            kamailio, '-DD', '-E', '-f', cfg, '-m', '64', '-M', '8', '-Y', self.rundir,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            preexec_fn=die_with_us)  # pylint: disable=subprocess-popen-preexec-fn
        self.reader = asyncio.ensure_future(self.read_events())
        self.rpc_sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.rpc_sock.bind(os.path.join(self.rundir, 'emulator.sock'))
        self.rpc_sock.setblocking(False)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.returncode is not None:
                raise SipUnavailable('Kamailio ended at start (exit %s): port %d taken?' % (self.proc.returncode, self.port))
            try:
                await self.rpc('core.version', timeout=0.3)
                break
            except (OSError, asyncio.TimeoutError):
                if time.monotonic() > deadline:
                    raise SipUnavailable('Kamailio did not answer its RPC within 10 s') from None
                await asyncio.sleep(0.05)
        await self.sync()

    async def stop(self) -> None:
        """Stop every SIPp leg and Kamailio; remove the run directory."""
        for task in list(self.tasks):
            task.cancel()
        if self.proc is not None and self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 3)
            except asyncio.TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        if self.reader is not None:
            self.reader.cancel()
        if self.rpc_sock is not None:
            self.rpc_sock.close()
        if self.rundir:
            shutil.rmtree(self.rundir, ignore_errors=True)

    # Kamailio's JSON-RPC -------------------------------------------------------------------------
    async def rpc(self, method: str, *params: Any, timeout: float = 5.0) -> Any:
        """One JSON-RPC call over the datagram socket; the result, or None for an error answer."""
        loop = asyncio.get_running_loop()
        async with self.rpc_lock:
            self.rpc_id += 1
            request = json.dumps({'jsonrpc': '2.0', 'method': method, 'params': list(params), 'id': self.rpc_id})
            # the socket and the run directory exist once start() is under way, before its first RPC
            await loop.sock_sendto(self.rpc_sock, request.encode('utf-8'), os.path.join(self.rundir, 'kamailio_rpc.sock'))  # type: ignore[arg-type]
            while True:
                data = await asyncio.wait_for(loop.sock_recv(self.rpc_sock, 1 << 20), timeout)  # type: ignore[arg-type]
                answer = json.loads(data)
                if answer.get('id') == self.rpc_id:
                    return answer.get('result') if 'error' not in answer else None

    async def sync(self) -> None:
        """Make Kamailio's account table the platform's: every account with its current password. An account
        whose password changed or that is gone loses its registrations (the phone must register again, and with
        the old password it cannot). One sync at a time: two interleaved ones could leave an older password."""
        async with self.sync_lock:
            await self._sync()

    async def _sync(self) -> None:
        phones = self.platform.phones
        for account in [account for account in self.fed if account not in phones]:
            await self.rpc('htable.delete', 'auth', account)
            await self.rpc('ul.rm', 'location', account)
            del self.fed[account]
        for account, phone in list(phones.items()):
            old = self.fed.get(account)
            if old == phone.password:
                continue
            await self.rpc('htable.sets', 'auth', account, phone.password)
            if old is not None:
                await self.rpc('ul.rm', 'location', account)
            self.fed[account] = phone.password

    def changed(self) -> asyncio.Future[Any]:
        """Accounts or passwords changed (sipAdd, sipReset, the control API, a reset): sync in the background."""
        task = asyncio.ensure_future(self.sync())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def after_sync(self, answer: Answer) -> Answer:
        """``answer`` once Kamailio holds the accounts as they are now, for sipAdd and sipReset: when the platform
        says it created a phone or gave it a new password, the phone registers with it at once and the old password
        no longer does. (Answered at once, the registrations sent right after a sipAdd of 1,000 phones were refused
        while the accounts were still on their way to Kamailio.)"""
        task = self.changed()

        async def settled() -> Answer:
            try:
                await asyncio.shield(task)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                # the platform acted all the same: answer, and say in the log that the registrar lags
                self.platform.log_line('sip: the registrar did not take the accounts: %s' % exc.__class__.__name__)
            return answer
        # a task, not a bare coroutine: a fault that lets the platform act and then answers for it (faults.py)
        # drops this answer, and the sync must still finish
        waiting = asyncio.ensure_future(settled())
        self.tasks.add(waiting)
        waiting.add_done_callback(self.tasks.discard)
        return Pending(waiting)

    async def registered(self, account: str) -> bool:
        """Does the registrar hold a live contact for ``account`` now?"""
        result = await self.rpc('ul.lookup', 'location', account)
        return bool(result)

    async def contacts(self, account: str) -> list[dict[str, Any]]:
        """The registrar's contacts of ``account`` (for the control API): [{'uri', 'expires'}]."""
        result = await self.rpc('ul.lookup', 'location', account)
        found: list[dict[str, Any]] = []
        for item in (result or {}).get('Contacts', []) if isinstance(result, dict) else []:
            contact = item.get('Contact', item)
            found.append({'uri': contact.get('Address'), 'expires': contact.get('Expires')})
        return found

    # which phones are SIP phones -----------------------------------------------------------------
    def handles(self, phone: Optional[Phone]) -> bool:
        """Phones created by sipAdd are SIP phones only; scenario and fleet phones are SIP phones while
        registered, scripted otherwise. Decided in send() once the registrar answered."""
        return phone is not None

    def send(self, phone: Phone, accept: Callable[[Optional[SipSide]], Answer]) -> Pending:
        """sendSip for ``phone`` once its parameters are valid: a Pending answer. ``accept(leg)`` prices and
        places the call (the platform's own checks); ``leg`` is this side or None for the scripted behaviour."""
        async def decide() -> Answer:
            try:
                live = await self.registered(phone.account)
            except (OSError, asyncio.TimeoutError):
                live = False
            if not live and phone.account not in self.created:
                return accept(None)       # a scenario phone, not registered: its scripted behaviour
            if not live or phone.current is not None:
                return fail('-68')        # no live registration, or in a call: not idle
            return accept(self)
        return Pending(decide())

    # the call leg ----------------------------------------------------------------------------------
    def place(self, call: Call) -> None:
        """Ring the phone for real: a SIPp user agent sends the INVITE through Kamailio."""
        self.legs[call.voice_id] = call
        task = asyncio.ensure_future(self.run_leg(call))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def next_media_port(self) -> int:
        port = self.media_next
        self.media_next = port + 4 if port + 4 < MEDIA_PORTS[1] else MEDIA_PORTS[0]
        return port

    async def run_leg(self, call: Call) -> None:
        params = call.phone.params
        scale = self.platform.settings['time_scale']
        ring_ms = max(1000, int(params.get('ring_timeout', 30) * scale * 1000))
        talk_ms = max(100, int(params.get('talk', 3) * scale * 1000))
        proc = None
        try:
            for attempt in range(1, LEG_ATTEMPTS + 1):
                # ports picked free just before; another process may take one first (SIPp then exits 254 at start-up)
                cmd = [self.sipp, '-sf', os.path.join(HERE, 'platform_leg.xml'), '%s:%d' % (self.host, self.port),
                       '-s', call.phone.account, '-i', self.host, '-mi', self.host, '-ci', self.host,
                       '-cp', str(free_port(self.host)), '-p', str(free_port(self.host)), '-mp', str(self.next_media_port()),
                       '-t', 'u1', '-m', '1', '-nostdin', '-cid_str', call.voice_id + '-%u@laaffic', '-d', str(talk_ms),
                       '-key', 'leg_token', self.token, '-key', 'ring_ms', str(ring_ms), '-key', 'voice_id', call.voice_id,
                       '-timeout', str(int(ring_ms / 1000 + NO_PROVISIONAL_MS / 1000 + talk_ms / 1000 + 30)) + 's',
                       '-timeout_error']
                # cmd[0], self.sipp, was found by start() (no SIPp, no SIP side)
                proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.DEVNULL,  # type: ignore[arg-type]
                                                            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
                                                            cwd=self.rundir, preexec_fn=die_with_us)  # pylint: disable=subprocess-popen-preexec-fn
                await proc.wait()
                heard = call.ring is not None or call.answer is not None or call.ended
                if proc.returncode != SIPP_FATAL or heard or attempt == LEG_ATTEMPTS:
                    break
                self.platform.log_line('sip: call %s: SIPp could not start (exit %d), attempt %d of %d'
                                       % (call.voice_id, proc.returncode, attempt, LEG_ATTEMPTS))
        except asyncio.CancelledError:
            if proc is not None and proc.returncode is None:
                proc.kill()
            raise
        finally:
            self.legs.pop(call.voice_id, None)
        if call.ended:
            return
        now = time.time()
        if call.outcome == 'answered':
            call.end = self.bye.pop(call.voice_id, now)
            self.platform.finish(call)
        else:
            # the user agent ended without a final answer from the phone: the platform's side failed
            # LEG_ATTEMPTS >= 1: the loop above started SIPp at least once
            self.platform.log_line('sip: call %s ended without a final answer (SIPp exit %s)' % (call.voice_id, proc.returncode))  # type: ignore[union-attr]
            self.end(call, '500', now)

    def end(self, call: Call, code: str, now: float) -> None:
        """A final failure from the phone (or Kamailio's 408 when the ring timeout passed)."""
        call.end = now
        call.sip_code = code
        if code == '486':
            call.outcome = 'rejected'
        elif code in ('480', '408', '487'):
            call.outcome = 'no_answer'
        else:
            call.outcome = 'failed'
        if call.ring is None and call.outcome == 'no_answer' and call.dial is not None:
            call.dial = min(call.dial, now)
        self.platform.finish(call)

    def event(self, kind: str, rest: str) -> None:
        """One LAAFFIC-* line from Kamailio."""
        now = time.time()
        if kind == 'REG':
            words = rest.split()
            if len(words) >= 2 and words[0] == 'ok':
                self.registered_seen[words[1]] = 'ok'
            elif len(words) >= 3 and words[0] == 'refused':
                self.registered_seen[words[1]] = 'refused: ' + words[2]
                self.platform.log_line('sip: REGISTER of %s refused (%s)' % (words[1], words[2]))
            return
        words = rest.split()
        if not words:
            return
        voice_id = words[0].partition('-')[0]
        call = self.legs.get(voice_id)
        if kind == 'BYE':
            self.bye.setdefault(voice_id, now)
            return
        if call is None or call.ended or len(words) < 2:
            return
        code = words[1]
        if code in ('180', '181', '182', '183'):
            if call.ring is None:
                call.ring = now
                settings = self.platform.settings
                if settings['push_ringing'] and (settings['push_url'] or settings['ringing_url']):
                    self.platform.pusher.ringing(call)
        elif code.startswith('2'):
            if call.answer is None:
                call.answer = now
                call.outcome = 'answered'
                call.sip_code = '200'
        elif call.outcome != 'answered':
            self.end(call, code, now)

    async def read_events(self) -> None:
        """Kamailio's standard error: LAAFFIC-* lines are events; its own errors go to the emulator's log."""
        # started by start() right after Kamailio, whose standard error is a pipe
        stream = self.proc.stderr  # type: ignore[union-attr]
        while True:
            line = await stream.readline()  # type: ignore[union-attr]
            if not line:
                return
            text = line.decode('utf-8', 'replace').rstrip()
            match = EVENT.search(text)
            if match:
                try:
                    self.event(match.group(1), match.group(2))
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    self.platform.log_line('sip: event %s: %s' % (match.group(1), type(exc).__name__))
            elif ' ERROR: ' in text or 'CRITICAL' in text:
                self.platform.log_line('kamailio: ' + text.strip()[-300:])
