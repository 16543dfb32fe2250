"""What every test shares: one emulator per pytest process, and the lists behind two markers.

Imports need no set-up here: pytest.ini puts the checkout (``devtools``), ``tests`` (``support``) and the
collection link made by ``make collection`` (``ansible_collections.laaffic.voice``) on pytest's path.

``emulator_process`` (session scope) is the LAAFFIC emulator, scenario ``default``, that tests share; under
pytest-xdist every worker has its own. The ``emu`` fixtures of tests/emulator and tests/integration hand it
out reset to the scenario's initial state. Tests that need other start-up options start their own.

The two markers (declared in pytest.ini) are given here, by test name, so that the test files stay as they are:

- ``emulator_timing``: the outcome depends on how fast the emulator's simulated phones ring, answer, hang up
  and push compared with the timeouts and poll intervals of the test. ``make stress`` repeats these under
  CPU load. A name listed here that its file no longer has stops a run that selects the marker.
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

# file (relative to the repository root) -> test function names; '*' = every test of the file.
MARKED = {
    'emulator_timing': {
        'tests/emulator/test_calls.py': (
            'test_answer_timeline', 'test_no_answer_timeline', 'test_answer_after_ring_timeout_is_no_answer',
            'test_reject_timeline', 'test_slow_api_answers_late_but_places_the_call',
            'test_slow_api_does_not_block_other_requests', 'test_late_ring', 'test_concurrent_calls_to_one_phone'),
        'tests/emulator/test_push.py': ('*',),
        'tests/emulator/test_faults.py': ('test_slow_response',),
        'tests/emulator/test_cli_and_http.py': ('test_fleet_scenario_and_time_scale',),
        'tests/integration/test_laaffic_call.py': (
            'test_every_verdict', 'test_ringing_does_not_wait_for_hangup', 'test_concurrency_limit_visible_in_arrivals',
            'test_rate_limit_visible_in_arrivals', 'test_slow_response_is_read_back_and_not_repeated',
            'test_503_with_retry_after_is_retried_once', 'test_record_reads_retried_through_faults', 'test_async_poll'),
        'tests/integration/test_laaffic_lookups.py': ('test_record_lookup_by_voice_id', 'test_call_verified_through_receiver'),
        'tests/integration/test_role_smoke_test.py': ('test_reports_and_fact', 'test_fails_naming_short_phones'),
        'tests/integration/test_demo.py': ('test_demo_end_to_end',),
    },
    'core_independent': {
        'tests/integration/test_fleet_playbook.py': ('test_two_thousand_phones_through_the_inventory_plugin',),
        'tests/integration/test_laaffic_call.py': (
            'test_batch_of_200_phones_verified_in_bulk',
            'test_batch_of_200_phones_in_a_busy_application_reads_each_record', 'test_batch_of_200_phones_when_the_bulk_read_fails',
            'test_concurrency_limit_visible_in_arrivals', 'test_rate_limit_visible_in_arrivals',
            'test_faults_never_duplicate_a_call', 'test_slow_response_is_read_back_and_not_repeated',
            'test_503_with_retry_after_is_retried_once', 'test_connection_refused_is_retried_then_rejected',
            'test_record_reads_retried_through_faults'),
        'tests/integration/test_creating_requests.py': ('*',),
    },
}


def pytest_configure(config):  # pylint: disable=unused-argument
    """Give the programs the tests start Ctrl-C as a terminal delivers it, however pytest was started.

    A shell script that starts a command in the background (``make test &`` in a non-interactive shell) starts
    it with SIGINT ignored, and every process it starts inherits that: demo/run_demo.py would then not stop on
    the SIGINT that tests/integration/test_demo.py sends it. A handler (unlike "ignore") is not inherited
    through exec, so the children start with SIGINT at its default again.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(config, items):
    """Add the markers of MARKED; when a run selects a marker (-m), every name listed for it must exist."""
    markexpr = config.getoption('markexpr') or ''
    missing = []
    for marker, files in MARKED.items():
        checked = set()
        for item in items:
            path = item.path.relative_to(config.rootpath).as_posix()
            names = files.get(path)
            if not names:
                continue
            if marker in markexpr and path not in checked:
                checked.add(path)
                missing.extend('%s::%s' % (path, name) for name in names if name != '*' and not hasattr(item.module, name))
            if '*' in names or item.originalname in names:
                item.add_marker(getattr(pytest.mark, marker))
    if missing:
        raise pytest.UsageError('tests/conftest.py marks tests that do not exist (renamed?): %s' % ', '.join(missing))


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
