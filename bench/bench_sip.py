# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark 1,000 SIP-registered desk phones against the same run on simulated phones (not a pass/fail test).

Two emulators in turn, each with N phones created by sipAdd (groups of 50):

* simulated - the emulator without its SIP side: every phone rings 0.5 s after sendSip (docs/emulator.md);
* SIP - the emulator with its SIP side (Kamailio on 127.0.0.1); one SIPp phone farm (devtools/sip_phones.py)
  registers all N accounts (the registration time is measured), and answers each INVITE with 180 at once, then 200
  after 200 ms; each phone talks 0.2 s (control API), so the platform's SIPp leg of each call lives under a second.

The same command is timed on both: a localhost play whose one laaffic.voice.laaffic_call task places the N calls
(expect ringing, concurrency 50): the smoke test's call step, which decides every verdict. Issue 20's target:
SIP <= simulated + 10 s. During the SIP run a sampler reads /proc every 0.1 s: the peak RSS of Kamailio (all its
processes), of the phone farm's SIPp, and of the platform's SIPp legs alive at once (and their number); CPU seconds
of Kamailio and the farm (utime + stime), of the legs (the emulator's reaped children) and of the emulator itself.

    python bench/bench_sip.py [--phones 1000] [--concurrency 50] [--repeat 3] [--json bench/results/sip.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

from bench_emulator import machine
from bench_fleet import environment
from devtools.emulator import Emulator
from devtools.sip_phones import PhoneFarm

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.path.dirname(sys.executable)
CALLEE = '493012345678'
TICK = os.sysconf('SC_CLK_TCK')
PAGE_KIB = os.sysconf('SC_PAGE_SIZE') / 1024.0


def stat(pid):
    """(comm, ppid, utime+stime s, reaped children's cutime+cstime s, rss MiB) of ``pid``, or None."""
    try:
        with open('/proc/%d/stat' % pid, encoding='utf-8') as handle:
            text = handle.read()
    except OSError:
        return None
    comm = text[text.index('(') + 1:text.rindex(')')]
    fields = text[text.rindex(')') + 2:].split()
    return (comm, int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK,
            int(fields[21]) * PAGE_KIB / 1024.0)


def processes():
    """{pid: stat} of every process now."""
    found = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            info = stat(int(name))
            if info:
                found[int(name)] = info
    return found


def descendants(table, root):
    children = {}
    for pid, info in table.items():
        children.setdefault(info[1], []).append(pid)
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            out.append(child)
            todo.append(child)
    return out


class Sampler(threading.Thread):
    """Peak RSS of Kamailio, of the farm and of the platform's SIPp legs (below the emulator), every 0.1 s."""

    def __init__(self, emulator_pid, farm_pid):
        super().__init__(daemon=True)
        self.emulator_pid, self.farm_pid = emulator_pid, farm_pid
        self.peak = {'kamailio_mib': 0.0, 'farm_mib': 0.0, 'legs_mib': 0.0, 'legs_alive': 0}
        self.kamailio_cpu = {}
        self.done = threading.Event()

    def sample(self):
        table = processes()
        below = descendants(table, self.emulator_pid)
        kamailio = [pid for pid in below if table[pid][0].startswith('kamailio')]
        legs = [pid for pid in below if table[pid][0] == 'sipp']
        for pid in kamailio:
            self.kamailio_cpu[pid] = table[pid][2]
        values = {'kamailio_mib': sum(table[pid][4] for pid in kamailio), 'legs_mib': sum(table[pid][4] for pid in legs),
                  'legs_alive': len(legs), 'farm_mib': table[self.farm_pid][4] if self.farm_pid in table else 0.0}
        for key, value in values.items():
            self.peak[key] = max(self.peak[key], value)

    def run(self):
        while not self.done.is_set():
            self.sample()
            self.done.wait(0.1)

    def stop(self):
        self.done.set()
        self.join()
        self.sample()


def create_phones(emu, size):
    """sipAdd ``size`` phones in groups of 50; [(account, password)] from sipQuery."""
    for number in range(0, size, 50):
        status, body = emu.api('POST', '/voice/sipAdd', {'groupName': 'bench-sip-%04d' % (number // 50), 'phoneName': 'desk',
                                                         'quantity': min(50, size - number), 'appId': emu.app_id})
        if status != 200 or body.get('status') != '0':
            raise SystemExit('bench_sip: sipAdd refused: %r' % body)
    phones, page = [], 1
    while True:
        dummy, body = emu.api('POST', '/voice/sipQuery', {'current': page, 'size': 100, 'params': {'appId': emu.app_id}})
        rows = body['data']['records']
        phones += [(row['account'], row['password']) for row in rows if row['groupName'].startswith('bench-sip-')]
        if page >= body['data']['pages']:
            return phones
        page += 1


def calls_play(folder, accounts, concurrency):
    with open(os.path.join(folder, 'calls.json'), 'w', encoding='utf-8') as handle:
        json.dump({'bench_calls': [{'account': account} for account in accounts]}, handle)
    module = os.path.join(folder, 'module.yml')
    with open(module, 'w', encoding='utf-8') as handle:
        handle.write('- name: The smoke test calls\n  hosts: localhost\n  gather_facts: false\n  tasks:\n'
                     '    - name: One laaffic_call task with every call\n      laaffic.voice.laaffic_call:\n'
                     '        calls: "{{ bench_calls }}"\n        callee: "%s"\n        expect: ringing\n'
                     '        concurrency: %d\n        wait_timeout: 300\n        fail_on: none\n' % (CALLEE, concurrency))
    return [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', module,
            '-e', '@' + os.path.join(folder, 'calls.json')]


def timed(cmd, env, cwd):
    start = time.monotonic()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit('bench_sip: the calls failed (%d):\n%s\n%s' % (proc.returncode, proc.stdout[-4000:], proc.stderr[-2000:]))
    return seconds


def outcomes(emu, accounts):
    """How the calls to ``accounts`` went, from their records: {'rang': n, 'sip 408': n, ...}."""
    counts = {}
    for call in emu.calls():
        if call.get('account') not in accounts:
            continue
        record = emu.record(call['voiceId'])
        key = 'rang' if record and record.get('ringingTime') else 'sip %s' % (record or {}).get('sipCode')
        counts[key] = counts.get(key, 0) + 1
    return counts


def own_cpu(pid):
    info = stat(pid)
    return (info[2], info[3]) if info else (0.0, 0.0)


def simulated(size, concurrency):
    with Emulator('default', quiet=True) as emu, tempfile.TemporaryDirectory(prefix='bench-sip-') as folder:
        phones = create_phones(emu, size)
        cmd = calls_play(folder, [account for account, dummy in phones], concurrency)
        before = own_cpu(emu.proc.pid)
        seconds = timed(cmd, environment(emu), folder)
        after = own_cpu(emu.proc.pid)
        return {'calls_s': seconds, 'emulator_cpu_s': after[0] - before[0], 'outcomes': outcomes(emu, dict(phones))}


def sip(size, concurrency):
    with Emulator('default', quiet=True, sip_port=0) as emu, tempfile.TemporaryDirectory(prefix='bench-sip-') as folder:
        phones = create_phones(emu, size)
        for account, dummy in phones:
            emu.phone(account, talk=0.2)
        time.sleep(1.0)    # the accounts reach Kamailio in the background after sipAdd
        with PhoneFarm('answer', ring_ms=200) as farm:
            sampler = Sampler(emu.proc.pid, farm.proc.pid)
            sampler.start()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.monotonic()
            got = farm.register('127.0.0.1', emu.sip_port, phones, rate=2000)
            register_s = time.monotonic() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            register_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
            registered = sum(value == 'registered' for value in got.values())
            if registered != size:   # shown in the results (the calls to the others are refused with -68)
                print('bench_sip: %d of %d phones registered: %r' % (
                    registered, size, sorted(set(got.values()))), flush=True)
            kamailio_before = dict(sampler.kamailio_cpu)
            cmd = calls_play(folder, [account for account, dummy in phones], concurrency)
            emu_before, farm_before = own_cpu(emu.proc.pid), own_cpu(farm.proc.pid)
            seconds = timed(cmd, environment(emu), folder)
            time.sleep(1.5)    # the last legs end (200, talk, BYE) and are reaped
            emu_after, farm_after = own_cpu(emu.proc.pid), own_cpu(farm.proc.pid)
            sampler.stop()
        return {'registered': registered, 'outcomes': outcomes(emu, dict(phones)), 'register_s': register_s,
                'register_client_cpu_s': register_cpu, 'calls_s': seconds,
                'emulator_cpu_s': emu_after[0] - emu_before[0], 'legs_cpu_s': emu_after[1] - emu_before[1],
                'kamailio_cpu_s': sum(sampler.kamailio_cpu.values()) - sum(kamailio_before.values()),
                'farm_cpu_s': farm_after[0] - farm_before[0], 'peak': sampler.peak}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--phones', type=int, default=1000, help='phones (default 1000; at most 2,000, the app cap)')
    parser.add_argument('--concurrency', type=int, default=50, help='laaffic_call concurrency (default 50)')
    parser.add_argument('--repeat', type=int, default=3, help='runs, each simulated then SIP (default 3)')
    parser.add_argument('--json', default=os.path.join(HERE, 'results', 'sip.json'), help='results file ("" for none)')
    args = parser.parse_args(argv)
    facts = machine()
    print('bench_sip: machine %s' % json.dumps(facts), flush=True)
    rows = []
    for number in range(1, max(1, args.repeat) + 1):
        load = ' '.join('%.2f' % value for value in os.getloadavg())
        sim = simulated(args.phones, args.concurrency)
        print('bench_sip: run %d: simulated phones: %d calls to ringing in %.2f s %r'
              % (number, args.phones, sim['calls_s'], sim['outcomes']), flush=True)
        real = sip(args.phones, args.concurrency)
        peak = real['peak']
        print('bench_sip: run %d: SIP phones: %d registered in %.2f s; %d calls to ringing in %.2f s %r (simulated %.2f s, '
              'target <= %.2f s)' % (number, args.phones, real['register_s'], args.phones, real['calls_s'], real['outcomes'],
                                     sim['calls_s'], sim['calls_s'] + 10), flush=True)
        print('bench_sip: run %d: peak RSS Kamailio %.1f MiB, farm %.1f MiB, legs %.1f MiB (%d alive at once); CPU s during the '
              'calls: Kamailio %.2f, farm %.2f, legs %.2f, emulator %.2f (simulated run: emulator %.2f)'
              % (number, peak['kamailio_mib'], peak['farm_mib'], peak['legs_mib'], peak['legs_alive'], real['kamailio_cpu_s'],
                 real['farm_cpu_s'], real['legs_cpu_s'], real['emulator_cpu_s'], sim['emulator_cpu_s']), flush=True)
        rows.append({'run': number, 'load_at_start': load, 'phones': args.phones, 'registered': real['registered'],
                     'register_s': round(real['register_s'], 2),
                     'simulated_s': round(sim['calls_s'], 2), 'sip_s': round(real['calls_s'], 2),
                     'sip_rang': real['outcomes'].get('rang', 0),
                     'sip_other': ', '.join('%s: %d' % item for item in sorted(real['outcomes'].items()) if item[0] != 'rang') or '-',
                     'target_s': round(sim['calls_s'] + 10, 2), 'margin_s': round(sim['calls_s'] + 10 - real['calls_s'], 2),
                     'kamailio_peak_mib': round(peak['kamailio_mib'], 1), 'farm_peak_mib': round(peak['farm_mib'], 1),
                     'legs_peak_mib': round(peak['legs_mib'], 1), 'legs_alive_peak': peak['legs_alive'],
                     'kamailio_cpu_s': round(real['kamailio_cpu_s'], 2), 'farm_cpu_s': round(real['farm_cpu_s'], 2),
                     'legs_cpu_s': round(real['legs_cpu_s'], 2), 'emulator_cpu_s': round(real['emulator_cpu_s'], 2),
                     'emulator_cpu_simulated_s': round(sim['emulator_cpu_s'], 2)})
    facts['loadavg_at_end'] = ' '.join('%.2f' % value for value in os.getloadavg())
    if args.json:
        os.makedirs(os.path.dirname(args.json), exist_ok=True)
        with open(args.json, 'w', encoding='utf-8') as handle:
            json.dump({'benchmark': 'sip', 'title': '1,000 SIP-registered desk phones (issue 20)',
                       'description': (
                           'One SIPp phone farm registers N sipAdd accounts with the emulator\'s Kamailio (register_s), then one '
                           'laaffic_call task (expect ringing, concurrency %d) calls them all over SIP (sip_s) against the same '
                           'task on the emulator\'s simulated phones (simulated_s, ring 0.5 s after sendSip). Target: sip_s <= '
                           'simulated_s + 10 s. Peak RSS in MiB (all Kamailio processes; the farm; the platform\'s SIPp legs '
                           'alive at once, legs_alive_peak of them) and CPU seconds during the calls (Kamailio, farm, legs, the '
                           'emulator; emulator_cpu_simulated_s in the simulated run). Each call starts its own SIPp process '
                           '(the platform\'s leg). One row per run, simulated then SIP, one after the other.' % args.concurrency),
                       'generated_at': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
                       'machine': facts, 'columns': {'phones': 'Phones'}, 'rows': rows}, handle, indent=2)
            handle.write('\n')
        print('bench_sip: wrote %s' % args.json)
    return 0


if __name__ == '__main__':
    sys.exit(main())
