# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""LAAFFIC voice status report receiver (Python >= 3.9 with aiohttp >= 3.8; SQLite from the standard library).

LAAFFIC pushes voice status reports (one JSON object with ``voiceId``), their batch form
(``{"array": [...]}``) and ringing notifications (a bare JSON array of events with ``callId``)
to an HTTP address, unsigned. This service accepts them at ``POST /push/<secret>``, stores them
durably in SQLite (WAL, synchronous=FULL) and answers HTTP 200 only once the transaction holding
the report has been committed. The event loop does group commit: the reports of every request pending
at that moment go into one transaction and one fsync, then each of those requests is answered. A batch
waits at most GATHER_TURNS non-blocking turns of the loop while another open connection could still add
to it; the loop's thread waits for the fsync itself (cheaper than a writer thread and two thread hops per
batch). A database write-locked by another process fails a commit after WRITE_BUSY_TIMEOUT (answer 503).

Read API (``Authorization: Bearer <token>``):

* ``GET /reports/<voiceId>`` -> one call object, 404 when unknown.
* ``GET /reports?since=&calledInfo=&calledInfoPrefix=&limit=&after=`` -> ``{"reports": [...], "next": cursor|null}``
  ordered by update sequence (``seq``); ``after`` takes the ``next`` cursor or any ``seq`` value.
* ``GET /healthz`` -> ``{"ok": true}`` (no authentication).

HEAD is answered like GET, without a body. Every request gets an answer with a JSON body
(``{"error": "..."}`` for 4xx/5xx) unless the connection itself breaks.

HTTP is aiohttp's (its parser and writer); this file holds the routes, the validation and the storage.
Resources are bounded: open connections (at most ``max_connections``, and never more than the open-files
limit allows: when the cap is reached the connection idle the longest is closed to make room, or the new one
is closed at once when every connection has a request in progress), a deadline for a request's headers and
body (``request_timeout``), an idle keep-alive timeout (``idle_timeout``), the body size (``max_body``).

Run ``python3 laaffic_receiver.py --help`` for the configuration (flags, RECEIVER_* environment
variables, ``--config`` file).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import errno
import hashlib
import hmac
import ipaddress
import json
import logging
import math
import os
import re
import signal
import socket
import sqlite3
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl, unquote

try:
    import resource
except ImportError:  # not POSIX
    resource = None

try:
    import aiohttp
    from aiohttp import web
    from aiohttp.http_exceptions import LineTooLong
except ImportError:  # reported by main() as a clear error; --help and --stop/--status work without it
    aiohttp = web = LineTooLong = None


VERSION = '1.1.0'
# Turns of the event loop a batch waits for more requests while another connection is open (each turn is one
# non-blocking poll of the sockets, some microseconds), and how long a commit waits for a write lock that
# another process holds before its requests are answered 503 (the event loop waits with it).
GATHER_TURNS = 3
WRITE_BUSY_TIMEOUT = 0.2
SHUTDOWN_GRACE = 25.0
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
INT64_MAX = 2 ** 63 - 1
# JSON nesting accepted in a push (a LAAFFIC report is flat; its lists hold flat objects).
MAX_DEPTH = 32
# Header limits handed to aiohttp's parser: request line, one header field, how many header fields. They
# bound what one connection can hold while its headers arrive (about 2.5 times the raw bytes in memory).
MAX_LINE = 8190
MAX_FIELD = 4096
MAX_HEADERS = 32
# Open files kept for everything but connections (database, WAL, log, event loop, ...), and how many
# connections one wake-up of the listening socket accepts (each may briefly hold one more file: the
# connection it evicts is closed on the next turn of the event loop).
RESERVED_FILES = 32
ACCEPT_BATCH = 64
LISTEN_BACKLOG = 1024
# After an early error answer (413, 404 with a body, ...), the unread body is discarded for this long.
LINGER_SECONDS = 2.0

SECRET_RE = re.compile(r'^[A-Za-z0-9._~-]{16,256}$')
TOKEN_RE = re.compile(r'^[\x21-\x7e]{16,512}$')
VOICE_ID_RE = re.compile(r'^[^\x00-\x1f\x7f/?#]{1,128}$')
UTC = datetime.timezone.utc
UTC8 = datetime.timezone(datetime.timedelta(hours=8))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)

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
    'max_connections': ('RECEIVER_MAX_CONNECTIONS', '512'),
    'request_timeout': ('RECEIVER_REQUEST_TIMEOUT', '20'),
    'idle_timeout': ('RECEIVER_IDLE_TIMEOUT', '75'),
    'max_body': ('RECEIVER_MAX_BODY', '1048576'),
    'trust_x_real_ip': ('RECEIVER_TRUST_X_REAL_IP', 'false'),
}

