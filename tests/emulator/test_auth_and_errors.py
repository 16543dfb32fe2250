# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Auth, signing and every business status code of the emulated LAAFFIC API."""

from __future__ import annotations

import time

import pytest

from devtools.emulator import sign

CALLEE = '919876543210'


def send(emu, body, headers=None, prefix='/v3'):
    return emu.api('POST', '/voice/sendSip', body, headers=headers, prefix=prefix)


def good_body(emu, **changes):
    body = {'callee': CALLEE, 'account': 'desk-answer-01', 'appId': emu.app_id, 'displayNum': '8613800000001',
            'calledInfo': 'ticket 42'}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not Ellipsis}


def test_documented_sign_vector():
    assert sign('bDqJFiq9', '7bz1lzh9', 1630468800) == '05d7a50893e22a5c4bb3216ae3396c7c'


def test_success_and_voice_id_shape(emu):
    ids = set()
    for account in ('desk-answer-01', 'desk-answer-02', 'desk-noanswer-01'):
        status, body = send(emu, good_body(emu, account=account))
        assert status == 200
        assert body['status'] == '0' and body['reason'] == 'success'
        assert body['data'].isdigit() and 19 <= len(body['data']) <= 20
        ids.add(body['data'])
    assert len(ids) == 3


def test_both_path_prefixes(emu):
    assert send(emu, good_body(emu), prefix='/v3')[1]['status'] == '0'
    assert send(emu, good_body(emu, account='desk-answer-02'), prefix='')[1]['status'] == '0'
    assert emu.api('POST', '/voice/sendSip/', good_body(emu, account='desk-noanswer-01'))[1]['status'] == '0'  # trailing slash
    assert [c['account'] for c in emu.calls()] == ['desk-answer-01', 'desk-answer-02', 'desk-noanswer-01']


def test_sign_is_case_insensitive(emu):
    ts = str(int(time.time()))
    headers = {'Sign': sign(emu.api_key, emu.api_secret, ts).upper(), 'Timestamp': ts}
    assert send(emu, good_body(emu), headers=headers)[1]['status'] == '0'


@pytest.mark.parametrize('headers', [
    {'Api-Key': 'wrongKey'},
    {'Sign': '0' * 32},
    {'Sign': ''},
])
def test_auth_error(emu, headers):
    status, body = send(emu, good_body(emu), headers=headers)
    assert status == 200
    assert body == {'status': '-1', 'reason': 'Authentication error'}
    assert emu.calls() == []


def test_wrong_secret_and_missing_headers(emu):
    ts = str(int(time.time()))
    assert send(emu, good_body(emu), headers={'Sign': sign(emu.api_key, 'other', ts), 'Timestamp': ts})[1]['status'] == '-1'
    status, _headers, data = emu.request('POST', '/v3/voice/sendSip', good_body(emu), {'Content-Type': 'application/json'})
    assert status == 200 and b'"-1"' in data
    assert emu.api('GET', '/getBalance', headers={'Api-Key': 'nope'})[1]['status'] == '-1'


def test_ip_not_allowed(emu):
    emu.config(ip_allowlist=['10.20.30.40', '192.168.0.0/16'])
    assert send(emu, good_body(emu))[1] == {'status': '-2', 'reason': 'Restricted IP access'}
    assert emu.api('GET', '/getBalance')[1]['status'] == '-2'
    emu.config(ip_allowlist=['127.0.0.0/8'])
    assert send(emu, good_body(emu))[1]['status'] == '0'


@pytest.mark.parametrize('offset', [-600, 600])
def test_timestamp_ten_minutes_off(emu, offset):
    headers = emu.signed_headers(timestamp=int(time.time()) + offset)
    assert send(emu, good_body(emu), headers=headers)[1] == {'status': '-16', 'reason': 'Timestamp expires'}
    assert emu.api('GET', '/getBalance', headers=headers)[1]['status'] == '-16'
    assert emu.calls() == []


def test_timestamp_window_configurable(emu):
    headers = emu.signed_headers(timestamp=int(time.time()) - 200)
    assert send(emu, good_body(emu), headers=headers)[1]['status'] == '0'
    emu.config(timestamp_window=100)
    assert send(emu, good_body(emu, account='desk-answer-02'), headers=headers)[1]['status'] == '-16'


