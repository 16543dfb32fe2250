# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""LAAFFIC voice status report receiver (Python standard library only, Python >= 3.9).

LAAFFIC pushes voice status reports (one JSON object with ``voiceId``), their batch form
(``{"array": [...]}``) and ringing notifications (a bare JSON array of events with ``callId``)
to an HTTP address, unsigned. This service accepts them at ``POST /push/<secret>``, stores them
durably in SQLite (WAL, synchronous=FULL) and answers HTTP 200 only once the transaction holding
the report has been committed. A single writer thread does group commit: all reports pending at
that moment go into one transaction and one fsync, then every request of the batch is answered.

Read API (``Authorization: Bearer <token>``):

* ``GET /reports/<voiceId>`` -> one call object, 404 when unknown.
* ``GET /reports?since=&calledInfo=&calledInfoPrefix=&limit=&after=`` -> ``{"reports": [...], "next": cursor|null}``
  ordered by update sequence (``seq``); ``after`` takes the ``next`` cursor or any ``seq`` value.
* ``GET /healthz`` -> ``{"ok": true}`` (no authentication).

Run ``python3 laaffic_receiver.py --help`` for the configuration (flags, RECEIVER_* environment
variables, ``--config`` file).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import hmac
import ipaddress
import json
import os
import queue
import re
import signal
import sqlite3
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl, unquote

VERSION = '1.0.0'
MAX_BODY = 1024 * 1024
MAX_HEAD = 64 * 1024
MAX_BATCH_REQUESTS = 4096
IDLE_TIMEOUT = 75.0
BODY_TIMEOUT = 30.0
SHUTDOWN_GRACE = 25.0
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000

SECRET_RE = re.compile(r'^[A-Za-z0-9._~-]{16,256}$')
TOKEN_RE = re.compile(r'^[\x21-\x7e]{16,512}$')
VOICE_ID_RE = re.compile(r'^[^\x00-\x1f\x7f/?#]{1,128}$')
UTC = datetime.timezone.utc
UTC8 = datetime.timezone(datetime.timedelta(hours=8))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)

REASONS = {
    100: 'Continue', 200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
    405: 'Method Not Allowed', 408: 'Request Timeout', 413: 'Content Too Large', 431: 'Request Header Fields Too Large',
    500: 'Internal Server Error', 501: 'Not Implemented', 503: 'Service Unavailable', 505: 'HTTP Version Not Supported',
}

# name: (environment variable, default)
OPTIONS = {
    'host': ('RECEIVER_HOST', '127.0.0.1'),
    'port': ('RECEIVER_PORT', '8098'),
    'secret': ('RECEIVER_SECRET', None),
    'token': ('RECEIVER_TOKEN', None),
    'db': ('RECEIVER_DB', 'reports.db'),
    'allow': ('RECEIVER_ALLOW', ''),
    'trusted_proxies': ('RECEIVER_TRUSTED_PROXIES', ''),
    'port_file': ('RECEIVER_PORT_FILE', None),
    'pid_file': ('RECEIVER_PID_FILE', None),
    'log_file': ('RECEIVER_LOG_FILE', None),
}


class ConfigError(Exception):
    """Invalid configuration."""


class BadRequest(Exception):
    """The push body is not JSON or does not have an accepted shape."""


# ---------------------------------------------------------------------------------------------
# configuration


def read_config_file(path):
    """Read a JSON object or ``key = value`` lines; keys may be ``port`` or ``RECEIVER_PORT`` style."""
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError('cannot read config file %s: %s' % (path, exc.strerror))
    values = {}
    if text.lstrip().startswith('{'):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError('config file %s is not valid JSON: %s' % (path, exc))
        if not isinstance(data, dict):
            raise ConfigError('config file %s must hold a JSON object' % path)
        items = data.items()
    else:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            key, sep, value = line.partition('=')
            if not sep:
                raise ConfigError('config file %s line %d: expected key=value' % (path, number))
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
                value = value[1:-1]
            items.append((key.strip(), value))
    for key, value in items:
        name = key.lower()
        if name.startswith('receiver_'):
            name = name[len('receiver_'):]
        name = name.replace('-', '_')
        if name not in OPTIONS:
            raise ConfigError('config file %s: unknown key %r' % (path, key))
        if isinstance(value, list):
            value = ','.join(str(v) for v in value)
        elif value is not None and not isinstance(value, str):
            value = str(value)
        values[name] = value
    return values


def parse_networks(text, what):
    nets = []
    for part in (text or '').replace(' ', ',').split(','):
        part = part.strip()
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError('%s: %r is not an IP network (CIDR)' % (what, part))
    return tuple(nets)


