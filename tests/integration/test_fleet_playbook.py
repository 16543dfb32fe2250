# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet path users run: the collection playbook laaffic.voice.smoke_test over an inventory, against the emulator.

Covers what issue 17 asks of it: a pass, a shortfall that the recap pins on the phones themselves, an inventory with
no phones, an inventory source that fails (both non-zero, saying why), check mode gating the real run, every way
to give credentials through the role (module_defaults, laaffic_* variables, LAAFFIC_* environment variables), 2,000
phones through the inventory plugin, and the playbook run by ansible-runner (the engine under AWX).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from devtools.emulator import Emulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
BIN = os.path.dirname(sys.executable)
CALLEE = '493012345678'


def environment(emu=None, **extra):
    env = {key: value for key, value in os.environ.items() if not key.startswith('LAAFFIC_')}
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    if emu is not None:
        env.update(LAAFFIC_API_URL=emu.api_url, LAAFFIC_API_KEY=emu.api_key, LAAFFIC_API_SECRET=emu.api_secret,
                   LAAFFIC_APP_ID=emu.app_id)
    env.update(extra)
    return env


def write_inventory(tmp_path, phones, name='inventory.yml'):
    """A static inventory of phones: {host: {laaffic_account: ..., ...}}."""
    path = tmp_path / name
    path.write_text(yaml.safe_dump({'all': {'children': {'desk_phones': {'hosts': phones}}}}), encoding='utf-8')
    return path


def playbook(inventory, env, *args, playbook_name='laaffic.voice.smoke_test', cwd=None):
    cmd = [os.path.join(BIN, 'ansible-playbook'), '-i', str(inventory), playbook_name,
           '-e', 'desk_phone_smoke_test_callee=%s' % CALLEE, '-e', 'desk_phone_smoke_test_poll_interval=0.2'] + list(args)
    return subprocess.run(cmd, env=env, cwd=str(cwd or inventory.parent), capture_output=True, text=True, timeout=300, check=False)


