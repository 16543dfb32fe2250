# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the LAAFFIC emulator's sendSip path and print measured numbers (not a pass/fail test).

Starts the emulator (fleet scenario: 1,000 phones, --quiet) on loopback, then drives signed sendSip
requests over several keep-alive connections from a raw asyncio client in this process. Each round
calls every fleet phone exactly once (a fleet phone is busy for 6 s after a call), then resets the
emulator through the control API; the reset is not part of the timed window.

    python bench/bench_emulator.py [--connections 8] [--rounds 10] [--max-seconds 60] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import sys
import time

from devtools.emulator import Emulator


def machine():
    """CPU model, core counts, python."""
    model = 'unknown'
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            for line in handle:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        load = '%.2f %.2f %.2f' % os.getloadavg()
    except OSError:
        load = 'unknown'
    return {'cpu_model': model, 'cpu_count': os.cpu_count(), 'nproc': usable, 'loadavg_at_start': load,
            'python': sys.version.split()[0], 'implementation': platform.python_implementation(),
            'platform': platform.platform()}


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float('nan')
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def build_requests(emu, accounts):
    """One signed sendSip request (bytes) per account, signed now."""
    timestamp = str(int(time.time()))
    sign = hashlib.md5((emu.api_key + emu.api_secret + timestamp).encode()).hexdigest()
    out = []
    for number, account in enumerate(accounts):
        body = json.dumps({'callee': '91%010d' % (9000000000 + number), 'account': account, 'appId': emu.app_id,
                           'displayNum': '8613900000000'}).encode()
        head = ('POST /v3/voice/sendSip HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json;charset=UTF-8\r\n'
                'Api-Key: %s\r\nSign: %s\r\nTimestamp: %s\r\nContent-Length: %d\r\n\r\n'
                % (emu.port, emu.api_key, sign, timestamp, len(body))).encode()
        out.append(head + body)
    return out


async def worker(port, requests, latencies, statuses):
    """Send this connection's share sequentially over one keep-alive connection."""
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    try:
        for request in requests:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b'\r\n\r\n')
            length = 0
            for line in head.split(b'\r\n'):
                if line[:15].lower() == b'content-length:':
                    length = int(line[15:])
            body = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            start = body.find(b'"status":"')
            code = body[start + 10:body.find(b'"', start + 10)].decode() if start >= 0 else 'http:' + head[9:12].decode()
            statuses[code] = statuses.get(code, 0) + 1
    finally:
        writer.close()


async def run_round(port, requests, connections, latencies, statuses):
    """All requests of a round, spread over ``connections`` keep-alive connections; returns elapsed seconds."""
    shares = [requests[i::connections] for i in range(connections)]
    started = time.perf_counter()
    await asyncio.gather(*(worker(port, share, latencies, statuses) for share in shares))
    return time.perf_counter() - started


def main(argv=None):
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--connections', type=int, default=8)
    parser.add_argument('--rounds', type=int, default=10, help='rounds of 1,000 calls (one per fleet phone)')
    parser.add_argument('--max-seconds', type=float, default=60.0, help='stop starting new rounds after this long')
    parser.add_argument('--json', help='also write the results to this file')
    args = parser.parse_args(argv)

    info = machine()
    print('machine: %s; cpus %s (usable %s); load %s; python %s %s' % (
        info['cpu_model'], info['cpu_count'], info['nproc'], info['loadavg_at_start'], info['implementation'], info['python']))
    latencies = []
    statuses = {}
    timed = 0.0
    rounds = 0
    with Emulator('fleet', quiet=True) as emu:
        accounts = ['fleet-%04d' % n for n in range(1, 1001)]
        # warm-up round (not measured)
        asyncio.run(run_round(emu.port, build_requests(emu, accounts), args.connections, [], {}))
        emu.reset()
        bench_started = time.perf_counter()
        while rounds < args.rounds and time.perf_counter() - bench_started < args.max_seconds:
            requests = build_requests(emu, accounts)
            timed += asyncio.run(run_round(emu.port, requests, args.connections, latencies, statuses))
            rounds += 1
            placed = len(emu.calls())
            if placed != len(accounts):
                print('warning: round %d placed %d calls, expected %d' % (rounds, placed, len(accounts)))
            emu.reset()
        exit_code = emu.stop()
    latencies.sort()
    total = len(latencies)
    result = {
        'machine': info,
        'connections': args.connections,
        'rounds': rounds,
        'requests': total,
        'seconds': round(timed, 3),
        'requests_per_second': round(total / timed, 1) if timed else None,
        'latency_ms': {'p50': round(percentile(latencies, 0.50) * 1000, 3), 'p90': round(percentile(latencies, 0.90) * 1000, 3),
                       'p99': round(percentile(latencies, 0.99) * 1000, 3), 'max': round(latencies[-1] * 1000, 3) if latencies else None},
        'statuses': statuses,
        'emulator_exit_code': exit_code,
    }
    print('sendSip: %d requests in %.2f s over %d keep-alive connections (%d rounds of 1,000 fleet phones)'
          % (total, timed, args.connections, rounds))
    print('throughput: %.0f requests/s' % (result['requests_per_second'] or 0))
    print('latency ms: p50 %s  p90 %s  p99 %s  max %s' % (
        result['latency_ms']['p50'], result['latency_ms']['p90'], result['latency_ms']['p99'], result['latency_ms']['max']))
    print('LAAFFIC statuses: %s' % json.dumps(statuses, sort_keys=True))
    print('note: client and emulator share this machine (and its cores with anything else running)')
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as handle:
            json.dump(result, handle, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
