# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""A few host variables of many hosts, as ``hostvars[host][name]`` gives them, without its cost per host.

``hostvars[host]`` makes the VariableManager compute every variable of the host: group variables, the vars plugins'
files (a glob for ``host_vars/<host>*`` beside every inventory source and the playbook), facts with their cleaning,
extra variables and magic variables. That is about 1 ms per host: 10 s for a fleet of 10,000 phones, for the five
``laaffic_*`` values the smoke test needs from each.

``host_values`` computes the same layers in the same order (``VARIABLE_PRECEDENCE``, host variables, facts,
``set_fact``/``include_vars`` values, extra variables), but the group layers once per distinct set of groups (a fleet
has one set per phone group), and it skips the vars plugins' per-host lookup only where it cannot find anything: when
``host_group_vars`` is the only vars plugin and no ``host_vars`` directory exists beside an inventory source or the
playbook. A value that is a template goes through ``hostvars`` itself, so templating stays Ansible's. Anything
else - another vars plugin, a ``host_vars`` directory, a fact cache other than ``memory``, a ``hostvars`` that is not
Ansible's - takes the plain ``hostvars`` path for every host. The unit tests compare both paths on the same inventory.
"""

from __future__ import annotations

import os
import typing as t

from ansible import constants as C
from ansible.inventory.helpers import get_group_vars, sort_groups
from ansible.utils.vars import combine_vars
from ansible.vars.plugins import get_vars_from_inventory_sources, get_vars_from_path

GROUP_LAYERS = ('all_inventory', 'groups_inventory', 'all_plugins_inventory', 'all_plugins_play', 'groups_plugins_inventory',
                'groups_plugins_play')
ONLY_GROUP_VARS_PLUGIN = ('host_group_vars', 'ansible.builtin.host_group_vars', 'ansible.legacy.host_group_vars')


def _slow(hostvars: t.Mapping[str, t.Any], names: t.Iterable[str], keys: tuple[str, ...]) -> list[dict[str, t.Any]]:
    values = []
    for name in names:
        try:
            host_vars = hostvars[name]
        except KeyError:
            raise KeyError(name) from None
        values.append({key: host_vars[key] for key in keys if key in host_vars})
    return values


def _source_dirs(inventory: t.Any, loader: t.Any) -> list[str]:
    dirs = []
    for source in getattr(inventory, '_sources', None) or []:
        if isinstance(source, str) and os.path.exists(source):
            dirs.append(source if os.path.isdir(source) else os.path.dirname(os.path.abspath(source)))
    basedir = loader.get_basedir() if loader is not None else None
    if basedir:
        dirs.append(basedir)
    return dirs


def _fast_path_ready(hostvars: t.Any) -> tuple[t.Any, t.Any, t.Any, list[str]] | None:
    """(inventory, variable_manager, loader, basedirs) when the per-host vars plugin lookup can be skipped, else None."""
    inventory = getattr(hostvars, '_inventory', None)
    manager = getattr(hostvars, '_variable_manager', None)
    loader = getattr(hostvars, '_loader', None)
    if inventory is None or manager is None or loader is None or not hasattr(inventory, 'get_host'):
        return None
    if [name for name in C.VARIABLE_PLUGINS_ENABLED if name not in ONLY_GROUP_VARS_PLUGIN]:
        return None
    if C.CACHE_PLUGIN not in ('memory', 'ansible.builtin.memory') or [entry for entry in C.VARIABLE_PRECEDENCE if entry not in GROUP_LAYERS]:
        return None
    dirs = _source_dirs(inventory, loader)
    if any(os.path.isdir(os.path.join(path, 'host_vars')) for path in dirs):
        return None
    basedirs = [loader.get_basedir()] if getattr(manager, 'safe_basedir', True) and loader.get_basedir() else []
    return inventory, manager, loader, basedirs


def _group_layers(inventory: t.Any, loader: t.Any, basedirs: list[str], groups: list[t.Any]) -> dict[str, t.Any]:
    """The group layers of VariableManager.get_vars for a host in ``groups`` (its groups but 'all', sorted)."""
    all_group = inventory.groups.get('all')

    def plugins_inventory(entities: list[t.Any]) -> dict[str, t.Any]:
        return get_vars_from_inventory_sources(loader, inventory._sources, entities, 'task')

    def plugins_play(entities: list[t.Any]) -> dict[str, t.Any]:
        data: dict[str, t.Any] = {}
        for path in basedirs:
            data = combine_vars(data, get_vars_from_path(loader, path, entities, 'task'))
        return data

    layers = {
        'all_inventory': all_group.get_vars,
        'groups_inventory': lambda: get_group_vars(groups),
        'all_plugins_inventory': lambda: plugins_inventory([all_group]),
        'all_plugins_play': lambda: plugins_play([all_group]),
        'groups_plugins_inventory': lambda: plugins_inventory(groups),
        'groups_plugins_play': lambda: plugins_play(groups),
    }
    data: dict[str, t.Any] = {}
    for entry in C.VARIABLE_PRECEDENCE:
        if entry in layers:
            data = combine_vars(data, layers[entry]())
    return data


def _is_template(value: object) -> bool:
    return isinstance(value, str) and ('{{' in value or '{%' in value or '{#' in value)


def host_values(hostvars: t.Any, names: t.Iterable[object], keys: t.Iterable[str]) -> list[dict[str, t.Any]]:
    """``[{key: value}]`` for each host of ``names`` (in order): the ``keys`` that ``hostvars[host]`` has, with its values.

    Raises KeyError(name) for a name that is not a host of the inventory."""
    hosts = [str(name) for name in names]
    wanted = tuple(keys)
    ready = _fast_path_ready(hostvars) if not isinstance(hostvars, dict) else None
    if ready is None:
        return _slow(hostvars, hosts, wanted)
    inventory, manager, loader, basedirs = ready
    extra = manager.extra_vars
    facts = getattr(manager, '_fact_cache', None)
    set_facts = getattr(manager, '_nonpersistent_fact_cache', {})
    vars_cache = getattr(manager, '_vars_cache', {})
    by_groups: dict[tuple[str, ...], dict[str, t.Any]] = {}
    values = []
    for name in hosts:
        host = inventory.get_host(name)
        if host is None:
            raise KeyError(name)
        groups = sort_groups([group for group in host.get_groups() if group.name != 'all'])
        signature = tuple(group.name for group in groups)
        if signature not in by_groups:
            by_groups[signature] = _group_layers(inventory, loader, basedirs, groups)
        found: dict[str, t.Any] = {}
        host_facts: dict[str, t.Any] = {}
        if facts is not None:
            try:
                host_facts = facts.get(name) or {}
            except KeyError:
                host_facts = {}
        layers = (by_groups[signature], host.get_vars(), host_facts if C.INJECT_FACTS_AS_VARS else {},
                  vars_cache.get(name, {}), set_facts.get(name, {}), extra)
        for layer in layers:
            for key in wanted:
                if key in layer:
                    found[key] = layer[key]
        if any(_is_template(value) for value in found.values()):
            found = _slow(hostvars, [name], wanted)[0]
        values.append(found)
    return values
