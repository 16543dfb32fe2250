# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""REGISTER with the right, wrong and reset password; a call answered, busy, declined, not answered and to a
phone that is not registered, each checked in the call record, the push report and laaffic_call's verdict."""

from __future__ import annotations

import time

from devtools.sip_phones import PhoneFarm
from support.credentials import CREDENTIALS
from support.playbook import run_playbook

CALLEE = '4930123456'


def test_register_right_wrong_and_reset_password(sip_emu, add_group):
    accounts = add_group(sip_emu, 'sip-register', 3)
    (first, pw1), (second, pw2), (third, _pw3) = accounts
    with PhoneFarm('answer') as farm:
        got = farm.register('127.0.0.1', sip_emu.sip_port,
                            [(first, pw1), (second, pw2 + 'x'), (third, pw1), ('nobody_001', pw1)])
        assert got == {first: 'registered', second: 'refused 403', third: 'refused 403', 'nobody_001': 'refused 403'}
        status, body = sip_emu.api('POST', '/voice/sipReset', {'account': first, 'appId': sip_emu.app_id})
        new = body['data']['password']
        assert new != pw1
        # the old password no longer registers; the new one does
        assert farm.register('127.0.0.1', sip_emu.sip_port, [(first, pw1)]) == {first: 'refused 403'}
        assert farm.register('127.0.0.1', sip_emu.sip_port, [(first, new)]) == {first: 'registered'}
    log = sip_emu.log()
    for password in (pw1, pw2, new):
        assert password not in log


