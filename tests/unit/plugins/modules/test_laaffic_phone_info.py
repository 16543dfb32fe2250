from __future__ import annotations

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils import _module
from ansible_collections.laaffic.voice.plugins.modules import laaffic_phone_info
from support.credentials import CREDENTIALS
from support.fake_http import FakeResponse, ok, status
from support.fake_phones import API_URL, FakePhones, phone, run_with_warnings as run_module

AUTH = dict(CREDENTIALS, api_url=API_URL)


@pytest.fixture
def platform(monkeypatch):
    records = [phone('floor-3', 'floor3-desk-%d' % i, 'f3_%03d' % i, display_num='49301234567') for i in range(1, 121)]
    fake = FakePhones(records + [phone('lobby', 'lobby-desk-1', 'lobby_001', 'S3cretPw')])
    fake.install(monkeypatch, _module)
    return fake


def run(monkeypatch, **args):
    return run_module(monkeypatch, laaffic_phone_info.main, dict(AUTH, **args))


def test_lists_every_page_without_passwords(monkeypatch, platform):
    result, failed = run(monkeypatch)
    assert not failed and result['changed'] is False and result['count'] == 121
    assert result['groups'] == {'floor-3': 120, 'lobby': 1}
    assert all('password' not in p for p in result['phones']) and 'S3cretPw' not in repr(result)
    assert len(platform.sent('voice/sipQuery')) == 2


def test_filters(monkeypatch, platform):
    result, failed = run(monkeypatch, group='floor-3', phone_name='floor3-desk-7')
    assert not failed and [p['account'] for p in result['phones']] == ['f3_007']
    result, failed = run(monkeypatch, accounts=['lobby_001', 'f3_002', 'nobody'])
    assert [p['account'] for p in result['phones']] == ['f3_002', 'lobby_001'] and result['count'] == 2
    result, failed = run(monkeypatch, name='nowhere')
    assert not failed and result['phones'] == [] and result['count'] == 0 and result['groups'] == {}


def test_passwords_on_request(monkeypatch, platform):
    result, failed = run(monkeypatch, group='lobby', return_passwords=True)
    assert not failed and result['phones'] == [
        {'account': 'lobby_001', 'phone_name': 'lobby-desk-1', 'group_name': 'lobby', 'display_num': None, 'password': 'S3cretPw'}]


def test_runs_in_check_mode(monkeypatch, platform):
    result, failed = run(monkeypatch, _ansible_check_mode=True)
    assert not failed and result['count'] == 121


def test_api_error_is_explained_and_quotes_no_body(monkeypatch, platform):
    platform.script['voice/sipQuery'] = [status(-1, 'Authentication error')]
    result, failed = run(monkeypatch)
    assert failed and result['error']['code'] == '-1' and 'Check api_key' in result['msg']
    platform.script['voice/sipQuery'] = [FakeResponse(200, b'{"status":"0","data":{"records":[{"password":"S3cretPw"')] * 4
    result, failed = run(monkeypatch)
    assert failed and 'S3cretPw' not in repr(result) and 'response body not shown' in result['msg']


def test_truncated_listing_warns(monkeypatch, platform):
    platform.script['voice/sipQuery'] = [
        (lambda body: ok({'total': 99999, 'current': body['current'], 'size': 100,
                          'records': [phone('g', 'p', 'a%d_%d' % (body['current'], i)) for i in range(100)]}))] * 100
    result, failed = run(monkeypatch, max_phones=5000)
    assert not failed and result['count'] == 5000 and 'not listed' in result['warnings'][0] and 'max_phones is 5000' in result['warnings'][0]


def test_more_than_100_pages_listed_whole(monkeypatch, platform):
    """Issue 17: the listing was cut at 100 pages (10,000 phones) whatever the platform's total."""
    platform.phones = [phone('g%d' % (i // 50), 'p-%d' % i, 'acct_%05d' % i) for i in range(10150)]
    result, failed = run(monkeypatch)
    assert not failed and result['count'] == 10150 and result['warnings'] == []
    result, failed = run(monkeypatch, max_phones=0)
    assert failed and 'max_phones: must be a whole number of phones from 1 to' in result['msg']
