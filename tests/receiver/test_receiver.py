# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of the report receiver (the package roles/report_receiver/files/laaffic_receiver) over loopback HTTP."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import threading
import time
import uuid

import pytest

from devtools.receiver import Receiver, raw_http, read_all, receiver_command, receiver_env, status_of

CALL_KEYS = {'voiceId', 'calledInfo', 'account', 'ringing', 'ringingTime', 'final', 'report', 'firstSeen', 'updated', 'seq'}


def vid():
    return 'T' + uuid.uuid4().hex[:19]


def report(voice_id, **extra):
    body = {'voiceId': voice_id, 'type': 3, 'callee': '4915112345678', 'displayNum': '4930123456',
            'submitTime': 1670939112097, 'callTime': 1670939568000, 'ringingTime': 1670939570000,
            'answerTime': 1670939582000, 'hangupTime': 1670939595000, 'callDuration': 13, 'chargedDuration': 20,
            'billPeriod': '20+20', 'terminationCode': '200', 'sipCode': '200', 'calledInfo': 'info-' + voice_id}
    body.update(extra)
    return body


def ringing(call_id, **extra):
    event = {'callId': call_id, 'type': 3, 'taskId': 17, 'called': '4915112345678', 'calledInfo': 'info-' + call_id,
             'seatGroupName': 'desk', 'noAnswerSipList': [], 'sipAccount': '1001', 'callinEventTime': '2025-03-01 20:15:30'}
    event.update(extra)
    return event


# -- basics -----------------------------------------------------------------------------------


def test_healthz_without_auth(rcv):
    assert rcv.request('GET', '/healthz', auth=False) == (200, {'ok': True})


def test_single_report_stored_with_exact_call_shape(rcv):
    voice_id = vid()
    body = report(voice_id)
    assert rcv.push(body) == 200
    call = rcv.report(voice_id)
    assert set(call) == CALL_KEYS
    assert call['voiceId'] == voice_id
    assert call['calledInfo'] == 'info-' + voice_id
    assert call['final'] is True and call['ringing'] is False
    assert call['account'] is None and call['ringingTime'] is None
    assert call['report'] == body
    assert call['firstSeen'].endswith('Z') and call['updated'] == call['firstSeen']
    assert isinstance(call['seq'], int)


def test_push_ack_body(rcv):
    status, body = rcv.request('POST', '/push/' + rcv.secret, body=report(vid()), auth=False)
    assert status == 200 and body == {'status': '0'}


def test_integer_voice_id_is_stored_as_string(rcv):
    number = random.randint(10 ** 18, 10 ** 19)
    assert rcv.push({'voiceId': number, 'calledInfo': 'int'}) == 200
    assert rcv.report(str(number))['voiceId'] == str(number)


def test_unknown_voice_id_404(rcv):
    assert rcv.report(vid()) is None
    assert rcv.request('GET', '/reports/' + vid())[0] == 404


# -- wrong paths, bad bodies, sizes -------------------------------------------------------------


@pytest.mark.parametrize('path', ['/push/wrong-secret-0123456789', '/push/', '/push', '/push/{secret}x', '/push/{secret}/',
                                  '/Push/{secret}', '/', '/other', '/push/{short}'])
def test_wrong_path_404_nothing_stored(rcv, path):
    voice_id = vid()
    path = path.format(secret=rcv.secret, short=rcv.secret[:-1])
    status, _body = rcv.request('POST', path, body=report(voice_id), auth=False)
    assert status == 404
    assert rcv.report(voice_id) is None


def test_get_on_push_path_is_rejected(rcv):
    assert rcv.request('GET', '/push/' + rcv.secret, auth=False)[0] == 405


BAD_BODIES = [
    b'', b'not json', b'{"voiceId": "1"', b'null', b'42', b'"text"', b'true', b'{}', b'{"foo": 1}',
    b'[1, 2]', b'[{"foo": 1}]', b'[{"callId": null, "type": 3}]', b'{"voiceId": null}', b'{"voiceId": ""}',
    b'{"voiceId": true}', b'{"voiceId": 1.5}', b'{"voiceId": {"a": 1}}', b'{"voiceId": "a/b"}', b'{"voiceId": "x\\n"}',
    b'{"array": {"voiceId": "1"}}', b'{"array": [1]}', b'{"array": [{"voiceId": "1"}, {"nope": 2}]}',
    b'{"voiceId": "1", "x": NaN}', b'{"voiceId": "' + b'9' * 200 + b'"}', b'\xff\xfe\x00garbage', b'{"voiceId": "\\ud800"}',
    b'[' * 100000 + b']' * 100000,
]


