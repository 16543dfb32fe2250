# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desk_phone_smoke_test role's filters (plugins/filter/smoke_test.py)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.laaffic.voice.plugins.filter.smoke_test import (
    FilterModule, smoke_test_calls, smoke_test_phones, smoke_test_problems, smoke_test_rows, smoke_test_short)

DEFAULTS = {'callee': '493012345678', 'expect': 'ringing', 'display_num': '', 'called_info': ''}


def test_every_filter_is_registered():
    assert set(FilterModule().filters()) == {'smoke_test_phones', 'smoke_test_problems', 'smoke_test_calls', 'smoke_test_rows',
                                             'smoke_test_short'}


def test_phones_from_host_variables():
    hostvars = {
        'desk-001': {'laaffic_account': 'desk-001', 'laaffic_phone_name': 'Reception', 'laaffic_phone_group': 'floor-1',
                     'laaffic_display_num': '4930111'},
        'desk-002': {'laaffic_account': 'desk-002', 'laaffic_callee': '+49 30 999-0000', 'laaffic_expect': 'answered',
                     'laaffic_callee_unused': 'x', 'laaffic_called_info': 'ticket 7'},
        'desk-003': {'laaffic_account': 'desk-003', 'laaffic_callee': '', 'laaffic_expect': None},
    }
    phones = smoke_test_phones(['desk-001', 'desk-002', 'desk-003'], DEFAULTS, hostvars=hostvars)
    assert phones == [
        {'name': 'desk-001', 'account': 'desk-001', 'callee': '493012345678', 'expect': 'ringing', 'display_num': '4930111',
         'called_info': '', 'phone_name': 'Reception', 'group': 'floor-1'},
        {'name': 'desk-002', 'account': 'desk-002', 'callee': '+49 30 999-0000', 'expect': 'answered', 'display_num': '',
         'called_info': 'ticket 7', 'phone_name': '', 'group': ''},
        # empty values fall back to the defaults, as default(value, true) did
        {'name': 'desk-003', 'account': 'desk-003', 'callee': '493012345678', 'expect': 'ringing', 'display_num': '',
         'called_info': '', 'phone_name': '', 'group': ''},
    ]


def test_phones_from_a_list():
    phones = smoke_test_phones([{'account': 'a1'}, {'name': 'Lobby', 'account': 'a2', 'expect': 'accepted', 'group': 'g'}], DEFAULTS)
    assert [(p['name'], p['account'], p['expect'], p['group']) for p in phones] == [
        ('a1', 'a1', 'ringing', ''), ('Lobby', 'a2', 'accepted', 'g')]
    assert smoke_test_phones(None, DEFAULTS) == []


@pytest.mark.parametrize('source, hostvars, message', [
    ('desk-001', None, 'expected a list'),
    ([{'account': 'a'}, 'b'], None, 'desk_phone_smoke_test_phones[1]: must be a dictionary'),
    (['nowhere'], {}, "'nowhere' is not a host of the inventory"),
])
def test_bad_input_names_what_is_wrong(source, hostvars, message):
    with pytest.raises(AnsibleFilterError, match=message.replace('[', r'\[').replace(']', r'\]')):
        smoke_test_phones(source, DEFAULTS, hostvars=hostvars)


def test_problems_use_laaffic_calls_own_rules():
    phones = smoke_test_phones([
        {'name': 'ok', 'account': 'desk-1'},
        {'name': 'no-account', 'account': ''},
        {'name': 'bad-callee', 'account': 'desk-3', 'callee': '12ab'},
        {'name': 'bad-expect', 'account': 'desk-4', 'expect': 'rang'},
        {'name': 'space', 'account': 'desk 5'},
    ], DEFAULTS)
    problems = smoke_test_problems(phones)
    assert [p.split(':', maxsplit=1)[0] for p in problems] == ['no-account', 'bad-callee', 'bad-expect', 'space']
    assert problems[0].startswith('no-account: account: is required')
    assert problems[1].startswith('bad-callee: callee: must be 7-15 digits')
    assert problems[2] == "bad-expect: expect: must be one of accepted, ringing, answered, got 'rang'"
    assert 'space: account: must be 4-32 printable ASCII characters without spaces' in problems[3]
    assert smoke_test_problems(phones[:1]) == []
    assert smoke_test_problems([])[0].startswith('No phones to test')


def test_calls_leave_empty_optional_fields_to_the_module():
    phones = smoke_test_phones([{'account': 'a1', 'display_num': '4930111'}, {'account': 'a2', 'called_info': 'x'}], DEFAULTS)
    assert smoke_test_calls(phones) == [
        {'account': 'a1', 'callee': '493012345678', 'expect': 'ringing', 'display_num': '4930111'},
        {'account': 'a2', 'callee': '493012345678', 'expect': 'ringing', 'called_info': 'x'},
    ]


def test_rows_and_short_list():
    phones = smoke_test_phones([{'name': 'one', 'account': 'a1'}, {'name': 'two', 'account': 'a2'},
                                {'name': 'three', 'account': 'a3'}], DEFAULTS)
    calls = [{'account': 'a1', 'callee': '493012345678', 'verdict': 'rang', 'ok': True, 'reason': 'rang at 10:00'},
             {'account': 'a2', 'callee': '493012345678', 'verdict': 'failed', 'ok': False, 'reason': 'busy, SIP 486'},
             {'account': 'a3', 'callee': '493012345678', 'verdict': None, 'ok': False, 'reason': None}]
    rows = smoke_test_rows(phones, calls)
    assert [(r['name'], r['verdict'], r['ok']) for r in rows] == [('one', 'rang', True), ('two', 'failed', False), ('three', None, False)]
    short = smoke_test_short(rows)
    assert [s['name'] for s in short] == ['two', 'three']
    assert short[0]['line'] == 'two (account a2): failed, expected ringing - busy, SIP 486'
    assert short[1]['line'] == 'three (account a3): no verdict, expected ringing'
    # Check mode: a call without a verdict would be placed; only the predicted verdicts fall short.
    predicted = smoke_test_short(rows, check_mode=True)
    assert [s['line'] for s in predicted] == ['two (account a2): predicted failed, expected ringing - busy, SIP 486']
    with pytest.raises(AnsibleFilterError, match='3 phones but 2 call results'):
        smoke_test_rows(phones, calls[:2])
