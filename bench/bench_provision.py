# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the desk_phone_config role over 1,000 phones of the inventory plugin and print measured numbers (not a pass/fail test).

Starts the emulator (fleet scenario: 1,000 phones) on loopback and lists its phones through the laaffic_phones
inventory plugin (``include_passwords: true``, a MAC address composed from the account), then times, with
``ansible-playbook`` over the same inventory file each time:

- E: an empty play over the same hosts (one ``run_once`` debug task), the cost of Ansible and of the inventory;
- R1: the role's first render, into an empty directory (1,000 Yealink files);
- R2: the role again with no change (its changed count is printed: 0 expected).

Target (issue 17): R1 and R2 within 10 s of E. Medians of ``--rounds`` rounds after one warm-up round.

    python bench/bench_provision.py [--rounds 3] [--json bench/results/provision.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
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
PHONES = 1000
TARGET_S = 10.0

INVENTORY = """plugin: laaffic.voice.laaffic_phones
include_passwords: true
compose:
  laaffic_mac: "'02:00:' ~ ((laaffic_account | hash('sha1'))[:8] | regex_findall('..') | join(':'))"
"""
EMPTY = """- name: Empty play over the same hosts
  hosts: all
  gather_facts: false
  tasks:
    - name: One task, once
      ansible.builtin.debug:
        msg: "{{ ansible_play_hosts | length }} hosts"
      run_once: true
"""
PROVISION = """- name: Provisioning files for every phone
  hosts: all
  gather_facts: false
  roles:
    - role: laaffic.voice.desk_phone_config
      vars:
        desk_phone_config_dir: "%s"
        desk_phone_config_sip_server: sip.example.net
"""


def cli_env(emu):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false', ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               LAAFFIC_API_URL=emu.api_url, LAAFFIC_API_KEY=emu.api_key, LAAFFIC_API_SECRET=emu.api_secret, LAAFFIC_APP_ID=emu.app_id)
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    return env


def timed_play(inventory, playbook, env, cwd):
    """(seconds, changed count of the recap, hosts in the recap) of one ansible-playbook run; raises when it fails."""
    started = time.perf_counter()
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', inventory, playbook], capture_output=True, text=True,
                          env=env, cwd=cwd, check=False)
    elapsed = time.perf_counter() - started
    output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError('ansible-playbook %s exited with %d:\n%s' % (os.path.basename(playbook), proc.returncode, output[-3000:]))
    recap = re.findall(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)', output, re.M)
    return elapsed, sum(int(changed) for dummy, changed in recap), len(recap)


