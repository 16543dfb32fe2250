# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Push reports (voice status report, batch form, ringing notification), delivered asynchronously.

Everything runs as tasks on the server's event loop with aiohttp's client, so a slow or dead receiver never
blocks request serving. Every delivery is logged for GET /_emulator/pushes. A push URL's path and query are
the receiver's secret: shown_url() hides them wherever the URL is printed or served without being asked for.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional
from urllib.parse import urlsplit

import aiohttp

from laaffic_emulator.calls import utc8_text

if TYPE_CHECKING:
    from laaffic_emulator.calls import Call
    from laaffic_emulator.core import Platform

USER_AGENT = 'Java/1.8.0_232'
HEADERS = {'Content-Type': 'application/json;charset=UTF-8', 'User-Agent': USER_AGENT, 'Accept': '*/*'}
MAX_LOG = 10000
HIDDEN = '<hidden>'


def shown_url(url: Optional[str], secrets: bool = False) -> Optional[str]:
    """``url`` as printed or served: scheme, host and port only (no user info, path or query) unless ``secrets``."""
    if not url or secrets:
        return url
    parts = urlsplit(url)
    hidden = parts.path not in ('', '/') or parts.query or parts.fragment
    return '%s://%s/%s' % (parts.scheme, parts.netloc.rpartition('@')[2], HIDDEN if hidden else '')


def attempt_error(exc: BaseException) -> str:
    """What a failed attempt is logged as: the kind of failure, never the URL (its path is a secret)."""
    if isinstance(exc, asyncio.TimeoutError):
        return 'TimeoutError: no answer within the push timeout'
    if isinstance(exc, aiohttp.ClientResponseError):
        return '%s: %s %s' % (type(exc).__name__, exc.status, exc.message)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return '%s: %s' % (type(exc).__name__, exc.os_error.strerror or type(exc.os_error).__name__)
    return '%s: %s' % (type(exc).__name__, str(exc).split(' url=', 1)[0][:200])


