# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SIP account management: voice/sipAdd, voice/sipQuery, voice/sipReset and every status code they answer."""

from __future__ import annotations

import json
import re
import time

import pytest

from devtools.emulator import Emulator

ACCOUNT = re.compile(r'[0-9A-Za-z]{10}_[0-9]{3}')
PASSWORD = re.compile(r'[0-9A-Za-z]{8}')
RECORD_KEYS = {'groupName', 'phoneName', 'account', 'password', 'displayNum'}


def add(emu, **fields):
    body = {'groupName': 'lab-floor-2', 'phoneName': 'desk', 'quantity': 3, 'displayNum': '4930123456', 'appId': emu.app_id}
    body.update(fields)
    return emu.api('POST', '/voice/sipAdd', {k: v for k, v in body.items() if v is not Ellipsis})[1]


def reset_password(emu, account, **fields):
    body = {'account': account, 'appId': emu.app_id}
    body.update(fields)
    return emu.api('POST', '/voice/sipReset', {k: v for k, v in body.items() if v is not Ellipsis})[1]


def all_phones(emu, size=100):
    """Every phone of the app through sipQuery paging."""
    records, current = [], 1
    while True:
        data = emu.api('POST', '/voice/sipQuery', {'current': current, 'size': size, 'params': {'appId': emu.app_id}})[1]['data']
        records += data['records']
        if current >= data['pages']:
            return records, data['total']
        current += 1


def group(emu, name):
    return [record for record in all_phones(emu)[0] if record['groupName'] == name]


def test_sip_add_creates_listed_phones(emu):
    assert add(emu) == {'status': '0', 'reason': 'success', 'data': None}
    created = group(emu, 'lab-floor-2')
    assert [r['phoneName'] for r in created] == ['desk-1', 'desk-2', 'desk-3']
    assert all(set(r) == RECORD_KEYS for r in created)
    assert all(ACCOUNT.fullmatch(r['account']) and PASSWORD.fullmatch(r['password']) for r in created)
    assert [r['account'][-4:] for r in created] == ['_001', '_002', '_003']
    assert len({r['account'][:10] for r in created}) == 1  # one prefix per group
    assert {r['displayNum'] for r in created} == {'4930123456'}
    assert len({r['password'] for r in created}) == 3
    # the scenario's phones are still listed, first
    records, total = all_phones(emu, size=5)
    assert total == 15 and records[0]['account'] == 'desk-answer-01' and records[-3:] == created
    # a second group gets another prefix, and no display number is null
    assert add(emu, groupName='lab-floor-3', quantity=1, displayNum=Ellipsis)['status'] == '0'
    other = group(emu, 'lab-floor-3')
    assert other[0]['displayNum'] is None and other[0]['account'][:10] != created[0]['account'][:10]


def test_created_phones_answer_test_calls(emu):
    emu.config(time_scale=0.2)
    assert add(emu, quantity=2, displayNum='8613812345')['status'] == '0'
    account = group(emu, 'lab-floor-2')[1]['account']
    voice_id = emu.send_sip(account)['data']
    assert emu.send_sip(account)['status'] == '-68'  # busy in that call
    deadline = time.time() + 10
    while emu.record(voice_id)['hangupTime'] is None and time.time() < deadline:
        time.sleep(0.05)
    record = emu.record(voice_id)
    assert (record['sipCode'], record['callStatus'], record['sipGroupName'], record['phoneName']) == ('200', 50, 'lab-floor-2', 'desk-2')
    assert record['displayNum'] == '8613812345' and record['answerTime'] is not None
    phone = emu.control('GET', '/_emulator/phones/' + account)
    assert (phone['behaviour'], phone['ring_after'], phone['answer_after'], phone['talk']) == ('answer', 0.5, 1.0, 2.0)