def build_config(args, environ=None):
    """defaults < environment < --config file < command line flags."""
    environ = os.environ if environ is None else environ
    values = {}
    for name, (env, default) in OPTIONS.items():
        values[name] = environ.get(env, default)
    if args.config:
        values.update(read_config_file(args.config))
    for name in OPTIONS:
        flag = getattr(args, name, None)
        if flag is not None:
            values[name] = flag
    cfg = argparse.Namespace(**values)
    try:
        cfg.port = int(str(cfg.port).strip())
    except ValueError:
        raise ConfigError('port must be an integer, got %r' % (cfg.port,))
    if not 0 <= cfg.port <= 65535:
        raise ConfigError('port must be in 0..65535')
    cfg.allow = parse_networks(cfg.allow, 'allow list')
    cfg.trusted_proxies = parse_networks(cfg.trusted_proxies, 'trusted proxies')
    if not cfg.db:
        raise ConfigError('db path is empty')
    for name in ('db', 'port_file', 'pid_file', 'log_file'):
        if getattr(cfg, name):
            setattr(cfg, name, os.path.abspath(getattr(cfg, name)))
    return cfg


def check_secrets(cfg):
    if not cfg.secret:
        raise ConfigError('a push secret is required (--secret, RECEIVER_SECRET or "secret" in the config file)')
    if not SECRET_RE.fullmatch(cfg.secret):
        raise ConfigError('the push secret must be 16-256 characters from A-Z a-z 0-9 . _ ~ -')
    if not cfg.token:
        raise ConfigError('a read token is required (--token, RECEIVER_TOKEN or "token" in the config file)')
    if not TOKEN_RE.fullmatch(cfg.token):
        raise ConfigError('the read token must be 16-512 printable ASCII characters without spaces')


# ---------------------------------------------------------------------------------------------
# time helpers


def now_us():
    return time.time_ns() // 1000


def iso_us(micros):
    return (EPOCH + datetime.timedelta(microseconds=micros)).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def parse_since(text):
    """ISO-8601 (naive means UTC) or epoch seconds -> epoch microseconds."""
    text = text.strip().replace(' ', '+')
    try:
        return int(round(float(text) * 1000000))
    except ValueError:
        pass
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest('since must be ISO-8601 or epoch seconds')
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def ringing_time_iso(value):
    """callinEventTime is 'yyyy-MM-dd HH:mm:ss' in UTC+8; epoch (s or ms) numbers are accepted too."""
    when = None
    if isinstance(value, str):
        try:
            when = datetime.datetime.strptime(value.strip(), '%Y-%m-%d %H:%M:%S').replace(tzinfo=UTC8)
        except ValueError:
            try:
                when = datetime.datetime.fromisoformat(value.strip().replace('Z', '+00:00'))
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC8)
            except ValueError:
                when = None
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1e14:
        when = datetime.datetime.fromtimestamp(value / 1000.0 if value > 1e11 else value, UTC)
    if when is None:
        return None
    return when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


# ---------------------------------------------------------------------------------------------
# push body validation -> items for the writer


def _ident(value, what):
    if isinstance(value, bool) or value is None:
        raise BadRequest('%s must be a string or an integer' % what)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not VOICE_ID_RE.fullmatch(value):
        raise BadRequest('%s must be 1-128 printable characters' % what)
    _encodable(value, what)
    return value


def _encodable(value, what):
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        raise BadRequest('%s is not valid Unicode' % what)


def _opt_text(value, what):
    if value is None:
        return None
    if not isinstance(value, str):
        value = json.dumps(value, sort_keys=True)
    _encodable(value, what)
    return value


def _canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=True)


def _digest(obj):
    return hashlib.sha256(_canonical(obj).encode('ascii')).hexdigest()


def _report_item(obj):
    voice_id = _ident(obj.get('voiceId'), 'voiceId')
    called = _opt_text(obj.get('calledInfo'), 'calledInfo')
    text = json.dumps(obj, ensure_ascii=True, separators=(',', ':'))
    return ('report', voice_id, called, text, _digest(obj))


def _ringing_item(obj, received_us):
    call_id = _ident(obj.get('callId'), 'callId')
    kind = obj.get('type')
    if str(kind).strip() == '3':
        account = _opt_text(obj.get('sipAccount'), 'sipAccount')
        called = _opt_text(obj.get('calledInfo'), 'calledInfo')
        when = ringing_time_iso(obj.get('callinEventTime'))
        if when is None:
            when = iso_us(received_us)[:19] + 'Z'
        return ('ring', call_id, called, account, when, _digest(obj))
    text = json.dumps(obj, ensure_ascii=True, separators=(',', ':'))
    return ('event', call_id, _opt_text(kind, 'type'), text, _digest(obj))


