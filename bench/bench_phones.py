# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark listing 1,000 desk phones (sipQuery, 10 pages of 100) and print measured numbers (not a pass/fail test).

Starts the emulator (fleet scenario: 1,000 phones) on loopback and lists every phone four ways:

1. the collection's client in this process (module_utils/_phones.list_phones, what every path below runs);
2. the laaffic_phone_info module's main() in this process (argument parsing and result building included);
3. laaffic_phone_info in a playbook (``ansible-playbook``, one task), wall time;
4. the laaffic_phones inventory plugin (``ansible-inventory --list``), wall time.

The time per page is given two ways: the listing's time divided by its pages, and the client's own request log
(one line per request with its whole milliseconds; ``-vvv`` for the inventory plugin, the module's debug log for
the module). The command-line rows also show a
baseline (the same command doing nothing with phones) so that Ansible's start-up cost can be told apart.

Then (issue 17) the whole listing of a large application, beyond the old bound of 100 pages: an emulator serving
``--large`` generated fleet phones (default 50,000; ``--fleet-size``), listed by list_phones in process and by
``ansible-inventory --list`` over the plugin, both timed whole (0 skips it).

    python bench/bench_phones.py [--rounds 10] [--cli-rounds 3] [--large 50000] [--json bench/results/phones.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from bench_emulator import machine, percentile
from devtools.emulator import Emulator

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

PHONES = 1000
PAGE_MS = re.compile(r'POST \S+/voice/sipQuery -> HTTP 200 status 0 \((\d+) ms\)')
BIN = os.path.dirname(sys.executable)


def summary(totals, pages):
    """Median and p95 of whole listings (seconds) and of single pages (milliseconds)."""
    totals, pages = sorted(totals), sorted(pages)
    return {'runs': len(totals), 'total_s_median': statistics.median(totals) if totals else None,
            'total_s_p95': percentile(totals, 0.95) if totals else None,
            'pages_per_listing': (len(pages) / len(totals)) if totals else None,
            'page_ms_median': statistics.median(pages) if pages else None, 'page_ms_p95': percentile(pages, 0.95) if pages else None}


def bench_client(emu, rounds):
    from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
    from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
    from ansible_collections.laaffic.voice.plugins.module_utils._phones import list_phones
    options = ConnectionOptions(api_url=emu.api_url, api_key=emu.api_key, api_secret=emu.api_secret, app_id=emu.app_id)
    totals, pages = [], []
    lines = []
    client = LaafficClient(options, pool_size=2, log=lines.append)
    try:
        list_phones(client, emu.app_id)  # warm-up: connection, imports
        for dummy in range(rounds):
            del lines[:]
            started = time.perf_counter()
            phones = list_phones(client, emu.app_id)
            totals.append(time.perf_counter() - started)
            assert len(phones) == PHONES, len(phones)
            pages.extend(int(ms) for ms in PAGE_MS.findall('\n'.join(lines)))
    finally:
        client.close()
    return summary(totals, pages)


def bench_module(emu, rounds):
    """laaffic_phone_info's main() in this process; per-page times from its debug log (the client's log)."""
    from ansible.module_utils import basic
    from ansible_collections.laaffic.voice.plugins.modules import laaffic_phone_info
    from devtools.module_runner import ModuleExit, module_args

    lines = []
    results = []
    originals = (basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json, basic.AnsibleModule.debug)

    def exit_json(self, **kwargs):
        raise ModuleExit(kwargs, False)

    def fail_json(self, msg, **kwargs):
        raise ModuleExit(dict(kwargs, msg=msg), True)

    basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json = exit_json, fail_json
    basic.AnsibleModule.debug = lambda self, message: lines.append(message)
    args = {'api_url': emu.api_url, 'api_key': emu.api_key, 'api_secret': emu.api_secret, 'app_id': emu.app_id}
    totals, pages = [], []
    try:
        for index in range(rounds + 1):
            del lines[:]
            started = time.perf_counter()
            with module_args(args):
                try:
                    laaffic_phone_info.main()
                except ModuleExit as done:
                    results.append(done.result)
            elapsed = time.perf_counter() - started
            assert not results[-1].get('failed') and results[-1]['count'] == PHONES, results[-1].get('msg')
            if index:  # the first run is a warm-up
                totals.append(elapsed)
                pages.extend(int(ms) for ms in PAGE_MS.findall('\n'.join(lines)))
    finally:
        basic.AnsibleModule.exit_json, basic.AnsibleModule.fail_json, basic.AnsibleModule.debug = originals
    return summary(totals, pages)


def cli_env(emu):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, '.build', 'collections'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false', ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false',
               LAAFFIC_API_URL=emu.api_url, LAAFFIC_API_KEY=emu.api_key, LAAFFIC_API_SECRET=emu.api_secret, LAAFFIC_APP_ID=emu.app_id)
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    return env