def test_vendor_sdk_bodies_get_status_0(emu):
    """Bodies as the vendor's Java SDK writes them: every field of its DTO, the ones it was not given as JSON
    null, '/' escaped as '\\/', in whatever order its reflection lists them."""
    body = ('{"displayNum":null,"groupName":"sdk\\/group","phoneName":"sdk-phone","quantity":2,"appId":"%s"}' % emu.app_id).encode()
    status, _headers, data = emu.request('POST', '/v3/voice/sipAdd', body, emu.signed_headers())
    assert status == 200 and json.loads(data) == {'status': '0', 'reason': 'success', 'data': None}
    query = ('{"current":null,"size":null,"params":{"appId":"%s"}}' % emu.app_id).encode()
    status, _headers, data = emu.request('POST', '/v3/voice/sipQuery', query, emu.signed_headers())
    page = json.loads(data)
    assert status == 200 and page['status'] == '0'
    assert (page['data']['current'], page['data']['size'], page['data']['total']) == (1, 25, 14)
    created = [r for r in page['data']['records'] if r['groupName'] == 'sdk/group']
    assert [r['phoneName'] for r in created] == ['sdk-phone-1', 'sdk-phone-2'] and created[0]['displayNum'] is None
    reset_body = ('{"account":"%s","appId":"%s"}' % (created[0]['account'], emu.app_id)).encode()
    status, _headers, data = emu.request('POST', '/v3/voice/sipReset', reset_body, emu.signed_headers())
    answer = json.loads(data)
    assert status == 200 and answer['status'] == '0' and answer['data']['account'] == created[0]['account']
    # without the /v3 prefix too, as the SDK's other base URL has it
    status, _headers, data = emu.request('POST', '/voice/sipQuery', query, emu.signed_headers())
    assert json.loads(data)['status'] == '0'


def test_sip_reset_changes_what_sip_query_returns(emu):
    assert add(emu, quantity=1)['status'] == '0'
    before = group(emu, 'lab-floor-2')[0]
    answer = reset_password(emu, before['account'])
    assert answer['status'] == '0' and set(answer['data']) == {'account', 'password'}
    assert answer['data']['account'] == before['account']
    new = answer['data']['password']
    assert PASSWORD.fullmatch(new) and new != before['password']
    assert group(emu, 'lab-floor-2')[0]['password'] == new
    # a scenario phone's password can be reset too, and a later control change keeps it
    scenario_phone = reset_password(emu, 'desk-answer-01')['data']['password']
    emu.phone('desk-answer-01', ring_after=0.2)
    listed = {r['account']: r['password'] for r in all_phones(emu)[0]}
    assert listed['desk-answer-01'] == scenario_phone
    assert emu.send_sip(before['account'])['status'] == '0'


def test_reset_restores_the_scenario(emulator_process):
    emu = emulator_process
    emu.reset()
    original = {r['account']: r['password'] for r in all_phones(emu)[0]}
    assert add(emu)['status'] == '0'
    reset_password(emu, 'desk-answer-02')
    emu.reset()
    assert {r['account']: r['password'] for r in all_phones(emu)[0]} == original
    assert add(emu)['status'] == '0'  # the group name is free again


def test_group_name_exists_is_minus_20(emu):
    assert add(emu)['status'] == '0'
    assert add(emu, phoneName='other', quantity=1) == {'status': '-20', 'reason': 'Data existing'}
    assert add(emu, groupName='desk-lab') == {'status': '-20', 'reason': 'Data existing'}  # a scenario group
    assert len(group(emu, 'lab-floor-2')) == 3


SIP_ADD_BAD = [
    {'groupName': 'abc'}, {'groupName': 'g' * 33}, {'groupName': Ellipsis}, {'groupName': None}, {'groupName': 1234},
    {'groupName': 'tab\there'}, {'groupName': 'lone\ud800x'},
    {'phoneName': 'abc'}, {'phoneName': 'p' * 33}, {'phoneName': Ellipsis}, {'phoneName': ['desk']},
    {'quantity': 0}, {'quantity': -1}, {'quantity': '3'}, {'quantity': 2.5}, {'quantity': True}, {'quantity': None},
    {'quantity': Ellipsis},
    {'displayNum': '123456'}, {'displayNum': '12345678901234'}, {'displayNum': '49301234ab'}, {'displayNum': '+4930123456'},
    {'displayNum': 123456},
    {'appId': 'otherApp'}, {'appId': Ellipsis}, {'appId': None},
]


@pytest.mark.parametrize('change', SIP_ADD_BAD, ids=[repr(c)[:40] for c in SIP_ADD_BAD])
def test_sip_add_parameter_exception(emu, change):
    assert add(emu, **change) == {'status': '-22', 'reason': 'Parameter exception'}
    assert all_phones(emu)[1] == 12


@pytest.mark.parametrize('change', [{'groupName': 'abcd', 'phoneName': 'p' * 32}, {'groupName': 'g' * 32},
                                    {'quantity': 1}, {'quantity': 50}, {'displayNum': '1234567'}, {'displayNum': '1234567890123'},
                                    {'displayNum': 4930123456}, {'displayNum': ''}, {'displayNum': None}])
def test_sip_add_valid_edges(emu, change):
    assert add(emu, **change)['status'] == '0'


