# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connections: the one low-level part. aiohttp's protocol serves each connection; this module accepts them itself
so that it can bound them: at most ``max_connections`` (and what the open-files limit allows; over the cap the
connection idle the longest makes room, or the new one is closed at once when every connection has a request in
progress), a deadline for a request's headers (``request_timeout``) and the idle keep-alive timeout. It also keeps
a half-closed client's answer (``eof_received``)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import socket
from typing import Any, Callable, Optional, Union

from aiohttp import web

from .config import ACCEPT_BATCH, LISTEN_BACKLOG
from .logs import JsonLog, Throttled

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
# connection phases: accepted, between requests, receiving a request's headers, in the handler receiving the
# body, in the handler after it (storing, answering)
CONNECTING, IDLE, READING, BODY, HANDLING = 'connecting', 'idle', 'reading', 'body', 'handling'
ProtocolError = Callable[['Connection', web.BaseRequest, int, Optional[BaseException]], web.StreamResponse]


def normalize_ip(text: str) -> Optional[IPAddress]:
    """An address (an IPv4-mapped IPv6 address as IPv4, a zone removed), or None for text that is none."""
    try:
        ip = ipaddress.ip_address(text.split('%', 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class Connection(web.RequestHandler):
    """aiohttp's HTTP/1.1 protocol for one connection, plus what the receiver needs to bound it: its phase
    (idle between requests, reading a request, or handling one) since when, and JSON answers to requests
    that aiohttp's parser refuses."""

    def __init__(self, pool: Connections, manager: web.Server, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self.pool = pool
        self.phase = CONNECTING
        self.since = pool.loop.time()
        self.peer_ip = ''
        self.peer: Optional[IPAddress] = None
        self.pending_request: Optional[web.BaseRequest] = None  # taken off aiohttp's queue and not yet answered
        self.half_closed = False  # the client has half-closed: after the answers owed, the connection closes

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info('peername')
        self.peer_ip = peer[0] if peer else ''
        self.peer = normalize_ip(self.peer_ip)
        self.phase = IDLE
        self.since = self.pool.loop.time()
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.phase == IDLE and data:
            self.phase = READING
            self.since = self.pool.loop.time()
        super().data_received(data)

    # asyncio's protocol contract: True keeps the transport open (aiohttp annotates its own as returning None)
    def eof_received(self) -> Optional[bool]:  # type: ignore[override]
        """The client half-closed its side (shutdown(SHUT_WR)), maybe right after a complete request.

        aiohttp's protocol answers None here, and asyncio then closes the transport: the request being handled
        (its push already stored) loses its answer. Keep the transport open for writing while an answer is
        owed: a request taken off aiohttp's queue (``pending_request``, set by the request factory) and not yet
        answered, or complete requests still queued; the connection closes after the last of those answers.
        A body cut short by the EOF fails its read (400). Otherwise (idle, or a request's head cut short)
        nothing is owed and the connection closes at once."""
        self.half_closed = True
        request = self.pending_request
        if request is not None:
            if not request.content.is_eof():
                request.content.set_exception(ConnectionResetError('the client closed its side before the body was complete'))
            return True
        if self.queued():
            return True
        return None

    def queued(self) -> bool:
        """Complete requests parsed and not yet handled (aiohttp's queue of parsed messages, private)."""
        return bool(getattr(self, '_messages', None))

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self.pool.forget(self)
        self.pending_request = None
        super().connection_lost(exc)

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: Optional[BaseException] = None,
                     message: Optional[str] = None) -> web.StreamResponse:
        del message  # may quote the request (and a secret in it): never logged, never echoed
        return self.pool.protocol_error(self, request, status, exc)


class Connections:
    """The open connections (least recently active first), the accept loop, the cap and the deadlines."""

    loop: asyncio.AbstractEventLoop
    manager: web.Server

    def __init__(self, cfg: argparse.Namespace, log: JsonLog, protocol_error: ProtocolError,
                 more_throttles: Callable[[], list[Throttled]]) -> None:
        self.cfg = cfg
        self.protocol_error = protocol_error
        self.more_throttles = more_throttles
        self.open: dict[Connection, None] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.sockets: list[socket.socket] = []
        self.max_connections: int = cfg.max_connections
        self.stopping = False
        self.sweep_handle: Optional[asyncio.TimerHandle] = None
        self.handler_kwargs: dict[str, Any] = {}
        self.accept_errors = Throttled(log, 'accept_error')
        self.refused = Throttled(log, 'connections_refused')
        self.evicted = Throttled(log, 'connections_evicted')
        self.timeouts = Throttled(log, 'request_timeouts')

    def __len__(self) -> int:
        return len(self.open)

    def start(self, loop: asyncio.AbstractEventLoop, manager: web.Server, handler_kwargs: dict[str, Any],
              sockets: list[socket.socket]) -> None:
        """Accept connections on ``sockets``, each served by aiohttp's protocol with ``handler_kwargs``."""
        self.loop = loop
        self.manager = manager
        self.handler_kwargs = handler_kwargs
        self.sockets = sockets
        for sock in sockets:
            loop.add_reader(sock.fileno(), self.accept, sock)
        self.sweep()

    def stop(self) -> None:
        """Stop accepting; close the connections that have nothing stored or acknowledged yet."""
        self.stopping = True
        for sock in self.sockets:
            self.loop.remove_reader(sock.fileno())
            sock.close()
        if self.sweep_handle is not None:
            self.sweep_handle.cancel()
        for conn in list(self.open):
            if conn.phase in (IDLE, READING, BODY):
                self.close(conn)

    def throttles(self) -> list[Throttled]:
        """Every throttled log event (this module's and the receiver's others)."""
        return [self.accept_errors, self.refused, self.evicted, self.timeouts] + self.more_throttles()

    def accept(self, sock: socket.socket) -> None:
        """Accept what the listening socket holds; over the cap, make room or close the new connection at once."""
        for _unused in range(ACCEPT_BATCH):
            try:
                conn_sock, _addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.accept_errors.hit(error=errno.errorcode.get(exc.errno or 0, str(exc.errno)))
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # out of files or memory: free one connection and pause accepting for a moment
                    self.evict()
                    self.loop.remove_reader(sock.fileno())
                    self.loop.call_later(0.1, self._resume_accept, sock)
                return
            if self.stopping:
                conn_sock.close()
                continue
            if len(self.open) >= self.max_connections and not self.evict():
                conn_sock.close()
                self.refused.hit(max_connections=self.max_connections)
                continue
            conn_sock.setblocking(False)
            conn = Connection(self, self.manager, **self.handler_kwargs)
            self.open[conn] = None
            task = self.loop.create_task(self._connect(conn, conn_sock))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def _resume_accept(self, sock: socket.socket) -> None:
        if not self.stopping and sock.fileno() >= 0:
            self.loop.add_reader(sock.fileno(), self.accept, sock)

    async def _connect(self, conn: Connection, conn_sock: socket.socket) -> None:
        try:
            await self.loop.connect_accepted_socket(lambda: conn, conn_sock)
        except Exception as exc:  # pylint: disable=broad-except
            self.open.pop(conn, None)
            conn_sock.close()
            self.accept_errors.hit(error=type(exc).__name__)

    def evict(self) -> bool:
        """Close the connection idle the longest (else the one reading a request the longest); False if every
        connection has a request in progress."""
        victim = None
        for conn in self.open:
            if conn.phase == IDLE:
                victim = conn
                break
            if conn.phase == READING and victim is None:
                victim = conn
        if victim is None:
            return False
        self.close(victim)
        self.evicted.hit(max_connections=self.max_connections)
        return True

    def close(self, conn: Connection) -> None:
        """Close ``conn`` now."""
        self.open.pop(conn, None)
        conn.force_close()

    def forget(self, conn: Connection) -> None:
        """``conn`` is closed."""
        self.open.pop(conn, None)

    def sweep(self) -> None:
        """Close connections idle longer than idle_timeout or reading one request longer than request_timeout."""
        now = self.loop.time()
        idle_limit = now - self.cfg.idle_timeout
        read_limit = now - self.cfg.request_timeout
        for conn in [c for c in self.open if c.phase in (IDLE, READING)]:
            if conn.phase == IDLE and conn.since < idle_limit:
                self.close(conn)
            elif conn.phase == READING and conn.since < read_limit:
                self.close(conn)
                self.timeouts.hit(phase='headers', request_timeout=self.cfg.request_timeout)
        for throttle in self.throttles():
            throttle.flush()
        interval = max(0.05, min(1.0, self.cfg.request_timeout / 4, self.cfg.idle_timeout / 4))
        self.sweep_handle = self.loop.call_later(interval, self.sweep)

    def begin(self, conn: Connection) -> None:
        """A request of ``conn`` reaches its handler (a pipelined one: its deadline starts now)."""
        if conn.phase != READING:
            conn.since = self.loop.time()
        conn.phase = HANDLING

    def done(self, conn: Connection) -> None:
        """A request of ``conn`` is answered: it is idle again, and the most recently active connection."""
        conn.phase = IDLE
        conn.since = self.loop.time()
        if self.open.pop(conn, True) is None:
            self.open[conn] = None


def listen(host: str, port: int) -> list[socket.socket]:
    """Bound, listening, non-blocking sockets for every address of ``host`` (all of them for an empty host)."""
    infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    seen: set[tuple[Any, Any]] = set()
    try:
        for family, kind, proto, _name, address in infos:
            if (family, address) in seen:
                continue
            seen.add((family, address))
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            bind_to: Any = address
            if port == 0 and len(sockets) > 1:
                bind_to = (address[0], sockets[0].getsockname()[1]) + tuple(address[2:])
            sock.bind(bind_to)
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets
