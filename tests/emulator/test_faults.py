# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Injected faults (every kind) and the control API."""

from __future__ import annotations

import http.client
import json
import socket

import pytest

from devtools.emulator import EmulatorError

CALLEE = '919876543210'


def send(emu, account='desk-answer-01', timeout=10.0):
    body = {'callee': CALLEE, 'account': account, 'appId': emu.app_id}
    return emu.request('POST', '/v3/voice/sendSip', body, emu.signed_headers(), timeout=timeout)


@pytest.mark.parametrize('code', [500, 502, 503])
def test_http_errors_place_no_call(emu, code):
    emu.fault(endpoint='sendSip', kind='http_%d' % code, count=2)
    for _unused in range(2):
        status, headers, _data = send(emu)
        assert status == code
        assert 'retry-after' not in headers
    assert emu.calls() == []
    status, _headers, data = send(emu)
    assert status == 200 and json.loads(data)['status'] == '0'
    assert len(emu.calls()) == 1


def test_503_with_retry_after(emu):
    emu.fault(endpoint='sendSip', kind='http_503', count=1, retry_after=1)
    status, headers, _data = send(emu)
    assert status == 503 and headers['retry-after'] == '1'


def test_http_error_that_still_placed_the_call(emu):
    emu.fault(endpoint='sendSip', kind='http_502', placed=True)
    assert send(emu)[0] == 502
    assert len(emu.calls()) == 1
    assert json.loads(send(emu)[2])['status'] == '-68'  # the phone is in that call


def test_reset_before_read(emu):
    emu.fault(endpoint='sendSip', kind='reset_before_read')
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError)):
        send(emu)
    assert emu.calls() == []
    assert json.loads(send(emu)[2])['status'] == '0'


def test_reset_after_read(emu):
    emu.fault(endpoint='sendSip', kind='reset_after_read')
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        send(emu)
    calls = emu.calls()
    assert [c['account'] for c in calls] == ['desk-answer-01']
    assert emu.record(calls[0]['voiceId'])['voiceId'] == calls[0]['voiceId']
    assert json.loads(send(emu)[2])['status'] == '-68'


def test_partial_answer(emu):
    emu.fault(endpoint='sendSip', kind='partial')
    with pytest.raises(http.client.IncompleteRead) as caught:
        send(emu)
    assert caught.value.partial.startswith(b'{"status":"0"') and caught.value.expected > 0
    assert [c['account'] for c in emu.calls()] == ['desk-answer-01']  # the call was placed, its answer cut short
    assert json.loads(send(emu)[2])['status'] == '-68'


def test_garbage_answer(emu, raw):
    emu.fault(endpoint='getBalance', kind='garbage')
    headers = ''.join('%s: %s\r\n' % item for item in emu.signed_headers().items())
    data = raw(emu.port, ('GET /v3/getBalance HTTP/1.1\r\nHost: x\r\n%s\r\n' % headers).encode())
    assert data and not data.startswith(b'HTTP/')
    with pytest.raises(http.client.BadStatusLine):
        emu.fault(endpoint='getBalance', kind='garbage')
        emu.api('GET', '/getBalance')
    assert emu.api('GET', '/getBalance')[1]['status'] == '0'


@pytest.mark.emulator_timing
def test_slow_response(emu):
    emu.fault(endpoint='sendSip', kind='slow', delay=1.5)
    with pytest.raises((socket.timeout, TimeoutError)):
        send(emu, timeout=0.3)
    assert len(emu.calls()) == 1
    emu.fault(endpoint='getBalance', kind='slow', delay=0.3)
    status, body = emu.api('GET', '/getBalance', timeout=10)
    assert status == 200 and body['status'] == '0'


def test_non_json(emu):
    emu.fault(endpoint='sendSip', kind='non_json')
    status, _headers, data = send(emu)
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(data)
    assert emu.calls() == []


def test_status_minus_18(emu):
    emu.fault(endpoint='recordSip', kind='status_-18', count=1)
    voice_id = emu.send_sip('desk-answer-01')['data']
    assert emu.api('GET', '/voice/recordSip/' + voice_id)[1] == {'status': '-18', 'reason': 'Port program unusual'}
    assert emu.record(voice_id)['voiceId'] == voice_id


