# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of the report receiver: acknowledged (durably stored) pushes per second and latency.

For each client connection count (default 2 and 16) it starts the receiver (``python -m laaffic_receiver``, the
package roles/report_receiver/files/laaffic_receiver) on loopback with a fresh database (SQLite WAL, synchronous=FULL, access log to a file), opens that many
keep-alive connections and pushes unique voice status reports for a bounded time/count; each connection
sends its next push only after the acknowledgement of the previous one. Prints pushes/s, p50/p90/p99/max
acknowledgement latency, the machine and its load average before and after each run. Afterwards it checks
through the read API that every acknowledged report is stored. Writes the results to
bench/results/receiver.json for bench/plot_results.py. Not a pass/fail test.

    python bench/bench_receiver.py [--connections 2,16] [--duration 10] [--count 100000] [--repeat 3] [--receiver-file FILE]

Each connection count runs ``--repeat`` times, each against a fresh receiver; the row shown is the median run
(by pushes/s), and the ``runs`` column lists every run's pushes/s, so the spread from run to run shows.

``--receiver-file`` benchmarks a single-file receiver instead (for example the last one before the package,
written out with ``git show 49e1c90:roles/report_receiver/files/laaffic_receiver.py``) under the same conditions;
run it and the package alternately, a few times each, on a machine that other work shares.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import time

from bench_emulator import machine, percentile
import devtools.receiver
from devtools.receiver import Receiver

HERE = os.path.dirname(os.path.abspath(__file__))


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


def request_maker(path, prefix):
    """A function number -> request bytes: one report serialized once, the fields that differ put in per push
    (so that the client, which shares the machine with the receiver, spends little time per push)."""
    body = json.dumps(make_report('@VOICEID@', 0)).replace('%', '%%')
    body = body.replace('@VOICEID@', prefix + '%010d').replace('"4915%08d"' % 0, '"4915%08d"').replace('"bench-0"', '"bench-%d"')
    head = ('POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Java/1.8.0_232\r\n'
            'Content-Type: application/json;charset=UTF-8\r\nContent-Length: %%d\r\n\r\n' % path)

    def make(number):
        data = (body % (number, number, number % 97)).encode('ascii')
        return (head % len(data)).encode('ascii') + data
    return make


async def client(port, path, prefix, state, latencies, deadline, limit):
    make = request_maker(path, prefix)
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    try:
        while time.monotonic() < deadline and state['sent'] < limit:
            state['sent'] += 1
            number = state['sent']
            request = make(number)
            started = time.perf_counter()
            writer.write(request)
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


def load_average():
    try:
        return '%.2f %.2f %.2f' % os.getloadavg()
    except OSError:
        return 'unknown'


def measure(connections, args):
    """One run with ``connections`` client connections against a fresh receiver; returns the result row."""
    load_before = load_average()
    rcv = Receiver(receiver_file=args.receiver_file)
    try:
        path = '/push/' + rcv.secret
        if args.warmup > 0:
            asyncio.run(run_load(rcv.port, path, 'W', connections, args.warmup, 10 ** 9))
        state, latencies, elapsed = asyncio.run(run_load(rcv.port, path, 'B', connections, args.duration, args.count))
        load_after = load_average()
        latencies.sort()
        acked = len(state['acked'])
        stored = rcv.reports(calledInfoPrefix='bench-', limit=1000)
        stored_ids = {r['voiceId'] for r in stored if r['voiceId'].startswith('B')}
        missing = sum(1 for n in state['acked'] if 'B%010d' % n not in stored_ids)
    finally:
        code = rcv.stop()
    row = {
        'connections': connections,
        'pushes_per_s': round(acked / elapsed, 1) if elapsed else None,
        'p50_ms': round(percentile(latencies, 0.50) * 1000, 2),
        'p90_ms': round(percentile(latencies, 0.90) * 1000, 2),
        'p99_ms': round(percentile(latencies, 0.99) * 1000, 2),
        'max_ms': round(latencies[-1] * 1000, 2) if latencies else None,
        'acknowledged': acked,
        'errors': state['errors'],
        'missing': missing,
        'load_before': load_before,
        'load_after': load_after,
    }
    print('\n%d keep-alive connections: %d pushes acknowledged in %.2f s, errors %d' % (connections, acked, elapsed, state['errors']))
    print('  throughput: %.0f pushes/s' % (row['pushes_per_s'] or 0))
    print('  ack latency ms: p50=%.2f p90=%.2f p99=%.2f max=%.2f' % (row['p50_ms'], row['p90_ms'], row['p99_ms'], row['max_ms'] or 0))
    print('  check: %d acknowledged benchmark reports, %d stored, %d missing' % (acked, len(stored_ids), missing))
    print('  load average before %s, after %s; receiver exit code %s' % (load_before, load_after, code))
    return row


