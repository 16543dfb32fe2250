"""What every test shares: one emulator per pytest process.

Imports need no set-up here: pytest.ini puts the checkout (``devtools``), ``tests`` (``support``) and the
collection link made by ``make collection`` (``ansible_collections.laaffic.voice``) on pytest's path.

``emulator_process`` (session scope) is the LAAFFIC emulator, scenario ``default``, that tests share; under
pytest-xdist every worker has its own. The ``emu`` fixtures of tests/emulator and tests/integration hand it
out reset to the scenario's initial state. Tests that need other start-up options start their own.

Two markers (declared in pytest.ini) are put on the tests themselves (``@pytest.mark.<marker>``, or
``pytestmark`` for a whole file):

- ``emulator_timing``: the outcome depends on how fast the emulator's simulated phones ring, answer, hang up
  and push compared with the timeouts and poll intervals of the test. ``make stress`` repeats these under
  CPU load.
- ``core_independent``: integration tests of the plugins' own HTTP handling (plugins/module_utils: faults,
  retries, timeouts, concurrency and rate limits, large batches), which is the same code on every ansible-core
  and is unit-tested on every core. ``make test-core-oldest-newest`` leaves them to the main core and runs
  the rest (what ansible-core does with the plugins: argument specs, check mode, no_log, module_defaults,
  environment fallbacks, async, lookups) on the oldest and newest cores.
"""

from __future__ import annotations

import os
import signal
import sys

import pytest

from devtools.emulator import Emulator, stop_all
from devtools.leftovers import servers_below, shown_command
from devtools.leftovers import stop as stop_processes


def pytest_configure(config):  # pylint: disable=unused-argument
    """Give the programs the tests start Ctrl-C as a terminal delivers it, however pytest was started.

    A shell script that starts a command in the background (``make test &`` in a non-interactive shell) starts
    it with SIGINT ignored, and every process it starts inherits that: demo/run_demo.py would then not stop on
    the SIGINT that tests/integration/test_demo.py sends it. A handler (unlike "ignore") is not inherited
    through exec, so the children start with SIGINT at its default again.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope='session')
def emulator_process():
    """The shared emulator of this pytest process (of this xdist worker)."""
    with Emulator('default') as emulator:
        yield emulator


def pytest_sessionfinish(session, exitstatus):  # pylint: disable=unused-argument
    """The session-wide reaper (each xdist worker and the controller): whatever a test started and did not stop -
    an Emulator left unstopped, an emulator or receiver process below this one - is stopped here and named.
    The emulators also end with their parent by themselves (EMULATOR_PARENT_PID), and `make test` ends with
    devtools/leftovers.py, which fails the run if anything it started is still running."""
    left = stop_all()
    pids = servers_below(os.getpid()) if os.path.isdir('/proc/self') else []
    for pid in pids:
        sys.stderr.write('pytest reaper: stopping pid %d left running by a test: %s\n' % (pid, shown_command(pid)))
    stop_processes(pids)
    if left:
        sys.stderr.write('pytest reaper: stopped %d emulator(s) a test had started and not stopped\n' % left)
