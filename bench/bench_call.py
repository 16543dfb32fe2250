# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: smoke-testing desk phones with laaffic.voice.laaffic_call against the ansible.builtin.uri way.

Everything runs against the emulator's ``fleet`` scenario on loopback (1,000 phones that ring 1 s after the
call is placed and are not answered). It prints measured numbers and the machine, and writes
bench/results/scaling.json for bench/plot_results.py. Nothing here passes or fails: it measures.

1. the emulator's own sendSip rate (so that the target below can be computed);
2. 500 phones placed and verified to ``ringing`` in one laaffic_call task, next to the same work done with
   ansible.builtin.uri in a loop (place) and uri with until/retries (poll each record);
3. one single-call laaffic_call task against one single uri task (median of several runs);
4. wall time against the number of phones, both ways.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import yaml

from bench_emulator import build_requests, machine, run_round
from devtools.emulator import Emulator

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

RING_AFTER = 1.0
CALLEE = '4930123456'
HEADERS = {
    'Content-Type': 'application/json;charset=UTF-8',
    'Api-Key': '{{ laaffic_key }}',
    'Timestamp': '{{ ts }}',
    'Sign': "{{ (laaffic_key ~ laaffic_secret ~ ts) | hash('md5') }}",
}
# Timestamp and Sign are templated separately (and not again on until/retries): with a per-second
# timestamp the two disagree whenever a second boundary falls between them (status -1). Rounding to the
# minute keeps them equal and stays inside the platform's timestamp window.
TS = "{{ (now().timestamp() // 60 * 60) | int }}"


def timed_play(tasks):
    """A play that records the monotonic-ish wall time around ``tasks`` (set_fact t0/t1)."""
    return [{'name': 'bench', 'hosts': 'localhost', 'gather_facts': False,
             'tasks': [{'name': 'Start', 'ansible.builtin.set_fact': {'t0': '{{ now().timestamp() }}'}}] + tasks + [
                 {'name': 'Stop', 'ansible.builtin.set_fact': {'t1': '{{ now().timestamp() }}'}},
                 {'name': 'Report', 'ansible.builtin.debug': {'msg': 'TASKS_SECONDS={{ t1 | float - t0 | float }}'}}]}]


def collection_tasks(count, expect):
    return [{'name': 'Call', 'laaffic.voice.laaffic_call': {
        'api_url': '{{ laaffic_url }}', 'api_key': '{{ laaffic_key }}', 'api_secret': '{{ laaffic_secret }}',
        'app_id': '{{ laaffic_app }}', 'callee': CALLEE, 'expect': expect, 'concurrency': 10, 'wait_timeout': 60,
        'calls': '{{ calls }}'}}]


def uri_tasks(expect):
    tasks = [{'name': 'Place the calls', 'ansible.builtin.uri': {
        'url': '{{ laaffic_url }}/voice/sendSip', 'method': 'POST', 'body_format': 'json', 'headers': HEADERS,
        'body': {'callee': CALLEE, 'account': '{{ item }}', 'appId': '{{ laaffic_app }}'}},
        'vars': {'ts': TS}, 'loop': '{{ phones }}', 'register': 'placed'}]
    if expect == 'ringing':
        tasks.append({'name': 'Wait for each phone to ring', 'ansible.builtin.uri': {
            'url': '{{ laaffic_url }}/voice/recordSip/{{ item.json.data }}', 'method': 'GET', 'headers': HEADERS},
            'vars': {'ts': TS}, 'loop': '{{ placed.results }}', 'register': 'record', 'loop_control': {'label': '{{ item.item }}'},
            'until': '(record.json.data | default(none)) is not none and record.json.data.ringingTime is truthy', 'retries': 30, 'delay': 1})
    return tasks


def run_play(workdir, name, play, emu, count):
    accounts = ['fleet-%04d' % n for n in range(1, count + 1)]
    variables = {'laaffic_url': emu.api_url, 'laaffic_key': emu.api_key, 'laaffic_secret': emu.api_secret, 'laaffic_app': emu.app_id,
                 'phones': accounts, 'calls': [{'account': a} for a in accounts], 'ansible_python_interpreter': sys.executable}
    playbook = os.path.join(workdir, name + '.yml')
    with open(playbook, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(play, handle, sort_keys=False)
    extra = os.path.join(workdir, name + '.vars.json')
    with open(extra, 'w', encoding='utf-8') as handle:
        json.dump(variables, handle)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'),
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    emu.reset()
    started = time.perf_counter()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                           '-e', '@' + extra, playbook], capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        failures = [line[:2000] for line in output.splitlines() if line.startswith(('failed:', 'fatal:'))][:3]
        raise RuntimeError('%s failed:\n%s\n...\n%s' % (name, '\n'.join(failures), output[-1500:]))
    tasks = float(proc.stdout.split('TASKS_SECONDS=', 1)[1].split('"', 1)[0])
    placed = len(emu.calls())
    if placed != count:
        raise RuntimeError('%s placed %d calls, expected %d' % (name, placed, count))
    return wall, tasks