@pytest.mark.parametrize('body', BAD_BODIES, ids=[repr(b[:24]) for b in BAD_BODIES])
def test_bad_body_400_nothing_stored(rcv, body):
    before = rcv.reports()
    assert rcv.push(body) == 400
    assert rcv.reports() == before


def test_bad_batch_is_all_or_nothing(rcv):
    good = vid()
    assert rcv.push({'array': [report(good), {'voiceId': ''}]}) == 400
    assert rcv.report(good) is None


def test_oversize_content_length_413_without_reading_body(rcv):
    head = ('POST /push/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n'
            % (rcv.secret, 1024 * 1024 + 1)).encode()
    # Only the head is sent: the answer must come without the receiver waiting for (or reading) the body.
    response = raw_http(rcv.port, head + b'{"voiceId":', read_until_close=False, timeout=5)
    assert status_of(response) == 413
    assert b'Connection: close' in response


def test_oversize_body_actually_sent_413(rcv):
    voice_id = vid()
    body = json.dumps(report(voice_id, pad='x' * (1024 * 1024))).encode()
    assert rcv.push(body) == 413
    assert rcv.report(voice_id) is None


def test_exactly_one_mib_is_accepted(rcv):
    voice_id = vid()
    body = json.dumps(report(voice_id, pad='')).encode()
    body = body[:-1] + b', "pad2": "' + b'y' * (1024 * 1024 - len(body) - 12) + b'"}'
    assert len(body) == 1024 * 1024
    assert rcv.push(body) == 200
    assert len(rcv.report(voice_id)['report']['pad2']) > 1000000


def test_oversize_chunked_413(rcv):
    chunk = b'a' * 65536
    data = ('POST /push/%s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n' % rcv.secret).encode()
    data += (b'10000\r\n' + chunk + b'\r\n') * 17 + b'0\r\n\r\n'
    assert status_of(raw_http(rcv.port, data)) == 413


def test_oversize_head_431(rcv):
    data = b'GET /healthz HTTP/1.1\r\nX-Big: ' + b'a' * 70000 + b'\r\n\r\n'
    assert status_of(raw_http(rcv.port, data)) == 431
    assert rcv.request('GET', '/healthz', auth=False)[0] == 200


# -- read API auth --------------------------------------------------------------------------------


@pytest.mark.parametrize('headers', [{}, {'Authorization': 'Bearer wrong-token-0123456789'}, {'Authorization': 'Bearer '},
                                     {'Authorization': 'Basic {token}'}, {'Authorization': '{token}'},
                                     {'Authorization': 'Bearer {token}x'}])
@pytest.mark.parametrize('path', ['/reports', '/reports/{vid}', '/reports?limit=1'])
def test_read_api_needs_token(rcv, headers, path):
    voice_id = vid()
    assert rcv.push(report(voice_id)) == 200
    headers = {k: v.format(token=rcv.token) for k, v in headers.items()}
    status, body = rcv.request('GET', path.format(vid=voice_id), headers=headers, auth=False)
    assert status == 401
    assert voice_id not in json.dumps(body)


def test_bearer_scheme_is_case_insensitive(rcv):
    assert rcv.request('GET', '/reports?limit=1', headers={'Authorization': 'bearer ' + rcv.token}, auth=False)[0] == 200


# -- de-duplication ---------------------------------------------------------------------------------


def test_identical_retry_changes_nothing(rcv):
    voice_id = vid()
    body = report(voice_id)
    assert rcv.push(body) == 200
    first = rcv.report(voice_id)
    time.sleep(0.01)
    # same content, different key order and whitespace: still identical
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2).encode()
    for payload in (body, reordered, {'array': [body]}):
        assert rcv.push(payload) == 200
    assert rcv.report(voice_id) == first
    assert [c['voiceId'] for c in rcv.reports(calledInfo='info-' + voice_id)] == [voice_id]


def test_different_report_updates(rcv):
    voice_id = vid()
    assert rcv.push(report(voice_id, callDuration=13)) == 200
    first = rcv.report(voice_id)
    time.sleep(0.01)
    assert rcv.push(report(voice_id, callDuration=14, calledInfo='changed')) == 200
    second = rcv.report(voice_id)
    assert second['report']['callDuration'] == 14
    assert second['calledInfo'] == 'changed'
    assert second['seq'] > first['seq']
    assert second['updated'] > first['updated']
    assert second['firstSeen'] == first['firstSeen']
    assert len(rcv.reports(calledInfo='changed')) == 1


