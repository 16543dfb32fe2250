# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nothing left running: an emulator ends with whatever started it, however that ends (SIGKILL, Ctrl-C, an
exception, ``with`` after ``start()``), and devtools/leftovers.py (the end of `make test`) finds, names and stops
a process a run left behind, and fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from devtools.emulator import ROOT, Emulator
from devtools.leftovers import marked

LEFTOVERS = os.path.join(ROOT, 'devtools', 'leftovers.py')
RUNNER = '''
import sys, time
from devtools.emulator import Emulator
emulator = Emulator('default', quiet=True)
emulator.start()
print(emulator.proc.pid, flush=True)
time.sleep(120)
'''


def run_id():
    return 'pytest-%s' % uuid.uuid4().hex


def alive(pid):
    try:
        with open('/proc/%d/stat' % pid, 'rb') as handle:
            return handle.read().rsplit(b')', 1)[1].split()[0] not in (b'Z', b'X')
    except OSError:
        return False


def gone_within(pids, seconds):
    """Poll until no pid is alive (a hang bound, not a measured time)."""
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(alive(pid) for pid in pids)


def leftovers(run, grace=0.5):
    return subprocess.run([sys.executable, LEFTOVERS, '--run', run, '--grace', str(grace)], capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='PR_SET_PDEATHSIG and /proc are Linux')
@pytest.mark.parametrize('how', [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_interrupted_runner_leaves_no_emulator(how):
    run = run_id()
    runner = subprocess.Popen([sys.executable, '-c', RUNNER], env=dict(os.environ, LAAFFIC_TEST_RUN=run),
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    emulator_pid = None
    try:
        emulator_pid = int(runner.stdout.readline())
        assert alive(emulator_pid) and emulator_pid in marked(run)
        runner.send_signal(how)
        runner.wait(30)
        assert gone_within([emulator_pid], 20), 'the emulator outlived its runner (%s)' % how.name
        result = leftovers(run)
        assert result.returncode == 0, result.stderr
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
        runner.stdout.close()
        if emulator_pid is not None and alive(emulator_pid) and emulator_pid in marked(run):
            os.kill(emulator_pid, signal.SIGKILL)


def test_with_after_start_starts_no_second_emulator():
    run = run_id()
    emulator = Emulator('default', quiet=True, env={'LAAFFIC_TEST_RUN': run})
    try:
        emulator.start()
        first = emulator.proc.pid
        with emulator:  # tests/release/run_release_check.py does this: it leaked one emulator per `make test`
            assert emulator.proc.pid == first
            assert marked(run) == [first]
        assert gone_within([first], 20)
        assert marked(run) == []
    finally:
        emulator.stop()
        for pid in marked(run):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='/proc is Linux')
def test_leftovers_names_stops_and_fails_without_showing_secrets():
    run = run_id()
    assert leftovers(run, grace=0).returncode == 0
    # an orphan of the run (its parent has exited: re-parented to init), with secrets on its command line
    orphan_code = ('import subprocess, sys; p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", '
                   '"http://127.0.0.1:9/push/PushSecret42", "--token", "TokenSecret42", "--api-secret=ApiSecret42"], '
                   'start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(p.pid)')
    started = subprocess.run([sys.executable, '-c', orphan_code], env=dict(os.environ, LAAFFIC_TEST_RUN=run),
                             capture_output=True, text=True, timeout=30, check=True)
    orphan = int(started.stdout)
    try:
        assert marked(run) == [orphan]
        result = leftovers(run)
        assert result.returncode == 1
        assert 'pid %d:' % orphan in result.stderr and 'http://127.0.0.1:9/<hidden>' in result.stderr, result.stderr
        assert 'Secret42' not in result.stdout + result.stderr
        assert gone_within([orphan], 20)
        assert leftovers(run, grace=0).returncode == 0
    finally:
        if alive(orphan):
            os.kill(orphan, signal.SIGKILL)
