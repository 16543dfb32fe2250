# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the desk_phone_config role: every phone of the play read, checked and turned into its files once per run.

The role used to check and render each phone in tasks of its own (an assert and a template per host): at 1,000
phones that is 2,000 task runs, each with a worker process. These filters do the same work in one pass on the
controller, fed every play host's variables through ``hostvars``, and they are the one place the role's
validation messages come from. Documentation: one ``<name>.yml`` beside this file per filter.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.laaffic.voice.plugins.module_utils._names import UNSAFE_CATEGORIES, is_unsafe, unsafe_characters
from ansible_collections.laaffic.voice.plugins.module_utils._rules import ACCOUNT_REQUIRED, account_problem

FAMILIES = ('yealink', 'polycom')
TRANSPORTS = ('udp', 'tcp', 'tls', 'dns_naptr')
MAC = re.compile(r'^[0-9A-Fa-f]{2}([:-]?[0-9A-Fa-f]{2}){5}$')
# Unicode categories a provisioning file cannot hold: control (Cc, which covers C0, DEL and C1 such as U+0085
# and U+009B), format (Cf: U+200B, U+202E, ...), line and paragraph separators (Zl U+2028, Zp U+2029). The rule is
# the collection's one (module_utils/_names), as is the SIP account's (module_utils/_rules).
REFUSED_CATEGORIES = UNSAFE_CATEGORIES
# Host variables the role reads per phone.
HOST_VARS = ('laaffic_account', 'laaffic_mac', 'laaffic_sip_password', 'laaffic_phone_name', 'laaffic_phone_family')
TEMPLATES = {
    'yealink': (('yealink.cfg.j2', '%s.cfg'),),
    'polycom': (('polycom-master.cfg.j2', '%s.cfg'), ('polycom-phone.cfg.j2', 'phone%s.cfg')),
}


def refused_characters(text):
    """The code points of ``text`` in a refused category, as ``U+XXXX`` strings (first occurrence order, no repeats)."""
    return unsafe_characters(text)


def printable(text):
    """``text`` with every refused character written as ``\\uXXXX``, for messages (a host name never reaches the terminal raw)."""
    return ''.join('\\u%04x' % ord(char) if is_unsafe(char) else char for char in str(text))


def _text(value):
    """Jinja's ``default('', true) | string``: '' for an empty or false value, else the value as text.

    A string is returned as it is, so that a value Ansible marked unsafe (from the inventory plugin) stays marked."""
    if value is None or value is False or (hasattr(value, '__len__') and len(value) == 0):
        return ''
    return value if isinstance(value, str) else str(value)


def _get(host_vars, name):
    try:
        return host_vars[name] if name in host_vars else None
    except KeyError:
        return None


def _phone(host, values, family_default, passwords):
    raw_mac = _text(values.get('laaffic_mac')).strip()
    account = _text(values.get('laaffic_account'))
    password = _text(values.get('laaffic_sip_password')) or _text(passwords.get(account))
    family = values.get('laaffic_phone_family') or family_default
    return {'host': host, 'raw_mac': raw_mac, 'mac': re.sub('[:-]', '', raw_mac.lower()), 'account': account,
            'name': _text(values.get('laaffic_phone_name')) or host, 'family': family, 'password': password}


def desk_phone_config_phones(hosts, hostvars, family='yealink', passwords=None, current=None):
    """One dict per host of ``hosts``: host, raw_mac, mac, account, name, family, password.

    ``current``: the variables the task itself sees for the host that runs it (``inventory_hostname`` plus the
    host variables above); they win over ``hostvars`` for that host, so a value given with ``include_role``'s
    ``vars`` reaches it. A phone whose value differs that way gets ``task_override`` (the variable names)."""
    if hosts is None:
        return []
    if isinstance(hosts, (str, bytes, Mapping)) or not hasattr(hosts, '__iter__'):
        raise AnsibleFilterError('desk_phone_config_phones: expected a list of host names, got %s' % type(hosts).__name__)
    if passwords is None:
        passwords = {}
    if not isinstance(passwords, Mapping):
        raise AnsibleFilterError('desk_phone_config_phones: desk_phone_config_passwords must be a dictionary of passwords by account, '
                                 'got %s' % type(passwords).__name__)
    current = dict(current or {})
    current_host = current.pop('inventory_hostname', None)
    phones = []
    for host in hosts:
        name = str(host)
        try:
            host_vars = hostvars[name]
        except KeyError:
            raise AnsibleFilterError('desk_phone_config_phones: %s is not a host of the inventory' % printable(name)) from None
        values = {key: _get(host_vars, key) for key in HOST_VARS}
        phone = _phone(name, values, family, passwords)
        if name == current_host:
            mine = _phone(name, {key: current.get(key) for key in HOST_VARS}, family, passwords)
            phone['task_override'] = sorted(key for key in ('account', 'raw_mac', 'password', 'name', 'family') if mine[key] != phone[key])
            if phone['task_override']:
                phone = dict(mine, task_override=phone['task_override'])
        phones.append(phone)
    return phones