def recap(stdout):
    """host -> {ok, changed, failed, ...} from the PLAY RECAP."""
    hosts = {}
    for line in stdout.split('PLAY RECAP', 1)[-1].splitlines():
        match = re.match(r'^(\S+)\s+:\s+(.*)$', line.strip())
        if match:
            hosts[match.group(1)] = {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', match.group(2))}
    return hosts


PHONES = {
    'lobby': {'laaffic_account': 'desk-answer-01'},
    'kitchen': {'laaffic_account': 'desk-answer-02'},
    'helpdesk': {'laaffic_account': 'desk-reject-01'},
}


def test_collection_playbook_passes(tmp_path, emu):
    inventory = write_inventory(tmp_path, {k: v for k, v in PHONES.items() if k != 'helpdesk'})
    proc = playbook(inventory, environment(emu), '-e', 'desk_phone_smoke_test_expect=ringing')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    hosts = recap(proc.stdout)
    assert hosts['localhost']['failed'] == 0 and set(hosts) == {'localhost'}
    assert sorted(call['account'] for call in emu.calls()) == ['desk-answer-01', 'desk-answer-02']
    # The reports go beside the inventory, not into the installed collection.
    junit = ET.parse(tmp_path / 'smoke-test-reports' / 'desk-phone-smoke-test.junit.xml').getroot()
    assert junit.get('tests') == '2' and junit.get('failures') == '0'
    # Argument validation ran once, on the controller: one "Validating arguments" task result in all.
    assert proc.stdout.count('Validating arguments against arg spec') == 1


def test_shortfall_fails_the_phones_themselves(tmp_path, emu):
    inventory = write_inventory(tmp_path, PHONES)
    proc = playbook(inventory, environment(emu), '-e', 'desk_phone_smoke_test_expect=ringing')
    assert proc.returncode == 2, proc.stdout + proc.stderr
    hosts = recap(proc.stdout)
    # The recap blames the phone that fell short, not the host that ran the batch; the others are not failed.
    assert hosts['helpdesk']['failed'] == 1
    assert hosts['localhost']['failed'] == 0
    assert 'lobby' not in hosts or hosts['lobby']['failed'] == 0
    assert 'helpdesk (account desk-reject-01): failed, expected ringing' in proc.stdout


def test_no_phones_fails_saying_why(tmp_path, emu):
    inventory = tmp_path / 'empty.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {}}}), encoding='utf-8')
    proc = playbook(inventory, environment(emu))
    assert proc.returncode != 0
    assert 'No phones to test' in proc.stdout and 'matches no host of the inventory' in proc.stdout
    assert emu.calls() == []


def test_failing_inventory_source_fails_the_run(tmp_path, emu):
    """The API is down: ansible-playbook only warns about the source and finds no hosts; the playbook must fail."""
    inventory = tmp_path / 'fleet.laaffic_phones.yml'
    inventory.write_text('plugin: laaffic.voice.laaffic_phones\n', encoding='utf-8')
    down = environment(emu, LAAFFIC_API_URL='http://127.0.0.1:9/v3', LAAFFIC_TIMEOUT='2')
    proc = playbook(inventory, down)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert 'No phones to test' in proc.stdout and 'ansible-inventory -i <source> --graph' in proc.stdout
    # A bad credential, likewise.
    proc = playbook(inventory, environment(emu, LAAFFIC_API_SECRET='wrong-secret'))
    assert proc.returncode != 0 and 'No phones to test' in proc.stdout
    assert 'wrong-secret' not in proc.stdout + proc.stderr
    assert emu.calls() == []


def test_check_mode_gates_the_real_run(tmp_path, emu):
    phones = dict(PHONES, storeroom={'laaffic_account': 'no-such-account'})
    del phones['helpdesk']
    inventory = write_inventory(tmp_path, phones)
    proc = playbook(inventory, environment(emu), '--check', '-e', 'desk_phone_smoke_test_expect=ringing')
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert recap(proc.stdout)['storeroom']['failed'] == 1
    assert "storeroom (account no-such-account): predicted rejected, expected ringing - preflight: application" in proc.stdout
    assert emu.calls() == []  # check mode placed nothing
    # The variable that lets check mode only report its predictions.
    proc = playbook(inventory, environment(emu), '--check', '-e', 'desk_phone_smoke_test_check_mode_fails=false')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert emu.calls() == []


def role_play(tmp_path, module_defaults=None, play_vars=None):
    """A play over the phones themselves (the README's example) with the role."""
    play = {'name': 'Smoke-test the desk phones', 'hosts': 'desk_phones', 'gather_facts': False,
            'roles': [{'role': 'laaffic.voice.desk_phone_smoke_test',
                       'vars': {'desk_phone_smoke_test_expect': 'ringing', 'desk_phone_smoke_test_poll_interval': 0.2}}]}
    if module_defaults:
        play['module_defaults'] = {'group/laaffic.voice.laaffic': module_defaults}
    if play_vars:
        play['vars'] = play_vars
    path = tmp_path / 'smoke.yml'
    path.write_text(yaml.safe_dump([play], sort_keys=False), encoding='utf-8')
    return path


@pytest.mark.parametrize('way', ['module_defaults', 'laaffic_vars', 'environment', 'environment_and_module_defaults_url'])
def test_every_way_to_give_credentials_works_through_the_role(tmp_path, emu, way):
    inventory = write_inventory(tmp_path, {k: v for k, v in PHONES.items() if k != 'helpdesk'})
    given = {'api_url': emu.api_url, 'api_key': emu.api_key, 'api_secret': emu.api_secret, 'app_id': emu.app_id}
    env = environment()
    if way == 'module_defaults':
        path = role_play(tmp_path, module_defaults=given)
    elif way == 'laaffic_vars':
        path = role_play(tmp_path, play_vars={'laaffic_%s' % key: value for key, value in given.items()})
    elif way == 'environment':
        path = role_play(tmp_path)
        env = environment(emu)
    else:
        # Credentials from the environment, the URL only in module_defaults: the URL the user named must win over
        # the module's default (which is the real platform).
        path = role_play(tmp_path, module_defaults={'api_url': emu.api_url})
        env = environment(emu)
        del env['LAAFFIC_API_URL']
    proc = playbook(inventory, env, playbook_name=str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(call['account'] for call in emu.calls()) == ['desk-answer-01', 'desk-answer-02']


def test_role_in_a_play_over_the_phones_fails_each_short_phone(tmp_path, emu):
    inventory = write_inventory(tmp_path, PHONES)
    path = role_play(tmp_path)
    proc = playbook(inventory, environment(emu), playbook_name=str(path))
    assert proc.returncode == 2
    hosts = recap(proc.stdout)
    assert hosts['helpdesk']['failed'] == 1
    assert all(hosts[name]['failed'] == 0 for name in ('lobby', 'kitchen'))


@pytest.mark.core_independent
def test_two_thousand_phones_through_the_inventory_plugin(tmp_path):
    with Emulator('default', fleet_size=2000, quiet=True) as emu:
        inventory = tmp_path / 'fleet.laaffic_phones.yml'
        inventory.write_text('plugin: laaffic.voice.laaffic_phones\nphone_groups: []\nkeyed_groups: []\n', encoding='utf-8')
        proc = playbook(inventory, environment(emu), '-e', 'desk_phone_smoke_test_expect=ringing',
                        '-e', 'desk_phone_smoke_test_hosts=fleet_g*', '-e', 'desk_phone_smoke_test_concurrency=50')
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        calls = emu.calls()
        assert len(calls) == 2000 and len({call['account'] for call in calls}) == 2000
        junit = ET.parse(tmp_path / 'smoke-test-reports' / 'desk-phone-smoke-test.junit.xml').getroot()
        assert junit.get('tests') == '2000' and junit.get('failures') == '0'
        assert len(junit.findall('testsuite')) == 40  # one per phone group of 50


def test_ansible_runner_runs_the_collection_playbook(tmp_path, emu):
    ansible_runner = pytest.importorskip('ansible_runner')
    private = tmp_path / 'runner'
    (private / 'inventory').mkdir(parents=True)
    inventory = {'all': {'children': {'desk_phones': {'hosts': PHONES}}}}
    (private / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump(inventory), encoding='utf-8')
    (private / 'project').mkdir()
    env = environment(emu, PATH=BIN + os.pathsep + os.environ.get('PATH', ''))
    run = ansible_runner.run(private_data_dir=str(private), playbook='laaffic.voice.smoke_test', quiet=True,
                             envvars={key: env[key] for key in env if key.startswith(('LAAFFIC_', 'ANSIBLE_')) or key == 'PATH'},
                             extravars={'desk_phone_smoke_test_callee': CALLEE, 'desk_phone_smoke_test_expect': 'ringing',
                                        'desk_phone_smoke_test_poll_interval': 0.2,
                                        'desk_phone_smoke_test_report_dir': str(tmp_path / 'reports')})
    assert run.status == 'failed' and run.rc == 2
    events = list(run.events)
    call_task = [e for e in events if e.get('event_data', {}).get('task') == 'Call every desk phone once, follow each call to a verdict, write the reports'
                 and e['event'] in ('runner_on_ok', 'runner_on_failed')]
    assert len(call_task) == 1 and call_task[0]['event'] == 'runner_on_ok'
    assert call_task[0]['event_data']['host'] == 'localhost'
    # The secure-logging default hides the call task's result from the job events, credentials included.
    assert emu.api_secret not in json.dumps(events)
    failed = {e['event_data']['host'] for e in events if e['event'] == 'runner_on_failed'}
    assert failed == {'helpdesk'}
    assert run.stats['failures'] == {'helpdesk': 1}
    artifacts = private / 'artifacts' / run.config.ident
    assert (artifacts / 'rc').read_text() == '2' and (artifacts / 'status').read_text() == 'failed'
    assert 'helpdesk (account desk-reject-01): failed, expected ringing' in (artifacts / 'stdout').read_text()
