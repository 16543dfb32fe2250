# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: smoke-testing desk phones with laaffic.voice.laaffic_call, against its per-call polling of before
bulk verification and against the ansible.builtin.uri way.

Everything runs against the emulator's ``fleet`` scenario on loopback (1,000 phones that ring 1 s after the
call is placed and are not answered). The emulator runs with its request log on, so every API request that
reached it is counted by endpoint. It prints measured numbers, the machine and its load, and writes
bench/results/scaling.json, memory.json and profile.json for bench/plot_results.py. Nothing here passes or
fails: it measures, and says whether each target of issue 12 was met.

"Today's" per-call polling is the collection as it was before bulk verification: the tree of ``--baseline-ref``
(git archive), installed in a temporary collections path and run the same way.

1. the emulator's sendSip rate and an empty play (the same playbook and variables, no call task);
2. 1,000 phones to ``ringing`` in one task: bulk against per-call polling (time, requests on the wire);
3. 500 phones: laaffic_call against ansible.builtin.uri (a loop to place, uri with until/retries to poll);
4. one call: a single-call laaffic_call task against one uri task (median of several runs);
5. time and requests against the number of phones, all three ways;
6. the module's peak RSS (and time) for 1,000 and 5,000 calls, outside Ansible (5,000 calls: 4,000 phones
   added through the emulator's control API);
7. a profile (cProfile, stdlib) of one 1,000-phone module run: where the module's time goes, and what the
   Ansible task costs around it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

import yaml

from bench_emulator import build_requests, machine, run_round
from devtools.emulator import Emulator

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

RING_AFTER = 1.0
CALLEE = '4930123456'
BASELINE_REF = '3a04513'  # the last commit with per-call polling only (before issue 12)
CURRENT = os.path.join(ROOT, '.build', 'collections')
MODULE = 'ansible_collections.laaffic.voice.plugins.modules.laaffic_call'
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
VERIFY_ENDPOINTS = ('recordSip', 'recordSipQuery')


def load():
    try:
        return '%.2f %.2f %.2f' % os.getloadavg()
    except OSError:
        return 'unknown'


def say(text=''):
    print(text, flush=True)


def timed_play(tasks):
    """A play that records the wall time around ``tasks`` (set_fact t0/t1) and prints the requests it counted."""
    return [{'name': 'bench', 'hosts': 'localhost', 'gather_facts': False,
             'tasks': [{'name': 'Start', 'ansible.builtin.set_fact': {'t0': '{{ now().timestamp() }}'}}] + tasks + [
                 {'name': 'Stop', 'ansible.builtin.set_fact': {'t1': '{{ now().timestamp() }}'}},
                 {'name': 'Report', 'ansible.builtin.debug': {
                     'msg': "TASKS_SECONDS={{ t1 | float - t0 | float }} REQUESTS={{ (r | default({})).get('summary', {})"
                            ".get('requests', {}) | to_json }} END"}}]}]


def collection_tasks(expect):
    return [{'name': 'Call', 'laaffic.voice.laaffic_call': {
        'api_url': '{{ laaffic_url }}', 'api_key': '{{ laaffic_key }}', 'api_secret': '{{ laaffic_secret }}',
        'app_id': '{{ laaffic_app }}', 'callee': CALLEE, 'expect': expect, 'concurrency': 10, 'wait_timeout': 60,
        'calls': '{{ calls }}'}, 'register': 'r'}]


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


class Served(object):
    """Counts the requests the emulator logged since the last call, by endpoint (its log has one line per request)."""

    def __init__(self, emu):
        self.path = emu._log.name  # pylint: disable=protected-access
        self.offset = os.path.getsize(self.path)

    def take(self):
        with open(self.path, 'rb') as handle:
            handle.seek(self.offset)
            text = handle.read().decode('utf-8', 'replace')
        self.offset += len(text.encode('utf-8'))
        counts = {}
        for line in text.splitlines():
            match = re.match(r'(?:GET|POST) /(?:v3/)?(?:voice/)?(\w+)', line)
            if match:
                counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        return counts


def verify_count(served):
    return sum(served.get(endpoint, 0) for endpoint in VERIFY_ENDPOINTS)