def emulator_rate(emu):
    """sendSip requests per second the emulator serves (two rounds of 1,000, 8 connections)."""
    accounts = ['fleet-%04d' % n for n in range(1, 1001)]
    rates = []
    for dummy in range(2):
        emu.reset()
        elapsed = asyncio.run(run_round(emu.port, build_requests(emu, accounts), 8, [], {}))
        rates.append(len(accounts) / elapsed)
    emu.reset()
    return max(rates)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--phones', type=int, default=500, help='phones in the headline comparison')
    parser.add_argument('--single-runs', type=int, default=5)
    parser.add_argument('--scaling', default='50,100,250,500,1000', help='phone counts for the collection')
    parser.add_argument('--uri-scaling', default='50,100,250,500,1000', help='phone counts for the uri way (it is slow)')
    parser.add_argument('--json', default=os.path.join(HERE, 'results', 'scaling.json'))
    args = parser.parse_args(argv)

    info = machine()
    info['ansible_core'] = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible'), '--version'], capture_output=True,
                                          text=True, check=False).stdout.split('\n', 1)[0]
    print('machine: %s; cpus %s (usable %s); load %s; python %s; %s' % (
        info['cpu_model'], info['cpu_count'], info['nproc'], info['loadavg_at_start'], info['python'], info['ansible_core']))
    workdir = tempfile.mkdtemp(prefix='bench-call-')
    rows = {}
    with Emulator('fleet', quiet=True) as emu:
        rate = emulator_rate(emu)
        print('emulator sendSip rate: %.0f requests/s' % rate)

        n = args.phones
        c_wall, c_task = run_play(workdir, 'collection', timed_play(collection_tasks(n, 'ringing')), emu, n)
        u_wall, u_task = run_play(workdir, 'uri', timed_play(uri_tasks('ringing')), emu, n)
        target = RING_AFTER + n / rate + 3.0
        print('\n%d phones placed and verified to ringing' % n)
        print('  laaffic_call (one task): task %.2f s, playbook %.2f s' % (c_task, c_wall))
        print('  uri loop + uri until:    tasks %.2f s, playbook %.2f s' % (u_task, u_wall))
        print('  speed-up: %.1fx on the tasks, %.1fx on the playbooks (target >= 20x)' % (u_task / c_task, u_wall / c_wall))
        print('  target for the task: ring %.1f s + %d / %.0f req/s + 3 s = %.2f s; measured %.2f s (%s)' % (
            RING_AFTER, n, rate, target, c_task, 'within' if c_task <= target else 'OVER'))
        rows.setdefault(n, {})['collection_s'] = round(c_wall, 2)
        rows[n]['uri_s'] = round(u_wall, 2)

        singles = {'collection': [], 'uri': []}
        for dummy in range(args.single_runs):
            singles['collection'].append(run_play(workdir, 'single-collection', timed_play(collection_tasks(1, 'accepted')), emu, 1))
            singles['uri'].append(run_play(workdir, 'single-uri', timed_play(uri_tasks('accepted')), emu, 1))
        medians = dict((way, (statistics.median(w for w, t in runs), statistics.median(t for w, t in runs))) for way, runs in singles.items())
        print('\none call, median of %d runs' % args.single_runs)
        print('  laaffic_call: task %.3f s, playbook %.2f s' % (medians['collection'][1], medians['collection'][0]))
        print('  uri:          task %.3f s, playbook %.2f s' % (medians['uri'][1], medians['uri'][0]))
        print('  ratio laaffic_call / uri: task %.2f, playbook %.2f (target <= 1.2)' % (
            medians['collection'][1] / medians['uri'][1], medians['collection'][0] / medians['uri'][0]))

        print('\nscaling (playbook wall time, expect ringing)')
        for count in [int(v) for v in args.scaling.split(',') if v]:
            if 'collection_s' not in rows.get(count, {}):
                rows.setdefault(count, {})['collection_s'] = round(run_play(workdir, 'collection', timed_play(collection_tasks(count, 'ringing')),
                                                                            emu, count)[0], 2)
            print('  %5d phones: laaffic_call %.2f s' % (count, rows[count]['collection_s']))
        for count in [int(v) for v in args.uri_scaling.split(',') if v]:
            if 'uri_s' not in rows.get(count, {}):
                rows.setdefault(count, {})['uri_s'] = round(run_play(workdir, 'uri', timed_play(uri_tasks('ringing')), emu, count)[0], 2)
            print('  %5d phones: uri way %.2f s' % (count, rows[count]['uri_s']))

    headline = (
        'Playbook wall time (ansible-playbook start to end) to place calls through N fleet phones of the emulator and verify that '
        'each rang. Emulator sendSip rate: %.0f requests/s. %d phones in one laaffic_call task: task %.2f s (target: ring %.0f s + '
        '%d / %.0f + 3 s = %.2f s), uri loop + uri until: %.2f s, speed-up %.1fx. One call, median of %d runs: laaffic_call task '
        '%.3f s, uri task %.3f s (ratio %.2f; target <= 1.2).' % (
            rate, n, c_task, RING_AFTER, n, rate, target, u_task, u_task / c_task, args.single_runs,
            medians['collection'][1], medians['uri'][1], medians['collection'][1] / medians['uri'][1]))
    table = [dict({'phones': count, 'collection_s': None, 'uri_s': None}, **values) for count, values in sorted(rows.items())]
    for row in table:
        row['speedup'] = round(row['uri_s'] / row['collection_s'], 1) if row['uri_s'] and row['collection_s'] else None
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    with open(args.json, 'w', encoding='utf-8') as handle:
        json.dump({'benchmark': 'scaling', 'title': 'Desk-phone smoke test: laaffic_call against the uri way',
                   'description': headline,
                   'generated_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'machine': info,
                   'columns': {'collection_s': 'laaffic_call (s)', 'uri_s': 'uri loop (s)', 'speedup': 'speed-up'},
                   'rows': table}, handle, indent=2)
    print('\nwrote %s' % args.json)


if __name__ == '__main__':
    main()
