# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the desk-phone smoke test end to end on loopback: the main job behind ``make demo``.

1. start the report receiver (the package roles/report_receiver/files/laaffic_receiver/) and the LAAFFIC emulator
   (servers/laaffic_emulator, scenario ``default``, pushing its reports to the receiver), both as
   subprocesses on 127.0.0.1 with ephemeral ports, through the development harness devtools/receiver.py
   and devtools/emulator.py;
2. run ``ansible-playbook -i demo/inventory.yml demo/smoke_test.yml`` with the emulator's URL and the
   receiver's URL and token as extra variables (a private temporary file, never the command line);
3. print the summary (the playbook does) and the paths of the JUnit XML and HTML reports;
4. stop both servers, also when the playbook fails or on Ctrl-C / SIGTERM.

The exit code is the playbook's: 0 exactly when every phone got the verdict demo/inventory.yml gives it
in ``demo_expected_verdict``. No credentials (the emulator takes the vendor documentation's example
key) and no network beyond loopback are needed. Standard library only.

    python demo/run_demo.py [--report-dir DIR] [--inventory FILE] [-- extra ansible-playbook arguments]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from devtools.emulator import Emulator
from devtools.receiver import Receiver

DEMO_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DEMO_DIR)

INVENTORY = os.path.join(DEMO_DIR, 'inventory.yml')
PLAYBOOK = os.path.join(DEMO_DIR, 'smoke_test.yml')
DEFAULT_REPORT_DIR = os.path.join(DEMO_DIR, 'smoke-test-reports')
REPORT_NAME = 'desk-phone-smoke-test'
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')


class Terminated(Exception):
    """SIGTERM arrived: unwind through the ``finally`` blocks like Ctrl-C does."""


def _on_sigterm(signum, frame):  # pylint: disable=unused-argument
    raise Terminated()


def parse_args(argv):
    parser = argparse.ArgumentParser(description='Run the desk-phone smoke test demo against the local emulator and receiver.')
    parser.add_argument('--report-dir', default=DEFAULT_REPORT_DIR,
                        help='directory for the JUnit XML and HTML reports (default: %(default)s)')
    parser.add_argument('--inventory', default=INVENTORY, help='inventory of simulated phones (default: %(default)s)')
    add_runner_args(parser)
    return parser.parse_args(argv)


def add_runner_args(parser):
    """The options every demo runner takes: the emulator scenario, the ansible-playbook, extra playbook arguments."""
    parser.add_argument('--scenario', default='default', help='emulator scenario (default: %(default)s)')
    parser.add_argument('--ansible-playbook', dest='ansible_playbook', default=None,
                        help='ansible-playbook to run (default: the one next to this Python, else the one on PATH)')
    parser.add_argument('playbook_args', nargs='*', help='extra ansible-playbook arguments, after --')


def find_ansible_playbook(explicit):
    """The ansible-playbook of this Python's environment (the .venv), else the one on PATH."""
    if explicit:
        return explicit
    candidate = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    if os.access(candidate, os.X_OK):
        return candidate
    return shutil.which('ansible-playbook')


def playbook_env():
    """Environment of ansible-playbook: the collection from this checkout (make collection) and plain output."""
    env = dict(os.environ)
    link = os.path.join(COLLECTIONS, 'ansible_collections', 'laaffic', 'voice')
    if 'ANSIBLE_COLLECTIONS_PATH' not in env and os.path.isdir(link):
        env['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS
        env.setdefault('ANSIBLE_COLLECTIONS_SCAN_SYS_PATH', 'false')
    env.setdefault('ANSIBLE_NOCOLOR', '1')
    env.setdefault('ANSIBLE_PYTHON_INTERPRETER', sys.executable)
    # The emulator and the receiver listen on loopback only; never send that through a proxy.
    env['NO_PROXY'] = env['no_proxy'] = ','.join(filter(None, [env.get('NO_PROXY', env.get('no_proxy', '')), '127.0.0.1', 'localhost']))
    return env


def write_extra_vars(directory, emulator, receiver, report_dir):
    """The run-time endpoints, as a 0600 JSON file passed with -e @file (the token stays off the command line)."""
    path = os.path.join(directory, 'endpoints.json')
    data = {
        'laaffic_api_url': emulator.api_url,
        'laaffic_receiver_url': receiver.base,
        'laaffic_receiver_token': receiver.token,
        'desk_phone_smoke_test_report_dir': report_dir,
        'desk_phone_smoke_test_report_name': REPORT_NAME,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        json.dump(data, handle)
    return path


def run(args):
    """Start the servers, run the playbook, stop the servers; return the playbook's exit code."""
    ansible_playbook = find_ansible_playbook(args.ansible_playbook)
    if not ansible_playbook:
        print('run_demo: ansible-playbook not found; run `make demo` (it creates .venv) or activate the virtualenv', file=sys.stderr)
        return 2
    report_dir = os.path.abspath(args.report_dir)
    junit = os.path.join(report_dir, REPORT_NAME + '.junit.xml')
    html = os.path.join(report_dir, REPORT_NAME + '.html')
    for stale in (junit, html):
        if os.path.exists(stale):
            os.remove(stale)
    tmpdir = tempfile.mkdtemp(prefix='laaffic-demo-')
    receiver = emulator = None
    try:
        receiver = Receiver()
        emulator = Emulator(scenario=args.scenario, push_url=receiver.push_url)
        emulator.start()
        if args.scenario == 'default':
            # The verdict `unknown` (annex): the connection breaks once sendSip was sent and the platform never got it.
            # The records cannot tell such a call from one still being processed, so the module neither calls again
            # nor guesses (docs: "Which requests are sent again").
            emulator.fault(endpoint='sendSip', kind='reset_after_read', placed=False, account='desk-slowapi-01')
        print('run_demo: receiver on %s, emulator on %s (scenario %s)' % (receiver.base, emulator.base, args.scenario), flush=True)
        extra_vars = write_extra_vars(tmpdir, emulator, receiver, report_dir)
        cmd = [ansible_playbook, '-i', os.path.abspath(args.inventory), PLAYBOOK, '-e', '@' + extra_vars] + list(args.playbook_args)
        rc = subprocess.call(cmd, env=playbook_env(), cwd=ROOT)
        print('run_demo: ansible-playbook exited with %d' % rc, flush=True)
        for label, path in (('JUnit XML report', junit), ('HTML report', html)):
            print('run_demo: %-18s %s%s' % (label + ':', path, '' if os.path.exists(path) else ' (not written)'), flush=True)
        return rc
    finally:
        for server in (emulator, receiver):
            if server is not None:
                try:
                    server.stop()
                except Exception as exc:  # pylint: disable=broad-exception-caught
                    print('run_demo: stopping %s: %s' % (type(server).__name__, exc), file=sys.stderr)
        shutil.rmtree(tmpdir, ignore_errors=True)


def interruptible(job, name, stopped='servers stopped'):
    """Run ``job()`` and return its exit code; Ctrl-C and SIGTERM unwind through its ``finally`` blocks (which
    stop the servers) and give 130 and 143."""
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        return job()
    except KeyboardInterrupt:
        print('%s: interrupted; %s' % (name, stopped), file=sys.stderr)
        return 130
    except Terminated:
        print('%s: terminated; %s' % (name, stopped), file=sys.stderr)
        return 143
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return interruptible(lambda: run(args), 'run_demo')


if __name__ == '__main__':
    sys.exit(main())
