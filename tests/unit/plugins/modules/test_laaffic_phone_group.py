from __future__ import annotations

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils import _module
from ansible_collections.laaffic.voice.plugins.modules import laaffic_phone_group
from support.credentials import CREDENTIALS
from support.fake_http import refused, reset_after_send, status
from support.fake_phones import API_URL, FakePhones, phone, run_with_warnings as run_module

AUTH = dict(CREDENTIALS, api_url=API_URL)
FLOOR = dict(AUTH, name='floor-3', phone_name='floor3-desk', quantity=3)


@pytest.fixture
def platform(monkeypatch):
    fake = FakePhones([phone('lobby', 'lobby-desk-1', 'lobby_001')])
    fake.install(monkeypatch, _module)
    return fake


def run(monkeypatch, **args):
    return run_module(monkeypatch, laaffic_phone_group.main, args)


def test_creates_a_missing_group_once_then_changes_nothing(monkeypatch, platform):
    result, failed = run(monkeypatch, **dict(FLOOR, display_num='+86 138 0000 0001'))
    assert not failed and result['changed'] is True and result['created'] == 3
    assert result['group'] == {'name': 'floor-3', 'phone_count': 3}
    assert [p['phone_name'] for p in result['phones']] == ['floor3-desk-1', 'floor3-desk-2', 'floor3-desk-3']
    assert all(set(p) == {'account', 'phone_name', 'group_name', 'display_num'} for p in result['phones'])
    assert [s['body'] for s in platform.sent('voice/sipAdd')] == [
        {'groupName': 'floor-3', 'phoneName': 'floor3-desk', 'quantity': 3, 'displayNum': '8613800000001', 'appId': AUTH['app_id']}]
    again, failed = run(monkeypatch, **dict(FLOOR, display_num='8613800000001'))
    assert not failed and again['changed'] is False and again['created'] == 0 and again['phones'] == result['phones']
    assert len(platform.sent('voice/sipAdd')) == 1


def test_passwords_only_on_request(monkeypatch, platform):
    result, failed = run(monkeypatch, **dict(FLOOR, return_passwords=True))
    assert not failed and [p['password'] for p in result['phones']] == [p['password'] for p in platform.phones[1:]]


def test_check_mode_reports_and_sends_nothing(monkeypatch, platform):
    result, failed = run(monkeypatch, **dict(FLOOR, _ansible_check_mode=True, _ansible_diff=True))
    assert not failed and result['changed'] is True and result['created'] == 3 and result['phones'] == []
    assert result['diff'] == {'before': {}, 'after': {'name': 'floor-3', 'phones': 3}}
    assert 'would create phone group floor-3 with 3 phone(s)' in result['msg']
    assert platform.sent('voice/sipAdd') == [] and len(platform.phones) == 1


def test_check_mode_on_an_existing_group_is_unchanged(monkeypatch, platform):
    result, failed = run(monkeypatch, **dict(AUTH, name='lobby', phone_name='lobby-desk', quantity=1, _ansible_check_mode=True))
    assert not failed and result['changed'] is False and result['phones'][0]['account'] == 'lobby_001'


@pytest.mark.parametrize('args, words', [
    (dict(quantity=2), 'already has 1 phone(s) and 2 are requested'),
    (dict(quantity=1, phone_name='front-desk'), 'cannot rename phones'),
    (dict(quantity=1, display_num='8613899999999'), 'cannot change the display number'),
])
def test_unreachable_states_fail_before_sending(monkeypatch, platform, args, words):
    result, failed = run(monkeypatch, **dict(dict(AUTH, name='lobby', phone_name='lobby-desk'), **args))
    assert failed and result['msg'].startswith('Nothing was sent: ') and words in result['msg']
    assert result['changed'] is False and result['group'] == {'name': 'lobby', 'phone_count': 1}
    assert platform.sent('voice/sipAdd') == []


@pytest.mark.parametrize('args, words', [
    (dict(quantity=51), 'quantity: the platform creates at most 50 phones per request'),
    (dict(quantity=0), 'quantity: must be a whole number'),
    (dict(name='abc'), 'name: must be 4-32 characters'),
    (dict(phone_name='x' * 33), 'phone_name: must be 4-32 characters'),
    (dict(display_num='12ab'), 'display_num: must be 7-13 digits'),
])
def test_bad_input_fails_before_any_request(monkeypatch, platform, args, words):
    result, failed = run(monkeypatch, **dict(FLOOR, **args))
    assert failed and words in result['msg'] and platform.sent() == []


def test_missing_app_id_fails_before_any_request(monkeypatch, platform):
    args = dict(FLOOR)
    args.pop('app_id')
    monkeypatch.delenv('LAAFFIC_APP_ID', raising=False)
    result, failed = run(monkeypatch, **args)
    assert failed and result['msg'].startswith('app_id: ') and platform.sent() == []


def test_lost_answer_is_settled_by_reading_back(monkeypatch, platform):
    def created_then_lost(body):
        platform.sip_add(body)
        raise reset_after_send()
    platform.script['voice/sipAdd'] = [created_then_lost]
    result, failed = run(monkeypatch, **FLOOR)
    assert not failed and result['changed'] is True and len(result['phones']) == 3
    assert 'lists phone group floor-3: it was created' in result['warnings'][0]
    assert len(platform.sent('voice/sipAdd')) == 1


def test_lost_answer_without_the_group_fails_and_is_not_resent(monkeypatch, platform):
    platform.script['voice/sipAdd'] = [reset_after_send()]
    result, failed = run(monkeypatch, **FLOOR)
    assert failed and 'may have been created' in result['msg'] and 'creates the group only if it is not there' in result['msg']
    assert result['changed'] is True and result['may_have_created'] == 3 and len(platform.sent('voice/sipAdd')) == 1


def test_unsent_request_is_retried(monkeypatch, platform):
    platform.script['voice/sipAdd'] = [refused()]
    result, failed = run(monkeypatch, **FLOOR)
    assert not failed and result['created'] == 3 and len(platform.sent('voice/sipAdd')) == 2


def test_group_created_by_someone_else_meanwhile(monkeypatch, platform):
    def someone_else(body):
        platform.sip_add(body)
        return status(-20, 'Data existing')
    platform.script['voice/sipAdd'] = [someone_else]
    result, failed = run(monkeypatch, **FLOOR)
    assert not failed and result['changed'] is False and result['created'] == 0 and len(result['phones']) == 3
    assert 'created by someone else' in result['warnings'][0]


@pytest.mark.parametrize('code, words', [('-20', 'choose another group name'), ('-22', 'parameter was refused'), ('-23', 'phone quota')])
def test_refusals_explain_the_code(monkeypatch, platform, code, words):
    platform.script['voice/sipAdd'] = [status(code)]
    result, failed = run(monkeypatch, **FLOOR)
    assert failed and result['error']['code'] == code and words in result['msg'] and result['changed'] is False


def test_platform_lists_fewer_phones_than_created(monkeypatch, platform):
    def three_of_two(body):
        platform.sip_add(dict(body, quantity=2))
        from support.fake_http import ok
        return ok(None)
    platform.script['voice/sipAdd'] = [three_of_two]
    result, failed = run(monkeypatch, **FLOOR)
    assert not failed and result['group']['phone_count'] == 2 and 'lists 2 of them so far' in result['warnings'][0]
