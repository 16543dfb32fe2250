# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the LAAFFIC emulator's sendSip path and print measured numbers (not a pass/fail test).

Starts the emulator (fleet scenario: 1,000 phones, --quiet) on loopback, then drives signed sendSip
requests from aiohttp clients in this process, each client one keep-alive connection sending its share
one request after the other. Each round calls every fleet phone exactly once (a fleet phone is busy for 6 s
after a call), then resets the emulator through the control API; the reset is not part of the timed window.
Runs once per number of clients given (default 2, then 8), prints requests/s, latency and the machine
(with its load average before and after), and writes bench/results/emulator.json for bench/plot_results.py.

    python bench/bench_emulator.py [--connections 2,8] [--rounds 10] [--max-seconds 60] [--json PATH]
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

import aiohttp

from devtools.emulator import Emulator

HERE = os.path.dirname(os.path.abspath(__file__))


def load_average():
    """The 1, 5 and 15 minute load averages as text."""
    try:
        return '%.2f %.2f %.2f' % os.getloadavg()
    except OSError:
        return 'unknown'


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
    return {'cpu_model': model, 'cpu_count': os.cpu_count(), 'nproc': usable, 'loadavg_at_start': load_average(),
            'python': sys.version.split()[0], 'implementation': platform.python_implementation(),
            'platform': platform.platform(), 'aiohttp': aiohttp.__version__}


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float('nan')
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def build_requests(emu, accounts):
    """One signed sendSip request, as (url, headers, body bytes), per account, signed now."""
    timestamp = str(int(time.time()))
    sign = hashlib.md5((emu.api_key + emu.api_secret + timestamp).encode()).hexdigest()
    headers = {'Content-Type': 'application/json;charset=UTF-8', 'Api-Key': emu.api_key, 'Sign': sign, 'Timestamp': timestamp}
    url = emu.api_url + '/voice/sendSip'
    out = []
    for number, account in enumerate(accounts):
        body = json.dumps({'callee': '91%010d' % (9000000000 + number), 'account': account, 'appId': emu.app_id,
                           'displayNum': '8613900000000'}).encode()
        out.append((url, headers, body))
    return out


async def worker(requests, latencies, statuses):
    """Send this client's share sequentially over one keep-alive connection."""
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector, skip_auto_headers=('User-Agent', 'Accept-Encoding')) as session:
        for url, headers, body in requests:
            started = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as resp:
                payload = await resp.read()
                latencies.append(time.perf_counter() - started)
                try:
                    code = json.loads(payload)['status'] if resp.status == 200 else 'http:%d' % resp.status
                except (ValueError, KeyError, TypeError):
                    code = 'not-json'
            statuses[code] = statuses.get(code, 0) + 1


async def run_round(port, requests, connections, latencies, statuses):  # pylint: disable=unused-argument
    """All requests of a round, spread over ``connections`` clients (one keep-alive connection each); returns
    elapsed seconds. ``port`` is kept for callers: the requests carry their URL."""
    shares = [requests[i::connections] for i in range(connections)]
    started = time.perf_counter()
    await asyncio.gather(*(worker(share, latencies, statuses) for share in shares))
    return time.perf_counter() - started


def measure(emu, accounts, connections, rounds, max_seconds):
    """Rounds of one sendSip per fleet phone over ``connections`` clients; returns one results row."""
    latencies = []
    statuses = {}
    timed = 0.0
    done = 0
    asyncio.run(run_round(emu.port, build_requests(emu, accounts), connections, [], {}))  # warm-up, not measured
    emu.reset()
    started = time.perf_counter()
    while done < rounds and time.perf_counter() - started < max_seconds:
        timed += asyncio.run(run_round(emu.port, build_requests(emu, accounts), connections, latencies, statuses))
        done += 1
        placed = len(emu.calls())
        if placed != len(accounts):
            print('warning: round %d placed %d calls, expected %d' % (done, placed, len(accounts)))
        emu.reset()
    latencies.sort()
    return {
        'connections': connections,
        'requests': len(latencies),
        'seconds': round(timed, 3),
        'requests_per_second': round(len(latencies) / timed, 1) if timed else None,
        'p50_ms': round(percentile(latencies, 0.50) * 1000, 3),
        'p90_ms': round(percentile(latencies, 0.90) * 1000, 3),
        'p99_ms': round(percentile(latencies, 0.99) * 1000, 3),
        'max_ms': round(latencies[-1] * 1000, 3) if latencies else None,
        'statuses': ', '.join('%s: %d' % item for item in sorted(statuses.items())),
    }


def main(argv=None):
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--connections', default='2,8', help='comma-separated numbers of keep-alive clients (default 2,8)')
    parser.add_argument('--rounds', type=int, default=10, help='rounds of 1,000 calls (one per fleet phone) per client count')
    parser.add_argument('--max-seconds', type=float, default=60.0, help='per client count: stop starting new rounds after this long')
    parser.add_argument('--json', default=os.path.join(HERE, 'results', 'emulator.json'), help='results file (default %(default)s)')
    args = parser.parse_args(argv)
    counts = [int(item) for item in args.connections.split(',') if item.strip()]

    info = machine()
    print('machine: %s; cpus %s (usable %s); load %s; python %s %s; aiohttp %s' % (
        info['cpu_model'], info['cpu_count'], info['nproc'], info['loadavg_at_start'], info['implementation'], info['python'],
        info['aiohttp']))
    rows = []
    with Emulator('fleet', quiet=True) as emu:
        accounts = ['fleet-%04d' % n for n in range(1, 1001)]
        for connections in counts:
            row = measure(emu, accounts, connections, args.rounds, args.max_seconds)
            rows.append(row)
            print('sendSip over %d keep-alive connection(s): %d requests in %.2f s -> %.0f requests/s; '
                  'latency ms p50 %s p90 %s p99 %s max %s; LAAFFIC statuses %s'
                  % (connections, row['requests'], row['seconds'], row['requests_per_second'] or 0, row['p50_ms'],
                     row['p90_ms'], row['p99_ms'], row['max_ms'], row['statuses']))
        exit_code = emu.stop()
    info['loadavg_at_end'] = load_average()
    print('load average at the end: %s; emulator exit code %s' % (info['loadavg_at_end'], exit_code))
    print('note: client and emulator share this machine (and its cores with anything else running)')
    result = {
        'benchmark': 'emulator',
        'title': 'Emulator: sendSip throughput on the fleet scenario',
        'description': ('Signed sendSip requests from aiohttp clients in one process, each client one keep-alive '
                        'connection sending one request after the other; rounds of 1,000 calls (one per fleet phone). '
                        'Client and emulator run on the same machine.'),
        'generated_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
        'machine': info,
        'columns': {'connections': 'Clients (keep-alive connections)', 'requests': 'Requests', 'seconds': 'Seconds',
                    'requests_per_second': 'sendSip/s', 'p50_ms': 'p50 (ms)', 'p90_ms': 'p90 (ms)', 'p99_ms': 'p99 (ms)',
                    'max_ms': 'max (ms)', 'statuses': 'LAAFFIC statuses'},
        'rows': rows,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, 'w', encoding='utf-8') as handle:
        json.dump(result, handle, indent=2)
    print('wrote %s' % args.json)
    return 0


if __name__ == '__main__':
    sys.exit(main())