def fleet_accounts(count):
    return ['fleet-%04d' % n for n in range(1, count + 1)]


def run_play(workdir, name, play, emu, count, collections=CURRENT, placed=None):
    """Run ``play`` with ``count`` fleet phones in its variables; return wall, task seconds, the requests the emulator
    served and the module's own count (summary.requests, {} before issue 12)."""
    accounts = fleet_accounts(count)
    variables = {'laaffic_url': emu.api_url, 'laaffic_key': emu.api_key, 'laaffic_secret': emu.api_secret, 'laaffic_app': emu.app_id,
                 'phones': accounts, 'calls': [{'account': a} for a in accounts], 'ansible_python_interpreter': sys.executable}
    playbook = os.path.join(workdir, name + '.yml')
    with open(playbook, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(play, handle, sort_keys=False)
    extra = os.path.join(workdir, name + '.vars.json')
    with open(extra, 'w', encoding='utf-8') as handle:
        json.dump(variables, handle)
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false')
    emu.reset()
    served = Served(emu)
    started = time.perf_counter()
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
                           '-e', '@' + extra, playbook], capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        output = proc.stdout + proc.stderr
        failures = [line[:2000] for line in output.splitlines() if line.startswith(('failed:', 'fatal:'))][:3]
        raise RuntimeError('%s failed:\n%s\n...\n%s' % (name, '\n'.join(failures), output[-1500:]))
    report = proc.stdout.split('TASKS_SECONDS=', 1)[1]
    tasks = float(report.split(' ', 1)[0])
    counted = json.loads(report.split('REQUESTS=', 1)[1].split(' END', 1)[0].replace('\\"', '"'))
    got = len(emu.calls())
    expected = count if placed is None else placed
    if got != expected:
        raise RuntimeError('%s placed %d calls, expected %d' % (name, got, expected))
    return {'wall': wall, 'task': tasks, 'served': served.take(), 'counted': counted}


def median_run(runs):
    """The run with the median playbook wall time (the first of the two middle ones)."""
    ordered = sorted(runs, key=lambda run: run['wall'])
    return ordered[(len(ordered) - 1) // 2]


def export_baseline(ref, workdir):
    """The collection tree of ``ref`` in a collections path of its own, or None (said why) when git cannot give it."""
    target = os.path.join(workdir, 'baseline', 'ansible_collections', 'laaffic', 'voice')
    os.makedirs(target)
    proc = subprocess.run(['git', '-C', ROOT, 'archive', '--format=tar', ref], capture_output=True, check=False)
    if proc.returncode != 0:
        say('baseline %s: git archive failed (%s): per-call polling not measured' % (ref, proc.stderr.decode('utf-8', 'replace').strip()))
        return None
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(target, filter='data')
    return os.path.join(workdir, 'baseline')


def emulator_rate(emu):
    """sendSip requests per second the emulator serves (two rounds of 1,000, 8 connections)."""
    accounts = fleet_accounts(1000)
    rates = []
    for dummy in range(2):
        emu.reset()
        elapsed = asyncio.run(run_round(emu.port, build_requests(emu, accounts), 8, [], {}))
        rates.append(len(accounts) / elapsed)
    emu.reset()
    return max(rates)


def module_args(emu, count, expect='ringing'):
    return {'ANSIBLE_MODULE_ARGS': {
        'api_url': emu.api_url, 'api_key': emu.api_key, 'api_secret': emu.api_secret, 'app_id': emu.app_id, 'callee': CALLEE,
        'expect': expect, 'concurrency': 10, 'wait_timeout': 60, 'calls': [{'account': a} for a in fleet_accounts(count)]}}


def run_module(workdir, emu, count, collections=CURRENT, profile=None):
    """The module alone (no Ansible around it), as AnsiballZ would run it: wall and CPU seconds, peak RSS, its result."""
    path = os.path.join(workdir, 'module-args-%d.json' % count)
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(module_args(emu, count), handle)
    command = [sys.executable] + (['-m', 'cProfile', '-o', profile] if profile else []) + ['-m', MODULE, path]
    served = Served(emu)
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,  # pylint: disable=consider-using-with
                            env=dict(os.environ, PYTHONPATH=collections))
    stdout = proc.stdout.read()
    stderr = proc.stderr.read()
    dummy, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stdout.close()
    proc.stderr.close()
    try:
        result = json.loads(stdout)
    except ValueError as exc:
        raise RuntimeError('the module gave no JSON (exit %s): %s %s' % (proc.returncode, stdout[-500:], stderr[-1500:])) from exc
    if result.get('summary', {}).get('rang') != count:
        raise RuntimeError('the module run did not take %d phones to ringing: %s' % (count, result.get('msg')))
    return {'wall': wall, 'cpu': usage.ru_utime + usage.ru_stime, 'rss_mb': usage.ru_maxrss / 1024.0, 'served': served.take(),
            'result_bytes': len(stdout)}