# -- batch and ringing -------------------------------------------------------------------------------


def test_batch_form_stores_every_report(rcv):
    ids = [vid() for _unused in range(5)]
    assert rcv.push({'array': [report(i) for i in ids]}) == 200
    for voice_id in ids:
        call = rcv.report(voice_id)
        assert call['final'] and call['report']['voiceId'] == voice_id


def test_empty_batch_is_acknowledged(rcv):
    before = rcv.reports()
    assert rcv.push({'array': []}) == 200
    assert rcv.push([]) == 200
    assert rcv.reports() == before


def test_ringing_then_final_keeps_ringing(rcv):
    voice_id = vid()
    assert rcv.push([ringing(voice_id)]) == 200
    call = rcv.report(voice_id)
    assert call['ringing'] is True and call['final'] is False and call['report'] is None
    assert call['account'] == '1001'
    assert call['ringingTime'] == '2025-03-01T12:15:30Z'  # callinEventTime is UTC+8
    assert call['calledInfo'] == 'info-' + voice_id
    assert rcv.push(report(voice_id)) == 200
    final = rcv.report(voice_id)
    assert final['final'] is True and final['report']['voiceId'] == voice_id
    assert final['ringing'] is True and final['account'] == '1001' and final['ringingTime'] == '2025-03-01T12:15:30Z'
    assert final['seq'] > call['seq']


def test_ringing_after_final_never_erases_report(rcv):
    voice_id = vid()
    body = report(voice_id, calledInfo='from-report')
    assert rcv.push(body) == 200
    assert rcv.push([ringing(voice_id, calledInfo='from-ringing', sipAccount='2002')]) == 200
    call = rcv.report(voice_id)
    assert call['final'] is True and call['report'] == body
    assert call['calledInfo'] == 'from-report'
    assert call['ringing'] is True and call['account'] == '2002'
    # identical ringing retry: unchanged
    assert rcv.push([ringing(voice_id, calledInfo='from-ringing', sipAccount='2002')]) == 200
    assert rcv.report(voice_id) == call


def test_ringing_of_other_types_does_not_create_calls(rcv):
    voice_id = vid()
    assert rcv.push([ringing(voice_id, type=1), ringing(voice_id, type=2)]) == 200
    assert rcv.report(voice_id) is None


def test_ringing_string_type_and_missing_time(rcv):
    voice_id = vid()
    assert rcv.push([{'callId': voice_id, 'type': '3', 'sipAccount': 1003}]) == 200
    call = rcv.report(voice_id)
    assert call['ringing'] is True and call['account'] == '1003'
    assert call['ringingTime'].endswith('Z')


# -- listing -------------------------------------------------------------------------------------------


def test_list_paging_filters_and_cursor(rcv):
    tag = uuid.uuid4().hex[:8]
    ids = [vid() for _unused in range(5)]
    for number, voice_id in enumerate(ids):
        assert rcv.push(report(voice_id, calledInfo='%s-%d' % (tag, number))) == 200
    page = rcv.page(calledInfoPrefix=tag, limit=2)
    assert [c['voiceId'] for c in page['reports']] == ids[:2]
    assert page['next'] is not None
    page2 = rcv.page(calledInfoPrefix=tag, limit=2, after=page['next'])
    assert [c['voiceId'] for c in page2['reports']] == ids[2:4]
    page3 = rcv.page(calledInfoPrefix=tag, limit=2, after=page2['next'])
    assert [c['voiceId'] for c in page3['reports']] == ids[4:] and page3['next'] is None
    assert [c['voiceId'] for c in rcv.reports(calledInfoPrefix=tag, limit=1)] == ids
    assert [c['voiceId'] for c in rcv.reports(calledInfo='%s-3' % tag)] == [ids[3]]
    assert rcv.reports(calledInfo=tag) == []
    # polling incrementally: an update moves the call behind the cursor
    last = rcv.reports(calledInfoPrefix=tag)[-1]['seq']
    assert rcv.page(calledInfoPrefix=tag, after=last)['reports'] == []
    assert rcv.push(report(ids[0], calledInfo='%s-0' % tag, callDuration=99)) == 200
    assert [c['voiceId'] for c in rcv.page(calledInfoPrefix=tag, after=last)['reports']] == [ids[0]]
    seqs = [c['seq'] for c in rcv.reports()]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))


