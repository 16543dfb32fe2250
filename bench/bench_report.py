# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark the smoke test's reports for a fleet and print measured numbers (not a pass/fail test).

For 10,000 phones (synthetic rows: a mix of verdicts, 25 phone groups, times in +08:00 and +00:00) and a history
already holding 29 runs of them (so this run makes the default 30):

1. in this process: rendering the JUnit and HTML reports and adding the run to the history;
2. in a playbook (``ansible-playbook``, wall time, median of --rounds): one ``laaffic_smoke_report`` task, and the
   role's ``tasks/report.yml`` imported as tasks/main.yml imports it (the module, the result fact, the summary:
   three tasks), each against the same playbook with one
   empty task (``ansible.builtin.ping``) in its place, both loading the same rows; the difference is what the reports
   cost the playbook (target: at most 1 s);
3. headless Chromium (Debian's package, plain flags) opening the 10,000-phone HTML: the in-page time from
   navigation start until the table is parsed, the inline script ran and the layout is done (target: within 2 s),
   and the wall time of ``--dump-dom`` and ``--screenshot`` against the same for a one-line page (browser start-up).

``--screenshot PNG`` also writes the docs' screenshot (a 40-phone report with some history) and exits.

    python bench/bench_report.py [--phones 10000] [--rounds 3] [--json bench/results/report.json] [--screenshot PNG]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [ROOT, os.path.join(ROOT, '.build', 'collections')]

from bench_emulator import machine  # noqa: E402  pylint: disable=wrong-import-position
from devtools import chromium  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.laaffic.voice.plugins.module_utils import _history  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.laaffic.voice.plugins.module_utils._report import Report, write_atomic  # noqa: E402  pylint: disable=wrong-import-position

BIN = os.path.dirname(sys.executable)
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
VERDICTS = ['answered'] * 16 + ['rang', 'failed', 'rejected', 'timeout']


def make_rows(phones, seed=0, flaky=()):
    """Synthetic rows shaped like the role's: phone fields plus laaffic_call's calls[] entry."""
    rnd = random.Random(seed)
    rows = []
    for index in range(phones):
        verdict = rnd.choice(VERDICTS) if index not in flaky else ('answered', 'failed')[seed % 2]
        ok = verdict == 'answered'
        account = '1%05d' % index
        rows.append({
            'name': account if index % 2 else 'desk-%d' % index, 'account': account, 'phone_name': 'Room %d' % index,
            'group': 'floor-%02d' % (index % 25), 'callee': '441632960000', 'expect': 'answered', 'display_num': '', 'called_info': '',
            'index': index, 'verdict': verdict, 'ok': ok, 'voice_id': '2611261530%09d' % index,
            'reason': 'answered at 2026-11-26T15:30:04+08:00' if ok else 'verdict %s' % verdict,
            'remedy': None if ok else 'Check the phone is registered and not busy', 'api_status': '-68' if verdict == 'rejected' else None,
            'submit_time': '2026-11-26T15:30:%02d+08:00' % (index % 60),
            'ringing_time': '2026-11-26T07:30:%02d+00:00' % min(59, index % 60 + 2) if verdict in ('answered', 'rang') else None,
            'answer_time': '2026-11-26T07:30:%02d+00:00' % min(59, index % 60 + 4) if ok else None,
            'hangup_time': '2026-11-26T15:30:%02d+08:00' % min(59, index % 60 + 9) if verdict in ('answered', 'rang', 'failed') else None,
            'termination_code': None, 'termination_reason': None, 'sip_code': '486' if verdict == 'failed' else None, 'call_status': None,
        })
    return rows


def result_fact(rows, run_id):
    summary = {'total': len(rows), 'requests': {'place': len(rows), 'verify': 100, 'preflight': 0}}
    return {'run_id': run_id, 'check_mode': False, 'passed': False, 'summary': summary, 'phones': [], 'short': [], 'junit_report': '',
            'html_report': '', 'finished': '2026-11-26T07:31:00Z'}


def seed_history(path, rows, runs):
    for run in range(runs):
        _history.add_run(path, 'seed-%02d' % run, '2026-11-%02dT07:31:00Z' % (1 + run % 28),
                         [(row['verdict'], row['ok'], row['account'], row['name'], row['group']) for row in make_rows(len(rows), seed=run + 1)])


def in_process(rows, workdir, history_runs):
    history = os.path.join(workdir, 'inproc.history')
    seed_history(history, rows, history_runs)
    start = time.perf_counter()
    report = Report(rows, run_id='bench', summary={'total': len(rows)}, finished='2026-11-26T07:31:00Z')
    state = _history.add_run(history, 'bench', report.finished, [(p.verdict, p.ok, p.account, p.name, p.group) for p in report.phones])
    report.set_history(state)
    t_history = time.perf_counter()
    junit, html = report.junit(), report.html(state)
    t_render = time.perf_counter()
    write_atomic(os.path.join(workdir, 'inproc.junit.xml'), junit)
    write_atomic(os.path.join(workdir, 'inproc.html'), html)
    t_write = time.perf_counter()
    return {'sort_and_history_s': t_history - start, 'render_s': t_render - t_history, 'write_s': t_write - t_render,
            'total_s': t_write - start, 'html_bytes': len(html.encode('utf-8')), 'junit_bytes': len(junit.encode('utf-8')),
            'history_bytes': os.path.getsize(history), 'history_runs': state.runs}


def playbook_seconds(workdir, name, tasks, vars_file, env):
    play = [{'name': name, 'hosts': 'localhost', 'gather_facts': False, 'vars_files': [vars_file],
             'vars': {'ansible_python_interpreter': sys.executable}, 'tasks': tasks}]
    path = os.path.join(workdir, name + '.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(play, handle)
    start = time.perf_counter()
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', path], capture_output=True, text=True,
                          env=env, cwd=workdir, check=False)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError('%s failed: %s' % (name, (proc.stdout + proc.stderr)[-3000:]))
    return took


def in_playbook(rows, workdir, rounds, history_runs):
    vars_file = os.path.join(workdir, 'rows.json')
    with open(vars_file, 'w', encoding='utf-8') as handle:
        json.dump({'__desk_phone_smoke_test_rows': rows, 'desk_phone_smoke_test_result': result_fact(rows, 'bench')}, handle)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false',
               ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false')
    report_dir = os.path.join(workdir, 'reports')
    history = os.path.join(report_dir, 'desk-phone-smoke-test.history')
    os.makedirs(report_dir, exist_ok=True)
    empty = [{'name': 'Empty task', 'ansible.builtin.ping': {}}]
    module = [{'name': 'Reports', 'laaffic.voice.laaffic_smoke_report': {
        'rows': '{{ __desk_phone_smoke_test_rows }}', 'run_id': 'bench', 'summary': '{{ desk_phone_smoke_test_result.summary }}',
        'finished': '2026-11-26T07:31:00Z', 'report_dir': report_dir, 'history_keep': history_runs + 1}}]
    module_var_args = dict(module[0]['laaffic.voice.laaffic_smoke_report'], rows_var='__desk_phone_smoke_test_rows')
    del module_var_args['rows']
    module_var = [{'name': 'Reports', 'laaffic.voice.laaffic_smoke_report': module_var_args}]
    # As tasks/main.yml uses it: imported, in a block that runs once on localhost.
    role = [{'name': 'Reports', 'run_once': True, 'delegate_to': 'localhost', 'vars': {
        'desk_phone_smoke_test_report_dir': report_dir, 'desk_phone_smoke_test_report_name': 'desk-phone-smoke-test',
        'desk_phone_smoke_test_history_keep': history_runs + 1},
        'block': [{'ansible.builtin.import_tasks': os.path.join(ROOT, 'roles', 'desk_phone_smoke_test', 'tasks', 'report.yml')}]}]
    seed_history(history, rows, history_runs)
    times = {'empty': [], 'module': [], 'module_rows_var': [], 'report_yml': []}
    for _round in range(rounds):
        for name, tasks in (('empty', empty), ('module', module), ('module_rows_var', module_var), ('report_yml', role)):
            times[name].append(playbook_seconds(workdir, name, tasks, vars_file, env))
    medians = dict((name, statistics.median(values)) for name, values in times.items())
    return {'rounds': rounds, 'wall_s': times, 'median_s': medians,
            'module_cost_s': medians['module'] - medians['empty'], 'module_rows_var_cost_s': medians['module_rows_var'] - medians['empty'],
            'report_yml_cost_s': medians['report_yml'] - medians['empty']}


READY = ('<script>document.body.offsetHeight;'
         'document.body.setAttribute("data-ready-ms", performance.now().toFixed(1));</script>\n</body>')


def in_chromium(html_path, workdir, rounds):
    with open(html_path, encoding='utf-8') as handle:
        html = handle.read()
    timed = os.path.join(workdir, 'timed.html')
    with open(timed, 'w', encoding='utf-8') as handle:
        handle.write(html.replace('</body>', READY, 1))
    tiny = os.path.join(workdir, 'tiny.html')
    with open(tiny, 'w', encoding='utf-8') as handle:
        handle.write('<!DOCTYPE html><html><body><p>x</p>%s</html>' % READY)
    ready, dump, dump_tiny, shot, shot_tiny = [], [], [], [], []
    for _round in range(rounds):
        dom, took = chromium.dump_dom(timed)
        ready.append(float(re.search(r'data-ready-ms="([0-9.]+)"', dom).group(1)) / 1000.0)
        dump.append(took)
        dump_tiny.append(chromium.dump_dom(tiny)[1])
        shot.append(chromium.screenshot(timed, os.path.join(workdir, 'shot.png')))
        shot_tiny.append(chromium.screenshot(tiny, os.path.join(workdir, 'shot-tiny.png')))
    median = statistics.median
    version = subprocess.run([chromium.find(), '--version'], capture_output=True, text=True, check=False).stdout.strip()
    return {'chromium': version, 'rounds': rounds, 'in_page_ready_s': ready, 'in_page_ready_s_median': median(ready),
            'dump_dom_s_median': median(dump), 'dump_dom_tiny_s_median': median(dump_tiny),
            'screenshot_s_median': median(shot), 'screenshot_tiny_s_median': median(shot_tiny),
            'dump_dom_over_tiny_s': median(dump) - median(dump_tiny), 'screenshot_over_tiny_s': median(shot) - median(shot_tiny)}


def docs_screenshot(png):
    """A 40-phone report with nine earlier runs (two phones flapping, one failing every night), at 1280 x 900."""
    groups = ('sales', 'support', 'warehouse', 'reception')
    steady = dict((row['index'], row) for row in make_rows(40, seed=0))
    with tempfile.TemporaryDirectory() as workdir:
        history = os.path.join(workdir, 'h.history')

        def night(run):
            rows = []
            for index in range(40):
                row = dict(steady[index], group=groups[index % 4])
                verdict = row['verdict']
                if index in (3, 17):  # flaky: fails every other night
                    verdict = 'failed' if run % 2 else 'answered'
                elif index == 26:  # broken since run 6
                    verdict = 'rejected' if run >= 6 else 'answered'
                elif verdict != 'answered' and run < 9:  # tonight's other shortfalls are new
                    verdict = 'answered'
                row.update(verdict=verdict, ok=verdict == 'answered')
                if not row['ok']:
                    row.update(reason='verdict %s' % verdict, answer_time=None)
                rows.append(row)
            return rows

        for run in range(9):
            _history.add_run(history, '202611%02dT020000Z' % (16 + run), 'now',
                             [(r['verdict'], r['ok'], r['account'], r['name'], r['group']) for r in night(run)])
        report = Report(night(9), run_id='20261125T020000Z-5f3a9c1e', summary={'total': 40}, finished='2026-11-25T02:04:11Z')
        state = _history.add_run(history, report.run_id, report.finished, [(p.verdict, p.ok, p.account, p.name, p.group) for p in report.phones])
        report.set_history(state)
        state.path = 'smoke-test-reports/desk-phone-smoke-test.history'
        page = os.path.join(workdir, 'report.html')
        write_atomic(page, report.html(state))
        chromium.screenshot(page, png, width=1280, height=900)
    print('wrote %s' % png)


def results_file(details, info, args):
    """The results in the format of bench/plot_results.py: one row per measurement, the details kept beside."""
    rows = []
    inproc, play, chrome = details['in_process'], details['playbook'], details.get('chromium')
    rows.append({'measure': 'reports + history in process (render, history, write)', 'seconds': inproc['total_s'], 'target_s': None})
    rows.append({'measure': 'playbook: laaffic_smoke_report task minus an empty task', 'seconds': play['module_cost_s'], 'target_s': 1.0})
    rows.append({'measure': 'playbook: laaffic_smoke_report task with rows_var minus an empty task', 'seconds': play['module_rows_var_cost_s'],
                 'target_s': 1.0})
    rows.append({'measure': 'playbook: tasks/report.yml minus an empty task', 'seconds': play['report_yml_cost_s'], 'target_s': 1.0})
    if chrome:
        rows.append({'measure': 'headless Chromium: HTML parsed, script run, laid out (in page)', 'seconds': chrome['in_page_ready_s_median'],
                     'target_s': 2.0})
        rows.append({'measure': 'headless Chromium --dump-dom wall time (one-line page: %.2f s)' % chrome['dump_dom_tiny_s_median'],
                     'seconds': chrome['dump_dom_s_median'], 'target_s': None})
        rows.append({'measure': 'headless Chromium --screenshot wall time (one-line page: %.2f s)' % chrome['screenshot_tiny_s_median'],
                     'seconds': chrome['screenshot_s_median'], 'target_s': None})
    return {'benchmark': 'report', 'title': 'Smoke test reports of %d phones' % args.phones,
            'description': ('bench/bench_report.py: medians of %d rounds; the history already held %d runs. Playbook costs are wall-time '
                            'differences against the same playbook with one empty task.' % (args.rounds, args.history_runs)),
            'generated_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'machine': info,
            'columns': {'measure': 'Measure', 'seconds': 'Seconds', 'target_s': 'Target (s)'}, 'rows': rows, 'details': details}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', maxsplit=1)[0])
    parser.add_argument('--phones', type=int, default=10000)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--history-runs', type=int, default=29, help='runs already in the history (default 29: this run makes 30)')
    parser.add_argument('--json', default=os.path.join(HERE, 'results', 'report.json'))
    parser.add_argument('--screenshot', help='write the docs screenshot to this PNG and exit')
    args = parser.parse_args()
    if args.screenshot:
        docs_screenshot(args.screenshot)
        return
    info = machine()
    print('machine: %s, %s cores (%s usable), load %s, python %s' % (info['cpu_model'], info['cpu_count'], info['nproc'],
                                                                     info['loadavg_at_start'], info['python']))
    rows = make_rows(args.phones)
    results = {'phones': args.phones, 'history_runs_before': args.history_runs}
    with tempfile.TemporaryDirectory() as workdir:
        results['in_process'] = inproc = in_process(rows, workdir, args.history_runs)
        print('in process, %d phones, history of %d runs: sort+history %.3f s, render %.3f s, write %.3f s, total %.3f s '
              '(HTML %.1f MB, JUnit %.1f MB, history %.1f MB)' % (
                  args.phones, inproc['history_runs'], inproc['sort_and_history_s'], inproc['render_s'], inproc['write_s'], inproc['total_s'],
                  inproc['html_bytes'] / 1e6, inproc['junit_bytes'] / 1e6, inproc['history_bytes'] / 1e6))
        results['playbook'] = play = in_playbook(rows, workdir, args.rounds, args.history_runs)
        print('playbook wall time, median of %d: empty task %.2f s, laaffic_smoke_report with rows %.2f s, with rows_var %.2f s, '
              'tasks/report.yml %.2f s' % (args.rounds, play['median_s']['empty'], play['median_s']['module'], play['median_s']['module_rows_var'],
                                           play['median_s']['report_yml']))
        print('  cost of the reports in the playbook: module task %.2f s (rows), %.2f s (rows_var), report.yml %.2f s (target <= 1 s)' % (
            play['module_cost_s'], play['module_rows_var_cost_s'], play['report_yml_cost_s']))
        if chromium.find() is None:
            print('headless Chromium: not installed, skipped (devtools/ensure_chromium.sh)')
        else:
            results['chromium'] = chrome = in_chromium(os.path.join(workdir, 'inproc.html'), workdir, args.rounds)
            print('%s, %d-phone HTML, median of %d: ready in page %.2f s (target <= 2 s); --dump-dom %.2f s (one-line page %.2f s), '
                  '--screenshot %.2f s (one-line page %.2f s)' % (
                      chrome['chromium'], args.phones, args.rounds, chrome['in_page_ready_s_median'], chrome['dump_dom_s_median'],
                      chrome['dump_dom_tiny_s_median'], chrome['screenshot_s_median'], chrome['screenshot_tiny_s_median']))
    info['loadavg_at_end'] = '%.2f %.2f %.2f' % os.getloadavg()
    results = results_file(results, info, args)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, 'w', encoding='utf-8') as handle:
            json.dump(results, handle, indent=2)
        print('wrote %s' % args.json)


if __name__ == '__main__':
    main()