def add_phones(emu, first, last):
    """Fleet-like phones fleet-<first>..fleet-<last> through the control API (gone again at the next reset)."""
    for n in range(first, last + 1):
        emu.phone('fleet-%04d' % n, behaviour='no_answer', ring_after=RING_AFTER, ring_timeout=5, group='fleet', name='fleet-%04d' % n,
                  display_num=str(8613900000000 + n))


def stat_time(stats, name, file_part='', caller=None):
    """Cumulative seconds of the functions named ``name`` (in a file whose path contains ``file_part``); with ``caller``,
    only of their calls from functions of that name."""
    total = 0.0
    for (path, dummy, func), values in stats.stats.items():
        if func != name or file_part not in path:
            continue
        if caller is None:
            total += values[3]
        else:
            total += sum(timing[3] for (dummy_path, dummy_line, by), timing in values[4].items() if by == caller)
    return total


def profile_phases(path, count):
    """Where the module's main thread spent its time, from a cProfile file: [(phase, seconds, whose)]."""
    stats = pstats.Stats(path)
    total = stats.total_tt
    main = stat_time(stats, 'main', 'laaffic_call')
    run = stat_time(stats, 'run', '_calls.py')
    verify = stat_time(stats, '_verify', '_calls.py')
    wait = stat_time(stats, '<built-in method time.sleep>', caller='_verify')
    exit_json = stat_time(stats, 'exit_json', 'basic.py')
    masking = stat_time(stats, 'remove_values', 'parameters.py')
    module_init = stat_time(stats, '__init__', 'basic.py')
    building = stat_time(stats, 'to_dict', '_calls.py')
    checks = stat_time(stats, 'build_calls', '_calls.py') + stat_time(stats, 'option_errors', 'laaffic_call')
    return [
        ('Python start and imports (ansible.module_utils.basic, requests, the module)', total - main, 'Ansible, requests, ours'),
        ('argument handling (AnsibleModule: spec, types, no_log values)', module_init, 'Ansible'),
        ('option bounds and the %d call items' % count, checks, 'ours'),
        ('placing %d calls (10 threads over one requests session)' % count, run - verify, 'ours + requests'),
        ('waiting for the ring (poll_interval after the last call)', wait, 'the phones'),
        ('reading the records (pages)', verify - wait, 'ours + requests'),
        ('building %d call results' % count, building, 'ours'),
        ('no_log masking of the result (remove_values)', masking, 'Ansible'),
        ('JSON of the result and the invocation (module side)', exit_json - masking, 'Ansible'),
    ]


