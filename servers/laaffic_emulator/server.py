# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's HTTP side on aiohttp: every request goes to ``Platform.handle`` and its ``Answer`` becomes
the HTTP answer. aiohttp parses and writes HTTP (keep-alive, pipelining, chunked bodies,
``Expect: 100-continue``, HEAD without a body, 400 for malformed framing); the faults that are not HTTP
answers reach the transport: a TCP RST (SO_LINGER 0, then abort), half a body then close, or bytes that are
not HTTP then close."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
from typing import TYPE_CHECKING, Optional, TextIO

from aiohttp import HttpVersion11, web

if TYPE_CHECKING:
    from multidict import MultiMapping

    from laaffic_emulator.core import Platform
    from laaffic_emulator.envelope import Answer

MAX_BODY = 4 * 1024 * 1024
# Not an HTTP answer at all: what a broken middlebox might send back (the `garbage` fault).
NOT_HTTP = b'\x15\x03\x01\x00\x02\x02\x16 upstream connection error\r\n\r\n'
CRASH_BODY = b'{"status":500,"error":"Internal Server Error"}'
UNKNOWN_CODING = b'{"status":501,"error":"Not Implemented","message":"only Transfer-Encoding: chunked is supported"}'


class Incoming:
    """One request as the platform sees it (read completely; the body as bytes)."""

    __slots__ = ('method', 'path', 'headers', 'body', '_request')

    def __init__(self, request: web.BaseRequest, body: bytes) -> None:
        self._request = request
        self.method = request.method
        self.path = request.path
        self.headers = request.headers
        self.body = body

    @property
    def peer(self) -> str:
        """The client's address ('' when the connection is already gone); looked up only when needed."""
        transport = self._request.transport
        peer = transport.get_extra_info('peername') if transport is not None else None
        return peer[0] if peer else ''

    @property
    def query(self) -> MultiMapping[str]:
        """The query string's parameters (parsed only when asked for)."""
        return self._request.query


class OneLine(logging.Formatter):
    """aiohttp's own log records (a request it could not parse, say) as one line: the message and the kind of
    error, never the traceback or the error's text, which may quote the offending bytes (a Sign header, say)."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            status = getattr(exc, 'code', None) or getattr(exc, 'status', None)
            text += ': %s%s' % (type(exc).__name__, ' (HTTP %s)' % status if status else '')
        return text


def route_aiohttp_logs(stream: TextIO, quiet: bool) -> None:
    """Send aiohttp's log records to ``stream`` as single lines (nothing when ``quiet``)."""
    logger = logging.getLogger('aiohttp')
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream) if not quiet else logging.NullHandler()
    handler.setFormatter(OneLine())
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def reset(transport: Optional[asyncio.Transport]) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0) and discard anything unread."""
    if transport is None:
        return
    sock = transport.get_extra_info('socket')
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        except OSError:
            pass
    transport.abort()


def make_app(platform: Platform) -> web.Application:
    """The aiohttp application: every route goes to one handler; the platform routes by itself (Spring-style
    404/405)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        codings = request.headers.getall('Transfer-Encoding', ())
        if codings and (len(codings) != 1 or codings[0].strip(' \t').lower() != 'chunked'):
            return unknown_coding(request, started)
        # over client_max_size: aiohttp answers 413
        req = Incoming(request, await request.read() if request.can_read_body else b'')
        try:
            answer = platform.handle(req)
            if getattr(answer, 'pending', None) is not None:  # the SIP side asks its registrar first (sip.py)
                outer = answer
                answer = await outer.pending  # type: ignore[attr-defined]  # a sip.Pending, found by the getattr above
                # a fault that let the platform act spoils the answer it gets back (faults.py): keep what it set
                answer.reset, answer.partial, answer.garbage = answer.reset or outer.reset, answer.partial or outer.partial, \
                    answer.garbage or outer.garbage
                answer.delay += outer.delay
                if outer.lstatus and 'fault:' in outer.lstatus:
                    answer.lstatus = '%s %s' % (answer.lstatus, outer.lstatus[outer.lstatus.index('fault:'):])
        except Exception as exc:  # pylint: disable=broad-exception-caught
            platform.log_error(req, exc)
            return web.Response(status=500, body=CRASH_BODY, content_type='application/json')
        if answer.delay > 0:
            await asyncio.sleep(answer.delay)
        if answer.reset or answer.garbage:
            return drop(request, req, answer, started)
        headers = {'Content-Type': answer.content_type}
        if request.keep_alive and request.version == HttpVersion11:
            headers['Connection'] = 'keep-alive'
        if answer.headers:
            headers.update(answer.headers)
        # logged before writing, so whoever sees the answer can also see its log line
        platform.log_request(req, answer.status, answer.lstatus, started)
        if not answer.partial:
            return web.Response(status=answer.status, body=answer.body, headers=headers)
        # the headers promise the whole body; half of it comes, then the connection closes
        resp = web.StreamResponse(status=answer.status, headers=headers)
        resp.content_length = len(answer.body)
        await resp.prepare(request)
        await resp.write(answer.body[:len(answer.body) // 2])
        if request.transport is not None:
            request.transport.close()
        return resp

    def unknown_coding(request: web.Request, started: float) -> web.Response:
        """A Transfer-Encoding other than exactly ``chunked`` (``gzip, chunked``, ``identity``, two headers): 501,
        the body unread and the request not processed, and the connection closed, since where the next request
        starts is not known (RFC 9112, 6.1)."""
        platform.log_request(Incoming(request, b''), 501, 'transfer-encoding', started)
        resp = web.Response(status=501, body=UNKNOWN_CODING, content_type='application/json')
        resp.force_close()
        return resp

    def drop(request: web.Request, req: Incoming, answer: Answer, started: float) -> web.Response:
        """The reset and garbage faults: no HTTP answer at all."""
        platform.log_request(req, 'RST' if answer.reset else 'garbage', answer.lstatus, started)
        transport = request.transport
        if answer.reset:
            reset(transport)
        elif transport is not None:
            transport.write(NOT_HTTP)
            transport.close()
        # aiohttp finds the connection gone when it writes this and drops it quietly
        return web.Response(status=204)

    app = web.Application(client_max_size=MAX_BODY)
    # the LAAFFIC paths as exact routes (a dictionary look-up for aiohttp), everything else through the catch-all
    for path in platform.exact_paths():
        app.router.add_route('*', path, handle)
    app.router.add_route('*', '/{tail:.*}', handle)
    return app


async def start(platform: Platform, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving; return (runner, bound port). ``runner.cleanup()`` stops it."""
    route_aiohttp_logs(platform.stream, platform.quiet)
    runner = web.AppRunner(make_app(platform), access_log=None, shutdown_timeout=0.3, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024, reuse_address=True)
    await site.start()
    return runner, runner.addresses[0][1]