def test_list_since(rcv):
    tag = uuid.uuid4().hex[:8]
    old = vid()
    assert rcv.push(report(old, calledInfo=tag + '-old')) == 200
    time.sleep(0.05)
    cut = rcv.report(old)['updated']
    time.sleep(0.05)
    new = vid()
    assert rcv.push(report(new, calledInfo=tag + '-new')) == 200
    later = rcv.report(new)['updated']
    assert [c['voiceId'] for c in rcv.reports(calledInfoPrefix=tag, since=cut)] == [old, new]
    mid = cut[:-1] + '+00:00'
    assert old in [c['voiceId'] for c in rcv.reports(calledInfoPrefix=tag, since=mid)]
    assert [c['voiceId'] for c in rcv.reports(calledInfoPrefix=tag, since=later)] == [new]
    assert rcv.reports(calledInfoPrefix=tag, since=time.time() + 3600) == []
    assert len(rcv.reports(calledInfoPrefix=tag, since=0)) == 2


@pytest.mark.parametrize('query', ['since=yesterday', 'limit=0', 'limit=-5', 'limit=abc', 'after=x'])
def test_list_bad_parameters_400(rcv, query):
    assert rcv.request('GET', '/reports?' + query)[0] == 400


def test_list_limit_is_capped(rcv):
    ids = [vid() for _unused in range(1005)]
    assert rcv.push({'array': [{'voiceId': i, 'calledInfo': 'cap'} for i in ids]}) == 200
    page = rcv.page(calledInfo='cap', limit=5000)
    assert len(page['reports']) == 1000 and page['next']
    assert len(rcv.page(calledInfo='cap')['reports']) == 500
    assert len(rcv.reports(calledInfo='cap')) == 1005


# -- HTTP protocol ------------------------------------------------------------------------------------


def test_keep_alive_pipelining_chunked_and_expect_continue(rcv):
    ids = [vid() for _unused in range(3)]
    bodies = [json.dumps(report(i)).encode() for i in ids]
    push = 'POST /push/%s HTTP/1.1\r\nHost: x\r\n' % rcv.secret
    data = (push + 'Content-Length: %d\r\n\r\n' % len(bodies[0])).encode() + bodies[0]
    data += (push + 'Transfer-Encoding: chunked\r\n\r\n').encode() + b'%x\r\n' % 10 + bodies[1][:10] + b'\r\n'
    data += b'%x;ext=1\r\n' % (len(bodies[1]) - 10) + bodies[1][10:] + b'\r\n0\r\nTrailer: x\r\n\r\n'
    data += (push + 'Expect: 100-continue\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' % len(bodies[2])).encode() + bodies[2]
    response = raw_http(rcv.port, data)
    assert response.count(b'HTTP/1.1 200 OK') == 3
    assert b'HTTP/1.1 100 Continue' in response
    for voice_id in ids:
        assert rcv.report(voice_id)['final']


def test_expect_100_continue_invites_the_body_only_for_an_accepted_push(rcv):
    voice_id = vid()
    body = json.dumps(report(voice_id)).encode()
    head = 'POST /push/%s HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: %d\r\nConnection: close\r\n\r\n'
    with socket.create_connection(('127.0.0.1', rcv.port), timeout=5) as sock:
        sock.sendall((head % (rcv.secret, len(body))).encode())
        interim = b''
        while b'\r\n\r\n' not in interim:
            interim += sock.recv(4096)
        assert interim == b'HTTP/1.1 100 Continue\r\n\r\n'  # the body is invited before it is sent
        sock.sendall(body)
        final = read_all(sock)
    assert status_of(final) == 200 and rcv.report(voice_id)['final']
    # a wrong secret is answered at once, without inviting the body
    answer = raw_http(rcv.port, (head % ('x' * 20, len(body))).encode(), timeout=3)
    assert status_of(answer) == 404 and b'100 Continue' not in answer
    # an expectation other than 100-continue: 417 with a JSON error, nothing stored
    other = vid()
    body = json.dumps(report(other)).encode()
    answer = raw_http(rcv.port, (head.replace('100-continue', 'something-else') % (rcv.secret, len(body))).encode() + body)
    assert status_of(answer) == 417 and b'"error"' in answer and rcv.report(other) is None


