# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The generated fleet: --fleet-size / EMULATOR_FLEET_SIZE / Emulator(fleet_size=...) / the scenario's `fleet:`
serve N phones from start-up, without control-API calls."""

from __future__ import annotations

import collections
import os
import subprocess
import sys

from devtools.emulator import SERVERS, Emulator


def list_all(emu):
    """Every phone through sipQuery, 100 per page."""
    records, page = [], 1
    while True:
        status, body = emu.api('POST', '/voice/sipQuery', {'current': page, 'size': 100, 'params': {'appId': emu.app_id}})
        assert status == 200 and body['status'] == '0'
        records += body['data']['records']
        if page >= body['data']['pages']:
            return records, body['data']['total']
        page += 1


def test_fleet_size_serves_phones_from_start_up():
    with Emulator('default', fleet_size=2020, quiet=True) as emu:
        records, total = list_all(emu)
        assert total == 2032 and len(records) == 2032  # the default scenario's 12, then the fleet
        fleet = [r for r in records if r['account'].startswith('fleet-')]
        assert [r['account'] for r in fleet[:2]] == ['fleet-00001', 'fleet-00002'] and fleet[-1]['account'] == 'fleet-02020'
        assert len({r['account'] for r in fleet}) == 2020
        groups = collections.Counter(r['groupName'] for r in fleet)
        assert len(groups) == 41 and max(groups.values()) == 50 and groups['fleet-g0041'] == 20
        assert all(r['phoneName'] == r['account'] and len(r['password']) == 8 for r in fleet)
        assert fleet[-1]['displayNum'] == '8613700002020' and len({r['displayNum'] for r in fleet}) == 2020
        # each is a phone sendSip can call: it rings (no_answer) and is busy meanwhile
        assert emu.send_sip('fleet-02020')['status'] == '0'
        assert emu.send_sip('fleet-02020')['status'] == '-68'
        assert emu.send_sip('fleet-00001')['status'] == '0'
        assert [c['account'] for c in emu.calls()] == ['fleet-02020', 'fleet-00001']
        # a reset brings the same fleet back, idle
        emu.reset()
        assert emu.send_sip('fleet-02020')['status'] == '0'
        assert list_all(emu)[1] == 2032


def test_fleet_size_from_the_environment_and_the_scenario(tmp_path):
    with Emulator('fleet', env={'EMULATOR_FLEET_SIZE': '60'}, quiet=True) as emu:
        records, total = list_all(emu)
        assert total == 1060  # the fleet scenario's fleet-0001 ... fleet-1000 are other accounts
        assert records[-1]['account'] == 'fleet-00060' and records[-1]['groupName'] == 'fleet-g0002'
    scenario = tmp_path / 'mine.yml'
    scenario.write_text('name: mine\nfleet: {size: 3, behaviour: answer, ring_after: 0.2}\n')
    with Emulator(str(scenario), quiet=True) as emu:
        phones = emu.control('GET', '/_emulator/phones')['phones']
        assert [(p['account'], p['behaviour'], p['ring_after']) for p in phones] == [
            ('fleet-00001', 'answer', 0.2), ('fleet-00002', 'answer', 0.2), ('fleet-00003', 'answer', 0.2)]


def run_cli(*args, scenario_text=None, tmp_path=None):
    cmd = [sys.executable, '-m', 'laaffic_emulator', '--port', '0', '--quiet']
    if scenario_text is not None:
        path = tmp_path / 'bad.yml'
        path.write_text(scenario_text)
        cmd += ['--scenario', str(path)]
    env = dict(os.environ, PYTHONPATH=SERVERS)
    return subprocess.run(cmd + list(args), env=env, capture_output=True, text=True, timeout=30, check=False)


def test_bad_fleet_sizes_are_refused_naming_the_field(tmp_path):
    for value in ('100001', '-1', 'many'):
        result = run_cli('--fleet-size', value)
        assert result.returncode == 2 and 'fleet size must be an integer from 0 to 100000' in result.stderr, result.stderr
    result = run_cli(scenario_text='fleet: {size: 1000000}\n', tmp_path=tmp_path)
    assert result.returncode == 2 and 'fleet.size must be an integer from 0 to 100000' in result.stderr
    result = run_cli(scenario_text='fleet: {size: 2, account: x}\n', tmp_path=tmp_path)
    assert result.returncode == 2 and "fleet: 'account' is generated" in result.stderr
    result = run_cli(scenario_text='fleet: {size: 2}\nphones: [{account: fleet-00002}]\n', tmp_path=tmp_path)
    assert result.returncode == 2 and 'repeats an account' in result.stderr
    result = run_cli(scenario_text='phones: [{pattern: "p{}", count: 100000000}]\n', tmp_path=tmp_path)
    assert result.returncode == 2 and 'count must be an integer from 1 to 100000' in result.stderr
