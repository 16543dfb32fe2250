# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From zero to a tested fleet: demo/run_provision.py (make demo-provision) end to end on the emulator, and the
playbook run twice on one emulator (the second run creates nothing and rewrites no file)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

from devtools.emulator import Emulator
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
    proc = subprocess.run([sys.executable, RUN, '--output-dir', str(tmp_path)], capture_output=True, text=True, env=env_for(),
                          cwd=ROOT, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]
    assert 'run_provision: ansible-playbook exited with 0' in output and '5 phones in inventory group demo_floor_1' in output
    files = sorted(os.listdir(tmp_path / 'provisioning'))
    assert len(files) == 5 and all(re.match(r'^0200[0-9a-f]{8}\.cfg$', name) for name in files), files
    assert all((tmp_path / 'provisioning' / name).read_text().startswith('#!version:1.0.0.1\n') for name in files)
    suite = ET.parse(str(tmp_path / 'desk-phone-provision.junit.xml')).getroot()
    cases = suite.iter('testcase')
    names = sorted(case.get('name').split(' ')[0] for case in cases)
    assert names == ['demo-desk-%d' % n for n in range(1, 6)]
    assert not list(suite.iter('failure')) and not list(suite.iter('error'))


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
