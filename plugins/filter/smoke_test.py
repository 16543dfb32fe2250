# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Filters of the desk_phone_smoke_test role: the data shaping that used to be Jinja ``namespace`` loops.

A loop that appends to a list in Jinja copies the list on every step, so it costs O(n^2) for n phones; at
10,000 phones it was seconds per task. These filters do the same work in one pass, and they take their
rules from the module itself (``build_calls`` of ``laaffic_call``), so that the role's messages and the
module's never disagree. Documentation: one ``<name>.yml`` beside this file per filter.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.laaffic.voice.plugins.module_utils._calls import build_calls
from ansible_collections.laaffic.voice.plugins.plugin_utils._hostvars import host_values

# Per-phone settings: the key in desk_phone_smoke_test_phones items, the host variable, the role default.
SETTINGS = (
    ('callee', 'laaffic_callee'),
    ('expect', 'laaffic_expect'),
    ('display_num', 'laaffic_display_num'),
    ('called_info', 'laaffic_called_info'),
)
# Host variables the laaffic.voice.laaffic_phones inventory sets, shown in the reports.
PLATFORM_VARS = (('phone_name', 'laaffic_phone_name'), ('group', 'laaffic_phone_group'))


def _text(value):
    """'' for None and empty values (Jinja's default(..., true)), else the value as text."""
    if value is None or value == '' or value is False:
        return ''
    return str(value)


def _pick(value, fallback):
    """The phone's own value unless it is empty, then the fallback (as the role's default(x, true) did)."""
    text = _text(value)
    return text if text else _text(fallback)


def _defaults(defaults):
    if defaults is None:
        return {}
    if not isinstance(defaults, Mapping):
        raise AnsibleFilterError('smoke_test_phones: defaults must be a dictionary with callee, expect, display_num and '
                                 'called_info, got %s' % type(defaults).__name__)
    return defaults


def _phone(name, account, values, defaults, by_variable):
    """One phone from ``values``: a host's variables (``by_variable``: laaffic_callee, ...) or a list item (callee, ...)."""
    phone = {'name': name, 'account': account}
    for key, variable in SETTINGS:
        phone[key] = _pick(values.get(variable if by_variable else key), defaults.get(key))
    for key, variable in PLATFORM_VARS:
        phone[key] = _text(values.get(variable if by_variable else key))
    return phone


def smoke_test_phones(source, defaults=None, hostvars=None):
    """The phones to test, one dict each: name, account, callee, expect, display_num, called_info, phone_name, group.

    ``source`` is either the list of desk_phone_smoke_test_phones items (dicts), or, with ``hostvars``, a list
    of inventory host names whose host variables (laaffic_account, laaffic_callee, ...) describe the phones.
    ``defaults`` holds the role's callee, expect, display_num and called_info for phones without their own."""
    defaults = _defaults(defaults)
    if source is None:
        return []
    if isinstance(source, (str, bytes, Mapping)) or not hasattr(source, '__iter__'):
        raise AnsibleFilterError('smoke_test_phones: expected a list of phones or of host names, got %s' % type(source).__name__)
    if hostvars is not None:
        names = [str(host) for host in source]
        wanted = ('laaffic_account',) + tuple(variable for dummy, variable in SETTINGS + PLATFORM_VARS)
        try:
            found = host_values(hostvars, names, wanted)
        except KeyError as exc:
            raise AnsibleFilterError('smoke_test_phones: %r is not a host of the inventory' % exc.args[0]) from None
        return [_phone(name, _text(host_vars.get('laaffic_account')), host_vars, defaults, by_variable=True)
                for name, host_vars in zip(names, found)]
    phones = []
    for index, item in enumerate(source):
        if not isinstance(item, Mapping):
            raise AnsibleFilterError('desk_phone_smoke_test_phones[%d]: must be a dictionary with account (and name, callee, '
                                     'expect, display_num, called_info), got %s' % (index, type(item).__name__))
        account = _text(item.get('account'))
        phones.append(_phone(_pick(item.get('name'), account), account, item, defaults, by_variable=False))
    return phones


def smoke_test_calls(phones):
    """The ``calls`` list of laaffic.voice.laaffic_call, one per phone, in the same order. Empty display_num and
    called_info are left out, so that the module's own defaults (the platform's caller ID, the run tag) apply."""
    calls = []
    for phone in phones or []:
        call = {'account': phone.get('account', ''), 'callee': phone.get('callee', ''), 'expect': phone.get('expect', '')}
        for key in ('display_num', 'called_info'):
            if phone.get(key):
                call[key] = phone[key]
        calls.append(call)
    return calls


def smoke_test_problems(phones):
    """What is wrong with each phone, as ``<name>: <field>: <rule>`` lines; empty when every phone can be called.

    The rules are laaffic_call's own (account, callee, expect, display_num, called_info), so a phone that passes
    here is never refused by the module's argument checks."""
    phones = list(phones or [])
    if not phones:
        return ['No phones to test: the play has no hosts (or desk_phone_smoke_test_hosts matched none) and '
                'desk_phone_smoke_test_phones is empty']
    params = {'account': None, 'callee': None, 'display_num': None, 'called_info': None, 'expect': None,
              'calls': smoke_test_calls(phones)}
    dummy, errors = build_calls(params, run_id='check')
    problems = []
    for error in errors:
        where, dummy, rest = error.partition('.')
        index = where[len('calls['):-1] if where.startswith('calls[') and where.endswith(']') else None
        if index is not None and index.isdigit() and int(index) < len(phones):
            phone = phones[int(index)]
            name = phone.get('name') or phone.get('account') or '#%s' % index
            problems.append('%s: %s' % (name, rest))
        else:
            problems.append(error)
    return problems


def smoke_test_rows(phones, calls):
    """Each phone with its call result (laaffic_call's ``calls``, same order); the call's fields win, as they are
    what was sent (normalized numbers)."""
    phones = list(phones or [])
    calls = list(calls or [])
    if len(phones) != len(calls):
        raise AnsibleFilterError('smoke_test_rows: %d phones but %d call results' % (len(phones), len(calls)))
    rows = []
    for phone, call in zip(phones, calls):
        row = dict(phone)
        if isinstance(call, Mapping):
            row.update(call)
        rows.append(row)
    return rows


def _is_short(row, check_mode):
    if row.get('ok'):
        return False
    # In check mode a call without a verdict would be placed; only a predicted verdict (preflight) is a shortfall.
    return not (check_mode and not row.get('verdict'))


def smoke_test_short(rows, check_mode=False):
    """The phones that fell short of their expectation (in check mode: that the preflight predicts will), each
    ``{name, account, line}`` where ``line`` says what happened in one sentence for the failure message."""
    short = []
    for row in rows or []:
        if not _is_short(row, check_mode):
            continue
        verdict = row.get('verdict') or 'no verdict'
        line = '%s (account %s): %s%s, expected %s' % (row.get('name'), row.get('account'), 'predicted ' if check_mode else '',
                                                       verdict, row.get('expect'))
        if row.get('reason'):
            line += ' - %s' % row['reason']
        short.append({'name': row.get('name'), 'account': row.get('account'), 'line': line})
    return short


class FilterModule:
    """laaffic.voice filters for the desk_phone_smoke_test role."""

    def filters(self):
        return {
            'smoke_test_phones': smoke_test_phones,
            'smoke_test_problems': smoke_test_problems,
            'smoke_test_calls': smoke_test_calls,
            'smoke_test_rows': smoke_test_rows,
            'smoke_test_short': smoke_test_short,
        }
