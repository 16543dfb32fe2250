# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the fleet path users run, against the limits measured in the same run (not a pass/fail test).

For each fleet size N (default 1,000 and 10,000) an emulator serves N generated fleet phones (``--fleet-size``;
each rings 1 s after the call) and an inventory file ``fleet.laaffic_phones.yml`` lists them through the
laaffic.voice.laaffic_phones inventory plugin. Three commands are timed, each the median of ``--repeat`` runs:

* E - an empty play over the same hosts: the inventory plugin's listing and one ``run_once`` debug task;
* M - a localhost play whose one laaffic_call task takes the same N calls (expect ringing): the calls alone;
* T - ``ansible-playbook -i fleet.laaffic_phones.yml laaffic.voice.smoke_test`` (expect ringing): the whole path,
  inventory, role, reports and fleet history, and T's peak RSS (the largest process of the run).

The target of issue 17 is T <= E + M + 2 s, and T's peak RSS at most 1 GiB at 10,000 phones. The emulator is reset
before every run, so that every phone is idle; M and T use the same concurrency.

    python bench/bench_fleet.py [--sizes 1000,10000] [--repeat 3] [--concurrency 50] [--json bench/results/fleet.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench_emulator import machine
from devtools.emulator import Emulator

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.dirname(sys.executable)
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
CALLEE = '493012345678'
HOSTS = 'fleet_g*'  # the generated fleet's phone groups (fleet-g0001 ...), not the scenario's dozen desk phones

# Runs a command and prints the peak RSS (KiB) of the largest process it waited for, on stderr's last line.
PEAK_RSS = ('import resource, subprocess, sys\n'
            'code = subprocess.run(sys.argv[1:]).returncode\n'
            'print("peak_rss_kib=%d" % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n'
            'sys.exit(code)\n')


def environment(emu):
    env = {key: value for key, value in os.environ.items() if not key.startswith('LAAFFIC_')}
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               LAAFFIC_API_URL=emu.api_url, LAAFFIC_API_KEY=emu.api_key, LAAFFIC_API_SECRET=emu.api_secret,
               LAAFFIC_APP_ID=emu.app_id)
    return env