def _reject_constant(name):
    raise ValueError('invalid JSON constant %s' % name)


def parse_push(body):
    """Return the list of writer items for a push body, or raise BadRequest."""
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest('body is not JSON')
    received = now_us()
    if isinstance(data, dict):
        if 'voiceId' in data:
            return [_report_item(data)]
        if 'array' in data:
            batch = data['array']
            if not isinstance(batch, list):
                raise BadRequest('"array" must be a list of reports')
            items = []
            for entry in batch:
                if not isinstance(entry, dict):
                    raise BadRequest('"array" entries must be objects')
                items.append(_report_item(entry))
            return items
        if 'callId' in data:
            return [_ringing_item(data, received)]
        raise BadRequest('object without voiceId, array or callId')
    if isinstance(data, list):
        items = []
        for entry in data:
            if not isinstance(entry, dict):
                raise BadRequest('array entries must be objects')
            if 'callId' in entry:
                items.append(_ringing_item(entry, received))
            elif 'voiceId' in entry:
                items.append(_report_item(entry))
            else:
                raise BadRequest('array entry without callId or voiceId')
        return items
    raise BadRequest('body must be a JSON object or array')


# ---------------------------------------------------------------------------------------------
# storage

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    voice_id TEXT PRIMARY KEY,
    called_info TEXT,
    account TEXT,
    ringing INTEGER NOT NULL DEFAULT 0,
    ringing_time TEXT,
    ringing_hash TEXT,
    final INTEGER NOT NULL DEFAULT 0,
    report TEXT,
    report_hash TEXT,
    first_seen INTEGER NOT NULL,
    updated INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS calls_seq ON calls (seq);
