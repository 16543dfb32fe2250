# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Group commit in the report receiver: which requests share a transaction, what one bad request or a database
locked by another process does to the others, and how /healthz tells."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import types
import uuid

import pytest

from devtools.receiver import Receiver
from laaffic_receiver.config import GATHER_TURNS
from laaffic_receiver.push import parse_push
from laaffic_receiver.store import Store


@pytest.fixture(scope='module')
def module():
    """The receiver's parts these tests use."""
    return types.SimpleNamespace(parse_push=parse_push, Store=Store, GATHER_TURNS=GATHER_TURNS)


def push_items(module, voice_id):
    return module.parse_push(json.dumps({'voiceId': voice_id, 'calledInfo': 'commit-test', 'callStatus': 50}).encode())


def run(module, db, siblings, scenario):
    """Run ``scenario(store, loop)`` on a fresh event loop with a Store on ``db``; returns its result and the store."""
    async def main():
        store = module.Store(db, siblings=siblings)
        store.start(asyncio.get_running_loop())
        try:
            return await scenario(store, asyncio.get_running_loop()), store
        finally:
            store.close()
    return asyncio.run(main())


def stored(db):
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute('SELECT voice_id FROM calls')}


def test_requests_arriving_within_the_gather_turns_share_one_commit(module, tmp_path):
    db = str(tmp_path / 'r.db')

    async def scenario(store, loop):
        futures = []
        for number in range(3):
            futures.append(loop.create_future())
            store.submit(push_items(module, 'same-turn-%d' % number), futures[-1])
        # one more a turn later (another connection's push that was still on its way) joins the same batch
        futures.append(loop.create_future())
        loop.call_soon(store.submit, push_items(module, 'next-turn'), futures[-1])
        return await asyncio.gather(*futures)

    results, store = run(module, db, lambda: 8, scenario)
    assert results == [1, 1, 1, 1]
    assert store.batches == 1
    assert stored(db) == {'same-turn-0', 'same-turn-1', 'same-turn-2', 'next-turn'}


def test_a_push_waits_at_most_the_gather_turns(module, tmp_path):
    async def scenario(store, loop):
        future = loop.create_future()
        store.submit(push_items(module, 'waits'), future)
        turns = 0
        while not future.done():
            await asyncio.sleep(0)
            turns += 1
        return turns, future.result()

    # another connection is open: the batch waits GATHER_TURNS turns of the loop for it, no longer
    (turns, result), _store = run(module, str(tmp_path / 'a.db'), lambda: 2, scenario)
    assert result == 1 and turns == module.GATHER_TURNS + 1
    # every open connection has its push in the batch (here the only one): committed on the next turn
    (turns, result), _store = run(module, str(tmp_path / 'b.db'), lambda: 1, scenario)
    assert result == 1 and turns == 1


def test_one_failing_request_does_not_spoil_its_batch(module, tmp_path):
    db = str(tmp_path / 'r.db')

    async def scenario(store, loop):
        good, bad, also_good = loop.create_future(), loop.create_future(), loop.create_future()
        store.submit(push_items(module, 'good-1'), good)
        store.submit(push_items(module, 'bad-part') + [('report', 'truncated item')], bad)
        store.submit(push_items(module, 'good-2'), also_good)
        return await asyncio.gather(good, bad, also_good, return_exceptions=True)

    (first, second, third), store = run(module, db, lambda: 3, scenario)
    assert (first, third) == (1, 1)
    assert isinstance(second, ValueError)
    assert store.batches == 1
    assert stored(db) == {'good-1', 'good-2'}  # nothing of the failed request, not even its valid report
    assert not store.failing  # a request that cannot be stored is not a store that cannot commit


def test_a_failing_request_alone_in_its_batch_fails_alone(module, tmp_path):
    db = str(tmp_path / 'r.db')

    async def scenario(store, loop):
        bad, good = loop.create_future(), loop.create_future()
        store.submit(push_items(module, 'alone-bad') + [('report', 'truncated item')], bad)
        failed = await asyncio.gather(bad, return_exceptions=True)
        failing = store.failing
        store.submit(push_items(module, 'alone-good'), good)
        return failed[0], failing, await good

    (failed, failing, result), store = run(module, db, lambda: 1, scenario)
    assert isinstance(failed, ValueError) and not failing and result == 1
    assert store.batches == 1 and stored(db) == {'alone-good'}


def test_database_locked_by_another_process_answers_503_fast_and_recovers(tmp_path):
    db = str(tmp_path / 'locked.db')
    with Receiver(db=db) as rcv:
        first, second = 'lock-%s' % uuid.uuid4().hex, 'lock-%s' % uuid.uuid4().hex
        other = sqlite3.connect(db, isolation_level=None, timeout=5)
        try:
            other.execute('BEGIN IMMEDIATE')  # holds the write lock, as an operator's sqlite3 shell could
            started = time.monotonic()
            assert rcv.push({'voiceId': first, 'calledInfo': 'lock'}) == 503
            assert time.monotonic() - started < 5  # not the 30 s an unbounded busy wait would take
            assert rcv.request('GET', '/healthz', auth=False) == (503, {'ok': False})
            assert rcv.report(first) is None  # reads go on while the lock is held
        finally:
            other.execute('ROLLBACK')
            other.close()
        assert rcv.push({'voiceId': second, 'calledInfo': 'lock'}) == 200
        assert rcv.request('GET', '/healthz', auth=False) == (200, {'ok': True})
        assert rcv.report(second)['final'] and rcv.report(first) is None
        errors = [line for line in rcv.log_lines() if line.get('event') == 'store_error']
        assert len(errors) == 1 and 'locked' in errors[0]['error']