def wait_ended(emu, voice_id, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = emu.record(voice_id)
        if record and record['hangupTime']:
            return record
        time.sleep(0.2)
    raise AssertionError('call %s did not end: %r' % (voice_id, emu.record(voice_id)))


def wait_report(receiver, voice_id, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reports = receiver.reports(voice_id)
        if reports:
            return reports[0]
        time.sleep(0.1)
    raise AssertionError('no push report for %s' % voice_id)


def test_ring_answer_busy_decline_no_answer_and_not_registered(sip_emu, receiver, tmp_path, add_group):
    accounts = add_group(sip_emu, 'sip-calls', 5)
    names = ['answer', 'busy', 'decline', 'ring', 'offline']
    acct = dict(zip(names, (account for account, _pw in accounts)))
    # scripted times that a real phone must not follow: the phones' SIP answers decide
    for name in names:
        sip_emu.phone(acct[name], ring_timeout=1.5, talk=0.5)
    farms = {name: PhoneFarm(name, ring_ms=300) for name in ('answer', 'busy', 'decline', 'ring')}
    try:
        for name, farm in farms.items():
            password = dict(accounts)[acct[name]]
            assert farm.register('127.0.0.1', sip_emu.sip_port, [(acct[name], password)]) == {acct[name]: 'registered'}
        calls = [{'account': acct[name], 'expect': 'answered'} for name in names]
        task = {'name': 'Call', 'register': 'r', 'laaffic.voice.laaffic_call': dict(
            CREDENTIALS, api_url=sip_emu.api_url, callee=CALLEE, calls=calls, wait_timeout=12, poll_interval=0.3, fail_on='none')}
        run = run_playbook(tmp_path, [task])
        assert run.rc == 0, run.output
        result = {call['account']: call for call in run.results['r']['calls']}
    finally:
        for farm in farms.values():
            farm.stop()
    verdicts = {name: result[acct[name]]['verdict'] for name in names}
    assert verdicts == {'answer': 'answered', 'busy': 'failed', 'decline': 'failed', 'ring': 'rang', 'offline': 'rejected'}
    assert result[acct['offline']]['api_status'] == '-68'
    assert result[acct['busy']]['sip_code'] == '486' and result[acct['decline']]['sip_code'] == '603'

    records = {name: wait_ended(sip_emu, result[acct[name]]['voice_id']) for name in names if name != 'offline'}
    answered = records['answer']
    assert (answered['sipCode'], answered['callStatus'], answered['terminationCode']) == ('200', 50, '0')
    assert answered['ringingTime'] and answered['answerTime'] and answered['recordingFileId']
    busy = records['busy']
    assert (busy['sipCode'], busy['callStatus'], busy['ringingTime'], busy['answerTime']) == ('486', 10, None, None)
    decline = records['decline']
    assert (decline['sipCode'], decline['callStatus'], decline['terminationReason']) == ('603', 60, 'decline')
    ring = records['ring']
    # rang, then Kamailio's ring timeout (the phone's ring_timeout) cancelled it: not answered
    assert ring['ringingTime'] and ring['answerTime'] is None and ring['callStatus'] == 20 and ring['sipCode'] == '408'
    assert not [call for call in sip_emu.calls() if call['account'] == acct['offline']]

    for name, record in records.items():
        report = wait_report(receiver, record['voiceId'])
        assert (report['sipCode'], report['callStatus']) == (record['sipCode'], record['callStatus']), name
        assert bool(report['ringingTime']) == bool(record['ringingTime']), name
        assert bool(report['answerTime']) == bool(record['answerTime']), name
    assert receiver.ringing(records['answer']['voiceId']) and receiver.ringing(records['ring']['voiceId'])
    assert not receiver.ringing(records['busy']['voiceId'])


def test_accounts_register_as_soon_as_sipadd_and_sipreset_answer(sip_emu):
    """sipAdd and sipReset answer once the registrar has the accounts: REGISTERs sent right after (the listing of
    1,000 accounts in between takes far less than their way to Kamailio took) all succeed, and the old password is
    refused right after a reset. Before, the accounts reached Kamailio in the background and hundreds of such
    registrations were refused."""
    groups = ['sip-at-once-%02d' % number for number in range(20)]
    for group in groups:
        status, body = sip_emu.api('POST', '/voice/sipAdd', {'groupName': group, 'phoneName': 'desk', 'quantity': 50,
                                                             'appId': sip_emu.app_id})
        assert body['status'] == '0', body
    accounts = listed(sip_emu, groups)
    assert len(accounts) == 1000
    with PhoneFarm('answer') as farm:
        got = farm.register('127.0.0.1', sip_emu.sip_port, accounts, rate=2000)
        assert set(got.values()) == {'registered'}, sorted(a for a, v in got.items() if v != 'registered')[:5]
        first, old = accounts[0]
        status, body = sip_emu.api('POST', '/voice/sipReset', {'account': first, 'appId': sip_emu.app_id})
        assert farm.register('127.0.0.1', sip_emu.sip_port, [(first, old)]) == {first: 'refused 403'}
        assert farm.register('127.0.0.1', sip_emu.sip_port, [(first, body['data']['password'])]) == {first: 'registered'}


def listed(emu, groups):
    """(account, password) of every phone of ``groups``, from every sipQuery page."""
    accounts = []
    for page in range(1, 100):
        status, body = emu.api('POST', '/voice/sipQuery', {'current': page, 'size': 100, 'params': {'appId': emu.app_id}})
        assert status == 200 and body['status'] == '0', body
        accounts += [(row['account'], row['password']) for row in body['data']['records'] if row['groupName'] in groups]
        if len(body['data']['records']) < 100:
            return accounts
    raise AssertionError('more than 99 pages')


def test_a_password_that_starts_with_0x_registers(sip_emu, add_group):
    """The platform's passwords are random letters and digits, so about one in 3,800 starts with 0x, which SIPp
    took for a hex key: the phone farm must hand SIPp every password so that it reaches the registrar as it is."""
    add_group(sip_emu, 'sip-hex-like', 1)
    account = listed(sip_emu, {'sip-hex-like'})[0][0]
    sip_emu.phone(account, password='0xyL6nrL')
    add_group(sip_emu, 'sip-hex-like-sync', 1)  # a sipAdd answers once the registrar has every account as it is now
    with PhoneFarm('answer') as farm:
        assert farm.register('127.0.0.1', sip_emu.sip_port, [(account, '0xyL6nrL')]) == {account: 'registered'}
        assert farm.register('127.0.0.1', sip_emu.sip_port, [(account, '0xyL6nrX')]) == {account: 'refused 403'}