def test_millisecond_timestamp_is_expired(emu):
    headers = emu.signed_headers(timestamp=int(time.time() * 1000))
    assert send(emu, good_body(emu), headers=headers)[1]['status'] == '-16'


@pytest.mark.parametrize('raw', [b'not json', b'{"callee": ', b'', b'\xff\xfe'])
def test_body_not_json(emu, raw):
    status, _headers, data = emu.request('POST', '/v3/voice/sendSip', raw, emu.signed_headers())
    assert status == 200
    assert data == b'{"status":"-18","reason":"Port program unusual"}'


SEND_SIP_BAD = [
    {'callee': Ellipsis},
    {'callee': None},
    {'callee': '123456'},
    {'callee': '1234567890123456'},
    {'callee': '+919876543210'},
    {'callee': '91987654321a'},
    {'account': Ellipsis},
    {'account': ''},
    {'account': 'no-such-phone'},
    {'appId': Ellipsis},
    {'appId': 'otherApp'},
    {'displayNum': '123'},
    {'displayNum': '86138000000011234'},
    {'displayNum': 'abcdefgh'},
    {'calledInfo': 'x' * 1001},
    {'calledInfo': {'nested': True}},
]


@pytest.mark.parametrize('change', SEND_SIP_BAD, ids=[repr(c)[:40] for c in SEND_SIP_BAD])
def test_send_sip_parameter_exception(emu, change):
    status, body = send(emu, good_body(emu, **change))
    assert status == 200
    assert body == {'status': '-22', 'reason': 'Parameter exception'}
    assert emu.calls() == []


@pytest.mark.parametrize('change', [{'displayNum': None}, {'displayNum': ''}, {'displayNum': Ellipsis},
                                    {'calledInfo': 'x' * 1000}, {'calledInfo': None}, {'callee': '1234567'},
                                    {'callee': '123456789012345'}])
def test_send_sip_valid_edges(emu, change):
    assert send(emu, good_body(emu, **change))[1]['status'] == '0'


def test_missing_display_num_uses_phone_default(emu):
    voice_id = send(emu, good_body(emu, displayNum=Ellipsis))[1]['data']
    assert emu.record(voice_id)['displayNum'] == '8613800000001'


def test_body_must_be_object(emu):
    assert send(emu, [1, 2])[1]['status'] == '-22'


def test_balance_exhausted(emu):
    emu.balance('0')
    assert send(emu, good_body(emu))[1] == {'status': '-10', 'reason': "The customer's balance is insufficient"}
    assert emu.calls() == []


def test_balance_exhausted_by_calls(emu):
    # 0.03 covers one billed minute at the 91-prefix rate 0.023625, not two
    emu.balance('0.03')
    emu.phone('quick-01', behaviour='answer', ring_after=0.1, answer_after=0.1, talk=0.2)
    emu.phone('quick-02', behaviour='answer', ring_after=0.1, answer_after=0.1, talk=0.2)
    voice_id = emu.send_sip('quick-01')['data']
    deadline = time.time() + 10
    while emu.record(voice_id)['hangupTime'] is None and time.time() < deadline:
        time.sleep(0.05)
    assert emu.record(voice_id)['cost'] == '0.023625'
    assert emu.api('GET', '/getBalance')[1]['balance'] == '0.006375'
    assert emu.send_sip('quick-02')['status'] == '-10'


def test_offline_phone(emu):
    body = send(emu, good_body(emu, account='desk-offline-01'))[1]
    assert body == {'status': '-68', 'reason': 'The SIP is not in the idle state and cannot be used'}
    assert emu.calls() == []


def test_busy_phone(emu):
    assert emu.send_sip('desk-longcall-01')['status'] == '0'
    assert emu.send_sip('desk-longcall-01')['status'] == '-68'
    assert len(emu.calls()) == 1


def test_unknown_path_and_wrong_method(emu):
    status, _h, _d = emu.request('POST', '/v3/voice/noSuchThing', {}, emu.signed_headers())
    assert status == 404
    status, _h, _d = emu.request('GET', '/v3/voice/sendSip', None, emu.signed_headers())
    assert status == 405
