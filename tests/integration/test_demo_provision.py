# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From zero to a tested fleet: demo/run_provision.py (make demo-provision) end to end on the emulator at the SIP
level (the files point at the emulator's Kamailio, a SIPp phone farm registers from them, one phone whose password
was reset after rendering is refused and reported so, the others answer over SIP), and the playbook run twice on one
emulator with simulated phones (the second run creates nothing and rewrites no file)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from devtools.emulator import Emulator
from devtools.sip_phones import read_yealink
from support.playbook import BIN, COLLECTIONS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUN = os.path.join(ROOT, 'demo', 'run_provision.py')
INVENTORY = os.path.join(ROOT, 'demo', 'inventory', 'laaffic_phones.yml')
PLAYBOOK = os.path.join(ROOT, 'demo', 'provision.yml')


def env_for(emulator=None):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               NO_PROXY='127.0.0.1,localhost', no_proxy='127.0.0.1,localhost')
    if emulator is not None:
        env.update(LAAFFIC_API_URL=emulator.api_url, LAAFFIC_API_KEY=emulator.api_key, LAAFFIC_API_SECRET=emulator.api_secret,
                   LAAFFIC_APP_ID=emulator.app_id)
    return env


def test_make_demo_provision(tmp_path):
    sys.path.insert(0, os.path.join(ROOT, 'demo'))
    try:
        from run_provision import missing_sip_packages  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.remove(os.path.join(ROOT, 'demo'))
    absent = missing_sip_packages()
    if absent:
        hint = 'make demo-provision at the SIP level needs: apt-get install %s (or make sip-deps as root)' % ' '.join(absent)
        if os.environ.get('CI') == 'true':
            pytest.fail(hint)
        pytest.skip(hint)
    proc = subprocess.run([sys.executable, RUN, '--output-dir', str(tmp_path)], capture_output=True, text=True, env=env_for(),
                          cwd=ROOT, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    assert 'run_provision: ansible-playbook exited with 0' in output and '5 phones in inventory group demo_floor_1' in output
    sip_port = int(re.search(r'with its SIP side on sip:127\.0\.0\.1:(\d+)', output).group(1))
    files = sorted(os.listdir(tmp_path / 'provisioning'))
    assert len(files) == 5 and all(re.match(r'^0200[0-9a-f]{8}\.cfg$', name) for name in files), files
    settings = {name: read_yealink(tmp_path / 'provisioning' / name) for name in files}
    # the files point at the emulator's SIP side, not at sip.example.net
    assert {(s['server'], s['port'], s['transport']) for s in settings.values()} == {('127.0.0.1', sip_port, 'udp')}

    # the phones registered from those files; the one whose password was reset after rendering was refused, and the
    # report says so and that its file must be rendered again
    lines = (tmp_path / 'sip-registration.txt').read_text().splitlines()
    assert len(lines) == 5, lines
    refused = [line for line in lines if 'REFUSED' in line]
    assert len(refused) == 1 and 'SIP 403' in refused[0] and 'render its file again' in refused[0], lines
    assert sum(': registered with 127.0.0.1:%d over udp' % sip_port in line for line in lines) == 4, lines
    reset_host, reset_account = re.match(r'(\S+) \((\S+), file', refused[0]).groups()
    assert reset_host == 'demo-desk-5' and reset_account in {s['account'] for s in settings.values()}
    assert 'render its file again' in output

    # the smoke test rang every phone: the registered ones answered over SIP, the refused one got -68
    suite = ET.parse(str(tmp_path / 'desk-phone-provision.junit.xml')).getroot()
    cases = {case.get('name').split(' ')[0]: case for case in suite.iter('testcase')}
    assert sorted(cases) == ['demo-desk-%d' % n for n in range(1, 6)]
    short = [name for name, case in cases.items() if list(case.iter('failure')) or list(case.iter('error'))]
    assert short == ['demo-desk-5'] and '-68' in ET.tostring(cases['demo-desk-5'], encoding='unicode')
    assert '4 phones registered from their files and answered over SIP' in output

    # no SIP password in what the demo printed or wrote as reports
    reports = output + '\n'.join(lines) + (tmp_path / 'desk-phone-provision.html').read_text()
    for s in settings.values():
        assert s['password'] not in reports


def test_second_run_creates_nothing_and_rewrites_no_file(tmp_path):
    command = [os.path.join(BIN, 'ansible-playbook'), '-i', INVENTORY, PLAYBOOK, '-e', 'demo_provision_dir=%s' % (tmp_path / 'files'),
               '-e', 'desk_phone_smoke_test_report_dir=%s' % (tmp_path / 'reports')]
    with Emulator(quiet=True) as emulator:
        first = subprocess.run(command, capture_output=True, text=True, env=env_for(emulator), cwd=ROOT, timeout=600, check=False)
        assert first.returncode == 0, (first.stdout + first.stderr)[-5000:]
        second = subprocess.run(command, capture_output=True, text=True, env=env_for(emulator), cwd=ROOT, timeout=600, check=False)
        assert second.returncode == 0, (second.stdout + second.stderr)[-5000:]
    before, after = first.stdout, second.stdout

    def status_of(output, name):
        block = output[output.index('TASK [%s]' % name):]
        return block.split('TASK [', 2)[1]
    assert 'changed: [localhost]' in status_of(before, 'Make sure the group exists with its phones')
    assert 'ok: [localhost]' in status_of(after, 'Make sure the group exists with its phones')
    rendered = "laaffic.voice.desk_phone_config : Render the phones' configuration files"
    assert status_of(before, rendered).count('changed: [') == 1  # one run_once task writes the 5 phones' files
    assert 'changed: [' not in status_of(after, rendered) and status_of(after, rendered).count('ok: [') == 1
    assert '(0 created now)' in after and len(os.listdir(tmp_path / 'files')) == 5