# name: (type, lowest, highest) of the numeric options
LIMITS = {
    'max_connections': (int, 1, 1000000),
    'request_timeout': (float, 0.1, 3600.0),
    'idle_timeout': (float, 0.1, 86400.0),
    'max_body': (int, 1024, 64 * 1024 * 1024),
}
TRUE_WORDS = ('true', 'yes', 'on', '1')
FALSE_WORDS = ('false', 'no', 'off', '0', '')


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
        elif isinstance(value, bool):
            value = 'true' if value else 'false'
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
    for name, (kind, low, high) in LIMITS.items():
        setattr(cfg, name, _config_number(name, getattr(cfg, name), kind, low, high))
    word = str(cfg.trust_x_real_ip).strip().lower()
    if word not in TRUE_WORDS + FALSE_WORDS:
        raise ConfigError('trust_x_real_ip must be true or false, got %r' % (cfg.trust_x_real_ip,))
    cfg.trust_x_real_ip = word in TRUE_WORDS
    cfg.allow = parse_networks(cfg.allow, 'allow list')
    cfg.trusted_proxies = parse_networks(cfg.trusted_proxies, 'trusted proxies')
    if not cfg.db:
        raise ConfigError('db path is empty')
    for name in ('db', 'port_file', 'pid_file', 'log_file'):
        if getattr(cfg, name):
            setattr(cfg, name, os.path.abspath(getattr(cfg, name)))
    return cfg


def _config_number(name, value, kind, low, high):
    text = str(value).strip()
    try:
        number = kind(text)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number) or not low <= number <= high:
        raise ConfigError('%s must be %s from %s to %s, got %r' % (
            name, 'an integer' if kind is int else 'a number of seconds', low, high, value))
    return number


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


# The last whole second formatted, as one immutable (seconds, text) pair: every request's log line
# formats the time, and the reader thread formats stored times concurrently.
_SECOND = [(None, '')]


def iso_us(micros):
    seconds, fraction = divmod(micros, 1000000)
    cached = _SECOND[0]
    if cached[0] != seconds:
        cached = (seconds, (EPOCH + datetime.timedelta(seconds=seconds)).strftime('%Y-%m-%dT%H:%M:%S'))
        _SECOND[0] = cached
    return '%s.%06dZ' % (cached[1], fraction)


EPOCH_SECONDS_RE = re.compile(r'-?[0-9]{1,12}(?:\.[0-9]{1,9})?')
UNSIGNED_RE = re.compile(r'[0-9]{1,19}')
# datetime's range (years 1 to 9999) in epoch seconds
EPOCH_MIN, EPOCH_MAX = -62135596800, 253402300799


def parse_since(text):
    """ISO-8601 (naive means UTC) or epoch seconds (digits, optional fraction) -> epoch microseconds.

    Only values inside datetime's range (years 1 to 9999) are accepted, so the result always fits SQLite's
    64-bit integers."""
    text = text.strip().replace(' ', '+')
    if EPOCH_SECONDS_RE.fullmatch(text):
        whole, _sep, fraction = text.partition('.')
        seconds = int(whole)
        if not EPOCH_MIN <= seconds <= EPOCH_MAX:
            raise BadRequest('since must be an ISO-8601 time or epoch seconds within the years 1 to 9999')
        micros = int((fraction + '000000')[:6]) if fraction else 0
        return seconds * 1000000 + (-micros if text.startswith('-') else micros)
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest('since must be an ISO-8601 time or epoch seconds (digits with an optional fraction)')
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def parse_unsigned(text, name):
    """A query parameter that must be a plain decimal 64-bit integer >= 0."""
    if not UNSIGNED_RE.fullmatch(text) or int(text) > INT64_MAX:
        raise BadRequest('%s must be an integer from 0 to %d (plain decimal digits)' % (name, INT64_MAX))
    return int(text)


# The times a ringing notification's callinEventTime may name, in UTC: a platform reporting a call outside
# these years is wrong, and years outside datetime's range (1 to 9999) would not even convert.
RINGING_YEARS = (2000, 2999)
RINGING_MIN = datetime.datetime(RINGING_YEARS[0], 1, 1, tzinfo=UTC)
RINGING_END = datetime.datetime(RINGING_YEARS[1] + 1, 1, 1, tzinfo=UTC)


def _ringing_out_of_range():
    return BadRequest('callinEventTime is out of range: a time within the years %d to %d (UTC) is accepted, as '
                      '"yyyy-MM-dd HH:mm:ss" in UTC+8, ISO-8601, or epoch seconds or milliseconds' % RINGING_YEARS)


def ringing_time_iso(value):
    """callinEventTime is 'yyyy-MM-dd HH:mm:ss' in UTC+8; ISO-8601 and epoch (s or ms) numbers are accepted too.

    Returns the time in UTC as 'yyyy-MM-ddTHH:mm:ssZ', None for a missing or unreadable time, and raises
    BadRequest for a time outside RINGING_YEARS (year 1, year 9999, a negative or huge number)."""
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
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        # epoch milliseconds above 1e11 (epoch seconds there would be past the year 5000); a number beyond 1e14 is
        # refused before any arithmetic (a JSON integer can have any number of digits: no float holds it)
        if not 0 < value < 1e14:
            raise _ringing_out_of_range()
        seconds = value / 1000.0 if value > 1e11 else value
        if not RINGING_MIN.timestamp() <= seconds < RINGING_END.timestamp():
            raise _ringing_out_of_range()
        when = datetime.datetime.fromtimestamp(seconds, UTC)
    if when is None:
        return None
    # compared as aware datetimes (no conversion), so year 1 in UTC+14 or year 9999 in UTC-12 cannot overflow
    if not RINGING_MIN <= when < RINGING_END:
        raise _ringing_out_of_range()
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


def _digest(text):
    return hashlib.sha256(text.encode('ascii')).hexdigest()


def _report_item(obj):
    voice_id = _ident(obj.get('voiceId'), 'voiceId')
    called = _opt_text(obj.get('calledInfo'), 'calledInfo')
    text = _canonical(obj)  # stored as is, and its digest tells an identical retry from a new report
    return ('report', voice_id, called, text, _digest(text))