def timed(cmd, env, cwd):
    """Wall seconds and peak RSS (MiB) of one command; fails loudly when it fails."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, '-c', PEAK_RSS] + cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit('bench_fleet: %s exited with %d:\n%s\n%s' % (cmd[:4], proc.returncode, proc.stdout[-4000:], proc.stderr[-4000:]))
    rss = [line for line in proc.stderr.splitlines() if line.startswith('peak_rss_kib=')]
    return seconds, (int(rss[-1].split('=')[1]) / 1024.0 if rss else None), proc.stdout


def write_files(folder, size, concurrency):
    inventory = os.path.join(folder, 'fleet.laaffic_phones.yml')
    with open(inventory, 'w', encoding='utf-8') as handle:
        handle.write('plugin: laaffic.voice.laaffic_phones\n')
    empty = os.path.join(folder, 'empty.yml')
    with open(empty, 'w', encoding='utf-8') as handle:
        handle.write('- name: Empty play over the fleet\n  hosts: "%s"\n  gather_facts: false\n  tasks:\n'
                     '    - name: One run_once task\n      ansible.builtin.debug:\n        msg: "{{ ansible_play_hosts | length }} hosts"\n'
                     '      run_once: true\n      delegate_to: localhost\n' % HOSTS)
    calls = [{'account': 'fleet-%05d' % number} for number in range(1, size + 1)]
    with open(os.path.join(folder, 'calls.json'), 'w', encoding='utf-8') as handle:
        json.dump({'bench_calls': calls}, handle)
    module = os.path.join(folder, 'module.yml')
    with open(module, 'w', encoding='utf-8') as handle:
        handle.write('- name: The calls alone\n  hosts: localhost\n  gather_facts: false\n  tasks:\n'
                     '    - name: One laaffic_call task with every call\n      laaffic.voice.laaffic_call:\n'
                     '        calls: "{{ bench_calls }}"\n        callee: "%s"\n        expect: ringing\n'
                     '        concurrency: %d\n        fail_on: none\n      register: result\n'
                     '    - name: Check that every phone rang\n      ansible.builtin.assert:\n'
                     '        that: result.summary.rang == %d\n' % (CALLEE, concurrency, size))
    return inventory, empty, module


def measure(size, repeat, concurrency):
    with Emulator('default', fleet_size=size, quiet=True) as emu, tempfile.TemporaryDirectory(prefix='bench-fleet-') as folder:
        inventory, empty, module = write_files(folder, size, concurrency)
        env = environment(emu)
        playbook = os.path.join(BIN, 'ansible-playbook')
        commands = {
            'E': [playbook, '-i', inventory, empty],
            'M': [playbook, '-i', 'localhost,', '-c', 'local', module, '-e', '@' + os.path.join(folder, 'calls.json')],
            'T': [playbook, '-i', inventory, 'laaffic.voice.smoke_test', '-e', 'desk_phone_smoke_test_hosts=' + HOSTS,
                  '-e', 'desk_phone_smoke_test_callee=' + CALLEE, '-e', 'desk_phone_smoke_test_expect=ringing',
                  '-e', 'desk_phone_smoke_test_concurrency=%d' % concurrency],
        }
        runs = {name: [] for name in commands}
        rss = {name: [] for name in commands}
        for round_number in range(repeat):
            for name, cmd in commands.items():
                emu.reset()
                seconds, peak, dummy = timed(cmd, env, folder)
                runs[name].append(seconds)
                rss[name].append(peak)
                print('bench_fleet: N=%d run %d %s %.2f s, peak RSS %.0f MiB' % (size, round_number + 1, name, seconds, peak or 0),
                      flush=True)
        median = {name: statistics.median(values) for name, values in runs.items()}
        row = {'phones': size, 'E_s': round(median['E'], 2), 'M_s': round(median['M'], 2), 'T_s': round(median['T'], 2),
               'limit_s': round(median['E'] + median['M'] + 2, 2), 'margin_s': round(median['E'] + median['M'] + 2 - median['T'], 2),
               'T_peak_rss_mib': round(max(value for value in rss['T'] if value is not None), 1),
               'runs': repeat, 'T_runs_s': ', '.join('%.2f' % value for value in runs['T'])}
        return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--sizes', default='1000,10000', help='fleet sizes, comma-separated (default 1000,10000)')
    parser.add_argument('--repeat', type=int, default=3, help='runs of each command per size; medians are shown (default 3)')
    parser.add_argument('--concurrency', type=int, default=50, help='laaffic_call concurrency for M and T (default 50)')
    parser.add_argument('--json', default=os.path.join(HERE, 'results', 'fleet.json'), help='results file ("" for none)')
    args = parser.parse_args(argv)
    facts = machine()
    print('bench_fleet: machine %s' % json.dumps(facts), flush=True)
    rows = [measure(int(size), max(1, args.repeat), args.concurrency) for size in args.sizes.split(',') if size.strip()]
    print('\n%8s %8s %8s %8s %10s %8s %12s' % ('phones', 'E (s)', 'M (s)', 'T (s)', 'E+M+2 (s)', 'margin', 'T peak RSS'))
    for row in rows:
        print('%8d %8.2f %8.2f %8.2f %10.2f %8.2f %9.0f MiB%s' % (
            row['phones'], row['E_s'], row['M_s'], row['T_s'], row['limit_s'], row['margin_s'], row['T_peak_rss_mib'],
            '' if row['margin_s'] >= 0 else '   (over the target)'))
    if args.json:
        os.makedirs(os.path.dirname(args.json), exist_ok=True)
        with open(args.json, 'w', encoding='utf-8') as handle:
            json.dump({'benchmark': 'fleet', 'title': 'The fleet path: inventory plugin to verdicts (issue 17)',
                       'description': ('E: an empty play (one run_once task) over the same inventory; M: a localhost play with one '
                                       'laaffic_call task taking the same N calls; T: `ansible-playbook -i fleet.laaffic_phones.yml '
                                       'laaffic.voice.smoke_test`, expect ringing. Target: T <= E + M + 2 s; T peak RSS <= 1 GiB '
                                       'at 10,000. Medians of the runs; every phone rings 1 s after its call.'),
                       'generated_at': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                       'machine': facts, 'rows': rows}, handle, indent=2)
            handle.write('\n')
        print('bench_fleet: wrote %s' % args.json)


if __name__ == '__main__':
    main()
