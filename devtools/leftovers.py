# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find (and stop) the processes a run left running: the end of ``make test`` fails when there is one.

``make test`` gives every process it starts the environment variable LAAFFIC_TEST_RUN=<run id> (children
inherit it, also those re-parented to init), runs the checks, then runs ``python devtools/leftovers.py --run
<run id>``: any process still alive with that id in its environment - an emulator, a receiver, a playbook - is
listed, stopped (SIGTERM, then SIGKILL) and makes the exit status 1. Other people's processes, and other runs
in the same checkout, carry another id or none and are left alone.

Linux only (it reads /proc); elsewhere it says so and exits 0. Standard library only.

    python devtools/leftovers.py --run RUN_ID [--grace 5]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
import typing as t

VARIABLE = 'LAAFFIC_TEST_RUN'
# shown command lines leave out what may be a secret: a URL's path and query, the value after a secret-ish flag
URL = re.compile(r'(https?://[^/\s]+)/\S*')
SECRET_FLAG = re.compile(r'secret|token|password|passwd|sign', re.IGNORECASE)


def marked(run_id: str, proc: str = '/proc') -> list[int]:
    """PIDs of the live processes (not zombies) whose environment holds LAAFFIC_TEST_RUN=``run_id``."""
    wanted = ('%s=%s' % (VARIABLE, run_id)).encode()
    mine = {os.getpid(), os.getppid()}
    found: list[int] = []
    for name in os.listdir(proc):
        if not name.isdigit() or int(name) in mine:
            continue
        try:
            with open(os.path.join(proc, name, 'environ'), 'rb') as handle:
                environ = handle.read().split(b'\0')
            with open(os.path.join(proc, name, 'stat'), 'rb') as handle:
                state = handle.read().rsplit(b')', 1)[1].split()[0]
        except OSError:  # gone meanwhile, or not ours
            continue
        if wanted in environ and state not in (b'Z', b'X'):
            found.append(int(name))
    return sorted(found)


def descendants(root: int, proc: str = '/proc') -> list[int]:
    """PIDs of the live processes descending from ``root`` (children, their children...), from /proc."""
    children: dict[int, list[int]] = {}
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(proc, name, 'stat'), 'rb') as handle:
                fields = handle.read().rsplit(b')', 1)[1].split()
        except OSError:
            continue
        if fields[0] not in (b'Z', b'X'):
            children.setdefault(int(fields[1]), []).append(int(name))
    found: list[int] = []
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.append(child)
            todo.append(child)
    return sorted(found)


def servers_below(root: int, proc: str = '/proc') -> list[int]:
    """The emulators and receivers (by command line) descending from ``root``."""
    found = []
    for pid in descendants(root, proc):
        try:
            with open(os.path.join(proc, str(pid), 'cmdline'), 'rb') as handle:
                cmdline = handle.read()
        except OSError:
            continue
        if b'laaffic_emulator' in cmdline or b'laaffic_receiver' in cmdline:
            found.append(pid)
    return found


def shown_command(pid: int, proc: str = '/proc') -> str:
    """A process's command line for the report: at most 8 arguments, no URL paths, no value after a secret flag."""
    try:
        with open(os.path.join(proc, str(pid), 'cmdline'), 'rb') as handle:
            argv = [arg.decode('utf-8', 'replace') for arg in handle.read().split(b'\0') if arg]
    except OSError:
        return '(gone)'
    shown: list[str] = []
    hide_next = False
    for arg in argv[:8]:
        if hide_next:
            shown.append('<hidden>')
            hide_next = False
            continue
        if SECRET_FLAG.search(arg) and arg.startswith('-'):
            if '=' in arg:
                arg = arg.split('=', 1)[0] + '=<hidden>'
            else:
                hide_next = True
        shown.append(URL.sub(r'\1/<hidden>', arg)[:100])
    return ' '.join(shown) + (' ...' if len(argv) > 8 else '')


def stop(pids: t.Iterable[int], wait: float = 3.0) -> None:
    """SIGTERM each, wait up to ``wait`` seconds, then SIGKILL those still there."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    deadline = time.monotonic() + wait
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if os.path.exists('/proc/%d' % pid) and not zombie(pid)]
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def zombie(pid: int) -> bool:
    """True when ``pid`` has ended and waits for its parent."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as handle:
            return handle.read().rsplit(b')', 1)[1].split()[0] in (b'Z', b'X')
    except OSError:
        return True


def main(argv: list[str] | None = None) -> int:
    """Exit status 0 when no process of the run is left (after ``--grace`` seconds), else 1 (they are stopped)."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--run', required=True, help='the run id given to the run as %s' % VARIABLE)
    parser.add_argument('--grace', type=float, default=5.0, help='seconds the processes get to end by themselves (5)')
    args = parser.parse_args(argv)
    if not args.run.strip():
        parser.error('--run must not be empty')
    if not os.path.isdir('/proc/self'):
        print('leftovers: no /proc here; not checked')
        return 0
    deadline = time.monotonic() + max(0.0, args.grace)
    pids = marked(args.run)
    while pids and time.monotonic() < deadline:
        time.sleep(0.2)
        pids = marked(args.run)
    if not pids:
        print('leftovers: no process of this run is left running')
        return 0
    print('leftovers: %d process(es) started by this run were still running %.0f s after it ended (now stopped):'
          % (len(pids), args.grace), file=sys.stderr)
    for pid in pids:
        print('  pid %d: %s' % (pid, shown_command(pid)), file=sys.stderr)
    stop(pids)
    return 1


if __name__ == '__main__':
    sys.exit(main())
