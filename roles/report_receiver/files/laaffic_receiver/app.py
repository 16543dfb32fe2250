# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HTTP: aiohttp's ``Application`` routes the requests; its middleware answers every request with JSON and logs
it, checks the source of a push (allowed addresses, trusted proxies) and the bearer token of the read API; the
handlers validate and store. Routes:

* ``POST /push/<secret>`` -> ``{"status":"0"}`` once the push is committed;
* ``GET|HEAD /reports/<voiceId>`` and ``GET|HEAD /reports?since=&calledInfo=&calledInfoPrefix=&limit=&after=``;
* ``GET|HEAD /healthz``; any other method on these paths -> 405, any other path -> 404.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, cast
from urllib.parse import parse_qsl, unquote

import aiohttp
from aiohttp import web
from aiohttp.web_urldispatcher import _default_expect_handler
from multidict import CIMultiDictProxy

from .config import DEFAULT_LIMIT, MAX_LIMIT, Network
from .connections import BODY, HANDLING, Connection, IPAddress, normalize_ip
from .errors import BadRequest, HttpError
from .push import parse_push
from .times import parse_since, parse_unsigned

if TYPE_CHECKING:
    from .server import Receiver

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ACK_BODY = b'{"status":"0"}'
JSON_HEADERS = {'Content-Type': 'application/json'}
HEALTHY_BODY = b'{"ok":true}'
PUSH_PREFIX = '/push/'
# the request's keys set by the middleware: the client's address (None: a trusted proxy named an invalid one)
CLIENT_IP = 'client_ip'


def json_body(obj: Any) -> bytes:
    """``obj`` as compact ASCII JSON."""
    return json.dumps(obj, ensure_ascii=True, separators=(',', ':'), allow_nan=False).encode('ascii')


def single_header(headers: CIMultiDictProxy[str], name: str) -> str:
    """The value of a header that may appear at most once ('' when absent); two or more are refused with 400, since
    which one counts would be a guess (a proxy may have checked the other)."""
    values = headers.getall(name, ())
    if len(values) > 1:
        raise HttpError(400, 'more than one %s header' % name, close=True)
    return values[0] if values else ''


def check_framing(headers: CIMultiDictProxy[str]) -> None:
    """A request's body framing: Transfer-Encoding is absent or exactly one header field ``chunked`` (any letter
    case). Anything else (``gzip, chunked``, ``chunked, gzip``, ``identity``) gets 501, since no other coding is
    implemented and ignoring one would store bytes the client did not mean; a second Transfer-Encoding field
    gets 400, and so do two Content-Length fields, even when equal. aiohttp's parser refuses most of these
    itself (400), not all of them in every version. The answer closes the connection: nothing of the body is
    read or stored."""
    single_header(headers, 'Content-Length')
    coding = single_header(headers, 'Transfer-Encoding')
    if coding and coding.strip().lower() != 'chunked':
        raise HttpError(501, 'Transfer-Encoding must be exactly chunked (no other transfer coding is implemented)', close=True)


def in_networks(ip: IPAddress, nets: tuple[Network, ...]) -> bool:
    """``ip`` is in one of ``nets``."""
    return any(ip.version == net.version and ip in net for net in nets)


def client_ip(cfg: argparse.Namespace, conn: Connection, headers: CIMultiDictProxy[str]) -> tuple[Optional[IPAddress], str]:
    """The pushing client's address (or None when a trusted proxy names an invalid one) and its log text."""
    ip, peer_ip = conn.peer, conn.peer_ip
    if not cfg.trusted_proxies or ip is None or not in_networks(ip, cfg.trusted_proxies):
        return ip, peer_ip
    if cfg.trust_x_real_ip:
        real = headers.get('X-Real-IP')
        if real is None:
            return ip, peer_ip
        real_ip = normalize_ip(real.strip())
        return (real_ip, str(real_ip)) if real_ip is not None else (None, real.strip()[:64])
    hops = [h.strip() for value in headers.getall('X-Forwarded-For', ()) for h in value.split(',') if h.strip()]
    for hop in reversed(hops):
        hop_ip = normalize_ip(hop)
        if hop_ip is None:
            return None, hop[:64]
        if not in_networks(hop_ip, cfg.trusted_proxies):
            return hop_ip, str(hop_ip)
    return ip, peer_ip


def _path(request: web.BaseRequest) -> str:
    return request.raw_path.partition('?')[0]