CREATE INDEX IF NOT EXISTS calls_called_info ON calls (called_info, seq);
CREATE TABLE IF NOT EXISTS events (
    hash TEXT PRIMARY KEY,
    call_id TEXT NOT NULL,
    type TEXT,
    event TEXT NOT NULL,
    received INTEGER NOT NULL
);
"""

COLUMNS = 'voice_id, called_info, account, ringing, ringing_time, final, report, first_seen, updated, seq'


def connect(path):
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    mode = db.execute('PRAGMA journal_mode=WAL').fetchone()[0]
    if str(mode).lower() != 'wal':
        raise RuntimeError('cannot switch %s to WAL mode (got %s)' % (path, mode))
    db.execute('PRAGMA synchronous=FULL')
    db.execute('PRAGMA busy_timeout=30000')
    return db


def row_to_call(row):
    return {
        'voiceId': row[0],
        'calledInfo': row[1],
        'account': row[2],
        'ringing': bool(row[3]),
        'ringingTime': row[4],
        'final': bool(row[5]),
        'report': json.loads(row[6]) if row[6] else None,
        'firstSeen': iso_us(row[7]),
        'updated': iso_us(row[8]),
        'seq': row[9],
    }


class Store:
    """One writer thread with group commit; reads go through a separate connection."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        directory = os.path.dirname(self.path)
        os.makedirs(directory, exist_ok=True)
        self.db = connect(self.path)
        self.db.executescript(SCHEMA)
        self.seq = self.db.execute('SELECT COALESCE(MAX(seq), 0) FROM calls').fetchone()[0]
        # make the creation of the database and WAL files themselves durable
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        self.queue = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name='receiver-writer', daemon=True)
        self.reader = None
        self.read_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix='receiver-reader')
        self.failed = None
        self.batches = 0

    def start(self):
        self.thread.start()

    def submit(self, items, future, loop):
        self.queue.put((items, future, loop))

    def close(self):
        self.queue.put(None)
        self.thread.join()
        self.read_pool.shutdown(wait=True)
        if self.reader is not None:
            self.reader.close()
        try:
            self.db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        except sqlite3.Error:
            pass
        self.db.close()

    # -- writer thread
    def _run(self):
        stop = False
        while not stop:
            first = self.queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < MAX_BATCH_REQUESTS:
                try:
                    nxt = self.queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is None:
                    stop = True
                    break
                batch.append(nxt)
            self._commit(batch)

    def _commit(self, batch):
        db = self.db
        stamp = now_us()
        results = []
        try:
            db.execute('BEGIN IMMEDIATE')
            for items, _future, _loop in batch:
                db.execute('SAVEPOINT push')
                try:
                    changed = 0
                    for item in items:
                        changed += self._apply(item, stamp)
                    db.execute('RELEASE push')
                    results.append(changed)
                except Exception as exc:  # pylint: disable=broad-except
                    db.execute('ROLLBACK TO push')
                    db.execute('RELEASE push')
                    results.append(exc)
            db.execute('COMMIT')
            self.failed = None
            self.batches += 1
        except Exception as exc:  # pylint: disable=broad-except
            try:
                db.execute('ROLLBACK')
            except sqlite3.Error:
                pass
            self.failed = exc
            results = [exc] * len(batch)
            try:
                self.seq = db.execute('SELECT COALESCE(MAX(seq), 0) FROM calls').fetchone()[0]
            except sqlite3.Error:
                pass
        by_loop = {}
        for (_items, future, loop), result in zip(batch, results):
            by_loop.setdefault(loop, []).append((future, result))
        for loop, pairs in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve, pairs)
            except RuntimeError:  # loop closed
                pass

    def _next_seq(self):
        self.seq += 1
        return self.seq

    def _apply(self, item, stamp):
        db = self.db
        kind = item[0]
        if kind == 'report':
            _kind, voice_id, called, text, digest = item
            row = db.execute('SELECT report_hash FROM calls WHERE voice_id = ?', (voice_id,)).fetchone()
            if row is None:
                db.execute('INSERT INTO calls (voice_id, called_info, ringing, final, report, report_hash, first_seen, updated, seq) '
                           'VALUES (?, ?, 0, 1, ?, ?, ?, ?, ?)', (voice_id, called, text, digest, stamp, stamp, self._next_seq()))
                return 1
            if row[0] == digest:
                return 0
            db.execute('UPDATE calls SET final = 1, report = ?, report_hash = ?, called_info = COALESCE(?, called_info), '
                       'updated = ?, seq = ? WHERE voice_id = ?', (text, digest, called, stamp, self._next_seq(), voice_id))
            return 1
        if kind == 'ring':
            _kind, voice_id, called, account, when, digest = item
            row = db.execute('SELECT ringing_hash FROM calls WHERE voice_id = ?', (voice_id,)).fetchone()
            if row is None:
                db.execute('INSERT INTO calls (voice_id, called_info, account, ringing, ringing_time, ringing_hash, final, '
                           'first_seen, updated, seq) VALUES (?, ?, ?, 1, ?, ?, 0, ?, ?, ?)',
                           (voice_id, called, account, when, digest, stamp, stamp, self._next_seq()))
                return 1
            if row[0] == digest:
                return 0
            db.execute('UPDATE calls SET ringing = 1, account = COALESCE(?, account), ringing_time = ?, ringing_hash = ?, '
                       'called_info = COALESCE(called_info, ?), updated = ?, seq = ? WHERE voice_id = ?',
                       (account, when, digest, called, stamp, self._next_seq(), voice_id))
            return 1
        _kind, call_id, event_type, text, digest = item
        cur = db.execute('INSERT OR IGNORE INTO events (hash, call_id, type, event, received) VALUES (?, ?, ?, ?, ?)',
                         (digest, call_id, event_type, text, stamp))
        return cur.rowcount

    # -- reads (run in the reader thread)
    def _reader(self):
        if self.reader is None:
            self.reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self.reader.execute('PRAGMA busy_timeout=30000')
        return self.reader

    def get(self, voice_id):
        row = self._reader().execute('SELECT %s FROM calls WHERE voice_id = ?' % COLUMNS, (voice_id,)).fetchone()
        return None if row is None else row_to_call(row)

    def query(self, after, since, called, prefix, limit):
        sql = ['SELECT %s FROM calls WHERE seq > ?' % COLUMNS]
        params = [after]
        if since is not None:
            sql.append('AND updated >= ?')
            params.append(since)
        if called is not None:
            sql.append('AND called_info = ?')
            params.append(called)
        if prefix is not None:
            sql.append('AND substr(called_info, 1, ?) = ?')
            params.extend([len(prefix), prefix])
        sql.append('ORDER BY seq LIMIT ?')
        params.append(limit + 1)
        rows = self._reader().execute(' '.join(sql), params).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        reports = [row_to_call(r) for r in rows]
        return {'reports': reports, 'next': str(rows[-1][9]) if more else None}


def _resolve(pairs):
    for future, result in pairs:
        if not future.done():
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)


# ---------------------------------------------------------------------------------------------
# HTTP server