class Pusher:
    """Builds and delivers pushes according to the platform's current settings."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.log: list[dict[str, Any]] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.timers: set[asyncio.TimerHandle] = set()
        self.batch: list[dict[str, Any]] = []
        self.batch_timer: Optional[asyncio.TimerHandle] = None
        self.held: list[dict[str, Any]] = []
        self.held_timer: Optional[asyncio.TimerHandle] = None
        self.next_id = 0
        self.session: Optional[aiohttp.ClientSession] = None

    @property
    def settings(self) -> dict[str, Any]:
        """The platform's live settings dict."""
        return self.platform.settings

    async def close(self) -> None:
        """Cancel everything pending and close the HTTP client (at shutdown)."""
        self.reset()
        if self.session is not None:
            await self.session.close()
            self.session = None

    def reset(self) -> None:
        """Forget the log and cancel anything not yet delivered."""
        for task in list(self.tasks):
            task.cancel()
        for timer in list(self.timers):
            timer.cancel()
        self.tasks.clear()
        self.timers.clear()
        self.log = []
        self.batch = []
        self.held = []
        self.batch_timer = None
        self.held_timer = None

    # public entry points -----------------------------------------------------------------------
    def ringing(self, call: Call) -> None:
        """The phone started ringing: send the ringing notification (a bare JSON array)."""
        url = self.settings['ringing_url'] or self.settings['push_url']
        if not url or not self.settings['push_ringing']:
            return
        event = {
            'callId': call.voice_id,
            'type': 3,
            'taskId': None,
            'called': call.callee,
            'calledInfo': call.called_info,
            'seatGroupName': call.phone.group,
            'sipAccount': call.phone.account,
            'noAnswerSipList': [],
            'callinEventTime': utc8_text(call.ring),  # type: ignore[arg-type]  # called once the phone rings: ring is set
        }
        self._send('ringing', url, [event], [call.voice_id])

    def report(self, call: Call) -> None:
        """The call ended: queue its voice status report."""
        if not self.settings['push_url']:
            return
        report = call.push_report(self.platform)
        late = self.settings['push_late']
        if late > 0:
            self._later(late, self._route, report)
        else:
            self._route(report)

    # routing: out-of-order holding, batching, duplicates ------------------------------------------
    def _route(self, report: dict[str, Any]) -> None:
        if self.settings['push_out_of_order']:
            self.held.append(report)
            if len(self.held) >= 2:
                self._release_held()
            elif self.held_timer is None:
                self.held_timer = self._later(self.settings['push_out_of_order_window'], self._release_held)
            return
        self._emit(report)

    def _cancel(self, timer: Optional[asyncio.TimerHandle]) -> None:
        """Cancel a pending timer (if any) and forget it."""
        if timer is not None:
            timer.cancel()
            self.timers.discard(timer)

    def _release_held(self) -> None:
        self._cancel(self.held_timer)
        self.held_timer = None
        held, self.held = self.held, []
        # newest first; staggered so the receiver really sees them in that order
        for number, report in enumerate(reversed(held)):
            if number == 0:
                self._emit(report)
            else:
                self._later(0.05 * number, self._emit, report)

    def _emit(self, report: dict[str, Any]) -> None:
        if self.settings['push_format'] == 'batch':
            self.batch.append(report)
            if len(self.batch) >= self.settings['push_batch_size']:
                self._flush_batch()
            elif self.batch_timer is None:
                self.batch_timer = self._later(self.settings['push_batch_interval'], self._flush_batch)
            return
        self._deliver_report(report, [report['voiceId']])

    def _flush_batch(self) -> None:
        self._cancel(self.batch_timer)
        self.batch_timer = None
        batch, self.batch = self.batch, []
        if batch:
            self._deliver_report({'array': batch}, [item['voiceId'] for item in batch])

    def _deliver_report(self, payload: dict[str, Any], voice_ids: list[str]) -> None:
        url = self.settings['push_url']
        if not url:
            return
        kind = 'batch' if 'array' in payload else 'report'
        self._send(kind, url, payload, voice_ids)
        for copy in range(self.settings['push_duplicates']):
            delay = self.settings['push_duplicate_delay'] * (copy + 1)
            self._later(delay, self._send, kind, url, payload, voice_ids, True)

    # delivery ----------------------------------------------------------------------------------
    def _later(self, delay: float, func: Callable[..., None], *args: Any) -> asyncio.TimerHandle:
        loop = self.platform.loop
        holder: list[asyncio.TimerHandle] = []

        def fire() -> None:
            self.timers.discard(holder[0])
            func(*args)
        handle = loop.call_later(delay, fire)
        holder.append(handle)
        self.timers.add(handle)
        return handle

    def _send(self, kind: str, url: str, payload: Any, voice_ids: Iterable[str], duplicate: bool = False) -> None:
        self.next_id += 1
        entry = {'id': self.next_id, 'kind': kind, 'url': url, 'voiceIds': list(voice_ids), 'duplicate': duplicate,
                 'created': time.time(), 'body': payload, 'attempts': [], 'delivered': False, 'done': False}
        self.log.append(entry)
        if len(self.log) > MAX_LOG:
            del self.log[:len(self.log) - MAX_LOG]
        body = json.dumps(payload, separators=(',', ':')).encode('utf-8')
        task = self.platform.loop.create_task(self._deliver(entry, url, body))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _post(self, url: str, body: bytes) -> int:
        """POST ``body`` (bytes) once; return the HTTP status. One connection per push, no redirects followed."""
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True), headers=HEADERS,
                                                 skip_auto_headers=('Accept-Encoding',))
        timeout = aiohttp.ClientTimeout(total=self.settings['push_timeout'])
        async with self.session.post(url, data=body, timeout=timeout, allow_redirects=False) as resp:
            return resp.status

    async def _deliver(self, entry: dict[str, Any], url: str, body: bytes) -> None:
        attempts = self.settings['push_attempts']
        for number in range(1, attempts + 1):
            started = time.time()
            result: dict[str, Any] = {'attempt': number, 'time': started}
            try:
                status: Optional[int] = await self._post(url, body)
                result['http_status'] = status
            except (OSError, asyncio.TimeoutError, aiohttp.ClientError, ValueError) as exc:
                result['error'] = attempt_error(exc)
                status = None
            entry['attempts'].append(result)
            self.platform.log_line('PUSH %s %s attempt %d -> %s' % (entry['kind'], ','.join(entry['voiceIds'][:3]), number,
                                                                    status if status is not None else result['error']))
            if status == 200:
                entry['delivered'] = True
                break
            if number < attempts:
                await asyncio.sleep(self.settings['push_retry_interval'])
        entry['done'] = True
