# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every numeric control setting has a bound: a value beyond it gets 400 naming the field, and the emulator
keeps its state and keeps answering (issue 18: push_duplicates 100000000 hung it, balance "1e30" broke
getBalance, push_attempts 1000000000 with no retry interval burnt a core)."""

from __future__ import annotations

import json
import os

import pytest

# setting -> (a value just inside, the first value beyond)
SETTING_BOUNDS = {
    'push_retry_interval': (600, 600.5), 'push_attempts': (100, 101), 'push_timeout': (300, 300.5),
    'push_duplicates': (100, 101), 'push_duplicate_delay': (60, 61), 'push_late': (3600, 3601),
    'push_out_of_order_window': (3600, 3601), 'push_batch_size': (1000, 1001), 'push_batch_interval': (3600, 3601),
    'timestamp_window': (86400, 86401), 'time_scale': (100, 101), 'dial_delay': (60, 61),
    'max_records': (1000000, 1000001), 'max_phones': (100000, 100001),
}
DOC = os.path.join(os.path.dirname(__file__), '..', '..', 'docs', 'emulator.md')


def post(emu, path, body):
    status, _headers, data = emu.request('POST', path, body)
    return status, json.loads(data)


def test_every_numeric_setting_is_listed_here(emu):
    config = emu.control('GET', '/_emulator/config')['config']
    numeric = {name for name, value in config.items() if isinstance(value, (int, float)) and not isinstance(value, bool)}
    assert numeric == set(SETTING_BOUNDS)


@pytest.mark.parametrize('name', sorted(SETTING_BOUNDS))
def test_setting_beyond_its_bound_is_400_naming_it(emu, name):
    inside, beyond = SETTING_BOUNDS[name]
    before = emu.control('GET', '/_emulator/config')['config'][name]
    for value in (beyond, -1, 1e300, '1e30'):
        status, body = post(emu, '/_emulator/config', {name: value})
        assert status == 400 and body['error'].startswith(name + ' must be'), (value, body)
    assert emu.control('GET', '/_emulator/config')['config'][name] == before
    assert post(emu, '/_emulator/config', {name: inside})[0] == 200
    with open(DOC, encoding='utf-8') as handle:
        assert any(line.startswith('| `%s`' % name) and ('%d' % inside) in line.replace(',', '') for line in handle), \
            'docs/emulator.md has no bound for %s' % name


def test_reported_hangs_are_refused_and_the_emulator_keeps_serving(emu):
    for bad in ({'push_duplicates': 100000000}, {'push_attempts': 1000000000, 'push_retry_interval': 0}):
        status, body = post(emu, '/_emulator/config', bad)
        assert status == 400 and body['error'].split()[0] in bad
    status, body = post(emu, '/_emulator/balance', {'balance': '1e30'})
    assert status == 400 and body['error'].startswith('balance must be a decimal amount')
    for value in ('-1e30', 'NaN', 'Infinity', '1e12', 'ten'):
        assert post(emu, '/_emulator/balance', {'gift': value})[0] == 400
    # all or nothing: a bad credit leaves the good balance unset
    assert post(emu, '/_emulator/balance', {'balance': '5', 'credit': '1e13'})[0] == 400
    status, body = emu.api('GET', '/getBalance')
    assert status == 200 and body['balance'] == '100.000000'
    assert post(emu, '/_emulator/balance', {'balance': '999999999999.999999'})[0] == 200
    assert emu.api('GET', '/getBalance')[1]['balance'] == '999999999999.999999'
    assert emu.send_sip('desk-answer-01')['status'] == '0'


def test_phone_times_and_fault_numbers_have_bounds(emu):
    status, body = post(emu, '/_emulator/phones/desk-answer-01', {'ring_after': 86401})
    assert status == 400 and body['error'].startswith('ring_after must be a number from 0 to 86400')
    status, body = post(emu, '/_emulator/phones/desk-new-01', {'talk': 1e300})
    assert status == 400 and body['error'].startswith('talk must be')
    assert post(emu, '/_emulator/phones/desk-answer-01', {'api_delay': 86400})[0] == 200
    status, body = post(emu, '/_emulator/faults', {'kind': 'slow', 'delay': 3601})
    assert status == 400 and body['error'].startswith('fault delay must be a number from 0 to 3600')
    status, body = post(emu, '/_emulator/faults', [{'kind': 'http_500'}, {'kind': 'http_500', 'count': 10 ** 9}])
    assert status == 400 and body['error'].startswith('fault count must be an integer from 1 to 1000000')
    assert emu.control('GET', '/_emulator/faults')['faults'] == []  # all or nothing
    status, body = post(emu, '/_emulator/faults', [{'kind': 'http_500', 'count': 5}] * 1001)
    assert status == 400 and 'at most 1000 faults' in body['error']
    assert emu.control('GET', '/_emulator/faults')['faults'] == []