def run(rounds, workdir, emu):
    env = cli_env(emu)
    inventory = os.path.join(workdir, 'fleet.laaffic_phones.yml')
    out = os.path.join(workdir, 'provisioning')
    files = {'empty.yml': EMPTY, 'provision.yml': PROVISION % out}
    for name, text in dict(files, **{'fleet.laaffic_phones.yml': INVENTORY}).items():
        with open(os.path.join(workdir, name), 'w', encoding='utf-8') as handle:
            handle.write(text)
    times = {'E': [], 'R1': [], 'R2': []}
    changed = {'R1': [], 'R2': []}
    for index in range(rounds + 1):
        shutil.rmtree(out, ignore_errors=True)
        results = {'E': timed_play(inventory, os.path.join(workdir, 'empty.yml'), env, workdir),
                   'R1': timed_play(inventory, os.path.join(workdir, 'provision.yml'), env, workdir)}
        written = len(os.listdir(out))
        if written != PHONES:
            raise RuntimeError('R1 wrote %d files for %d phones' % (written, PHONES))
        results['R2'] = timed_play(inventory, os.path.join(workdir, 'provision.yml'), env, workdir)
        line = '  round %d%s:' % (index, ' (warm-up)' if not index else '')
        for key in ('E', 'R1', 'R2'):
            line += ' %s %.2f s' % (key, results[key][0])
        print(line + ' | R1 changed=%d, R2 changed=%d | load %s' % (results['R1'][1], results['R2'][1], machine()['loadavg_at_start']),
              flush=True)
        if index:
            for key in times:
                times[key].append(results[key][0])
            for key in changed:
                changed[key].append(results[key][1])
    return times, changed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--rounds', type=int, default=3, help='rounds of E, R1 and R2 (after one warm-up round)')
    parser.add_argument('--json', default=os.path.join(HERE, 'results', 'provision.json'),
                        help='results file for bench/plot_results.py (default %(default)s; "" for none)')
    args = parser.parse_args(argv)
    info = machine()
    info['ansible_core'] = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '--version'], capture_output=True, text=True,
                                          check=False).stdout.splitlines()[0]
    print('machine: %s; cpus %s (usable %s); load %s; python %s %s; %s' % (
        info['cpu_model'], info['cpu_count'], info['nproc'], info['loadavg_at_start'], info['implementation'], info['python'],
        info['ansible_core']))
    print('desk_phone_config over %d phones of the emulator\'s fleet scenario, listed by the laaffic_phones inventory plugin' % PHONES,
          flush=True)
    with Emulator('fleet', quiet=True) as emu, tempfile.TemporaryDirectory(prefix='bench-provision-') as workdir:
        times, changed = run(args.rounds, workdir, emu)
    medians = dict((key, statistics.median(values)) for key, values in times.items())
    print('E  (empty play, one run_once task)      median %6.2f s  (min %.2f, max %.2f)' % (medians['E'], min(times['E']), max(times['E'])))
    for key, label in (('R1', 'first render (1,000 files)'), ('R2', 'rerun, no change')):
        met = medians[key] - medians['E'] <= TARGET_S
        print('%-2s (%-35s) median %6.2f s  (min %.2f, max %.2f), %.2f s above E (target <= %.0f s: %s); changed=%s' % (
            key, label, medians[key], min(times[key]), max(times[key]), medians[key] - medians['E'], TARGET_S,
            'met' if met else 'NOT met', ','.join(str(n) for n in changed[key])))
    info['loadavg_at_end'] = machine()['loadavg_at_start']
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w', encoding='utf-8') as handle:
            json.dump(results_file(info, times, changed, medians), handle, indent=2)
        print('wrote %s' % args.json)
    return 0


def results_file(info, times, changed, medians):
    """The results in bench/plot_results.py's format: one row per play."""
    rows = []
    for key, label in (('E', 'E: empty play over the same hosts (one run_once task)'), ('R1', 'R1: desk_phone_config, first render'),
                       ('R2', 'R2: desk_phone_config again, no change')):
        rows.append({'play': label, 'runs': len(times[key]), 'median_s': round(medians[key], 2), 'min_s': round(min(times[key]), 2),
                     'max_s': round(max(times[key]), 2),
                     'above_empty_s': round(medians[key] - medians['E'], 2) if key != 'E' else None,
                     'changed': ','.join(str(n) for n in changed[key]) if key in changed else None})
    return {
        'benchmark': 'provision', 'title': 'Provisioning files for %d desk phones (desk_phone_config)' % PHONES,
        'description': 'ansible-playbook over the laaffic_phones inventory plugin (include_passwords: true, a MAC address composed '
                       'from the account) against the emulator\'s fleet scenario on loopback. E is an empty play over the same hosts '
                       '(one run_once task); R1 renders every phone\'s Yealink file into an empty directory; R2 runs the role again with '
                       'no change (changed counts of the recap per run). Target: R1 and R2 within %.0f s of E.' % TARGET_S,
        'generated_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'machine': info,
        'columns': {'play': 'Play', 'runs': 'Runs', 'median_s': 'median (s)', 'min_s': 'min (s)', 'max_s': 'max (s)',
                    'above_empty_s': 'above E (s)', 'changed': 'changed (recap)'},
        'rows': rows}


if __name__ == '__main__':
    sys.exit(main())
