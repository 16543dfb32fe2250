# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The receiver: its lifecycle (listen, serve, shut down after the requests in progress are answered) and the
answers to requests that aiohttp's parser refuses."""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import logging
import os
import signal
import sqlite3
import sys
from typing import IO, Optional

import aiohttp
from aiohttp import web
from aiohttp.http_exceptions import LineTooLong

from . import VERSION
from .app import Routes, json_body
from .config import LINGER_SECONDS, MAX_FIELD, MAX_HEADERS, MAX_LINE, RESERVED_FILES, ACCEPT_BATCH, SHUTDOWN_GRACE
from .connections import Connection, Connections, listen
from .logs import JsonLog, LibraryLog, Throttled
from .process import raise_open_files_limit, write_atomic
from .store import Store
from .times import iso_us, now_us


class Receiver:
    """One receiver process: the store, the connections and the application."""

    loop: asyncio.AbstractEventLoop
    stopped: asyncio.Event

    def __init__(self, cfg: argparse.Namespace, log: Optional[IO[str]] = None) -> None:
        self.cfg = cfg
        self.log = JsonLog(log or sys.stderr, (cfg.secret, cfg.token))
        self.library_log = LibraryLog(self.log)
        self.connections = Connections(cfg, self.log, self.protocol_error, lambda: list(self.library_log.throttles.values()))
        self.store = Store(cfg.db, siblings=lambda: len(self.connections))
        self.runner: Optional[web.AppRunner] = None
        self.port: Optional[int] = None
        self.open_files: Optional[int] = None

    @property
    def stopping(self) -> bool:
        """A shutdown has begun."""
        return self.connections.stopping

    async def run(self) -> None:
        """Listen, serve until SIGTERM or SIGINT, then shut down."""
        self.loop = asyncio.get_running_loop()
        self.stopped = asyncio.Event()
        self.open_files = raise_open_files_limit()
        max_connections = self.cfg.max_connections
        if self.open_files is not None:
            room = self.open_files - RESERVED_FILES - ACCEPT_BATCH
            if room < 8:
                raise OSError(errno.EMFILE, 'the open-files limit (%d) leaves no room for connections; raise it to at '
                                            'least %d' % (self.open_files, RESERVED_FILES + 8))
            max_connections = min(max_connections, room)
        self.connections.max_connections = max_connections
        for name in ('aiohttp', 'asyncio'):
            logger = logging.getLogger(name)
            logger.addHandler(self.library_log)
            logger.propagate = False
        self.runner = web.AppRunner(Routes(self).application(), handle_signals=False, access_log=None,
                                    shutdown_timeout=SHUTDOWN_GRACE)
        await self.runner.setup()
        server = self.runner.server
        assert server is not None
        # the request factory marks the request a connection owes an answer to (see Connection.eof_received)
        server.request_factory = self._make_request
        handler_kwargs = {
            'loop': self.loop, 'keepalive_timeout': self.cfg.idle_timeout, 'access_log': None,
            'max_line_size': MAX_LINE, 'max_field_size': MAX_FIELD, 'max_headers': MAX_HEADERS,
            'lingering_time': LINGER_SECONDS, 'auto_decompress': False,
        }
        self.store.start(self.loop)
        sockets = listen(self.cfg.host, self.cfg.port)
        self.port = sockets[0].getsockname()[1]
        self.connections.start(self.loop, server, handler_kwargs, sockets)
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.add_signal_handler(sig, self.begin_shutdown)
            except (NotImplementedError, RuntimeError):
                pass
        if self.cfg.port_file:
            write_atomic(self.cfg.port_file, '%d\n' % self.port)
        if self.cfg.pid_file:
            write_atomic(self.cfg.pid_file, '%d\n' % os.getpid())
        self.log(event='listening', host=self.cfg.host, port=self.port, db=self.store.path, pid=os.getpid(),
                 allow=[str(n) for n in self.cfg.allow], version=VERSION, aiohttp=aiohttp.__version__,
                 open_files=self.open_files, max_connections=max_connections, request_timeout=self.cfg.request_timeout,
                 idle_timeout=self.cfg.idle_timeout, max_body=self.cfg.max_body, trust_x_real_ip=self.cfg.trust_x_real_ip)
        await self.stopped.wait()
        await self._shutdown(server)

    def begin_shutdown(self) -> None:
        """SIGTERM or SIGINT: stop."""
        if not self.connections.stopping:
            self.connections.stopping = True
            self.log(event='shutdown', reason='signal')
            self.stopped.set()

    async def _shutdown(self, server: web.Server) -> None:
        self.connections.stop()
        # requests in progress finish (their reports are committed and acknowledged), then the store closes
        await server.shutdown(SHUTDOWN_GRACE)
        if self.runner is not None:
            await self.runner.cleanup()
        self.store.close()
        for path in (self.cfg.port_file, self.cfg.pid_file):
            if path:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        for throttle in self.connections.throttles():
            throttle.interval = 0
            throttle.flush()
        self.log(event='stopped', batches=self.store.batches)

    def _make_request(self, message: aiohttp.http.RawRequestMessage, payload: aiohttp.StreamReader,
                      protocol: web.RequestHandler, writer: aiohttp.abc.AbstractStreamWriter,
                      task: asyncio.Task[None]) -> web.Request:
        # client_max_size one above the limit: aiohttp before 3.10 refuses a body of exactly client_max_size
        request = web.Request(message, payload, protocol, writer, task, self.loop, client_max_size=self.cfg.max_body + 1)
        # aiohttp makes the request as it takes the message off its queue, before the handler's task runs: from
        # here until the answer, an EOF from the client must not close the transport (see eof_received)
        cast_protocol: Connection = protocol  # type: ignore[assignment]
        cast_protocol.pending_request = request
        return request

    def protocol_error(self, conn: Connection, request: web.BaseRequest, status: int,
                       exc: Optional[BaseException]) -> web.StreamResponse:
        """The answer to a request aiohttp's parser refused (or to a failure outside the handler): JSON, then close."""
        if isinstance(exc, LineTooLong):
            status, message = 431, 'request line larger than %d bytes or header field larger than %d bytes' % (MAX_LINE, MAX_FIELD)
        elif status == 400:
            message = 'malformed HTTP request (%s)' % type(exc).__name__
        else:
            message = 'internal error'
        self.log(method='-', path='-', status=status, bytes=0, req_bytes=0, ms=0.0, ip=conn.peer_ip,
                 error=type(exc).__name__ if exc is not None else None)
        conn.pending_request = None
        if request.writer.output_size > 0:
            raise ConnectionError('answer already started')
        response = web.Response(status=status, body=json_body({'error': message}), content_type='application/json')
        response.force_close()
        return response

    def throttles(self) -> list[Throttled]:
        """Every throttled log event."""
        return self.connections.throttles()


def serve(cfg: argparse.Namespace) -> int:
    """Run a receiver in the foreground until SIGTERM or SIGINT; the exit code."""
    try:
        receiver = Receiver(cfg)
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        sys.stderr.write(json.dumps({'ts': iso_us(now_us()), 'event': 'fatal', 'error': str(exc)}) + '\n')
        return 1
    try:
        asyncio.run(receiver.run())
    except OSError as exc:
        sys.stderr.write(json.dumps({'ts': iso_us(now_us()), 'event': 'fatal', 'error': str(exc)}) + '\n')
        return 1
    return 0
