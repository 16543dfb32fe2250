# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The main job end to end: demo/run_demo.py (make demo) with the emulator, the receiver and the role.

Checks the exit code, the reports (one testcase per phone of demo/inventory.yml), that the playbook's
verdict check really fails on a wrong expectation, and that the servers are stopped on SIGTERM/SIGINT.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN_DEMO = os.path.join(ROOT, 'demo', 'run_demo.py')
INVENTORY = os.path.join(ROOT, 'demo', 'inventory.yml')
VERDICTS = ('accepted', 'rang', 'answered', 'failed', 'rejected', 'timeout', 'unknown')
LEVEL = {'accepted': 0, 'rang': 1, 'answered': 2}
EXPECT_LEVEL = {'accepted': 0, 'ringing': 1, 'answered': 2}
STARTED = re.compile(r'run_demo: receiver on (http://127\.0\.0\.1:(\d+)), emulator on (http://127\.0\.0\.1:(\d+))')


def demo_phones(path=INVENTORY):
    """{host: (account, expect, expected verdict)} of the inventory group desk_phones."""
    with open(path, encoding='utf-8') as handle:
        inventory = yaml.safe_load(handle)
    group = inventory['all']['children']['desk_phones']
    default_expect = group['vars']['desk_phone_smoke_test_expect']
    return {host: (hv['laaffic_account'], hv.get('laaffic_expect', default_expect), hv['demo_expected_verdict'])
            for host, hv in group['hosts'].items()}


def run_demo(tmp_path, *args, timeout=600):
    env = dict(os.environ)
    env['ANSIBLE_NOCOLOR'] = '1'
    return subprocess.run([sys.executable, RUN_DEMO, '--report-dir', str(tmp_path / 'reports')] + list(args),
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)


def port_closed(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(('127.0.0.1', port)) != 0


def test_inventory_covers_every_verdict():
    phones = demo_phones()
    assert len(phones) >= 12
    assert {verdict for _account, _expect, verdict in phones.values()} == set(VERDICTS)
    assert len({account for account, _expect, _verdict in phones.values()}) == len(phones)  # one call per phone


@pytest.mark.emulator_timing
def test_demo_end_to_end(tmp_path):
    proc = run_demo(tmp_path)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    phones = demo_phones()
    assert 'All %d phones got the expected verdict' % len(phones) in out

    junit = tmp_path / 'reports' / 'desk-phone-smoke-test.junit.xml'
    html = tmp_path / 'reports' / 'desk-phone-smoke-test.html'
    assert 'JUnit XML report:  %s' % junit in out and 'HTML report:       %s' % html in out

    root = ET.parse(str(junit)).getroot()
    cases = {c.get('name'): c for c in root.iter('testcase')}
    assert sorted(cases) == sorted('%s [%s]' % (host, account) for host, (account, _e, _v) in phones.items())
    for host, (account, expect, verdict) in phones.items():
        case = cases['%s [%s]' % (host, account)]
        failure = case.find('failure')
        short = verdict not in LEVEL or LEVEL[verdict] < EXPECT_LEVEL[expect]
        if short:
            assert failure is not None, host
            assert failure.get('type') == verdict
            assert failure.get('message').startswith('verdict %s, expected %s' % (verdict, expect))
        else:
            assert failure is None, host
    short_count = sum(1 for c in cases.values() if c.find('failure') is not None)
    assert root.find('testsuite').get('failures') == str(short_count)

    text = html.read_text(encoding='utf-8')
    assert text.count('<tr class=') == len(phones)
    for host, (account, _expect, verdict) in phones.items():
        assert '<td>%s</td><td>%s</td>' % (host, account) in text
        assert 'data-v="%s"' % verdict in text
    assert '<tr class="amber"' in text and '<tr class="bad"' in text and '<tr class="ok"' in text

    started = STARTED.search(out)
    assert started, out
    assert port_closed(int(started.group(2))) and port_closed(int(started.group(4)))


def test_demo_fails_on_a_wrong_expectation(tmp_path):
    """A small copy of the demo inventory where one phone is told to expect the wrong verdict."""
    with open(INVENTORY, encoding='utf-8') as handle:
        inventory = yaml.safe_load(handle)
    hosts = inventory['all']['children']['desk_phones']['hosts']
    keep = {'reception': dict(hosts['reception'], demo_expected_verdict='rang'), 'storeroom': hosts['storeroom']}
    inventory['all']['children']['desk_phones']['hosts'] = keep
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump(inventory), encoding='utf-8')
    proc = run_demo(tmp_path, '--inventory', str(path))
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert '1 of 2 phone(s) did not get the expected verdict: reception (desk-answer-01): got answered, expected rang' in out
    assert 'storeroom' not in out.split('did not get the expected verdict')[1].splitlines()[0]
    assert (tmp_path / 'reports' / 'desk-phone-smoke-test.junit.xml').exists()


@pytest.mark.parametrize('signum, code', [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_demo_stops_its_servers_when_interrupted(tmp_path, signum, code):
    env = dict(os.environ)
    env['ANSIBLE_NOCOLOR'] = '1'
    proc = subprocess.Popen([sys.executable, RUN_DEMO, '--report-dir', str(tmp_path / 'reports')],  # pylint: disable=consider-using-with
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = []
        started = None
        for line in proc.stdout:
            lines.append(line)
            started = STARTED.search(line)
            if started:
                break
        assert started, ''.join(lines)
        proc.send_signal(signum)
        rest = proc.communicate(timeout=120)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == code, ''.join(lines) + rest
    assert port_closed(int(started.group(2))) and port_closed(int(started.group(4)))