def _ringing_item(obj, received_us):
    call_id = _ident(obj.get('callId'), 'callId')
    kind = obj.get('type')
    if str(kind).strip() == '3':
        account = _opt_text(obj.get('sipAccount'), 'sipAccount')
        called = _opt_text(obj.get('calledInfo'), 'calledInfo')
        when = ringing_time_iso(obj.get('callinEventTime'))
        if when is None:
            when = iso_us(received_us)[:19] + 'Z'
        return ('ring', call_id, called, account, when, _digest(_canonical(obj)))
    text = _canonical(obj)
    return ('event', call_id, _opt_text(kind, 'type'), text, _digest(text))


def _reject_constant(name):
    raise ValueError('invalid JSON constant %s' % name)


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise BadRequest('number %s is out of range: numbers must be finite (at most about 1.8e308)' % text[:32])
    return value


def _check_depth(data):
    """Refuse nesting deeper than MAX_DEPTH (iteratively: no recursion on hostile input)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest('JSON nested deeper than %d levels' % MAX_DEPTH)
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values() if isinstance(item, (dict, list)))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value if isinstance(item, (dict, list)))


# json.loads with these hooks, made once
_PUSH_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def parse_push(body):
    """Return the list of writer items for a push body, or raise BadRequest."""
    try:
        # what json.loads does with bytes: UTF-8, -16 or -32 told by the first bytes
        data = _PUSH_DECODER.decode(body.decode(json.detect_encoding(body), 'surrogatepass'))
    except (ValueError, UnicodeDecodeError):
        raise BadRequest('body is not JSON')
    except RecursionError:
        raise BadRequest('JSON nested deeper than %d levels' % MAX_DEPTH)
    if body.count(b'[') + body.count(b'{') > MAX_DEPTH:
        _check_depth(data)
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
UPSERT_REPORT = (
    'INSERT INTO calls (voice_id, called_info, ringing, final, report, report_hash, first_seen, updated, seq) '
    'VALUES (?, ?, 0, 1, ?, ?, ?, ?, ?) '
    'ON CONFLICT (voice_id) DO UPDATE SET final = 1, report = excluded.report, report_hash = excluded.report_hash, '
    'called_info = COALESCE(excluded.called_info, calls.called_info), updated = excluded.updated, seq = excluded.seq '
    'WHERE calls.report_hash IS NOT excluded.report_hash')


def connect(path, busy_timeout=30.0):
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout)
    mode = db.execute('PRAGMA journal_mode=WAL').fetchone()[0]
    if str(mode).lower() != 'wal':
        raise RuntimeError('cannot switch %s to WAL mode (got %s)' % (path, mode))
    db.execute('PRAGMA synchronous=FULL')
    db.execute('PRAGMA busy_timeout=%d' % int(busy_timeout * 1000))
    return db


def _null_constant(_name):
    """Rows stored by receiver 1.0 may hold Infinity/NaN; the read API serves them as null (strict JSON)."""
    return None


def row_to_call(row):
    return {
        'voiceId': row[0],
        'calledInfo': row[1],
        'account': row[2],
        'ringing': bool(row[3]),
        'ringingTime': row[4],
        'final': bool(row[5]),
        'report': json.loads(row[6], parse_constant=_null_constant) if row[6] else None,
        'firstSeen': iso_us(row[7]),
        'updated': iso_us(row[8]),
        'seq': row[9],
    }


class Store:
    """The database: writes and group commit on the event loop's thread; reads in a reader thread with their own
    connection (WAL: readers and the writer never wait for each other).

    ``submit`` queues a request's items; the batch is committed a few turns of the event loop later (see
    ``_gather``), in one transaction and one fsync, and every request's future gets its result: the number of
    rows changed, or the exception that kept that request (only) from being stored. Committing on the loop's
    thread blocks the loop for the fsync (about 0.2-0.3 ms), which costs less than handing every batch to a
    writer thread and back."""

    def __init__(self, path, siblings=None):
        self.path = os.path.abspath(path)
        directory = os.path.dirname(self.path)
        os.makedirs(directory, exist_ok=True)
        # 0600 whatever the umask: SQLite gives the -wal and -shm files the database file's mode
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
        self._tighten()
        self.db = connect(self.path, busy_timeout=WRITE_BUSY_TIMEOUT)
        self.db.executescript(SCHEMA)
        self._tighten()
        self.seq = self.db.execute('SELECT COALESCE(MAX(seq), 0) FROM calls').fetchone()[0]
        # make the creation of the database and WAL files themselves durable
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        # how many requests could still join a batch (the receiver's open connections); None: do not wait
        self.siblings = siblings
        self.loop = None
        self.pending = []
        self.closed = False
        self.failing = False
        self.reader = None
        self.read_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix='receiver-reader')
        self.batches = 0

    def _tighten(self):
        for suffix in ('', '-wal', '-shm', '-journal'):
            try:
                os.chmod(self.path + suffix, 0o600)
            except FileNotFoundError:
                pass

    def start(self, loop):
        self.loop = loop

    def submit(self, items, future):
        """Queue one request's items; ``future`` gets the result once the batch holding them is committed."""
        if self.closed:
            future.set_exception(RuntimeError('store closed'))
            return
        self.pending.append((items, future))
        if len(self.pending) == 1:
            self.loop.call_soon(self._gather, 0)

    def _gather(self, turns):
        """Commit the pending batch, after up to GATHER_TURNS non-blocking turns of the event loop while another
        open connection could still add a request to it: a push on its way from a client that was answered a
        moment ago then shares the fsync instead of waiting for the next one."""
        if turns < GATHER_TURNS and self.siblings is not None and len(self.pending) < self.siblings():
            self.loop.call_soon(self._gather, turns + 1)
            return
        batch, self.pending = self.pending, []
        try:
            results = self._commit([items for items, _future in batch])
        except Exception as exc:  # pylint: disable=broad-except
            results = [exc] * len(batch)
        for (_items, future), result in zip(batch, results):
            if future.done():  # the request was cancelled (its connection closed): it is stored all the same
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    def close(self):
        self.closed = True
        if self.pending:  # not reached through the receiver (it closes the store once every request is answered)
            self._gather(GATHER_TURNS)
        self.read_pool.shutdown(wait=True)
        if self.reader is not None:
            self.reader.close()
        try:
            self.db.execute('PRAGMA wal_checkpoint(TRUNCATE)')
        except sqlite3.Error:
            pass
        self.db.close()

    def _commit(self, batch):
        """Store a batch (a list of each request's items) in one transaction: a list with, for each request, the
        rows it changed or the exception that kept it from being stored."""
        db = self.db
        stamp = now_us()
        results = []
        # One request alone needs no savepoint: if it fails, the whole transaction is rolled back below.
        alone = len(batch) == 1
        try:
            db.execute('BEGIN IMMEDIATE')
            for items in batch:
                if alone:
                    results.append(sum(self._apply(item, stamp) for item in items))
                    continue
                db.execute('SAVEPOINT push')
                try:
                    changed = 0
                    for item in items:
                        changed += self._apply(item, stamp)
                    db.execute('RELEASE push')
                    results.append(changed)
                except sqlite3.OperationalError:
                    raise  # the store itself (locked, full, I/O error): the whole batch fails
                except Exception as exc:  # pylint: disable=broad-except
                    db.execute('ROLLBACK TO push')
                    db.execute('RELEASE push')
                    results.append(exc)
            db.execute('COMMIT')
            self.batches += 1
            self.failing = False
        except Exception as exc:  # pylint: disable=broad-except
            # /healthz tells a store that cannot commit, not a request that could not be stored
            self.failing = isinstance(exc, sqlite3.OperationalError)
            try:
                db.execute('ROLLBACK')
            except sqlite3.Error:
                pass
            results = [exc] * len(batch)
            try:
                self.seq = db.execute('SELECT COALESCE(MAX(seq), 0) FROM calls').fetchone()[0]
            except sqlite3.Error:
                pass
        return results

    def _next_seq(self):
        self.seq += 1
        return self.seq

    def _apply(self, item, stamp):
        db = self.db
        kind = item[0]
        if kind == 'report':
            _kind, voice_id, called, text, digest = item
            # one statement: a new call, or a different report for a known one; an identical retry changes nothing
            changed = db.execute(UPSERT_REPORT, (voice_id, called, text, digest, stamp, stamp, self._next_seq())).rowcount
            if not changed:
                self.seq -= 1  # the sequence number was not used
            return changed
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