class HttpError(Exception):
    def __init__(self, status, message, close=False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close


def _json_body(obj):
    return json.dumps(obj, ensure_ascii=True, separators=(',', ':')).encode('ascii')


ACK_BODY = b'{"status":"0"}'


class Receiver:
    def __init__(self, cfg, log=None):
        self.cfg = cfg
        self.log_stream = log or sys.stderr
        self.secret_b = cfg.secret.encode('ascii')
        self.token_b = cfg.token.encode('ascii')
        self.push_prefix = '/push/'
        self.store = Store(cfg.db)
        self.server = None
        self.loop = None
        self.stopping = False
        self.connections = {}
        self.stopped = None
        self.port = None

    # -- logging
    def log(self, **record):
        record = dict({'ts': iso_us(now_us())}, **record)
        try:
            self.log_stream.write(json.dumps(record, ensure_ascii=True, separators=(',', ':')) + '\n')
        except (OSError, ValueError):
            pass

    def redact(self, target):
        path = target.split('?', 1)[0]
        if path == '/push' or path.startswith('/push/'):
            return '/push/<redacted>'
        target = target[:512]
        for value in (self.cfg.secret, self.cfg.token):
            target = target.replace(value, '<redacted>')
        return target

    # -- lifecycle
    async def run(self):
        self.loop = asyncio.get_running_loop()
        self.stopped = asyncio.Event()
        self.store.start()
        self.server = await asyncio.start_server(self.handle, self.cfg.host, self.cfg.port, limit=MAX_HEAD,
                                                 reuse_address=True, backlog=1024)
        self.port = self.server.sockets[0].getsockname()[1]
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.add_signal_handler(sig, self.begin_shutdown)
            except (NotImplementedError, RuntimeError):
                pass
        if self.cfg.port_file:
            _write_atomic(self.cfg.port_file, '%d\n' % self.port)
        if self.cfg.pid_file:
            _write_atomic(self.cfg.pid_file, '%d\n' % os.getpid())
        self.log(event='listening', host=self.cfg.host, port=self.port, db=self.store.path, pid=os.getpid(),
                 allow=[str(n) for n in self.cfg.allow], version=VERSION)
        await self.stopped.wait()
        await self._shutdown()

    def begin_shutdown(self):
        if not self.stopping:
            self.stopping = True
            self.log(event='shutdown', reason='signal')
            self.stopped.set()

    async def _shutdown(self):
        self.server.close()
        for task, busy in list(self.connections.items()):
            if not busy:
                task.cancel()
        busy = [t for t in self.connections if not t.done()]
        if busy:
            await asyncio.wait(busy, timeout=SHUTDOWN_GRACE)
        await self.loop.run_in_executor(None, self.store.close)
        for path in (self.cfg.port_file, self.cfg.pid_file):
            if path:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        self.log(event='stopped', batches=self.store.batches)

    # -- connections
    async def handle(self, reader, writer):
        task = asyncio.current_task()
        if self.stopping:
            writer.close()
            return
        self.connections[task] = False
        peer = writer.get_extra_info('peername')
        peer_ip = peer[0] if peer else ''
        try:
            while not self.stopping:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b'\r\n\r\n'), IDLE_TIMEOUT)
                except asyncio.LimitOverrunError:
                    self.connections[task] = True
                    self.respond(writer, 431, _json_body({'error': 'request head too large'}), False)
                    self.log(method='-', path='-', status=431, bytes=0, ms=0.0, ip=peer_ip)
                    break
                except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
                    break
                self.connections[task] = True
                keep = await self.request(head, reader, writer, peer_ip)
                await writer.drain()
                self.connections[task] = False
                if not keep:
                    break
        except asyncio.CancelledError:
            pass
        except (ConnectionError, OSError):
            pass
        except Exception as exc:  # pylint: disable=broad-except
            self.log(event='error', error=repr(exc)[:300])
        finally:
            self.connections.pop(task, None)
            try:
                writer.close()
            except (OSError, RuntimeError):
                pass

    def respond(self, writer, status, body, keep, extra=''):
        head = 'HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%sConnection: %s\r\n\r\n' % (
            status, REASONS.get(status, 'Unknown'), len(body), extra, 'keep-alive' if keep else 'close')
        writer.write(head.encode('ascii') + body)

    def client_ip(self, peer_ip, headers):
        ip = _normalize_ip(peer_ip)
        if not self.cfg.trusted_proxies or ip is None or not _in(ip, self.cfg.trusted_proxies):
            return ip, peer_ip
        forwarded = headers.get('x-forwarded-for', '')
        hops = [h.strip() for h in forwarded.split(',') if h.strip()]
        for hop in reversed(hops):
            hop_ip = _normalize_ip(hop)
            if hop_ip is None:
                return None, hop[:64]
            if not _in(hop_ip, self.cfg.trusted_proxies):
                return hop_ip, str(hop_ip)
        real = _normalize_ip(headers.get('x-real-ip', '').strip())
        if real is not None:
            return real, str(real)
        return ip, peer_ip

    async def request(self, head, reader, writer, peer_ip):
        """Handle one request; returns True to keep the connection open."""
        started = time.monotonic()
        method, target, status, req_bytes = '-', '-', 500, 0
        body_out = b''
        keep = False
        ip_text = peer_ip
        try:
            method, target, version, headers = _parse_head(head)
            keep = _keep_alive(version, headers)
            ip, ip_text = self.client_ip(peer_ip, headers)
            route = self.route(method, target, ip)
            length, chunked = _body_framing(headers)
            has_body = chunked or length > 0
            if isinstance(route, HttpError):
                if has_body:
                    keep = False
                raise route
            if length > MAX_BODY:
                raise HttpError(413, 'body larger than %d bytes' % MAX_BODY, close=True)
            if has_body and headers.get('expect', '').lower() == '100-continue':
                writer.write(b'HTTP/1.1 100 Continue\r\n\r\n')
            if chunked:
                body = await asyncio.wait_for(_read_chunked(reader), BODY_TIMEOUT)
            elif length:
                body = await asyncio.wait_for(reader.readexactly(length), BODY_TIMEOUT)
            else:
                body = b''
            req_bytes = len(body)
            status, body_out = await route(body, headers, target)
        except HttpError as exc:
            status, body_out = exc.status, _json_body({'error': exc.message})
            if exc.close:
                keep = False
        except asyncio.TimeoutError:
            status, body_out, keep = 408, _json_body({'error': 'timeout reading the body'}), False
        except asyncio.IncompleteReadError:
            self.log(method=method[:16], path=self.redact(target), status=0, bytes=0, req_bytes=0,
                     ms=round((time.monotonic() - started) * 1000, 3), ip=ip_text, error='client closed')
            return False
        if self.stopping:
            keep = False
        self.respond(writer, status, body_out, keep)
        self.log(method=method[:16], path=self.redact(target), status=status, bytes=len(body_out), req_bytes=req_bytes,
                 ms=round((time.monotonic() - started) * 1000, 3), ip=ip_text)
        if status == 413:
            await _linger(reader, writer)
        return keep

    def route(self, method, target, ip):
        path = target.partition('?')[0]
        if path.startswith(self.push_prefix):
            if self.cfg.allow and (ip is None or not _in(ip, self.cfg.allow)):
                return HttpError(403, 'source address not allowed')
            if not hmac.compare_digest(path[len(self.push_prefix):].encode('utf-8', 'replace'), self.secret_b):
                return HttpError(404, 'not found')
            if method != 'POST':
                return HttpError(405, 'use POST')
            return self.do_push
        if path == '/healthz':
            if method != 'GET':
                return HttpError(405, 'use GET')
            return self.do_health
        if path == '/reports' or path.startswith('/reports/'):
            if method != 'GET':
                return HttpError(405, 'use GET')
            return self.do_reports
        return HttpError(404, 'not found')

    async def do_health(self, body, headers, target):
        del body, headers, target
        if not self.store.thread.is_alive() or self.stopping:
            return 503, _json_body({'ok': False})
        return 200, b'{"ok":true}'

    async def do_push(self, body, headers, target):
        del headers, target
        try:
            items = parse_push(body)
        except BadRequest as exc:
            raise HttpError(400, str(exc))
        if not items:
            return 200, ACK_BODY
        future = self.loop.create_future()
        self.store.submit(items, future, self.loop)
        try:
            await future
        except Exception as exc:  # pylint: disable=broad-except
            self.log(event='store_error', error=repr(exc)[:300])
            raise HttpError(503, 'report not stored, retry later')
        return 200, ACK_BODY

    async def do_reports(self, body, headers, target):
        del body
        auth = headers.get('authorization', '')
        scheme, _sep, given = auth.partition(' ')
        if scheme.lower() != 'bearer' or not hmac.compare_digest(given.strip().encode('utf-8', 'replace'), self.token_b):
            raise HttpError(401, 'missing or wrong bearer token')
        path, _sep, query = target.partition('?')
        if path.startswith('/reports/'):
            voice_id = _unquote(path[len('/reports/'):])
            if not voice_id:
                raise HttpError(404, 'not found')
            call = await self.loop.run_in_executor(self.store.read_pool, self.store.get, voice_id)
            if call is None:
                raise HttpError(404, 'unknown voiceId')
            return 200, _json_body(call)
        params = {}
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False, errors='strict')
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, 'bad query string')
        for key, value in pairs:
            params[key] = value
        try:
            since = parse_since(params['since']) if params.get('since') else None
        except BadRequest as exc:
            raise HttpError(400, str(exc))
        try:
            limit = int(params.get('limit') or DEFAULT_LIMIT)
            after = int(params.get('after') or 0)
        except ValueError:
            raise HttpError(400, 'limit and after must be integers')
        if limit < 1:
            raise HttpError(400, 'limit must be >= 1')
        limit = min(limit, MAX_LIMIT)
        called = params.get('calledInfo')
        prefix = params.get('calledInfoPrefix') or None
        result = await self.loop.run_in_executor(self.store.read_pool, self.store.query, after, since, called, prefix, limit)
        return 200, _json_body(result)


