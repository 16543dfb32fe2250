# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_values (plugins/plugin_utils/_hostvars.py) gives exactly what hostvars gives, on real Ansible inventories."""

from __future__ import annotations

import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.hostvars import HostVars
from ansible.vars.manager import VariableManager

from ansible_collections.laaffic.voice.plugins.plugin_utils import _hostvars
from ansible_collections.laaffic.voice.plugins.plugin_utils._hostvars import host_values

KEYS = ('laaffic_account', 'laaffic_callee', 'laaffic_expect', 'laaffic_phone_group', 'laaffic_called_info')


def ansible_hostvars(tmp_path, inventory, files=None, extra_vars=None):
    """HostVars over an inventory file written to tmp_path, with group_vars/host_vars files beside it."""
    for relative, data in (files or {}).items():
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data), encoding='utf-8')
    source = tmp_path / 'inventory.yml'
    source.write_text(yaml.safe_dump(inventory), encoding='utf-8')
    loader = DataLoader()
    loader.set_basedir(str(tmp_path / 'playbooks'))
    manager = InventoryManager(loader=loader, sources=[str(source)])
    variables = VariableManager(loader=loader, inventory=manager)
    if extra_vars:
        variables._extra_vars = extra_vars  # what -e sets
    return HostVars(inventory=manager, variable_manager=variables, loader=loader)


def fleet(count=60):
    hosts = {'desk-%03d' % n: {'laaffic_account': 'acct-%03d' % n, 'laaffic_phone_group': 'floor-%d' % (n // 20)} for n in range(count)}
    hosts['desk-005']['laaffic_callee'] = '4930555'
    hosts['desk-006']['laaffic_expect'] = '{{ "ans" ~ "wered" }}'  # a template: templated as hostvars does
    floors = {'floor_%d' % f: {'hosts': {h: None for h in hosts if int(h[5:]) // 20 == f}} for f in range(3)}
    floors['floor_1']['vars'] = {'laaffic_callee': '4930111', 'laaffic_expect': 'ringing'}
    return {'all': {'vars': {'laaffic_called_info': 'inventory-all'}, 'hosts': hosts,
                    'children': dict(floors, phones={'children': {'floor_2': {}}, 'vars': {'laaffic_expect': 'accepted'}})}}


def expected(hostvars, names):
    return [{key: hostvars[name][key] for key in KEYS if key in hostvars[name]} for name in names]


def test_same_values_as_hostvars_with_group_vars_files_and_extra_vars(tmp_path):
    files = {'group_vars/floor_2.yml': {'laaffic_callee': '4930222'},       # beside the inventory
             'playbooks/group_vars/all.yml': {'laaffic_called_info': 'playbook-all'}}  # beside the playbook
    hostvars = ansible_hostvars(tmp_path, fleet(), files)
    names = sorted(hostvars._inventory.hosts)
    assert _hostvars._fast_path_ready(hostvars) is not None
    got = host_values(hostvars, names, KEYS)
    assert got == expected(hostvars, names)
    by_name = dict(zip(names, got))
    assert by_name['desk-005']['laaffic_callee'] == '4930555'          # host var over group var
    assert by_name['desk-025']['laaffic_callee'] == '4930111'          # inventory group var
    assert by_name['desk-045']['laaffic_callee'] == '4930222'          # group_vars/ file
    assert by_name['desk-045']['laaffic_expect'] == 'accepted'         # parent group's var
    assert by_name['desk-006']['laaffic_expect'] == 'answered'         # templated
    assert by_name['desk-001']['laaffic_called_info'] == 'playbook-all'  # playbook group_vars over inventory's


def test_extra_vars_win(tmp_path):
    hostvars = ansible_hostvars(tmp_path, fleet(), extra_vars={'laaffic_callee': '4930999'})
    names = sorted(hostvars._inventory.hosts)
    got = host_values(hostvars, names, KEYS)
    assert got == expected(hostvars, names)
    assert {values['laaffic_callee'] for values in got} == {'4930999'}


def test_a_host_vars_directory_takes_the_hostvars_path(tmp_path, monkeypatch):
    files = {'host_vars/desk-010.yml': {'laaffic_callee': '4930010'}}
    hostvars = ansible_hostvars(tmp_path, fleet(), files)
    assert _hostvars._fast_path_ready(hostvars) is None
    calls = []
    original = _hostvars._slow
    monkeypatch.setattr(_hostvars, '_slow', lambda *args: calls.append(args) or original(*args))
    names = sorted(hostvars._inventory.hosts)
    got = host_values(hostvars, names, KEYS)
    assert calls and got == expected(hostvars, names)
    assert dict(zip(names, got))['desk-010']['laaffic_callee'] == '4930010'


def test_a_plain_mapping_and_an_unknown_host():
    plain = {'a': {'laaffic_account': 'x', 'other': 1}}
    assert host_values(plain, ['a'], KEYS) == [{'laaffic_account': 'x'}]
    with pytest.raises(KeyError):
        host_values(plain, ['b'], KEYS)


def test_unknown_host_in_an_inventory(tmp_path):
    hostvars = ansible_hostvars(tmp_path, fleet())
    with pytest.raises(KeyError, match='nowhere'):
        host_values(hostvars, ['nowhere'], KEYS)