class Routes:
    """The application: its middleware and its handlers, on the receiver's configuration, store and log."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.cfg = receiver.cfg
        self.log = receiver.log
        self.pool = receiver.connections
        self.store = receiver.store
        self.secret_b = self.cfg.secret.encode('ascii')
        self.token_b = self.cfg.token.encode('ascii')

    def application(self) -> web.Application:
        """The ``web.Application``: middleware outermost first, then the routes (each path's other methods -> 405)."""
        # client_max_size one above the limit: aiohttp before 3.10 refuses a body of exactly client_max_size
        app = web.Application(middlewares=[self.answer, self.sources, self.auth], client_max_size=self.cfg.max_body + 1)
        router = app.router
        push = router.add_route('POST', PUSH_PREFIX + '{secret}', self.push, expect_handler=self.expect_push)
        push.resource.add_route('*', self.use_post, expect_handler=self.no_expect)  # type: ignore[union-attr]
        for path, handler in (('/healthz', self.health), ('/reports', self.query), ('/reports/{voice_id:.+}', self.report)):
            route = router.add_get(path, handler, expect_handler=self.no_expect)
            route.resource.add_route('*', self.use_get, expect_handler=self.no_expect)  # type: ignore[union-attr]
        router.add_route('*', '/{tail:.*}', self.not_found, expect_handler=self.no_expect)
        return app

    # -- middleware
    @web.middleware
    async def answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every answer: JSON (errors as ``{"error": ...}``), the connection closed after a fatal error, one access
        log line (the push secret redacted), the connection's phase for the deadlines."""
        conn = cast(Connection, request.protocol)
        self.pool.begin(conn)
        started = time.monotonic()
        target = request.raw_path
        method = request.method
        ip, ip_text = client_ip(self.cfg, conn, request.headers)
        request[CLIENT_IP] = ip
        close = False
        try:
            if request.version not in ((1, 1), (1, 0)):
                raise HttpError(505, 'only HTTP/1.0 and HTTP/1.1', close=True)
            check_framing(request.headers)
            if not target.startswith('/'):  # absolute-form (a proxy request), ``*``, ``host:port``: not ours
                raise HttpError(404, 'not found')
            response = await handler(request)
        except HttpError as exc:
            response, close = self.error(exc.status, exc.message), exc.close
        except web.HTTPException as exc:  # the router's own answers (a target that is not a path)
            response = self.error(exc.status, 'not found' if exc.status == 404 else exc.reason)
        except Exception as exc:  # pylint: disable=broad-except
            self.log(event='error', error=self.log.redact_text(repr(exc))[:300])
            response, close = self.error(500, 'internal error'), True
        conn.pending_request = None
        if close or self.pool.stopping or (conn.half_closed and not conn.queued()):
            response.force_close()
        body = cast(web.Response, response).body
        size = len(body) if isinstance(body, bytes) else 0
        self.log.access(method[:16], self.log.redact(target), response.status, size, request.get('req_bytes', 0),
                        (time.monotonic() - started) * 1000, ip_text)
        self.pool.done(conn)
        return response

    @staticmethod
    def error(status: int, message: str) -> web.Response:
        """An error answer with its JSON body."""
        return web.Response(status=status, body=json_body({'error': message}), headers=JSON_HEADERS)

    def push_allowed(self, request: web.BaseRequest, ip: Optional[IPAddress]) -> None:
        """The source checks of a push: an allowed address (403), the right secret in the path (404)."""
        if self.cfg.allow and (ip is None or not in_networks(ip, self.cfg.allow)):
            raise HttpError(403, 'source address not allowed')
        if not hmac.compare_digest(_path(request)[len(PUSH_PREFIX):].encode('utf-8', 'replace'), self.secret_b):
            raise HttpError(404, 'not found')

    @web.middleware
    async def sources(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Under /push/: the source address and the secret, before the method or the body are looked at."""
        if _path(request).startswith(PUSH_PREFIX):
            self.push_allowed(request, request[CLIENT_IP])
        return await handler(request)

    @web.middleware
    async def auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Under /reports: the bearer token (a wrong method is answered 405 by its route first)."""
        path = _path(request)
        if (path == '/reports' or path.startswith('/reports/')) and request.method in ('GET', 'HEAD'):
            scheme, _sep, given = single_header(request.headers, 'Authorization').partition(' ')
            if scheme.lower() != 'bearer' or not hmac.compare_digest(given.strip().encode('utf-8', 'replace'), self.token_b):
                raise HttpError(401, 'missing or wrong bearer token')
        return await handler(request)

    # -- Expect: 100-continue (the router calls these before the middleware)
    async def expect_push(self, request: web.Request) -> None:
        """The interim 100 (aiohttp's own expect handler) for a push whose source checks pass; nothing else here:
        the middleware refuses a push from elsewhere and the handler answers 417 to another expectation."""
        expect = request.headers.get('Expect', '')
        if request.version != (1, 1) or expect.strip().lower() != '100-continue':
            return
        try:
            check_framing(request.headers)
            self.push_allowed(request, client_ip(self.cfg, cast(Connection, request.protocol), request.headers)[0])
        except HttpError:
            return
        await _default_expect_handler(request)

    @staticmethod
    async def no_expect(request: web.Request) -> None:
        """No interim answer: these routes read no body."""
        del request

    # -- handlers
    @staticmethod
    async def use_post(request: web.Request) -> web.StreamResponse:
        """Any method but POST on a push path."""
        raise HttpError(405, 'use POST')

    @staticmethod
    async def use_get(request: web.Request) -> web.StreamResponse:
        """Any method but GET and HEAD on the read API."""
        raise HttpError(405, 'use GET')

    @staticmethod
    async def not_found(request: web.Request) -> web.StreamResponse:
        """Any other path."""
        raise HttpError(404, 'not found')

    async def push(self, request: web.Request) -> web.StreamResponse:
        """Store a push and acknowledge it once committed."""
        expect = request.headers.get('Expect')
        if expect is not None and request.version == (1, 1) and expect.strip().lower() != '100-continue':
            raise HttpError(417, 'unsupported Expect (only 100-continue)', close=True)
        body = await self.read_body(request)
        request['req_bytes'] = len(body)
        try:
            items = parse_push(body)
        except BadRequest as exc:
            raise HttpError(400, str(exc))
        if items:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self.store.submit(items, future)
            try:
                await future
            except Exception as exc:  # pylint: disable=broad-except
                self.log(event='store_error', error=repr(exc)[:300])
                raise HttpError(503, 'report not stored, retry later')
        return web.Response(body=ACK_BODY, headers=JSON_HEADERS)

    async def read_body(self, request: web.Request) -> bytes:
        """The request body within the request deadline and the size limit."""
        conn = cast(Connection, request.protocol)
        length = request.content_length
        if length is not None and length > self.cfg.max_body:
            raise HttpError(413, 'body larger than %d bytes' % self.cfg.max_body, close=True)
        try:
            if request.content.is_eof():
                body = await request.read()
            else:
                conn.phase = BODY
                remaining = conn.since + self.cfg.request_timeout - self.pool.loop.time()
                body = await asyncio.wait_for(request.read(), max(remaining, 0.001))
                conn.phase = HANDLING
        except asyncio.TimeoutError:
            self.pool.timeouts.hit(phase='body', request_timeout=self.cfg.request_timeout)
            raise HttpError(408, 'request not received within %g s' % self.cfg.request_timeout, close=True)
        except web.HTTPRequestEntityTooLarge:
            raise HttpError(413, 'body larger than %d bytes' % self.cfg.max_body, close=True)
        except (ConnectionError, aiohttp.ClientError, aiohttp.http_exceptions.HttpProcessingError):
            raise HttpError(400, 'malformed or incomplete request body', close=True)
        if len(body) > self.cfg.max_body:
            raise HttpError(413, 'body larger than %d bytes' % self.cfg.max_body, close=True)
        return body

    async def health(self, request: web.Request) -> web.StreamResponse:
        """200 while the store commits and the receiver runs, else 503."""
        del request
        if self.store.failing or self.pool.stopping:
            return web.Response(status=503, body=json_body({'ok': False}), headers=JSON_HEADERS)
        return web.Response(body=HEALTHY_BODY, headers=JSON_HEADERS)

    async def report(self, request: web.Request) -> web.StreamResponse:
        """One call by voiceId (taken from the raw path, percent-decoded as UTF-8)."""
        try:
            voice_id = unquote(_path(request)[len('/reports/'):], errors='strict')
        except UnicodeDecodeError:
            raise HttpError(400, 'the voiceId in the path is not UTF-8 text')
        if not voice_id:
            raise HttpError(404, 'not found')
        call = await self.pool.loop.run_in_executor(self.store.read_pool, self.store.get, voice_id)
        if call is None:
            raise HttpError(404, 'unknown voiceId')
        return web.Response(body=json_body(call), headers=JSON_HEADERS)

    async def query(self, request: web.Request) -> web.StreamResponse:
        """A page of calls by update sequence, with the filters of the query string."""
        try:
            pairs = parse_qsl(request.raw_path.partition('?')[2], keep_blank_values=True, strict_parsing=False,
                              errors='strict', max_num_fields=64)
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, 'bad query string (at most 64 fields of UTF-8 text)')
        params = dict(pairs)
        try:
            since = parse_since(params['since']) if params.get('since') else None
            limit = parse_unsigned(params['limit'], 'limit') if params.get('limit') else DEFAULT_LIMIT
            after = parse_unsigned(params['after'], 'after') if params.get('after') else 0
        except BadRequest as exc:
            raise HttpError(400, str(exc))
        if limit < 1:
            raise HttpError(400, 'limit must be >= 1')
        limit = min(limit, MAX_LIMIT)
        called = params.get('calledInfo')
        prefix = params.get('calledInfoPrefix') or None
        result = await self.pool.loop.run_in_executor(self.store.read_pool, self.store.query, after, since, called, prefix, limit)
        return web.Response(body=json_body(result), headers=JSON_HEADERS)