def _unquote(text):
    return unquote(text, errors='strict')


def _normalize_ip(text):
    try:
        ip = ipaddress.ip_address(text.split('%', 1)[0])
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _in(ip, nets):
    return any(ip.version == net.version and ip in net for net in nets)


def _parse_head(head):
    head = head.lstrip(b'\r\n')
    lines = head[:-4].split(b'\r\n') if head.endswith(b'\r\n\r\n') else head.split(b'\r\n')
    try:
        request_line = lines[0].decode('ascii')
    except UnicodeDecodeError:
        raise HttpError(400, 'bad request line', close=True)
    parts = request_line.split(' ')
    if len(parts) != 3 or not parts[0].isalpha() or not parts[1].startswith('/'):
        raise HttpError(400, 'bad request line', close=True)
    method, target, version = parts
    if version not in ('HTTP/1.1', 'HTTP/1.0'):
        raise HttpError(505, 'only HTTP/1.0 and HTTP/1.1', close=True)
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        if line[:1] in (b' ', b'\t'):
            raise HttpError(400, 'obsolete header folding', close=True)
        name, sep, value = line.partition(b':')
        if not sep or not name or name != name.strip():
            raise HttpError(400, 'bad header line', close=True)
        key = name.decode('latin-1').lower()
        value = value.strip().decode('latin-1')
        if key in headers:
            if key in ('content-length', 'transfer-encoding', 'authorization', 'host'):
                if headers[key] != value:
                    raise HttpError(400, 'conflicting %s headers' % key, close=True)
            else:
                value = headers[key] + ', ' + value
        headers[key] = value
    return method, target, version, headers