@pytest.mark.parametrize('data', [
    b'GARBAGE\r\n\r\n', b'GET /healthz HTTP/2.0\r\n\r\n', b'GET /healthz\r\n\r\n', b'POST /push/x HTTP/1.1\r\nContent-Length: abc\r\n\r\n',
    b'POST /push/x HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', b'GET /healthz HTTP/1.1\r\n bad fold\r\n\r\n',
    b'\x00\xff\x10\r\n\r\n', b'GET /healthz HTTP/1.1\r\nNoColon\r\n\r\n',
])
def test_malformed_requests_get_4xx_or_5xx(rcv, data):
    assert 400 <= status_of(raw_http(rcv.port, data)) < 600
    assert rcv.request('GET', '/healthz', auth=False)[0] == 200


def test_fuzz_random_bodies_and_requests(rcv):
    rng = random.Random(20251126)
    before = rcv.reports()

    def junk_json(depth=0):
        kind = rng.randrange(8 if depth < 3 else 5)
        if kind == 0:
            return rng.randrange(-10 ** 20, 10 ** 20)
        if kind == 1:
            return ''.join(chr(rng.randrange(0, 0x3000)) for _unused in range(rng.randrange(12)))
        if kind == 2:
            return rng.choice([None, True, False, 1.5e300, -0.0])
        if kind == 3:
            return rng.random()
        if kind == 4:
            return 'callId' if rng.random() < 0.5 else 'voiceId'
        if kind == 5:
            return [junk_json(depth + 1) for _unused in range(rng.randrange(4))]
        keys = ['voiceId', 'callId', 'array', 'type', 'calledInfo', 'sipAccount', 'callinEventTime', 'x']
        return {rng.choice(keys): junk_json(depth + 1) for _unused in range(rng.randrange(5))}

    statuses = set()
    for number in range(300):
        if number % 3 == 0:
            body = bytes(rng.randrange(256) for _unused in range(rng.randrange(200)))
        elif number % 3 == 1:
            body = json.dumps(junk_json()).encode()
        else:
            body = json.dumps(junk_json())[:rng.randrange(1, 60)].encode()
        status = rcv.push(body)
        statuses.add(status)
        assert status in (200, 400), (status, body)
    assert 400 in statuses
    for _unused in range(60):
        data = bytes(rng.randrange(256) for _unused in range(rng.randrange(1, 300))) + b'\r\n\r\n'
        if rng.random() < 0.5:
            data = b'POST /push/' + rcv.secret.encode() + b' HTTP/1.1\r\nContent-Length: ' + data
        raw_http(rcv.port, data, timeout=2)
    assert rcv.request('GET', '/healthz', auth=False) == (200, {'ok': True})
    # whatever the fuzzer got acknowledged has the exact call shape
    for call in rcv.reports():
        assert set(call) == CALL_KEYS
    assert len(rcv.reports()) >= len(before)


# -- logging ----------------------------------------------------------------------------------------------


def test_log_lines_are_json_without_secret_or_token(rcv):
    voice_id = vid()
    assert rcv.push(report(voice_id)) == 200
    rcv.push(b'not json')
    rcv.push(report(vid()), secret=rcv.secret[:-2] + 'zz')
    rcv.request('GET', '/x/' + rcv.secret + '?t=' + rcv.token, auth=False)
    rcv.request('GET', '/reports/' + voice_id)
    rcv.request('GET', '/reports', headers={'Authorization': 'Bearer ' + rcv.token + 'x'}, auth=False)
    time.sleep(0.1)
    text = rcv.log_text()
    assert rcv.secret not in text and rcv.token not in text
    assert rcv.secret[:-2] not in text
    lines = [json.loads(line) for line in text.splitlines()]
    requests_logged = [line for line in lines if 'status' in line]
    assert {'method', 'path', 'status', 'bytes', 'ms', 'ip'} <= set(requests_logged[-1])
    pushes = [line for line in requests_logged if line['path'].startswith('/push')]
    assert pushes and all(line['path'] == '/push/<redacted>' for line in pushes)
    assert {200, 400, 404, 401} <= {line['status'] for line in requests_logged}
    assert all(line['ip'] == '127.0.0.1' for line in requests_logged)


# -- allow list and proxies -----------------------------------------------------------------------------