def timed_run(command, env, cwd):
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError('%s exited with %d:\n%s' % (' '.join(command), proc.returncode, (proc.stdout + proc.stderr)[-3000:]))
    return elapsed, proc.stdout + proc.stderr


def bench_cli(emu, rounds, workdir):
    """ansible-inventory over the plugin and ansible-playbook with laaffic_phone_info, each against a baseline."""
    env = cli_env(emu)
    inventory = os.path.join(workdir, 'fleet.laaffic_phones.yml')
    with open(inventory, 'w', encoding='utf-8') as handle:
        handle.write('plugin: laaffic.voice.laaffic_phones\n')
    empty = os.path.join(workdir, 'empty.yml')
    with open(empty, 'w', encoding='utf-8') as handle:
        handle.write('all: {}\n')
    play = os.path.join(workdir, 'info.yml')
    noop = os.path.join(workdir, 'noop.yml')
    for path, task in ((play, "laaffic.voice.laaffic_phone_info: {}\n      register: listed\n"),
                       (noop, "ansible.builtin.set_fact:\n        listed: {count: 0}\n")):
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write('- hosts: localhost\n  gather_facts: false\n  vars:\n    ansible_python_interpreter: "%s"\n'
                         '  tasks:\n    - name: List\n      %s' % (sys.executable, task))
    inventory_cmd = [os.path.join(BIN, 'ansible-inventory'), '-i', inventory, '--list', '-vvv']
    baseline_inventory_cmd = [os.path.join(BIN, 'ansible-inventory'), '-i', empty, '--list']
    play_cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', play]
    noop_cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', noop]
    runs = {'inventory': ([], []), 'inventory_baseline': ([], []), 'playbook': ([], []), 'playbook_baseline': ([], [])}
    for index in range(rounds + 1):
        for name, command in (('inventory', inventory_cmd), ('inventory_baseline', baseline_inventory_cmd),
                              ('playbook', play_cmd), ('playbook_baseline', noop_cmd)):
            elapsed, output = timed_run(command, env, workdir)
            if name == 'inventory':
                hosts = json.loads(output[output.index('{'):output.rindex('}') + 1])['_meta']['hostvars']
                assert len(hosts) == PHONES, len(hosts)
            if index:  # the first round is a warm-up (file caches, byte-compiled imports)
                runs[name][0].append(elapsed)
                runs[name][1].extend(int(ms) for ms in PAGE_MS.findall(output))
    return dict((name, summary(*values)) for name, values in runs.items())


def bench_large(count, rounds):
    """list_phones and ansible-inventory over ``count`` fleet phones; seconds for each whole listing."""
    from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
    from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
    from ansible_collections.laaffic.voice.plugins.module_utils._phones import list_phones
    times = {'client': [], 'inventory': []}
    with Emulator('default', quiet=True, fleet_size=count) as emu, tempfile.TemporaryDirectory(prefix='bench-phones-large-') as workdir:
        options = ConnectionOptions(api_url=emu.api_url, api_key=emu.api_key, api_secret=emu.api_secret, app_id=emu.app_id)
        expected = None
        for dummy in range(rounds):
            client = LaafficClient(options, pool_size=2)
            try:
                started = time.perf_counter()
                phones = list_phones(client, emu.app_id)
                times['client'].append(time.perf_counter() - started)
            finally:
                client.close()
            assert len(phones) >= count and not phones.truncated, (len(phones), phones.truncated)
            expected = len(phones)
        inventory = os.path.join(workdir, 'large.laaffic_phones.yml')
        with open(inventory, 'w', encoding='utf-8') as handle:
            handle.write('plugin: laaffic.voice.laaffic_phones\n')
        for dummy in range(rounds):
            elapsed, output = timed_run([os.path.join(BIN, 'ansible-inventory'), '-i', inventory, '--list'], cli_env(emu), workdir)
            hosts = json.loads(output[output.index('{'):output.rindex('}') + 1])['_meta']['hostvars']
            assert len(hosts) == expected, (len(hosts), expected)
            times['inventory'].append(elapsed)
    return expected, times


