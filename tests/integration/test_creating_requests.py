"""Issue 18: one rule for the requests that create something (sendSip, sipAdd, sipReset), through ansible-playbook
against the emulator's "acted, then answered 503/429 with Retry-After" faults: never sent again unless a read-back
proves the first request did nothing; what the read-back finds is the result."""

from __future__ import annotations

import pytest

from support.playbook import run_playbook

# every test here exercises only the plugins' own HTTP handling: the main core runs them
pytestmark = pytest.mark.core_independent

CALLEE = '4930123456'


def task(module, register, no_log=False, **args):
    item = {'name': module, 'register': register, 'laaffic.voice.%s' % module: args}
    if no_log:
        item['no_log'] = True
    return item


def hits(emu, endpoint):
    return sum(fault['hits'] for fault in emu.control('GET', '/_emulator/faults')['faults'] if fault['endpoint'] == endpoint)


def listed(emu):
    data = emu.api('POST', '/voice/sipQuery', {'current': 1, 'size': 100, 'params': {'appId': emu.app_id}})[1]['data']
    assert data['pages'] <= 1
    return data['records']


@pytest.mark.parametrize('kind', ['http_503', 'http_429'])
def test_a_call_placed_then_answered_busy_goes_on_with_its_voice_id(tmp_path, emu, auth, kind):
    emu.fault(endpoint='sendSip', kind=kind, placed=True, retry_after=0, count=4)
    run = run_playbook(tmp_path, [task('laaffic_call', 'r', **dict(auth, account='desk-answer-01', callee=CALLEE, fail_on='none'))])
    assert run.rc == 0, run.output
    [call] = run.results['r']['calls']
    [placed] = emu.calls()  # one call rings, not two
    assert hits(emu, 'sendSip') == 1
    assert call['verdict'] == 'accepted' and call['voice_id'] == placed['voiceId'] and run.results['r']['changed'] is True
    assert 'recordSipQuery lists this call' in call['reason']


def test_a_busy_answer_that_placed_nothing_is_sent_again_once_proven(tmp_path, emu, auth):
    emu.fault(endpoint='sendSip', kind='http_503', placed=False, retry_after=0, count=1)
    run = run_playbook(tmp_path, [task('laaffic_call', 'r', **dict(auth, account='desk-answer-01', callee=CALLEE))])
    assert run.rc == 0, run.output
    [call] = run.results['r']['calls']
    [placed] = emu.calls()
    assert call['verdict'] == 'accepted' and call['voice_id'] == placed['voiceId']
    assert run.results['r']['summary']['requests']['place'] == 2
    assert run.results['r']['summary']['requests']['verify'] == 1  # the read-back that proved the first request placed nothing


@pytest.mark.parametrize('kind', ['http_503', 'http_429'])
def test_a_group_created_then_answered_busy_is_created_once(tmp_path, emu, auth, kind):
    before = len(listed(emu))
    emu.fault(endpoint='sipAdd', kind=kind, placed=True, retry_after=0, count=4)
    args = dict(auth, name='floor-9', phone_name='floor9-desk', quantity=3)
    run = run_playbook(tmp_path, [task('laaffic_phone_group', 'g', **args)])
    assert run.rc == 0, run.output
    result = run.results['g']
    assert hits(emu, 'sipAdd') == 1 and len(listed(emu)) == before + 3
    assert result['changed'] is True and result['created'] == 3 and result['group'] == {'name': 'floor-9', 'phone_count': 3}
    assert 'it was created' in ' '.join(run.output.split())


@pytest.mark.parametrize('kind', ['http_503', 'http_429'])
def test_a_password_reset_then_answered_busy_is_sent_once_and_its_password_kept(tmp_path, emu, auth, kind):
    old = dict((p['account'], p['password']) for p in listed(emu))['desk-answer-02']
    emu.fault(endpoint='sipReset', kind=kind, placed=True, retry_after=0, count=4)
    run = run_playbook(tmp_path, [task('laaffic_phone_password', 'p', no_log=True, **dict(auth, accounts=['desk-answer-02']))])
    assert run.rc == 0, run.output
    [account] = run.results['p']['accounts']
    now = dict((p['account'], p['password']) for p in listed(emu))['desk-answer-02']
    assert hits(emu, 'sipReset') == 1 and now != old
    assert account['reset'] is True and account['password'] == now and account['confirmed_by'] == 'sipQuery'
    assert run.results['p']['changed'] is True


def test_a_password_reset_answered_busy_without_acting_is_unknown(tmp_path, emu, auth):
    emu.fault(endpoint='sipReset', kind='http_503', placed=False, retry_after=0, count=4)
    run = run_playbook(tmp_path, [task('laaffic_phone_password', 'p', no_log=True, **dict(auth, accounts=['desk-answer-02']))])
    assert run.rc != 0
    [account] = run.results['p']['accounts']
    assert hits(emu, 'sipReset') == 1 and account['reset'] is None and 'password' not in account
    assert run.results['p']['changed'] is True and 'does not prove that it was not reset' in account['error']
