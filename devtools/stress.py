# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Flaky-proofing (``make stress``): the timing-dependent tests and the demo, many times in a row, under CPU load.

    python -m devtools.stress [--runs 20] [--busy 1] [--workers 4] [--log-dir .build/stress]

Starts ``--busy`` processes that each keep one core busy (a Python loop that also ends by itself after
``--busy-limit`` seconds), then runs ``--runs`` times in a row:

1. ``pytest -m emulator_timing`` (the tests marked so in their files) on ``--workers`` pytest-xdist workers,
   as ``make test`` runs them;
2. ``demo/run_demo.py`` (what ``make demo`` runs), which exits 0 only when every demo phone got its expected verdict.

Prints one line per run and, at the end, every failure with its pytest summary line; the full output of each
run is in the log directory. Exits 1 when any run failed. Run from the checkout with the .venv's Python.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time
import typing as t

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUSY_LOOP = 'import sys, time\nend = time.monotonic() + float(sys.argv[1])\nwhile time.monotonic() < end:\n    pass\n'
FAILED = re.compile(r'^(?:FAILED|ERROR) (\S+)', re.MULTILINE)


def run_logged(cmd: list[str], log_path: str, timeout: float) -> tuple[int | str, str, float]:
    """Run ``cmd`` in the checkout with its output in ``log_path``; return (exit code, output, seconds)."""
    started = time.monotonic()
    code: int | str
    try:
        proc = subprocess.run(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, check=False)
        code, output = proc.returncode, proc.stdout
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout.decode('utf-8', 'replace') if isinstance(exc.stdout, bytes) else (exc.stdout or '')
        code, output = 'timeout', output + '\nstress: no result within %d s\n' % timeout
    with open(log_path, 'w', encoding='utf-8') as handle:
        handle.write(output)
    return code, output, time.monotonic() - started


def last_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1].strip('= ') if lines else '(no output)'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--runs', type=int, default=20)
    parser.add_argument('--busy', type=int, default=1, help='busy cores beside the runs (default: %(default)s)')
    parser.add_argument('--busy-limit', type=float, default=4 * 3600, help='the busy loops end by themselves after this many seconds')
    parser.add_argument('--workers', default='4', help='pytest-xdist workers (default: %(default)s)')
    parser.add_argument('--log-dir', default=os.path.join(ROOT, '.build', 'stress'))
    parser.add_argument('--timeout', type=int, default=900, help='seconds one pytest or demo run may take')
    args = parser.parse_args(argv)

    os.makedirs(args.log_dir, exist_ok=True)
    pytest_cmd = [sys.executable, '-m', 'pytest', '-q', '-rfE', '-n', str(args.workers), '--dist', 'worksteal',
                  '-m', 'emulator_timing']
    busy = [subprocess.Popen([sys.executable, '-c', BUSY_LOOP, str(args.busy_limit)]) for _unused in range(args.busy)]  # pylint: disable=consider-using-with
    print('stress: %d run(s) of `%s` and demo/run_demo.py beside %d busy core(s) on %d CPU(s); load average %.2f %.2f %.2f'
          % ((args.runs, ' '.join(pytest_cmd[1:]), args.busy, os.cpu_count() or 0) + os.getloadavg()), flush=True)
    failures: collections.Counter[str] = collections.Counter()
    runs: list[dict[str, t.Any]] = []
    try:
        for number in range(1, args.runs + 1):
            code, output, seconds = run_logged(pytest_cmd, os.path.join(args.log_dir, 'pytest-%02d.log' % number), args.timeout)
            failed = FAILED.findall(output) or ([] if code == 0 else ['pytest exit %s: %s' % (code, last_line(output))])
            demo_cmd = [sys.executable, os.path.join('demo', 'run_demo.py'), '--report-dir', os.path.join(args.log_dir, 'demo-%02d' % number)]
            demo_code, demo_output, demo_seconds = run_logged(demo_cmd, os.path.join(args.log_dir, 'demo-%02d.log' % number), args.timeout)
            if demo_code != 0:
                failed.append('demo exit %s: %s' % (demo_code, last_line(demo_output)))
            failures.update(failed)
            runs.append({'run': number, 'pytest': last_line(output), 'pytest_seconds': round(seconds, 1), 'demo_exit': demo_code,
                         'demo_seconds': round(demo_seconds, 1), 'failed': failed, 'load': os.getloadavg()})
            print('stress: run %2d/%d: pytest %s (%.0f s); demo exit %s (%.0f s); load %.2f%s'
                  % (number, args.runs, last_line(output), seconds, demo_code, demo_seconds, os.getloadavg()[0],
                     ''.join('\n    FAILED %s' % name for name in failed)), flush=True)
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()
    with open(os.path.join(args.log_dir, 'summary.json'), 'w', encoding='utf-8') as handle:
        json.dump({'runs': runs, 'failures': dict(failures), 'busy': args.busy, 'workers': args.workers, 'cpus': os.cpu_count()}, handle, indent=1)
    bad = sum(1 for run in runs if run['failed'])
    print('stress: %d of %d runs passed; logs in %s' % (len(runs) - bad, len(runs), args.log_dir))
    for name, count in failures.most_common():
        print('stress:   %dx %s' % (count, name))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