def _keep_alive(version, headers):
    conn = headers.get('connection', '').lower()
    if version == 'HTTP/1.0':
        return 'keep-alive' in conn
    return 'close' not in conn


def _body_framing(headers):
    te = headers.get('transfer-encoding')
    cl = headers.get('content-length')
    if te is not None:
        if cl is not None:
            raise HttpError(400, 'both Content-Length and Transfer-Encoding', close=True)
        if te.strip().lower() != 'chunked':
            raise HttpError(501, 'unsupported transfer encoding', close=True)
        return 0, True
    if cl is None:
        return 0, False
    cl = cl.strip()
    if not cl.isdigit() or len(cl) > 18:
        raise HttpError(400, 'bad Content-Length', close=True)
    return int(cl), False


async def _read_chunked(reader):
    body = bytearray()
    while True:
        line = await reader.readuntil(b'\r\n')
        size_text = line[:-2].split(b';', 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise HttpError(400, 'bad chunk size', close=True)
        if size < 0 or len(body) + size > MAX_BODY:
            raise HttpError(413, 'body larger than %d bytes' % MAX_BODY, close=True)
        if size == 0:
            break
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b'\r\n':
            raise HttpError(400, 'bad chunk terminator', close=True)
    while True:  # trailers
        line = await reader.readuntil(b'\r\n')
        if line == b'\r\n':
            return bytes(body)


async def _linger(reader, writer, budget=4 * MAX_BODY, seconds=2.0):
    """After an early error answer, discard (never store) what the client still sends, for a bounded
    amount of bytes and time, so that it can read the answer instead of getting a connection reset."""
    try:
        await writer.drain()
        deadline = time.monotonic() + seconds
        while budget > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            chunk = await asyncio.wait_for(reader.read(65536), remaining)
            if not chunk:
                break
            budget -= len(chunk)
    except (asyncio.TimeoutError, ConnectionError, OSError):
        pass


def _write_atomic(path, text):
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w', encoding='ascii') as handle:
        handle.write(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# process management (--daemon / --stop / --status, used by the role in service manager "none")


def read_pid(pid_file):
    try:
        with open(pid_file, 'r', encoding='ascii') as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    if pid <= 1:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            if b'laaffic_receiver' not in handle.read():
                return None
    except OSError:
        pass
    return pid


def stop_pid(pid_file, wait=30.0):
    pid = read_pid(pid_file)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if read_pid(pid_file) is None or not _alive(pid):
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return True


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open('/proc/%d/stat' % pid, 'r', encoding='ascii') as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return True


def daemonize(cfg):
    """Start in the background; return once the child listens (pid file written) or died."""
    if read_pid(cfg.pid_file) is not None:
        print('already running (pid %d)' % read_pid(cfg.pid_file))
        return 0
    for path in (cfg.pid_file, cfg.port_file):
        if path:
            try:
                os.unlink(path)
            except OSError:
                pass
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)  # pylint: disable=protected-access
        null = os.open(os.devnull, os.O_RDWR)
        log_fd = os.open(cfg.log_file or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        os.dup2(null, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(null)
        os.close(log_fd)
        os.chdir('/')
        code = 1
        try:
            code = serve(cfg)
        finally:
            os._exit(code)  # pylint: disable=protected-access
    os.waitpid(pid, 0)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        child = read_pid(cfg.pid_file)
        if child is not None:
            print('started (pid %d)' % child)
            return 0
        time.sleep(0.05)
    sys.stderr.write('receiver did not come up; see %s\n' % (cfg.log_file or 'its log'))
    return 1


# ---------------------------------------------------------------------------------------------
# entry point


def serve(cfg):
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


def arg_parser():
    parser = argparse.ArgumentParser(
        description='LAAFFIC voice status report receiver. Precedence: defaults < RECEIVER_* environment < --config file < flags.')
    parser.add_argument('--config', help='JSON object or key=value file (keys: host, port, secret, token, db, allow, '
                                         'trusted_proxies, port_file, pid_file, log_file)')
    parser.add_argument('--host', help='listen address (RECEIVER_HOST, default 127.0.0.1)')
    parser.add_argument('--port', help='listen port, 0 = ephemeral (RECEIVER_PORT, default 8098)')
    parser.add_argument('--secret', help='push path secret (RECEIVER_SECRET); prefer the environment or config file')
    parser.add_argument('--token', help='bearer token of the read API (RECEIVER_TOKEN); prefer the environment or config file')
    parser.add_argument('--db', help='SQLite database path (RECEIVER_DB, default reports.db)')
    parser.add_argument('--allow', help='comma-separated CIDRs allowed to push (RECEIVER_ALLOW, default: any)')
    parser.add_argument('--trusted-proxies', dest='trusted_proxies',
                        help='comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed (RECEIVER_TRUSTED_PROXIES)')
    parser.add_argument('--port-file', dest='port_file', help='write the bound port here once listening (RECEIVER_PORT_FILE)')
    parser.add_argument('--pid-file', dest='pid_file', help='write the pid here once listening (RECEIVER_PID_FILE)')
    parser.add_argument('--log-file', dest='log_file', help='log file used with --daemon (RECEIVER_LOG_FILE)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--check-config', action='store_true', help='validate the configuration and exit')
    mode.add_argument('--daemon', action='store_true', help='run in the background (needs a pid file)')
    mode.add_argument('--stop', action='store_true', help='stop the background receiver named by the pid file')
    mode.add_argument('--status', action='store_true', help='exit 0 if the receiver of the pid file runs, 3 if not')
    parser.add_argument('--version', action='version', version=VERSION)
    return parser


def main(argv=None):
    args = arg_parser().parse_args(argv)
    try:
        cfg = build_config(args)
        if args.stop or args.status:
            if not cfg.pid_file:
                raise ConfigError('--stop and --status need a pid file')
            if args.status:
                pid = read_pid(cfg.pid_file)
                print('running (pid %d)' % pid if pid else 'not running')
                return 0 if pid else 3
            print('stopped' if stop_pid(cfg.pid_file) else 'not running')
            return 0
        check_secrets(cfg)
        if args.daemon and not cfg.pid_file:
            raise ConfigError('--daemon needs a pid file')
    except ConfigError as exc:
        sys.stderr.write('laaffic_receiver: configuration error: %s\n' % exc)
        return 2
    if args.check_config:
        print('configuration OK (listen %s:%d, db %s, %d allowed networks)' % (cfg.host, cfg.port, cfg.db, len(cfg.allow)))
        return 0
    if args.daemon:
        return daemonize(cfg)
    return serve(cfg)


if __name__ == '__main__':
    sys.exit(main())