# ---------------------------------------------------------------------------------------------
# logging


class Throttled:
    """Log a repeated event at most once per ``interval`` seconds, with how often it happened since the last line."""

    def __init__(self, log, event, interval=1.0, clock=time.monotonic):
        self.log = log
        self.event = event
        self.interval = interval
        self.clock = clock
        self.count = 0
        self.last = None
        self.fields = {}

    def hit(self, **fields):
        self.count += 1
        self.fields = fields
        now = self.clock()
        if self.last is None or now - self.last >= self.interval:
            self._emit(now)

    def flush(self):
        """Write the count still pending once the interval has passed (called by the receiver's timer)."""
        if self.count:
            now = self.clock()
            if self.last is None or now - self.last >= self.interval:
                self._emit(now)

    def _emit(self, now):
        self.log(event=self.event, count=self.count, **self.fields)
        self.count = 0
        self.last = now


class _LibraryLog(logging.Handler):
    """aiohttp's and asyncio's own log records as throttled JSON lines (message text only, secrets removed)."""

    def __init__(self, receiver):
        super().__init__(logging.WARNING)
        self.receiver = receiver
        self.throttles = {}

    def emit(self, record):
        try:
            message = self.receiver.redact_text(record.getMessage())[:300]
        except Exception:  # pylint: disable=broad-except
            message = '(unprintable)'
        exc = record.exc_info[1] if record.exc_info else None
        throttle = self.throttles.get(record.name)
        if throttle is None:
            throttle = self.throttles[record.name] = Throttled(self.receiver.log, 'library_log')
        throttle.hit(logger=record.name, level=record.levelname, message=message,
                     error=type(exc).__name__ if exc is not None else None)


# ---------------------------------------------------------------------------------------------
# HTTP: aiohttp does the protocol; the receiver routes, validates, stores and bounds the connections