def show(label, numbers, whole_listing=True):
    """One line; ``whole_listing`` when the timed span is the listing alone (so listing / pages is a time per page)."""
    line = '%-46s median %7.3f s  p95 %7.3f s' % (label, numbers['total_s_median'], numbers['total_s_p95'])
    if numbers['page_ms_median'] is not None:
        pages = round(numbers['pages_per_listing'])
        line += '  | per page (%d pages):' % pages
        if whole_listing:
            line += ' %.1f ms (listing / pages);' % (numbers['total_s_median'] * 1000.0 / pages)
        line += ' logged median %d ms, p95 %d ms' % (numbers['page_ms_median'], numbers['page_ms_p95'])
    print(line + '  (%d runs)' % numbers['runs'], flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--rounds', type=int, default=10, help='in-process listings per way (after one warm-up)')
    parser.add_argument('--cli-rounds', type=int, default=3, help='ansible-inventory / ansible-playbook runs per way (after one warm-up)')
    parser.add_argument('--large', type=int, default=50000, help='fleet phones of the whole-listing run (issue 17; 0 skips it)')
    parser.add_argument('--large-rounds', type=int, default=2, help='listings of each way in the whole-listing run')
    parser.add_argument('--json', default=os.path.join(HERE, 'results', 'phones.json'),
                        help='results file for bench/plot_results.py (default %(default)s; "" for none)')
    args = parser.parse_args(argv)
    info = machine()
    print('machine: %s; cpus %s (usable %s); load %s; python %s %s' % (
        info['cpu_model'], info['cpu_count'], info['nproc'], info['loadavg_at_start'], info['implementation'], info['python']))
    print('listing %d phones of the emulator\'s fleet scenario (sipQuery, pages of 100)' % PHONES, flush=True)
    with Emulator('fleet', quiet=True) as emu, tempfile.TemporaryDirectory(prefix='bench-phones-') as workdir:
        results = {'client': bench_client(emu, args.rounds)}
        show('client (list_phones, in process)', results['client'])
        results['module'] = bench_module(emu, args.rounds)
        show('laaffic_phone_info main() (in process)', results['module'])
        results.update(bench_cli(emu, args.cli_rounds, workdir))
    show('laaffic_phone_info, ansible-playbook', results['playbook'], whole_listing=False)
    show('  baseline: playbook with one set_fact', results['playbook_baseline'])
    show('laaffic_phones inventory, ansible-inventory', results['inventory'], whole_listing=False)
    show('  baseline: ansible-inventory, empty inventory', results['inventory_baseline'])
    for way, base in (('playbook', 'playbook_baseline'), ('inventory', 'inventory_baseline')):
        print('%-46s %7.3f s above its baseline (medians)' % (way, results[way]['total_s_median'] - results[base]['total_s_median']))
    if args.large:
        listed, times = bench_large(args.large, max(1, args.large_rounds))
        print('whole listing of %d phones (%d generated fleet phones, %d pages of 100), %d run(s) each:'
              % (listed, args.large, -(-listed // 100), len(times['client'])), flush=True)
        print('  %-44s %s s' % ('client (list_phones, in process)', ', '.join('%.2f' % t for t in times['client'])))
        print('  %-44s %s s' % ('laaffic_phones inventory, ansible-inventory', ', '.join('%.2f' % t for t in times['inventory'])))
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w', encoding='utf-8') as handle:
            json.dump(results_file(info, results), handle, indent=2)
        print('wrote %s' % args.json)
    return 0


WAYS = (('client', 'collection client (list_phones), in process', True, None),
        ('module', 'laaffic_phone_info main(), in process', True, None),
        ('playbook', 'laaffic_phone_info task, ansible-playbook', False, 'playbook_baseline'),
        ('playbook_baseline', 'baseline: playbook with one set_fact', False, None),
        ('inventory', 'laaffic_phones inventory, ansible-inventory --list', False, 'inventory_baseline'),
        ('inventory_baseline', 'baseline: ansible-inventory, empty inventory', False, None))


def results_file(info, results):
    """The results in bench/plot_results.py's format: one row a way of listing."""
    rows = []
    for key, label, whole_listing, base in WAYS:
        numbers = results[key]
        pages = numbers['pages_per_listing']
        rows.append({
            'way': label, 'runs': numbers['runs'], 'median_s': round(numbers['total_s_median'], 3),
            'p95_s': round(numbers['total_s_p95'], 3),
            'page_ms': round(numbers['total_s_median'] * 1000.0 / pages, 1) if whole_listing and pages else None,
            'logged_page_ms': numbers['page_ms_median'], 'logged_page_ms_p95': numbers['page_ms_p95'],
            'above_baseline_s': round(numbers['total_s_median'] - results[base]['total_s_median'], 3) if base else None})
    info = dict(info, loadavg_at_end=machine()['loadavg_at_start'])
    return {
        'benchmark': 'phones', 'title': 'Listing %d desk phones (sipQuery, pages of 100)' % PHONES,
        'description': 'The fleet scenario of the emulator on loopback; every phone listed through the collection client, '
                       'the laaffic_phone_info module and the laaffic_phones inventory plugin. Medians of whole listings; '
                       'the time per page as the listing divided by its pages (in process) and as the client logs each request '
                       '(whole milliseconds); the command-line ways against a baseline that lists nothing, to tell Ansible\'s '
                       'start-up apart.',
        'generated_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'machine': info,
        'columns': {'way': 'Way', 'runs': 'Runs', 'median_s': 'median (s)', 'p95_s': 'p95 (s)', 'page_ms': 'per page (ms)',
                    'logged_page_ms': 'logged page median (ms)', 'logged_page_ms_p95': 'logged page p95 (ms)',
                    'above_baseline_s': 'above baseline (s)'},
        'rows': rows}


if __name__ == '__main__':
    sys.exit(main())