def _phone_problems(phone, many_hosts):
    out = []
    raw_mac, mac, account, name, password = phone['raw_mac'], phone['mac'], phone['account'], phone['name'], phone['password']
    if not raw_mac:
        out.append('no MAC address: set the host variable laaffic_mac (for example 00:15:65:aa:bb:cc)')
    elif not MAC.match(raw_mac):
        out.append('laaffic_mac %s is not a MAC address: 12 hexadecimal digits, optionally in pairs separated by : or - '
                   '(for example 00:15:65:aa:bb:cc)' % json.dumps(raw_mac))
    elif mac in ('000000000000', 'ffffffffffff'):
        out.append("laaffic_mac %s is not a phone's address (000000000000.cfg is the configuration of every phone without its own file)"
                   % raw_mac)
    problem = account_problem(account)
    if not account or problem == ACCOUNT_REQUIRED:
        out.append('no SIP account: set the host variable laaffic_account (the laaffic.voice.laaffic_phones inventory does)')
    elif problem:
        out.append('laaffic_account %s' % printable(problem))
    found = refused_characters(name)
    if found:
        out.append('laaffic_phone_name must not contain control characters or Unicode format or line/paragraph separators '
                   '(categories Cc, Cf, Zl, Zp; it is the phone\'s display name and label): found %s' % ', '.join(found))
    if phone['family'] not in FAMILIES:
        out.append('laaffic_phone_family must be yealink or polycom, got %s' % json.dumps(phone['family']))
    if not password:
        out.append('no SIP password: set laaffic_sip_password (the laaffic.voice.laaffic_phones inventory with include_passwords: true) '
                   'or desk_phone_config_passwords[%s]' % json.dumps(account))
    elif refused_characters(password):
        # the code points are not named: they are part of a secret
        out.append('laaffic_sip_password: the SIP password contains control characters or Unicode format or line/paragraph separators '
                   '(categories Cc, Cf, Zl, Zp), which a provisioning file cannot hold')
    if phone.get('task_override') and many_hosts:
        out.append('%s given to this task or include_role (vars:) reaches only the host that runs the role\'s tasks, once for the '
                   'whole play: give it to every phone as a host variable or with ansible.builtin.set_fact'
                   % ', '.join({'raw_mac': 'laaffic_mac', 'account': 'laaffic_account', 'password': 'laaffic_sip_password',
                                'name': 'laaffic_phone_name', 'family': 'laaffic_phone_family'}[key] for key in phone['task_override']))
    return out


def desk_phone_config_problems(phones, sip_server, sip_port=5060, app_file_path=None):
    """Every reason not to write anything, as messages: ``<host>: <problem>; <problem>`` per phone, then the SIP server,
    the port and the phones that share a MAC address. An empty list means every phone can be written."""
    if not isinstance(phones, list):
        raise AnsibleFilterError('desk_phone_config_problems: expected the list desk_phone_config_phones returns')
    out = []
    for phone in phones:
        problems = _phone_problems(phone, len(phones) > 1)
        if problems:
            out.append('%s: %s' % (printable(phone['host']), '; '.join(problems)))
    server = '' if sip_server is None else str(sip_server)
    if not server.strip() or re.search(r'[\s"<>&]', server) or refused_characters(server):
        out.append('desk_phone_config_sip_server must be a host name or IP address without spaces, got %s' % json.dumps(server))
    try:
        port = int(sip_port)
    except (TypeError, ValueError):
        port = 0
    if not 1 <= port <= 65535:
        out.append('desk_phone_config_sip_port must be 1-65535, got %s' % printable(sip_port))
    if app_file_path is not None and refused_characters(str(app_file_path)):
        out.append('desk_phone_config_polycom_app_file_path must not contain control characters or Unicode format or line/paragraph '
                   'separators (categories Cc, Cf, Zl, Zp): found %s' % ', '.join(refused_characters(str(app_file_path))))
    by_mac = {}
    for phone in sorted(phones, key=lambda item: item['host']):
        if phone['mac']:
            by_mac.setdefault(phone['mac'], []).append(phone['host'])
    shared = ['%s: %s' % (printable(mac), ', '.join(printable(host) for host in hosts)) for mac, hosts in sorted(by_mac.items())
              if len(hosts) > 1]
    if shared:
        out.append('phones share a MAC address, so their configuration files would overwrite each other: %s' % '; '.join(shared))
    return out


def desk_phone_config_files(phones, secure=True):
    """The files of every phone for laaffic.voice.laaffic_provision_files: name, template, vars, secrets and host.

    ``vars`` are the per-phone template variables (``__desk_phone_config_mac``, ``_name``, ``_account``, ``_password``);
    ``secrets`` holds the phone's password (masked in diffs) unless ``secure`` is false."""
    if not isinstance(phones, list):
        raise AnsibleFilterError('desk_phone_config_files: expected the list desk_phone_config_phones returns')
    files = []
    for phone in phones:
        if phone['family'] not in TEMPLATES:
            raise AnsibleFilterError('desk_phone_config_files: %s: laaffic_phone_family must be yealink or polycom, got %s'
                                     % (printable(phone['host']), json.dumps(phone['family'])))
        variables = {'__desk_phone_config_mac': phone['mac'], '__desk_phone_config_name': phone['name'],
                     '__desk_phone_config_account': phone['account'], '__desk_phone_config_password': phone['password']}
        for template, name in TEMPLATES[phone['family']]:
            files.append({'name': name % phone['mac'], 'template': template, 'vars': variables, 'host': phone['host'],
                          'secrets': [phone['password']] if secure and phone['password'] else []})
    return files


class FilterModule:
    """laaffic.voice desk_phone_config filters."""

    def filters(self):
        return {
            'desk_phone_config_phones': desk_phone_config_phones,
            'desk_phone_config_problems': desk_phone_config_problems,
            'desk_phone_config_files': desk_phone_config_files,
        }