def test_sip_add_body_not_an_object_or_not_json(emu):
    assert emu.api('POST', '/voice/sipAdd', [1, 2])[1]['status'] == '-22'
    status, _headers, data = emu.request('POST', '/v3/voice/sipAdd', b'{"groupName": ', emu.signed_headers())
    assert json.loads(data) == {'status': '-18', 'reason': 'Port program unusual'}
    assert emu.api('POST', '/voice/sipReset', 'desk-answer-01')[1]['status'] == '-22'


def test_over_the_caps_is_minus_23(emu):
    assert add(emu, quantity=51) == {'status': '-23', 'reason': 'Data caps'}
    assert all_phones(emu)[1] == 12
    emu.config(max_phones=20)  # the default scenario has 12 phones
    assert add(emu, quantity=9) == {'status': '-23', 'reason': 'Data caps'}
    assert add(emu, quantity=8)['status'] == '0'
    assert add(emu, groupName='one-more', quantity=1) == {'status': '-23', 'reason': 'Data caps'}
    assert all_phones(emu)[1] == 20


def test_default_app_cap_is_2000(emu):
    assert emu.control('GET', '/_emulator/config')['config']['max_phones'] == 2000


def test_sip_reset_unknown_account_is_minus_24(emu):
    assert reset_password(emu, 'nobody_001') == {'status': '-24', 'reason': 'Data unexisting'}
    assert reset_password(emu, 'desk-answer-0') == {'status': '-24', 'reason': 'Data unexisting'}


@pytest.mark.parametrize('change', [{'account': 'abc'}, {'account': 'a' * 33}, {'account': Ellipsis}, {'account': None},
                                    {'account': 1234567}, {'account': 'desk\ud800'}, {'appId': 'otherApp'}, {'appId': Ellipsis}])
def test_sip_reset_parameter_exception(emu, change):
    before = {r['account']: r['password'] for r in all_phones(emu)[0]}
    body_account = change.pop('account', 'desk-answer-01')
    assert reset_password(emu, body_account, **change) == {'status': '-22', 'reason': 'Parameter exception'}
    assert {r['account']: r['password'] for r in all_phones(emu)[0]} == before


@pytest.mark.parametrize('path,body', [('/voice/sipAdd', {'groupName': 'auth-group', 'phoneName': 'desk', 'quantity': 1}),
                                       ('/voice/sipReset', {'account': 'desk-answer-01'}),
                                       ('/voice/sipQuery', {'current': 1, 'size': 10})])
def test_auth_and_transport_statuses(emu, path, body):
    body = dict(body)
    if path.endswith('sipQuery'):
        body['params'] = {'appId': emu.app_id}
    else:
        body['appId'] = emu.app_id
    assert emu.api('POST', path, body, headers={'Api-Key': 'wrongKey'})[1]['status'] == '-1'
    assert emu.api('POST', path, body, headers=emu.signed_headers(timestamp=int(time.time()) - 600))[1]['status'] == '-16'
    status, _headers, data = emu.request('POST', '/v3' + path, b'not json', emu.signed_headers())
    assert json.loads(data)['status'] == '-18'
    emu.config(ip_allowlist=['10.20.30.40'])
    assert emu.api('POST', path, body)[1]['status'] == '-2'
    emu.config(ip_allowlist=[])
    assert emu.api('POST', path, body)[1]['status'] == '0'
    assert emu.api('GET', path)[0] == 405


def test_faults_reach_the_new_endpoints(emu):
    emu.fault(endpoint='sipAdd', kind='http_503', count=1)
    assert emu.api('POST', '/voice/sipAdd', {'groupName': 'lab-floor-2', 'phoneName': 'desk', 'quantity': 1,
                                             'appId': emu.app_id})[0] == 503
    assert all_phones(emu)[1] == 12
    emu.fault(endpoint='sipReset', kind='status_-18', count=1)
    assert reset_password(emu, 'desk-answer-01')['status'] == '-18'


def test_fleet_of_1000_phones_pages_through_sip_query():
    with Emulator('fleet', quiet=True) as emu:
        records, total = all_phones(emu)
        assert total == 1000 and len(records) == 1000 and len({r['account'] for r in records}) == 1000
        assert records[0]['account'] == 'fleet-0001' and records[-1]['account'] == 'fleet-1000'
        data = emu.api('POST', '/voice/sipQuery', {'current': 11, 'size': 100, 'params': {'appId': emu.app_id}})[1]['data']
        assert (data['pages'], data['records']) == (10, [])
        for number in range(20):
            assert add(emu, groupName='fleet-extra-%02d' % number, quantity=50)['status'] == '0'
        records, total = all_phones(emu)
        assert total == 2000 and len({r['account'] for r in records}) == 2000
        assert add(emu, groupName='fleet-over', quantity=1)['status'] == '-23'  # the default app cap