class HttpError(Exception):
    def __init__(self, status, message, close=False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close


# a str as a JSON string, ASCII only (json.dumps' own C encoder for strings)
_json_text = json.encoder.encode_basestring_ascii


def _json_body(obj):
    return json.dumps(obj, ensure_ascii=True, separators=(',', ':'), allow_nan=False).encode('ascii')


ACK_BODY = b'{"status":"0"}'
JSON_HEADERS = {'Content-Type': 'application/json'}
HEALTHY_BODY = b'{"ok":true}'

# connection phases: accepted, between requests, receiving a request's headers, in the handler receiving the
# body, in the handler after it (storing, answering)
CONNECTING, IDLE, READING, BODY, HANDLING = 'connecting', 'idle', 'reading', 'body', 'handling'

if web is not None:
    class _Connection(web.RequestHandler):
        """aiohttp's HTTP/1.1 protocol for one connection, plus what the receiver needs to bound it: its phase
        (idle between requests, reading a request, or handling one) since when, and JSON answers to requests
        that aiohttp's parser refuses."""

        def __init__(self, receiver, manager, **kwargs):
            super().__init__(manager, **kwargs)
            self.receiver = receiver
            self.phase = CONNECTING
            self.since = receiver.loop.time()
            self.peer_ip = ''
            self.peer = None
            self.pending_request = None  # the request taken off aiohttp's queue and not yet answered
            self.half_closed = False  # the client has half-closed: after the answers owed, the connection closes

        def connection_made(self, transport):
            peer = transport.get_extra_info('peername')
            self.peer_ip = peer[0] if peer else ''
            self.peer = _normalize_ip(self.peer_ip)
            self.phase = IDLE
            self.since = self.receiver.loop.time()
            super().connection_made(transport)

        def data_received(self, data):
            if self.phase == IDLE and data:
                self.phase = READING
                self.since = self.receiver.loop.time()
            super().data_received(data)

        def eof_received(self):
            """The client half-closed its side (shutdown(SHUT_WR)), maybe right after a complete request.

            aiohttp's protocol answers None here, and asyncio then closes the transport: the request being handled
            (its push already stored) loses its answer. Keep the transport open for writing while an answer is
            owed: a request taken off aiohttp's queue (``pending_request``, set by the request factory) and not yet
            answered, or complete requests still queued; the connection closes after the last of those answers.
            A body cut short by the EOF fails its read (400). Otherwise (idle, or a request's head cut short)
            nothing is owed and the connection closes at once, as before."""
            self.half_closed = True
            request = self.pending_request
            if request is not None:
                if not request.content.is_eof():
                    request.content.set_exception(ConnectionResetError('the client closed its side before the body was complete'))
                return True
            if self.queued():
                return True
            return None

        def queued(self):
            """Complete requests parsed and not yet handled (aiohttp's queue of parsed messages, private)."""
            return bool(getattr(self, '_messages', None))

        def connection_lost(self, exc):
            self.receiver.connections.pop(self, None)
            self.pending_request = None
            super().connection_lost(exc)

        def handle_error(self, request, status=500, exc=None, message=None):
            del message  # may quote the request (and a secret in it): never logged, never echoed
            return self.receiver.protocol_error(self, request, status, exc)


class Receiver:
    def __init__(self, cfg, log=None):
        self.cfg = cfg
        self.log_stream = log or sys.stderr
        self.secret_b = cfg.secret.encode('ascii')
        self.token_b = cfg.token.encode('ascii')
        self.push_prefix = '/push/'
        self.store = Store(cfg.db, siblings=lambda: len(self.connections))
        self.loop = None
        self.manager = None
        self.sockets = []
        self.connections = {}  # _Connection -> None, least recently active first
        self.pending = set()
        self.stopping = False
        self.stopped = None
        self.port = None
        self.open_files = None
        self.max_connections = cfg.max_connections
        self.sweep_handle = None
        self.accept_errors = Throttled(self.log, 'accept_error')
        self.refused = Throttled(self.log, 'connections_refused')
        self.evicted = Throttled(self.log, 'connections_evicted')
        self.timeouts = Throttled(self.log, 'request_timeouts')
        self.library_log = _LibraryLog(self)
        self.handler_kwargs = {}

    # -- logging
    def log(self, **record):
        record = dict({'ts': iso_us(now_us())}, **record)
        try:
            self.log_stream.write(json.dumps(record, ensure_ascii=True, separators=(',', ':')) + '\n')
        except (OSError, ValueError):
            pass

    def log_access(self, method, path, status, nbytes, req_bytes, ms, ip):
        """One access log line: the same JSON as log() gives, formatted without building a dict (one per request)."""
        try:
            self.log_stream.write('{"ts":"%s","method":%s,"path":%s,"status":%d,"bytes":%d,"req_bytes":%d,"ms":%.3f,"ip":%s}\n' % (
                iso_us(now_us()), _json_text(method), _json_text(path), status, nbytes, req_bytes, ms, _json_text(ip)))
        except (OSError, ValueError):
            pass

    def redact_text(self, text):
        for value in (self.cfg.secret, self.cfg.token):
            text = text.replace(value, '<redacted>')
        return text

    def redact(self, target):
        path = target.split('?', 1)[0]
        if path == '/push' or path.startswith('/push/'):
            return '/push/<redacted>'
        return self.redact_text(target[:512])

    # -- lifecycle
    async def run(self):
        self.loop = asyncio.get_running_loop()
        self.stopped = asyncio.Event()
        self.open_files = raise_open_files_limit()
        if self.open_files is not None:
            room = self.open_files - RESERVED_FILES - ACCEPT_BATCH
            if room < 8:
                raise OSError(errno.EMFILE, 'the open-files limit (%d) leaves no room for connections; raise it to at '
                                            'least %d' % (self.open_files, RESERVED_FILES + 8))
            self.max_connections = min(self.cfg.max_connections, room)
        for name in ('aiohttp', 'asyncio'):
            logger = logging.getLogger(name)
            logger.addHandler(self.library_log)
            logger.propagate = False
        # aiohttp's low-level server: every request (``OPTIONS *`` and ``CONNECT host:port`` too) goes to handle(),
        # which routes it; no application, router or middleware in between.
        self.manager = web.Server(self.handle, request_factory=self._make_request, loop=self.loop)
        self.handler_kwargs = {
            'loop': self.loop, 'keepalive_timeout': self.cfg.idle_timeout, 'access_log': None,
            'max_line_size': MAX_LINE, 'max_field_size': MAX_FIELD, 'max_headers': MAX_HEADERS,
            'lingering_time': LINGER_SECONDS, 'auto_decompress': False,
        }
        self.store.start(self.loop)
        self.sockets = listen(self.cfg.host, self.cfg.port)
        self.port = self.sockets[0].getsockname()[1]
        for sock in self.sockets:
            self.loop.add_reader(sock.fileno(), self.accept, sock)
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.add_signal_handler(sig, self.begin_shutdown)
            except (NotImplementedError, RuntimeError):
                pass
        self.sweep()
        if self.cfg.port_file:
            _write_atomic(self.cfg.port_file, '%d\n' % self.port)
        if self.cfg.pid_file:
            _write_atomic(self.cfg.pid_file, '%d\n' % os.getpid())
        self.log(event='listening', host=self.cfg.host, port=self.port, db=self.store.path, pid=os.getpid(),
                 allow=[str(n) for n in self.cfg.allow], version=VERSION, aiohttp=aiohttp.__version__,
                 open_files=self.open_files, max_connections=self.max_connections, request_timeout=self.cfg.request_timeout,
                 idle_timeout=self.cfg.idle_timeout, max_body=self.cfg.max_body, trust_x_real_ip=self.cfg.trust_x_real_ip)
        await self.stopped.wait()
        await self._shutdown()

    def begin_shutdown(self):
        if not self.stopping:
            self.stopping = True
            self.log(event='shutdown', reason='signal')
            self.stopped.set()

    async def _shutdown(self):
        for sock in self.sockets:
            self.loop.remove_reader(sock.fileno())
            sock.close()
        if self.sweep_handle is not None:
            self.sweep_handle.cancel()
        for conn in list(self.connections):
            if conn.phase in (IDLE, READING, BODY):  # nothing of theirs is stored or acknowledged yet
                self._close(conn)
        # requests in progress finish (their reports are committed and acknowledged), then the store closes
        await self.manager.shutdown(SHUTDOWN_GRACE)
        self.store.close()
        for path in (self.cfg.port_file, self.cfg.pid_file):
            if path:
                try:
                    os.unlink(path)
                except OSError:
                    pass
        for throttle in self.throttles():
            throttle.interval = 0
            throttle.flush()
        self.log(event='stopped', batches=self.store.batches)

    # -- connections: accept, cap, deadlines
    def accept(self, sock):
        """Accept what the listening socket holds; over the cap, make room or close the new connection at once."""
        for _unused in range(ACCEPT_BATCH):
            try:
                conn_sock, _addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.accept_errors.hit(error=errno.errorcode.get(exc.errno, str(exc.errno)))
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # out of files or memory: free one connection and pause accepting for a moment
                    self._evict()
                    self.loop.remove_reader(sock.fileno())
                    self.loop.call_later(0.1, self._resume_accept, sock)
                return
            if self.stopping:
                conn_sock.close()
                continue
            if len(self.connections) >= self.max_connections and not self._evict():
                conn_sock.close()
                self.refused.hit(max_connections=self.max_connections)
                continue
            conn_sock.setblocking(False)
            conn = _Connection(self, self.manager, **self.handler_kwargs)
            self.connections[conn] = None
            task = self.loop.create_task(self._connect(conn, conn_sock))
            self.pending.add(task)
            task.add_done_callback(self.pending.discard)

    def _resume_accept(self, sock):
        if not self.stopping and sock.fileno() >= 0:
            self.loop.add_reader(sock.fileno(), self.accept, sock)

    async def _connect(self, conn, conn_sock):
        try:
            await self.loop.connect_accepted_socket(lambda: conn, conn_sock)
        except Exception as exc:  # pylint: disable=broad-except
            self.connections.pop(conn, None)
            conn_sock.close()
            self.accept_errors.hit(error=type(exc).__name__)

    def _evict(self):
        """Close the connection idle the longest (else the one reading a request the longest); False if every
        connection has a request in progress."""
        victim = None
        for conn in self.connections:
            if conn.phase == IDLE:
                victim = conn
                break
            if conn.phase == READING and victim is None:
                victim = conn
        if victim is None:
            return False
        self._close(victim)
        self.evicted.hit(max_connections=self.max_connections)
        return True

    def _close(self, conn):
        self.connections.pop(conn, None)
        conn.force_close()

    def sweep(self):
        """Close connections idle longer than idle_timeout or reading one request longer than request_timeout."""
        now = self.loop.time()
        idle_limit = now - self.cfg.idle_timeout
        read_limit = now - self.cfg.request_timeout
        for conn in [c for c in self.connections if c.phase in (IDLE, READING)]:
            if conn.phase == IDLE and conn.since < idle_limit:
                self._close(conn)
            elif conn.phase == READING and conn.since < read_limit:
                self._close(conn)
                self.timeouts.hit(phase='headers', request_timeout=self.cfg.request_timeout)
        for throttle in self.throttles():
            throttle.flush()
        interval = max(0.05, min(1.0, self.cfg.request_timeout / 4, self.cfg.idle_timeout / 4))
        self.sweep_handle = self.loop.call_later(interval, self.sweep)

    def throttles(self):
        return [self.accept_errors, self.refused, self.evicted, self.timeouts] + list(self.library_log.throttles.values())

    def _done(self, conn):
        """A request of ``conn`` is answered: it is idle again, and the most recently active connection."""
        conn.phase = IDLE
        conn.since = self.loop.time()
        if self.connections.pop(conn, True) is None:
            self.connections[conn] = None

    # -- requests
    def protocol_error(self, conn, request, status, exc):
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
        response = web.Response(status=status, body=_json_body({'error': message}), content_type='application/json')
        response.force_close()
        return response

    def _make_request(self, message, payload, protocol, writer, task):
        # client_max_size one above the limit: aiohttp before 3.10 refuses a body of exactly client_max_size
        request = web.BaseRequest(message, payload, protocol, writer, task, self.loop, client_max_size=self.cfg.max_body + 1)
        # aiohttp makes the request as it takes the message off its queue, before the handler's task runs: from
        # here until the answer, an EOF from the client must not close the transport (see eof_received)
        protocol.pending_request = request
        return request

    async def handle(self, request):
        conn = request.protocol
        started = time.monotonic()
        if conn.phase != READING:  # a pipelined request: its deadline starts now
            conn.since = self.loop.time()
        conn.phase = HANDLING
        target = request.raw_path
        method = request.method
        ip, ip_text = self.client_ip(conn.peer, conn.peer_ip, request.headers)
        close = False
        req_bytes = 0
        try:
            path, _sep, query = target.partition('?')
            if request.version not in ((1, 1), (1, 0)):
                raise HttpError(505, 'only HTTP/1.0 and HTTP/1.1', close=True)
            check_framing(request.headers)
            if path.startswith(self.push_prefix):
                status, body, req_bytes = await self.do_push(request, method, path, ip, conn)
            elif path == '/healthz':
                status, body = self.do_health(method)
            elif path == '/reports' or path.startswith('/reports/'):
                status, body = await self.do_reports(request, method, path, query)
            else:
                raise HttpError(404, 'not found')
        except HttpError as exc:
            status, body, close = exc.status, _json_body({'error': exc.message}), exc.close
        except Exception as exc:  # pylint: disable=broad-except
            self.log(event='error', error=self.redact_text(repr(exc))[:300])
            status, body, close = 500, _json_body({'error': 'internal error'}), True
        response = web.Response(status=status, body=body, headers=JSON_HEADERS)
        conn.pending_request = None
        if close or self.stopping or (conn.half_closed and not conn.queued()):
            response.force_close()
        self.log_access(method[:16], self.redact(target), status, len(body), req_bytes, (time.monotonic() - started) * 1000, ip_text)
        self._done(conn)
        return response

    def client_ip(self, ip, peer_ip, headers):
        """The pushing client's address (or None when a trusted proxy names an invalid one) and its log text."""
        if not self.cfg.trusted_proxies or ip is None or not _in(ip, self.cfg.trusted_proxies):
            return ip, peer_ip
        if self.cfg.trust_x_real_ip:
            real = headers.get('X-Real-IP')
            if real is None:
                return ip, peer_ip
            real_ip = _normalize_ip(real.strip())
            return (real_ip, str(real_ip)) if real_ip is not None else (None, real.strip()[:64])
        hops = [h.strip() for value in headers.getall('X-Forwarded-For', ()) for h in value.split(',') if h.strip()]
        for hop in reversed(hops):
            hop_ip = _normalize_ip(hop)
            if hop_ip is None:
                return None, hop[:64]
            if not _in(hop_ip, self.cfg.trusted_proxies):
                return hop_ip, str(hop_ip)
        return ip, peer_ip

    async def read_body(self, request, conn):
        """The request body within the request deadline and the size limit."""
        length = request.content_length
        if length is not None and length > self.cfg.max_body:
            raise HttpError(413, 'body larger than %d bytes' % self.cfg.max_body, close=True)
        try:
            if request.content.is_eof():
                body = await request.read()
            else:
                conn.phase = BODY
                remaining = conn.since + self.cfg.request_timeout - self.loop.time()
                body = await asyncio.wait_for(request.read(), max(remaining, 0.001))
                conn.phase = HANDLING
        except asyncio.TimeoutError:
            self.timeouts.hit(phase='body', request_timeout=self.cfg.request_timeout)
            raise HttpError(408, 'request not received within %g s' % self.cfg.request_timeout, close=True)
        except web.HTTPRequestEntityTooLarge:
            raise HttpError(413, 'body larger than %d bytes' % self.cfg.max_body, close=True)
        except (ConnectionError, aiohttp.ClientError, aiohttp.http_exceptions.HttpProcessingError):
            raise HttpError(400, 'malformed or incomplete request body', close=True)
        if len(body) > self.cfg.max_body:
            raise HttpError(413, 'body larger than %d bytes' % self.cfg.max_body, close=True)
        return body

    @staticmethod
    async def expect_continue(request):
        """Answer ``Expect: 100-continue`` (HTTP/1.1) with the interim 100 before the body is read, as aiohttp's
        router does for an application (this receiver uses aiohttp's low-level server, which leaves it to the
        handler); any other expectation gets 417."""
        expect = request.headers.get('Expect')
        if expect is None or request.version != (1, 1):
            return
        if expect.strip().lower() != '100-continue':
            raise HttpError(417, 'unsupported Expect (only 100-continue)', close=True)
        await request.writer.write(b'HTTP/1.1 100 Continue\r\n\r\n')
        request.writer.output_size = 0  # the final answer has not started

    async def do_push(self, request, method, path, ip, conn):
        if self.cfg.allow and (ip is None or not _in(ip, self.cfg.allow)):
            raise HttpError(403, 'source address not allowed')
        if not hmac.compare_digest(path[len(self.push_prefix):].encode('utf-8', 'replace'), self.secret_b):
            raise HttpError(404, 'not found')
        if method != 'POST':
            raise HttpError(405, 'use POST')
        await self.expect_continue(request)
        body = await self.read_body(request, conn)
        try:
            items = parse_push(body)
        except BadRequest as exc:
            raise HttpError(400, str(exc))
        if not items:
            return 200, ACK_BODY, len(body)
        future = self.loop.create_future()
        self.store.submit(items, future)
        try:
            await future
        except Exception as exc:  # pylint: disable=broad-except
            self.log(event='store_error', error=repr(exc)[:300])
            raise HttpError(503, 'report not stored, retry later')
        return 200, ACK_BODY, len(body)

    def do_health(self, method):
        if method not in ('GET', 'HEAD'):
            raise HttpError(405, 'use GET')
        if self.store.failing or self.stopping:
            return 503, _json_body({'ok': False})
        return 200, HEALTHY_BODY

    async def do_reports(self, request, method, path, query):
        if method not in ('GET', 'HEAD'):
            raise HttpError(405, 'use GET')
        scheme, _sep, given = single_header(request.headers, 'Authorization').partition(' ')
        if scheme.lower() != 'bearer' or not hmac.compare_digest(given.strip().encode('utf-8', 'replace'), self.token_b):
            raise HttpError(401, 'missing or wrong bearer token')
        if path.startswith('/reports/'):
            try:
                voice_id = unquote(path[len('/reports/'):], errors='strict')
            except UnicodeDecodeError:
                raise HttpError(400, 'the voiceId in the path is not UTF-8 text')
            if not voice_id:
                raise HttpError(404, 'not found')
            call = await self.loop.run_in_executor(self.store.read_pool, self.store.get, voice_id)
            if call is None:
                raise HttpError(404, 'unknown voiceId')
            return 200, _json_body(call)
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False, errors='strict', max_num_fields=64)
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
        result = await self.loop.run_in_executor(self.store.read_pool, self.store.query, after, since, called, prefix, limit)
        return 200, _json_body(result)