def test_allow_list_rejects_other_sources():
    with Receiver(args=['--allow', '10.0.0.0/8, 192.168.0.0/16']) as other:
        voice_id = vid()
        assert other.push(report(voice_id)) == 403
        assert other.report(voice_id) is None
        assert other.request('GET', '/healthz', auth=False)[0] == 200
        # the allow list only guards pushes; the read API stays token-protected
        assert other.request('GET', '/reports')[0] == 200
    with Receiver(env={'RECEIVER_ALLOW': '10.0.0.0/8,127.0.0.0/8'}) as allowed:
        voice_id = vid()
        assert allowed.push(report(voice_id)) == 200
        assert allowed.report(voice_id)['final']


def test_trusted_proxy_forwarded_for():
    with Receiver(args=['--allow', '203.0.113.0/24', '--trusted-proxies', '127.0.0.1/32']) as proxied:
        voice_id = vid()
        path = '/push/' + proxied.secret
        # without the header the peer (the proxy itself) is not allowed
        assert proxied.request('POST', path, body=report(voice_id), auth=False)[0] == 403
        spoofed = {'X-Forwarded-For': '203.0.113.9, 198.51.100.7'}  # rightmost untrusted hop counts
        assert proxied.request('POST', path, body=report(voice_id), headers=spoofed, auth=False)[0] == 403
        good = {'X-Forwarded-For': '198.51.100.7, 203.0.113.9'}
        assert proxied.request('POST', path, body=report(voice_id), headers=good, auth=False)[0] == 200
        assert proxied.report(voice_id)['final']
        logged = [line for line in proxied.log_lines() if line.get('status') == 200 and line.get('method') == 'POST']
        assert logged[-1]['ip'] == '203.0.113.9'


# -- configuration ----------------------------------------------------------------------------------------


