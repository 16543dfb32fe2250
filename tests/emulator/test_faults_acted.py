# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
""""Acted, then answered 503/429 with Retry-After" on every endpoint that creates something (sendSip, sipAdd,
sipReset): the platform does the work, the client only sees the error."""

from __future__ import annotations

import pytest

CALLEE = '919876543210'


def phones(emu):
    status, body = emu.api('POST', '/voice/sipQuery', {'current': 1, 'size': 100, 'params': {'appId': emu.app_id}})
    assert status == 200 and body['status'] == '0'
    return {r['account']: r for r in body['data']['records']}


def raw(emu, path, body):
    return emu.request('POST', '/v3' + path, body, emu.signed_headers())


@pytest.mark.parametrize('kind,code', [('http_503', 503), ('http_429', 429)])
def test_send_sip_acted_then_error_with_retry_after(emu, kind, code):
    emu.control('POST', '/_emulator/faults', {'endpoint': 'sendSip', 'kind': kind, 'placed': True, 'retry_after': 0})
    status, headers, _data = raw(emu, '/voice/sendSip', {'callee': CALLEE, 'account': 'desk-answer-01', 'appId': emu.app_id})
    assert (status, headers.get('retry-after')) == (code, '0')
    assert [c['account'] for c in emu.calls()] == ['desk-answer-01']  # the call was placed
    assert emu.send_sip('desk-answer-01')['status'] == '-68'  # and the phone is in it


@pytest.mark.parametrize('kind,code', [('http_503', 503), ('http_429', 429)])
def test_sip_add_acted_then_error_with_retry_after(emu, kind, code):
    before = phones(emu)
    emu.control('POST', '/_emulator/faults', {'endpoint': 'sipAdd', 'kind': kind, 'placed': True, 'retry_after': 0})
    status, headers, _data = raw(emu, '/voice/sipAdd', {'groupName': 'lab-floor-9', 'phoneName': 'desk', 'quantity': 3,
                                                        'appId': emu.app_id})
    assert (status, headers.get('retry-after')) == (code, '0')
    created = [r for account, r in phones(emu).items() if account not in before]
    assert len(created) == 3 and {r['groupName'] for r in created} == {'lab-floor-9'}
    # sent again, the platform says the group exists
    assert emu.api('POST', '/voice/sipAdd', {'groupName': 'lab-floor-9', 'phoneName': 'desk', 'quantity': 3,
                                             'appId': emu.app_id})[1]['status'] == '-20'


@pytest.mark.parametrize('kind,code', [('http_503', 503), ('http_429', 429)])
def test_sip_reset_acted_then_error_with_retry_after(emu, kind, code):
    old = phones(emu)['desk-answer-01']['password']
    emu.control('POST', '/_emulator/faults', {'endpoint': 'sipReset', 'kind': kind, 'placed': True, 'retry_after': 0})
    status, headers, data = raw(emu, '/voice/sipReset', {'account': 'desk-answer-01', 'appId': emu.app_id})
    assert (status, headers.get('retry-after')) == (code, '0')
    new = phones(emu)['desk-answer-01']['password']
    assert new != old and new.encode() not in data  # changed, and the error page does not carry it


def test_429_without_placed_acts_not_and_retry_after_is_optional(emu):
    emu.fault(endpoint='sendSip', kind='http_429')
    status, headers, _data = raw(emu, '/voice/sendSip', {'callee': CALLEE, 'account': 'desk-answer-01', 'appId': emu.app_id})
    assert status == 429 and 'retry-after' not in headers
    assert emu.calls() == []
    emu.fault(endpoint='sendSip', kind='http_429', retry_after='Wed, 21 Oct 2015 07:28:00 GMT')
    assert raw(emu, '/voice/sendSip', {'callee': CALLEE, 'account': 'desk-answer-01',
                                       'appId': emu.app_id})[1]['retry-after'] == 'Wed, 21 Oct 2015 07:28:00 GMT'


def test_placed_must_be_a_boolean(emu):
    status, _headers, data = emu.request('POST', '/_emulator/faults', {'endpoint': 'sendSip', 'kind': 'http_503', 'placed': 'no'})
    assert status == 400 and b'fault placed must be true or false' in data
    assert emu.control('GET', '/_emulator/faults')['faults'] == []


def test_reset_after_read_with_placed_false_drops_the_request(emu):
    """A request lost in transit: read, never processed, the connection breaks (demo/run_demo.py's `unknown`)."""
    emu.control('POST', '/_emulator/faults', {'endpoint': 'sendSip', 'kind': 'reset_after_read', 'placed': False,
                                              'account': 'desk-answer-01'})
    with pytest.raises(ConnectionError):
        raw(emu, '/voice/sendSip', {'callee': CALLEE, 'account': 'desk-answer-01', 'appId': emu.app_id})
    assert emu.calls() == []
    emu.control('POST', '/_emulator/faults', {'endpoint': 'sendSip', 'kind': 'reset_after_read', 'account': 'desk-answer-01'})
    with pytest.raises(ConnectionError):
        raw(emu, '/voice/sendSip', {'callee': CALLEE, 'account': 'desk-answer-01', 'appId': emu.app_id})
    assert [c['account'] for c in emu.calls()] == ['desk-answer-01']  # without placed: false it is processed