def receiver_versions(receiver_file):
    """The receiver's VERSION and the aiohttp it runs with (None when it does not use aiohttp); ``receiver_file``
    is a single-file receiver or the package's __init__.py."""
    with open(receiver_file, encoding='utf-8') as handle:
        text = handle.read()
    version = None
    for line in text.splitlines():
        if line.startswith('VERSION = '):
            version = line.split('=', 1)[1].strip().strip('\'"')
    aiohttp_version = None
    if 'import aiohttp' in text:
        try:
            import aiohttp  # pylint: disable=import-outside-toplevel
            aiohttp_version = aiohttp.__version__
        except ImportError:
            pass
    return version, aiohttp_version


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--connections', default='2,16', help='comma-separated client connection counts')
    parser.add_argument('--duration', type=float, default=10.0, help='seconds of load per run (upper bound)')
    parser.add_argument('--count', type=int, default=100000, help='pushes per run (upper bound)')
    parser.add_argument('--warmup', type=float, default=1.0, help='seconds of unmeasured load first')
    parser.add_argument('--repeat', type=int, default=3, help='runs per connection count (the median run is shown)')
    parser.add_argument('--receiver-file', help='benchmark this single-file receiver instead of the package')
    parser.add_argument('--json', default=os.path.join(HERE, 'results', 'receiver.json'), help='results file ("" for none)')
    args = parser.parse_args(argv)
    if args.receiver_file:
        args.receiver_file = os.path.abspath(args.receiver_file)
        under_test = args.receiver_file
        version, aiohttp_version = receiver_versions(args.receiver_file)
    else:
        under_test = 'python -m laaffic_receiver from ' + devtools.receiver.RECEIVER_DIR
        version, _unused = receiver_versions(os.path.join(devtools.receiver.RECEIVER_DIR, 'laaffic_receiver', '__init__.py'))
        import aiohttp  # pylint: disable=import-outside-toplevel
        aiohttp_version = aiohttp.__version__

    info = machine()
    info['sqlite'] = sqlite3.sqlite_version
    info['receiver'] = version
    info['aiohttp'] = aiohttp_version
    print('machine: cpu=%r cpus=%s usable=%s python=%s sqlite=%s os=%s load=%s' % (
        info['cpu_model'], info['cpu_count'], info['nproc'], info['python'], info['sqlite'], info['platform'], info['loadavg_at_start']))
    print('receiver %s (%s), aiohttp %s; SQLite WAL synchronous=FULL, group commit, acknowledgement after commit, '
          'access log to a file; client and receiver share this machine' % (version, under_test, aiohttp_version))
    rows = []
    for count in [int(n) for n in args.connections.split(',') if n.strip()]:
        runs = sorted((measure(count, args) for _unused in range(max(1, args.repeat))), key=lambda r: r['pushes_per_s'] or 0)
        row = dict(runs[len(runs) // 2])
        row['runs'] = ' '.join('%.0f' % (r['pushes_per_s'] or 0) for r in runs)
        row['missing'] = sum(r['missing'] for r in runs)
        row['errors'] = sum(r['errors'] for r in runs)
        print('\n%d connections, %d runs: %s pushes/s; median run %.0f pushes/s, p99 %.2f ms' % (
            count, len(runs), row['runs'], row['pushes_per_s'] or 0, row['p99_ms']))
        rows.append(row)
    info['loadavg_at_end'] = load_average()
    if args.json:
        summary = ', '.join('%d connections %.0f pushes/s (p99 %.1f ms; runs %s)' % (
            r['connections'], r['pushes_per_s'] or 0, r['p99_ms'], r['runs']) for r in rows)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w', encoding='utf-8') as handle:
            json.dump({
                'benchmark': 'receiver',
                'title': 'Report receiver: acknowledged pushes per second',
                'description': ('Unique voice status reports pushed over N keep-alive loopback connections, each waiting for the '
                                'acknowledgement (HTTP 200 after the SQLite WAL commit with synchronous=FULL) before its next push; '
                                'every acknowledged report is checked in the read API afterwards. Median of %d runs, each against a '
                                'fresh receiver (errors and missing: all runs): %s. The load average (1, 5, 15 '
                                'minutes) shows what else ran on the machine.' % (max(1, args.repeat), summary)),
                'generated_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                'machine': info,
                'columns': {'connections': 'Connections', 'pushes_per_s': 'Pushes/s', 'p50_ms': 'p50 (ms)', 'p90_ms': 'p90 (ms)',
                            'p99_ms': 'p99 (ms)', 'max_ms': 'max (ms)', 'acknowledged': 'Acknowledged', 'runs': 'All runs (pushes/s)', 'errors': 'Errors',
                            'missing': 'Missing', 'load_before': 'Load before', 'load_after': 'Load after'},
                'rows': rows,
            }, handle, indent=2)
        print('\nwrote %s' % args.json)
    return 1 if any(r['missing'] for r in rows) else 0


if __name__ == '__main__':
    sys.exit(main())