def run_cli(args, env=None, timeout=20):
    child_env = {k: v for k, v in os.environ.items() if not k.startswith('RECEIVER_')}
    child_env.update(env or {})
    return subprocess.run(receiver_command() + list(args), env=receiver_env(child_env), capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_missing_or_weak_secret_is_a_config_error(tmp_path):
    result = run_cli(['--db', str(tmp_path / 'x.db'), '--token', 'a' * 20])
    assert result.returncode == 2 and 'secret' in result.stderr
    result = run_cli(['--db', str(tmp_path / 'x.db'), '--token', 'a' * 20, '--secret', 'short'])
    assert result.returncode == 2
    result = run_cli(['--db', str(tmp_path / 'x.db')], env={'RECEIVER_SECRET': 's' * 20})
    assert result.returncode == 2 and 'token' in result.stderr
    result = run_cli(['--check-config', '--allow', 'not-a-cidr'], env={'RECEIVER_SECRET': 's' * 20, 'RECEIVER_TOKEN': 't' * 20})
    assert result.returncode == 2 and 'not-a-cidr' in result.stderr
    assert not (tmp_path / 'x.db').exists()


@pytest.mark.parametrize('style', ['json', 'keyvalue'])
def test_config_file(tmp_path, style):
    secret, token = 'c' * 8 + uuid.uuid4().hex, 'k' * 8 + uuid.uuid4().hex
    path = tmp_path / 'receiver.conf'
    if style == 'json':
        path.write_text(json.dumps({'secret': secret, 'token': token, 'allow': ['127.0.0.0/8'], 'port': 1}))
    else:
        path.write_text('# comment\nRECEIVER_SECRET = %s\ntoken="%s"\nallow=127.0.0.0/8\nport=1\n' % (secret, token))
    checked = run_cli(['--config', str(path), '--check-config'])
    assert checked.returncode == 0, checked.stderr
    assert secret not in checked.stdout + checked.stderr and token not in checked.stdout + checked.stderr
    # the flags (port 0 from the harness) win over the file; the secret comes from the file, not the harness env
    with Receiver(args=['--config', str(path)], env={'RECEIVER_SECRET': 'e' * 20, 'RECEIVER_TOKEN': 'f' * 20}) as conf:
        conf.secret, conf.token = secret, token
        voice_id = vid()
        assert conf.push(report(voice_id)) == 200
        assert conf.report(voice_id)['final']
        assert conf.push(report(vid()), secret='e' * 20) == 404


def test_unknown_config_key_rejected(tmp_path):
    path = tmp_path / 'bad.conf'
    path.write_text('secrte=%s\n' % ('s' * 20))
    result = run_cli(['--config', str(path), '--check-config'])
    assert result.returncode == 2 and 'secrte' in result.stderr


def test_daemon_status_stop(tmp_path):
    env = {'RECEIVER_SECRET': 'd' * 20, 'RECEIVER_TOKEN': 'e' * 20}
    args = ['--port', '0', '--db', str(tmp_path / 'd.db'), '--pid-file', str(tmp_path / 'r.pid'),
            '--port-file', str(tmp_path / 'port'), '--log-file', str(tmp_path / 'r.log')]
    assert run_cli(args + ['--status'], env).returncode == 3
    started = run_cli(args + ['--daemon'], env)
    try:
        assert started.returncode == 0, started.stderr
        assert run_cli(args + ['--status'], env).returncode == 0
        assert run_cli(args + ['--daemon'], env).stdout.startswith('already running')
        port = int((tmp_path / 'port').read_text())
        response = raw_http(port, b'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
        assert status_of(response) == 200
    finally:
        assert run_cli(args + ['--stop'], env).returncode == 0
    assert run_cli(args + ['--status'], env).returncode == 3
    assert not (tmp_path / 'r.pid').exists()
    assert '"event":"stopped"' in (tmp_path / 'r.log').read_text()


# -- shutdown and durability -------------------------------------------------------------------------------


def burst(receiver, threads, stop_event, acked, prefix):
    """Push unique reports from several threads until stop_event; record the ids that got HTTP 200."""
    def worker(number):
        sock = None
        count = 0
        while not stop_event.is_set():
            voice_id = '%s-%d-%d' % (prefix, number, count)
            count += 1
            body = json.dumps(report(voice_id, calledInfo=prefix)).encode()
            request = ('POST /push/%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n' % (receiver.secret, len(body))).encode() + body
            try:
                if sock is None:
                    sock = socket.create_connection(('127.0.0.1', receiver.port), timeout=5)
                sock.sendall(request)
                response = b''
                while b'\r\n\r\n' not in response:
                    chunk = sock.recv(4096)
                    if not chunk:
                        raise ConnectionError('closed')
                    response += chunk
                if status_of(response) == 200:
                    acked.append(voice_id)
                head, _sep, rest = response.partition(b'\r\n\r\n')
                length = int([h for h in head.split(b'\r\n') if h.lower().startswith(b'content-length')][0].split(b':')[1])
                while len(rest) < length:
                    rest += sock.recv(4096)
                if b'Connection: close' in head:
                    sock.close()
                    sock = None
            except OSError:
                if sock is not None:
                    sock.close()
                sock = None
                time.sleep(0.01)
        if sock is not None:
            sock.close()

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    return workers


@contextlib.contextmanager
def bursting(receiver, threads, prefix, at_least):
    """Pushes from ``threads`` threads while the block runs, which starts once ``at_least`` were acknowledged (or
    after 10 s); yields the list of acknowledged voice ids, complete once the block has ended."""
    acked = []
    stop_event = threading.Event()
    workers = burst(receiver, threads, stop_event, acked, prefix)
    deadline = time.monotonic() + 10
    while len(acked) < at_least and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield acked
    finally:
        stop_event.set()
        for thread in workers:
            thread.join()


def test_kill_9_during_burst_loses_no_acknowledged_report(tmp_path):
    db = str(tmp_path / 'durable.db')
    victim = Receiver(db=db)
    with bursting(victim, 6, 'k9', 300) as acked:
        victim.kill()
    assert victim.returncode == -signal.SIGKILL
    victim.stop()
    assert len(acked) >= 300
    with Receiver(db=db) as again:
        stored = {c['voiceId'] for c in again.reports(calledInfo='k9', limit=1000)}
        missing = [v for v in acked if v not in stored]
        assert not missing, '%d acknowledged reports missing after kill -9, e.g. %s' % (len(missing), missing[:5])


def test_sigterm_during_burst_exits_0_and_keeps_acknowledged(tmp_path):
    db = str(tmp_path / 'term.db')
    victim = Receiver(db=db)
    with bursting(victim, 4, 'term', 200) as acked:
        victim.proc.send_signal(signal.SIGTERM)
        assert victim.proc.wait(20) == 0
    log = victim.log_text()
    victim.stop()
    assert '"event":"stopped"' in log and len(acked) >= 200
    with Receiver(db=db) as again:
        stored = {c['voiceId'] for c in again.reports(calledInfo='term', limit=1000)}
        assert not [v for v in acked if v not in stored]