def single_header(headers, name):
    """The value of a header that may appear at most once ('' when absent); two or more are refused with 400, since
    which one counts would be a guess (a proxy may have checked the other)."""
    values = headers.getall(name, ())
    if len(values) > 1:
        raise HttpError(400, 'more than one %s header' % name, close=True)
    return values[0] if values else ''


def check_framing(headers):
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


def listen(host, port):
    """Bound, listening, non-blocking sockets for every address of ``host`` (all of them for an empty host)."""
    infos = socket.getaddrinfo(host or None, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)
    sockets, seen = [], set()
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
            if port == 0 and len(sockets) > 1:
                address = (address[0], sockets[0].getsockname()[1]) + tuple(address[2:])
            sock.bind(address)
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def raise_open_files_limit():
    """Raise this process's open-files soft limit to the hard limit; return the soft limit (None: unlimited)."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return None if soft == resource.RLIM_INFINITY else soft


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
    parser.add_argument('--config', help='JSON object or key=value file (keys: the long option names with _, e.g. '
                                         'host, port, secret, token, db, allow, trusted_proxies, max_connections)')
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
    parser.add_argument('--max-connections', dest='max_connections',
                        help='open connections at most, lowered to what the open-files limit allows (RECEIVER_MAX_CONNECTIONS, '
                             'default 512)')
    parser.add_argument('--request-timeout', dest='request_timeout',
                        help="seconds for a request's headers and body from its first byte (RECEIVER_REQUEST_TIMEOUT, default 20)")
    parser.add_argument('--idle-timeout', dest='idle_timeout',
                        help='seconds an idle keep-alive connection stays open (RECEIVER_IDLE_TIMEOUT, default 75)')
    parser.add_argument('--max-body', dest='max_body', help='largest request body in bytes (RECEIVER_MAX_BODY, default 1048576)')
    parser.add_argument('--trust-x-real-ip', dest='trust_x_real_ip', metavar='{true,false}',
                        help='take the client address from X-Real-IP instead of X-Forwarded-For, from trusted proxies only '
                             '(RECEIVER_TRUST_X_REAL_IP, default false)')
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
        if web is None:
            raise ConfigError('aiohttp is not installed for %s (install aiohttp 3.8 or later)' % sys.executable)
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