class Bench(object):
    """The measurements of one run, section by section; ``facts`` collects what the results files say."""

    def __init__(self, args, emu, workdir, baseline):
        self.args = args
        self.emu = emu
        self.workdir = workdir
        self.baseline = baseline
        self.rows = {}
        self.facts = {}
        self.memory_rows = []
        self.phases = []
        self.loads = {}

    def merge(self, path):
        """Keep what an earlier scaling.json measured and this run will not: its columns, and the sentences of the
        sections this run skips, each marked with when and under which load it was measured."""
        try:
            with open(path, encoding='utf-8') as handle:
                earlier = json.load(handle)
        except (OSError, ValueError) as exc:
            say('--merge: nothing to keep (%s)' % exc)
            return
        measured = set()
        if self.args.headline or counts(self.args.scaling):
            measured.update(('collection_s', 'collection_verify') + (('per_call_s', 'per_call_verify') if self.baseline else ()))
        if self.args.phones or counts(self.args.uri_scaling):
            measured.update(('uri_s', 'uri_verify'))
        loads = [float(value) for value in re.findall(r'(\d+\.\d+) \d+\.\d+ \d+\.\d+', str((earlier.get('machine') or {}).get('load_during_run')))]
        origin = '%s%s' % (earlier.get('generated_at'), ', 1-minute load %.1f to %.1f' % (min(loads), max(loads)) if loads else '')
        kept = set()
        for row in earlier.get('rows', []):
            for key, value in row.items():
                if key != 'phones' and key not in measured and value is not None:
                    self.rows.setdefault(row['phones'], {})[key] = value
                    kept.add(key)
        if kept:
            self.facts['kept'] = 'The columns %s come from an earlier run (%s).' % (', '.join(sorted(kept)), origin)
        skipped = [name for name, wanted in (('headline', self.args.headline), ('uri', self.args.phones), ('single', self.args.single_runs))
                   if not wanted]
        facts = earlier.get('facts') or {}
        if 'facts' not in earlier:  # a results file from before the facts were kept: its uri sentence is in the description
            found = re.findall(r'\d+ phones: laaffic_call [^.]*\.\d+ s, uri loop [^.]*\.\d+ s, \d+x \(target >= 100x\)\.',
                               earlier.get('description', ''))
            facts = {'uri': found[-1]} if found else {}
        for name in skipped:
            sentence = facts.get(name)
            if sentence:
                self.facts[name] = sentence if sentence.startswith('(earlier run') else '(earlier run: %s) %s' % (origin, sentence)
        if 'headline' in skipped and 'task' in facts:
            self.facts['task'] = facts['task']
        say('--merge: kept columns %s and sentences %s from %s' % (sorted(kept), [n for n in skipped if n in self.facts], path))

    def play(self, name, tasks, count, collections=CURRENT, placed=None):
        return run_play(self.workdir, name, timed_play(tasks), self.emu, count, collections, placed)

    def bulk_and_per_call(self, count, repeat=1):
        """laaffic_call with bulk verification and (with a baseline) per-call polling: the median runs, stored in rows."""
        row = self.rows.setdefault(count, {})
        bulk = median_run([self.play('bulk', collection_tasks('ringing'), count) for dummy in range(repeat)])
        row.update(collection_s=bulk['wall'], collection_verify=verify_count(bulk['served']))
        per_call = None
        if self.baseline:
            per_call = median_run([self.play('per-call', collection_tasks('ringing'), count, self.baseline) for dummy in range(repeat)])
            row.update(per_call_s=per_call['wall'], per_call_verify=verify_count(per_call['served']))
        return bulk, per_call

    def headline(self):
        n, repeat = self.args.headline, self.args.repeat
        say('\n[load %s] empty play and %d phones to ringing in one task, %d runs each' % (load(), n, repeat))
        empty = median_run([self.play('empty', [], n, placed=0) for dummy in range(repeat)])
        bulk, per_call = self.bulk_and_per_call(n, repeat)
        target = empty['wall'] + RING_AFTER + 2.0
        say('  empty play (same variables, no task): playbook %.2f s' % empty['wall'])
        say('  bulk:     playbook %.2f s, task %.2f s; requests served %s; summary.requests %s' % (
            bulk['wall'], bulk['task'], bulk['served'], bulk['counted']))
        text = ('%d phones in one task: bulk %.2f s against an empty play of %.2f s (target: at most the empty play + %.0f s ring + 2 s '
                '= %.2f s: %s)' % (n, bulk['wall'], empty['wall'], RING_AFTER, target, 'met' if bulk['wall'] <= target else 'not met'))
        if per_call:
            say('  per-call: playbook %.2f s, task %.2f s; requests served %s' % (per_call['wall'], per_call['task'], per_call['served']))
            before, after = verify_count(per_call['served']), verify_count(bulk['served'])
            say('  verification requests: per-call %d, bulk %d: %.1f%% (target <= 5%%: %s)' % (
                before, after, 100.0 * after / max(1, before), 'met' if after * 20 <= before else 'NOT met'))
            text += ', per-call %.2f s; verification requests: bulk %d, per-call %d (%.1f%%; target <= 5%%: %s)' % (
                per_call['wall'], after, before, 100.0 * after / max(1, before), 'met' if after * 20 <= before else 'not met')
        say('  target: playbook <= empty %.2f + ring %.0f + 2 = %.2f s; bulk %.2f s (%s)' % (
            empty['wall'], RING_AFTER, target, bulk['wall'], 'met' if bulk['wall'] <= target else 'NOT met'))
        self.facts.update(headline=text + '.', task=bulk['task'])

    def against_uri(self):
        m = self.args.phones
        say('\n[load %s] %d phones: laaffic_call against the uri way' % (load(), m))
        if 'collection_s' not in self.rows.get(m, {}):
            self.bulk_and_per_call(m)
        uri = self.play('uri', uri_tasks('ringing'), m)
        row = self.rows[m]
        row.update(uri_s=uri['wall'], uri_verify=verify_count(uri['served']))
        speedup = uri['wall'] / row['collection_s']
        say('  laaffic_call %.2f s, uri loop + uri until %.2f s (%d recordSip): %.0fx faster (target >= 100x: %s)' % (
            row['collection_s'], uri['wall'], row['uri_verify'], speedup, 'met' if speedup >= 100 else 'NOT met'))
        self.facts['uri'] = '%d phones: laaffic_call %.2f s, uri loop + uri until %.2f s, %.0fx (target >= 100x).' % (
            m, row['collection_s'], uri['wall'], speedup)

    def single(self):
        runs = self.args.single_runs
        say('\n[load %s] one call, median of %d runs' % (load(), runs))
        singles = {'collection': [], 'uri': []}
        for dummy in range(runs):
            singles['collection'].append(self.play('single-collection', collection_tasks('accepted'), 1))
            singles['uri'].append(self.play('single-uri', uri_tasks('accepted'), 1))
        medians = dict((way, (statistics.median(r['wall'] for r in found), statistics.median(r['task'] for r in found)))
                       for way, found in singles.items())
        ratio = medians['collection'][1] / medians['uri'][1]
        say('  laaffic_call: task %.3f s, playbook %.2f s' % (medians['collection'][1], medians['collection'][0]))
        say('  uri:          task %.3f s, playbook %.2f s' % (medians['uri'][1], medians['uri'][0]))
        say('  ratio laaffic_call / uri: task %.2f (target <= 1.2: %s), playbook %.2f' % (
            ratio, 'met' if ratio <= 1.2 else 'NOT met', medians['collection'][0] / medians['uri'][0]))
        self.facts['single'] = 'One call, median of %d runs: laaffic_call task %.3f s, uri task %.3f s (ratio %.2f; target <= 1.2).' % (
            runs, medians['collection'][1], medians['uri'][1], ratio)

    def scaling(self):
        say('\n[load %s] scaling: playbook wall time and verification requests, expect ringing' % load())
        for count in counts(self.args.scaling):
            row = self.rows.setdefault(count, {})
            if 'collection_s' not in row or (self.baseline and 'per_call_s' not in row):
                self.bulk_and_per_call(count)
            say('  %5d phones: bulk %.2f s, %d requests; per-call %s s, %s requests' % (
                count, row['collection_s'], row['collection_verify'], '%.2f' % row['per_call_s'] if 'per_call_s' in row else '-',
                row.get('per_call_verify', '-')))
        for count in counts(self.args.uri_scaling):
            row = self.rows.setdefault(count, {})
            if 'uri_s' not in row:
                run = self.play('uri', uri_tasks('ringing'), count)
                row.update(uri_s=run['wall'], uri_verify=verify_count(run['served']))
            say('  %5d phones: uri way %.2f s, %d requests' % (count, row['uri_s'], row['uri_verify']))

    def memory(self):
        say('\n[load %s] the module alone: peak RSS, time, requests' % load())
        for count in counts(self.args.memory):
            for way, collections in (('bulk', CURRENT), ('per-call', self.baseline)):
                if collections is None:
                    continue
                self.emu.reset()
                if count > 1000:
                    add_phones(self.emu, 1001, count)
                run = run_module(self.workdir, self.emu, count, collections)
                self.memory_rows.append({'calls': count, 'verification': way, 'peak_rss_mb': round(run['rss_mb'], 1),
                                         'module_s': round(run['wall'], 2), 'cpu_s': round(run['cpu'], 2),
                                         'verify_requests': verify_count(run['served']), 'result_kb': round(run['result_bytes'] / 1024.0)})
                say('  %5d calls, %-8s: peak RSS %.1f MB, %.2f s (CPU %.2f s), %d verification requests, result %d kB' % (
                    count, way, run['rss_mb'], run['wall'], run['cpu'], verify_count(run['served']), run['result_bytes'] / 1024))
        self.emu.reset()

    def profile(self):
        n = self.args.headline
        say('\n[load %s] profile of one %d-phone module run (cProfile, main thread)' % (load(), n))
        profile_file = os.path.join(self.workdir, 'module.prof')
        self.emu.reset()
        profiled = run_module(self.workdir, self.emu, n, CURRENT, profile=profile_file)
        alone_runs = []
        for dummy in range(self.args.repeat):
            self.emu.reset()
            alone_runs.append(run_module(self.workdir, self.emu, n, CURRENT))
        alone = sorted(alone_runs, key=lambda run: run['wall'])[(len(alone_runs) - 1) // 2]
        self.phases = profile_phases(profile_file, n)
        for phase, seconds, whose in self.phases:
            say('  %-78s %6.3f s  %s' % (phase, seconds, whose))
        text = 'The module alone took %.2f s (median of %d runs; %.2f s under the profiler).' % (alone['wall'], len(alone_runs), profiled['wall'])
        if 'task' in self.facts:
            text += (' The same %d phones as an Ansible task took %.2f s: %.2f s went to Ansible around the module (building and starting '
                     'the AnsiballZ payload, compiling the module utilities it carries, parsing the result, callbacks).'
                     % (n, self.facts['task'], self.facts['task'] - alone['wall']))
        say('  ' + text)
        self.facts['profile'] = text


def counts(text):
    return [int(value) for value in text.split(',') if value.strip()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--headline', type=int, default=1000, help='phones of the bulk against per-call comparison (0: skip)')
    parser.add_argument('--repeat', type=int, default=5,
                        help='runs of the headline, the empty play and the module alone (median; with 3, the median of an empty play '
                             'ranged from 0.63 to 0.86 s)')
    parser.add_argument('--phones', type=int, default=500, help='phones in the comparison with the uri way (0: skip)')
    parser.add_argument('--single-runs', type=int, default=5, help='runs of the single-call comparison (0: skip)')
    parser.add_argument('--scaling', default='50,100,250,500,1000', help='phone counts for the collection, both ways')
    parser.add_argument('--uri-scaling', default='50,100,250,500,1000', help='phone counts for the uri way (it is slow)')
    parser.add_argument('--memory', default='1000,5000', help='call counts of the module-alone runs (peak RSS)')
    parser.add_argument('--baseline-ref', default=BASELINE_REF, help='git ref of per-call polling ("today"); "none" to skip')
    parser.add_argument('--results', default=os.path.join(HERE, 'results'))
    parser.add_argument('--merge', action='store_true',
                        help='keep the scaling columns this run does not measure (e.g. the slow uri way) from the results file there, '
                             'saying when and under which load they were measured')
    args = parser.parse_args(argv)

    info = machine()
    info['ansible_core'] = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible'), '--version'], capture_output=True,
                                          text=True, check=False).stdout.split('\n', 1)[0]
    say('machine: %s; cpus %s (usable %s); python %s; %s' % (
        info['cpu_model'], info['cpu_count'], info['nproc'], info['python'], info['ansible_core']))
    say('load (1, 5, 15 min) at start: %s' % load())
    workdir = tempfile.mkdtemp(prefix='bench-call-')
    baseline = None if args.baseline_ref == 'none' else export_baseline(args.baseline_ref, workdir)
    with Emulator('fleet') as emu:
        bench = Bench(args, emu, workdir, baseline)
        if args.merge:
            bench.merge(os.path.join(args.results, 'scaling.json'))
        bench.loads['start'] = load()
        bench.facts['rate'] = emulator_rate(emu)
        say('emulator sendSip rate: %.0f requests/s' % bench.facts['rate'])
        sections = [('headline', args.headline, bench.headline), ('uri', args.phones, bench.against_uri),
                    ('single', args.single_runs, bench.single), ('scaling', args.scaling or args.uri_scaling, bench.scaling),
                    ('memory', args.memory, bench.memory), ('profile', args.headline, bench.profile)]
        for name, wanted, section in sections:
            if wanted:
                section()
                bench.loads[name] = load()
                info['load_during_run'] = '; '.join('after %s: %s' % item for item in bench.loads.items())
                write_results(args.results, info, bench)  # after every section: an interrupted run keeps what it measured
    shutil.rmtree(workdir, ignore_errors=True)
    say('\nload (1, 5, 15 min) at the end: %s' % load())


def write_results(folder, info, bench):
    """bench/results/scaling.json, memory.json and profile.json (see bench/plot_results.py): only those this run measured."""
    def dump(name, data):
        path = os.path.join(folder, name + '.json')
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(dict(data, benchmark=name, generated_at=stamp, machine=info), handle, indent=2)
        say('  (wrote %s)' % path)

    os.makedirs(folder, exist_ok=True)
    stamp = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    facts = bench.facts
    if bench.rows:
        table = []
        for count, values in sorted(bench.rows.items()):
            row = {'phones': count}
            for key in ('collection_s', 'per_call_s', 'uri_s', 'collection_verify', 'per_call_verify', 'uri_verify'):
                value = values.get(key)
                row[key] = round(value, 2) if isinstance(value, float) else value
            table.append(row)
        description = ('Playbook wall time (ansible-playbook start to end) to place calls through N fleet phones of the emulator and '
                       'verify that each rang, and the verification requests the emulator served (recordSip and recordSipQuery). '
                       '"bulk" is laaffic_call now; "per-call" is laaffic_call before bulk verification (one recordSip per waiting '
                       'call and round); "uri" is ansible.builtin.uri in a loop. Emulator sendSip rate: %.0f requests/s. %s' % (
                           facts['rate'], ' '.join(facts[key] for key in ('headline', 'uri', 'single', 'kept') if key in facts)))
        dump('scaling', {'title': 'Desk-phone smoke test: bulk verification, per-call polling and the uri way', 'description': description,
                         'facts': dict((key, value) for key, value in facts.items() if key in ('headline', 'uri', 'single', 'task')),
                         'columns': {'collection_s': 'bulk (s)', 'per_call_s': 'per-call (s)', 'uri_s': 'uri loop (s)',
                                     'collection_verify': 'bulk requests', 'per_call_verify': 'per-call requests', 'uri_verify': 'uri requests'},
                         'rows': table})
    if bench.memory_rows:
        dump('memory', {'title': 'laaffic_call alone: peak memory, time and requests',
                        'description': 'The module run outside Ansible (python -m, arguments from a file, as AnsiballZ runs it) against '
                                       'the fleet emulator, expect ringing; peak RSS of the module process (getrusage), wall and CPU '
                                       'seconds, verification requests the emulator served, size of the JSON result. Calls beyond '
                                       '1,000 use phones added through the emulator\'s control API.',
                        'columns': {'calls': 'Calls', 'verification': 'Verification', 'peak_rss_mb': 'peak RSS (MB)', 'module_s': 'wall (s)',
                                    'cpu_s': 'CPU (s)', 'verify_requests': 'verification requests', 'result_kb': 'result (kB)'},
                        'rows': bench.memory_rows})
    if bench.phases:
        dump('profile', {'title': 'Where the time of a %d-phone task goes' % bench.args.headline,
                         'description': 'cProfile of the module alone, one run to ringing, main thread (the placing threads show as the '
                                        'main thread waiting for them); profiled times are inflated by the profiler. %s' % facts['profile'],
                         'columns': {'phase': 'Phase', 'seconds': 'seconds', 'whose': 'whose'},
                         'rows': [{'phase': phase, 'seconds': round(seconds, 3), 'whose': whose} for phase, seconds, whose in bench.phases]})


if __name__ == '__main__':
    main()
