# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage: SQLite in WAL mode with synchronous=FULL; group commit on the event loop, reads in a reader thread."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Optional, Union

from .config import GATHER_TURNS, WRITE_BUSY_TIMEOUT
from .push import Item
from .times import iso_us, now_us

Result = Union[int, Exception]

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


def connect(path: str, busy_timeout: float = 30.0) -> sqlite3.Connection:
    """The writer's connection: WAL, synchronous=FULL, the busy timeout."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=busy_timeout)
    mode = db.execute('PRAGMA journal_mode=WAL').fetchone()[0]
    if str(mode).lower() != 'wal':
        raise RuntimeError('cannot switch %s to WAL mode (got %s)' % (path, mode))
    db.execute('PRAGMA synchronous=FULL')
    db.execute('PRAGMA busy_timeout=%d' % int(busy_timeout * 1000))
    return db


def _null_constant(_name: str) -> None:
    """Rows stored by receiver 1.0 may hold Infinity/NaN; the read API serves them as null (strict JSON)."""
    return None


def row_to_call(row: Any) -> dict[str, Any]:
    """A row of ``calls`` (COLUMNS) as the read API's call object."""
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

    def __init__(self, path: str, siblings: Optional[Callable[[], int]] = None) -> None:
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
        self.seq: int = self.db.execute('SELECT COALESCE(MAX(seq), 0) FROM calls').fetchone()[0]
        # make the creation of the database and WAL files themselves durable
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        # how many requests could still join a batch (the receiver's open connections); None: do not wait
        self.siblings = siblings
        self.loop: Optional[asyncio.AbstractEventLoop] = None
        self.pending: list[tuple[list[Item], asyncio.Future[Result]]] = []
        self.closed = False
        self.failing = False
        self.reader: Optional[sqlite3.Connection] = None
        self.read_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix='receiver-reader')
        self.batches = 0

    def _tighten(self) -> None:
        for suffix in ('', '-wal', '-shm', '-journal'):
            try:
                os.chmod(self.path + suffix, 0o600)
            except FileNotFoundError:
                pass

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Commit on this event loop from now on."""
        self.loop = loop

    def submit(self, items: list[Item], future: asyncio.Future[Result]) -> None:
        """Queue one request's items; ``future`` gets the result once the batch holding them is committed."""
        if self.closed:
            future.set_exception(RuntimeError('store closed'))
            return
        self.pending.append((items, future))
        if len(self.pending) == 1:
            assert self.loop is not None
            self.loop.call_soon(self._gather, 0)

    def _gather(self, turns: int) -> None:
        """Commit the pending batch, after up to GATHER_TURNS non-blocking turns of the event loop while another
        open connection could still add a request to it: a push on its way from a client that was answered a
        moment ago then shares the fsync instead of waiting for the next one."""
        if turns < GATHER_TURNS and self.siblings is not None and len(self.pending) < self.siblings():
            assert self.loop is not None
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

    def close(self) -> None:
        """Commit what is pending, stop the reader, checkpoint the WAL and close."""
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

    def _commit(self, batch: list[list[Item]]) -> list[Result]:
        """Store a batch (a list of each request's items) in one transaction: a list with, for each request, the
        rows it changed or the exception that kept it from being stored."""
        db = self.db
        stamp = now_us()
        results: list[Result] = []
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

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _apply(self, item: Item, stamp: int) -> int:
        db = self.db
        kind = item[0]
        if kind == 'report':
            _kind, voice_id, called, text, digest = item
            # one statement: a new call, or a different report for a known one; an identical retry changes nothing
            changed = db.execute(UPSERT_REPORT, (voice_id, called, text, digest, stamp, stamp, self._next_seq())).rowcount
            if not changed:
                self.seq -= 1  # the sequence number was not used
            return int(changed)
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
        return int(cur.rowcount)

    # -- reads (run in the reader thread)
    def _reader(self) -> sqlite3.Connection:
        if self.reader is None:
            self.reader = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self.reader.execute('PRAGMA busy_timeout=30000')
        return self.reader

    def get(self, voice_id: str) -> Optional[dict[str, Any]]:
        """One call by voiceId (reader thread)."""
        row = self._reader().execute('SELECT %s FROM calls WHERE voice_id = ?' % COLUMNS, (voice_id,)).fetchone()
        return None if row is None else row_to_call(row)

    def query(self, after: int, since: Optional[int], called: Optional[str], prefix: Optional[str],
              limit: int) -> dict[str, Any]:
        """A page of calls after the cursor ``after`` (reader thread)."""
        sql = ['SELECT %s FROM calls WHERE seq > ?' % COLUMNS]
        params: list[Any] = [after]
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