def test_fault_restricted_to_account(emu):
    emu.fault(endpoint='sendSip', kind='http_500', count=5, account='desk-answer-02')
    assert send(emu, 'desk-answer-01')[0] == 200
    assert send(emu, 'desk-answer-02')[0] == 500
    faults = emu.control('GET', '/_emulator/faults')['faults']
    assert faults[0]['count'] == 4 and faults[0]['hits'] == 1


def test_wildcard_endpoint_and_probability(emu):
    emu.fault(endpoint='*', kind='http_502', probability=1.0)
    assert emu.request('GET', '/v3/getBalance', None, emu.signed_headers())[0] == 502
    assert emu.request('POST', '/voice/sipQuery', {}, emu.signed_headers())[0] == 502
    assert send(emu)[0] == 502
    emu.clear_faults()
    assert emu.api('GET', '/getBalance')[1]['status'] == '0'
    emu.fault(endpoint='getBalance', kind='http_502', probability=0.0)
    assert all(emu.api('GET', '/getBalance')[0] == 200 for _unused in range(5))


def test_faults_do_not_hit_other_endpoints(emu):
    emu.fault(endpoint='recordSipQuery', kind='http_500')
    assert emu.api('GET', '/getBalance')[0] == 200
    assert send(emu)[0] == 200


@pytest.mark.parametrize('spec', [{'kind': 'http_418'}, {'kind': 'partial', 'account': 7}, {'kind': 'slow', 'endpoint': 'nope'},
                                  {'kind': 'http_500', 'count': 0}, {'kind': 'http_500', 'probability': 2},
                                  {'kind': 'http_500', 'colour': 'red'}, {'kind': 'slow', 'delay': 'long'},
                                  {'kind': 'http_503', 'retry_after': 'soon\r\nX-Injected: 1'}])
def test_bad_fault_spec(emu, spec):
    with pytest.raises(EmulatorError):
        emu.fault(**spec)


def test_control_api(emu):
    assert emu.control('GET', '/_emulator/health') == {'ok': True}
    emu.balance('1.5')
    assert emu.api('GET', '/getBalance')[1]['balance'] == '1.500000'
    emu.phone('brand-new', behaviour='reject', group='g9', name='new-one', display_num='8613899999999')
    phone = emu.control('GET', '/_emulator/phones/brand-new')
    assert phone['behaviour'] == 'reject' and phone['group'] == 'g9' and not phone['busy']
    emu.phone('brand-new', reject_after=3)  # merge: still a rejecting phone
    assert emu.control('GET', '/_emulator/phones/brand-new')['reject_after'] == 3.0
    assert emu.send_sip('brand-new')['status'] == '0'
    assert emu.control('GET', '/_emulator/phones/brand-new')['busy']
    emu.phone('desk-offline-01', behaviour='answer')
    assert emu.send_sip('desk-offline-01')['status'] == '0'
    calls = emu.calls()
    assert [c['account'] for c in calls] == ['brand-new', 'desk-offline-01']
    assert set(calls[0]) == {'voiceId', 'account', 'callee', 'displayNum', 'calledInfo', 'time'}
    assert calls[0]['time'] <= calls[1]['time']
    emu.fault(kind='http_500', endpoint='getBalance')
    config = emu.control('GET', '/_emulator/config')['config']
    assert config['timestamp_window'] == 300
    emu.reset()
    assert emu.calls() == []
    assert emu.control('GET', '/_emulator/faults')['faults'] == []
    assert emu.api('GET', '/getBalance')[1]['balance'] == '100.000000'
    assert emu.send_sip('desk-offline-01')['status'] == '-68'  # phones restored to the scenario
    with pytest.raises(EmulatorError):
        emu.control('GET', '/_emulator/phones/brand-new')


@pytest.mark.parametrize('path,body', [('/_emulator/config', {'push_format': 'xml'}), ('/_emulator/config', {'nope': 1}),
                                       ('/_emulator/config', {'ip_allowlist': ['not-an-ip']}),
                                       ('/_emulator/phones/x', {'behaviour': 'explode'}),
                                       ('/_emulator/phones/x', {'ring_after': -1}),
                                       ('/_emulator/balance', {'balance': 'lots'}), ('/_emulator/nothing', {})])
def test_control_api_rejects_bad_input(emu, path, body):
    status, _headers, data = emu.request('POST', path, body)
    assert status in (400, 404) and json.loads(data)['ok'] is False
