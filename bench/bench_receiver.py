# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the report receiver: acknowledged (durably stored) pushes per second and latency.

Starts roles/report_receiver/files/laaffic_receiver.py on loopback (SQLite WAL, synchronous=FULL, access
log to a file), opens several keep-alive connections and pushes unique voice status reports for a bounded
time/count. Prints pushes/s, p50/p99/max acknowledgement latency and the machine. Afterwards it checks through
the read API that every acknowledged report is stored. Not a pass/fail test.

    python bench/bench_receiver.py [--connections 16] [--duration 10] [--count 60000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
import time

from bench_emulator import machine, percentile
from devtools.receiver import Receiver


def make_report(voice_id, number):
    now = int(time.time() * 1000)
    return {
        'voiceId': voice_id, 'type': 3, 'callee': '4915%08d' % number, 'displayNum': '4930123456',
        'submitTime': now - 30000, 'callTime': now - 25000, 'ringingTime': now - 20000, 'answerTime': now - 15000,
        'hangupTime': now, 'callDuration': 15, 'chargedDuration': 20, 'billPeriod': '20+20', 'code': 'Germany',
        'rate': '0.023625', 'baseCost': '0.0079', 'cost': '0.0079', 'terminationCode': '200',
        'terminationReason': 'normal', 'sipCode': '200', 'feedbackValue': '-1', 'calledInfo': 'bench-%d' % (number % 97),
        'ringDuration': 5, 'callStatus': 50,
    }


async def client(port, path, prefix, state, latencies, deadline, limit):
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    try:
        while time.monotonic() < deadline and state['sent'] < limit:
            state['sent'] += 1
            number = state['sent']
            body = json.dumps(make_report('%s%010d' % (prefix, number), number)).encode('ascii')
            request = ('POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Java/1.8.0_232\r\n'
                       'Content-Type: application/json;charset=UTF-8\r\nContent-Length: %d\r\n\r\n' % (path, len(body))).encode('ascii')
            started = time.perf_counter()
            writer.write(request + body)
            head = await reader.readuntil(b'\r\n\r\n')
            length = 0
            for line in head.split(b'\r\n'):
                if line.lower().startswith(b'content-length:'):
                    length = int(line.split(b':', 1)[1])
            await reader.readexactly(length)
            elapsed = time.perf_counter() - started
            status = int(head.split(b' ', 2)[1])
            if status == 200:
                latencies.append(elapsed)
                state['acked'].append(number)
            else:
                state['errors'] += 1
    finally:
        writer.close()


async def run_load(port, path, prefix, connections, duration, count):
    state = {'sent': 0, 'errors': 0, 'acked': []}
    latencies = []
    started = time.monotonic()
    deadline = started + duration
    await asyncio.gather(*(client(port, path, prefix, state, latencies, deadline, count) for _unused in range(connections)))
    return state, latencies, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--connections', type=int, default=16)
    parser.add_argument('--duration', type=float, default=10.0, help='seconds of load (upper bound)')
    parser.add_argument('--count', type=int, default=60000, help='pushes (upper bound)')
    parser.add_argument('--warmup', type=float, default=1.0, help='seconds of unmeasured load first')
    args = parser.parse_args()

    info = machine()
    print('machine: cpu=%r nproc=%d python=%s sqlite=%s os=%s load=%s' % (
        info['cpu_model'], info['cpu_count'] or 0, info['python'], sqlite3.sqlite_version, info['platform'], info['loadavg_at_start']))
    rcv = Receiver()
    try:
        path = '/push/' + rcv.secret
        if args.warmup > 0:
            asyncio.run(run_load(rcv.port, path, 'W', args.connections, args.warmup, 10 ** 9))
        state, latencies, elapsed = asyncio.run(run_load(rcv.port, path, 'B', args.connections, args.duration, args.count))
        latencies.sort()
        acked = len(state['acked'])
        print('receiver: SQLite WAL synchronous=FULL, group commit, access log to file; %d keep-alive connections on loopback'
              % args.connections)
        print('pushes acknowledged: %d in %.2f s, errors: %d' % (acked, elapsed, state['errors']))
        print('throughput: %.0f pushes/s' % (acked / elapsed if elapsed else 0.0))
        print('ack latency ms: p50=%.2f p90=%.2f p99=%.2f max=%.2f' % (
            percentile(latencies, 0.50) * 1000, percentile(latencies, 0.90) * 1000,
            percentile(latencies, 0.99) * 1000, (latencies[-1] if latencies else float('nan')) * 1000))
        stored = rcv.reports(calledInfoPrefix='bench-', limit=1000)
        stored_ids = {r['voiceId'] for r in stored if r['voiceId'].startswith('B')}
        missing = sum(1 for n in state['acked'] if 'B%010d' % n not in stored_ids)
        print('check: %d acknowledged benchmark reports, %d stored, %d missing' % (acked, len(stored_ids), missing))
    finally:
        code = rcv.stop()
    print('receiver exit code: %s; load average after: %s' % (code, machine()['loadavg_at_start']))
    return 1 if missing else 0


if __name__ == '__main__':
    sys.exit(main())
