"""The phone modules and the laaffic_phones inventory plugin, run by ansible-playbook / ansible-inventory:
first against a hostile loopback server (echoed credentials, redirects, resets, stalls, lying lengths,
out-of-range values), then against the emulator."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from support.credentials import CREDENTIALS
from support.fake_phones import FakePhones, phone
from support.hostile import Hostile, answer, lying_length, redirect, reset, stall
from support.playbook import BIN, COLLECTIONS, run_playbook


def task(module, register, no_log=False, **args):
    item = {'name': module, 'register': register, 'laaffic.voice.%s' % module: args}
    if no_log:
        item['no_log'] = True
    return item


def inventory(tmp_path, api_url, verbosity=0, name='office.laaffic_phones.yml', env=None, **options):
    """ansible-inventory --list over a laaffic_phones file; returns (rc, output, parsed JSON or None)."""
    config = dict({'plugin': 'laaffic.voice.laaffic_phones'}, **options)
    path = tmp_path / name
    path.write_text(json.dumps(config))
    run_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                   LAAFFIC_API_URL=api_url, LAAFFIC_API_KEY=CREDENTIALS['api_key'], LAAFFIC_API_SECRET=CREDENTIALS['api_secret'],
                   LAAFFIC_APP_ID=CREDENTIALS['app_id'], ANSIBLE_INVENTORY_UNPARSED_FAILED='true')
    run_env.update(env or {})
    command = [os.path.join(BIN, 'ansible-inventory'), '-i', str(path), '--list'] + (['-' + 'v' * verbosity] if verbosity else [])
    proc = subprocess.run(command, capture_output=True, text=True, env=run_env, cwd=str(tmp_path), check=False)
    parsed = None
    if proc.returncode == 0:
        parsed = json.loads(proc.stdout[proc.stdout.index('{'):proc.stdout.rindex('}') + 1])
    return proc.returncode, proc.stdout + proc.stderr, parsed


# A hostile platform: the in-memory phone endpoints of the unit tests, served on loopback, with scripted attacks --------
class HostilePlatform(object):
    """FakePhones behind a real loopback HTTP server; ``attacks[path]`` is a list of functions of the request that give
    hostile answers, used (once each) before the in-memory behaviour."""

    def __init__(self, phones):
        self.fake = FakePhones(phones)
        self.attacks = {}
        self.server = Hostile(self.serve)
        self.api_url = self.server.url + '/v3'

    def serve(self, request):
        path = request.path.split('/v3/', 1)[-1]
        queued = self.attacks.get(path)
        if queued:
            return queued.pop(0)(request)
        response = self.fake.handler(request.method, request.path, request.json(), request.headers)
        return answer(response.content, status=response.status_code)

    def sent(self, path):
        return [r for r in self.server.requests if r.path.endswith('/' + path)]

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.server.close()


PASSWORDS = ['S3cretA1', 'S3cretA2', 'S3cretB1']


@pytest.fixture
def hostile():
    with HostilePlatform([phone('floor-3', 'floor3-desk-1', 'f3_001', PASSWORDS[0], '49301234567'),
                          phone('floor-3', 'floor3-desk-2', 'f3_002', PASSWORDS[1], '49301234568'),
                          phone('lobby', 'lobby-desk-1', 'lobby_001', PASSWORDS[2])]) as platform:
        yield platform


def always(writer, times=1):
    """``times`` attacks that each answer with ``writer`` whatever the request."""
    return [lambda request: writer] * times


def auth_for(platform, **extra):
    return dict(CREDENTIALS, api_url=platform.api_url, timeout=2, **extra)


def no_secret_in(text, platform):
    signs = [r.header('Sign') for r in platform.server.requests if r.header('Sign')]
    leaked = [value for value in PASSWORDS + [CREDENTIALS['api_secret']] + signs if value.lower() in text.lower()]
    assert not leaked, leaked


def test_echoed_credentials_and_passwords_never_shown(tmp_path, hostile):
    def echo(request):
        body = 'sign %s secret %s passwords %s' % (request.header('Sign'), CREDENTIALS['api_secret'], ' '.join(PASSWORDS))
        return answer(body, status=500, reason='Bad sign %s' % request.header('Sign'))
    hostile.attacks['voice/sipQuery'] = [echo] * 8
    run = run_playbook(tmp_path, [task('laaffic_phone_info', 'listed', **auth_for(hostile))], verbosity=4)
    assert run.rc != 0 and 'answered HTTP 500' in run.output and 'response body not shown' in run.output
    no_secret_in(run.output, hostile)
    rc, output, dummy = inventory(tmp_path, hostile.api_url, verbosity=4)
    assert rc != 0 and 'laaffic_phones' in output
    no_secret_in(output, hostile)


def test_truncated_and_lying_bodies_with_passwords(tmp_path, hostile):
    records = json.dumps({'status': '0', 'reason': 'success', 'data': {'total': 3, 'records': [
        {'account': 'f3_001', 'password': PASSWORDS[0]}, {'account': 'f3_002', 'password': PASSWORDS[1]}]}}).encode()
    hostile.attacks['voice/sipQuery'] = always(lying_length(records[:-20], len(records)), 4) + always(answer(records[:-20]), 4)
    run = run_playbook(tmp_path, [task('laaffic_phone_info', 'listed', **auth_for(hostile, return_passwords=True))], verbosity=4)
    assert run.rc != 0
    no_secret_in(run.output, hostile)
    hostile.attacks['voice/sipQuery'] = always(answer(records[:-20]), 4)
    rc, output, dummy = inventory(tmp_path, hostile.api_url, verbosity=4, include_passwords=True)
    assert rc != 0 and 'response body not shown' in ' '.join(output.split())
    no_secret_in(output, hostile)


def test_redirects_are_not_followed(tmp_path, hostile):
    with Hostile() as elsewhere:
        hostile.attacks['voice/sipQuery'] = always(redirect(307, elsewhere.url + '/v3/voice/sipQuery'))
        run = run_playbook(tmp_path, [task('laaffic_phone_info', 'listed', **auth_for(hostile))])
        assert run.rc != 0 and 'redirects are not followed' in run.output
        hostile.attacks['voice/sipQuery'] = always(redirect(302, elsewhere.url + '/v3/voice/sipQuery'))
        rc, output, dummy = inventory(tmp_path, hostile.api_url)
        assert rc != 0 and 'set api_url to the final address' in ' '.join(output.split())
        assert elsewhere.requests == []


def test_out_of_range_records_do_not_crash(tmp_path, hostile):
    weird = {'status': '0', 'reason': 'success', 'data': {'total': 'NaN', 'pages': 1e300, 'current': -4, 'records': [
        {'account': 12345, 'phoneName': ['x'], 'groupName': {'a': 1}, 'displayNum': 1.5e300, 'password': None},
        {'account': None, 'phoneName': 'no-account'}, 'not a record', 7,
        {'account': 'long_' + 'x' * 5000, 'groupName': 'g' * 300, 'phoneName': '{{ lookup("pipe", "id") }}'}]}}
    hostile.attacks['voice/sipQuery'] = always(answer(weird), 2)
    run = run_playbook(tmp_path, [task('laaffic_phone_info', 'listed', **auth_for(hostile))])
    assert run.rc == 0, run.output
    listed = run.results['listed']
    assert listed['count'] == 2 and sorted(p['account'][:5] for p in listed['phones']) == ['12345', 'long_']
    rc, output, parsed = inventory(tmp_path, hostile.api_url)
    assert rc == 0, output
    hostvars = parsed['_meta']['hostvars']
    assert sorted(h[:5] for h in hostvars) == ['12345', 'long_']
    # never templated: ansible-inventory shows it as the text it is (marked unsafe where the core says so)
    [name] = [v['laaffic_phone_name'] for k, v in hostvars.items() if k.startswith('long_')]
    assert name in ('{{ lookup("pipe", "id") }}', {'__ansible_unsafe': '{{ lookup("pipe", "id") }}'})


def test_endless_pages_are_bounded_with_a_warning(tmp_path, hostile):
    def endless(request):
        current = request.json()['current']
        return answer({'status': '0', 'reason': 'success', 'data': {'total': 10 ** 9, 'pages': 10 ** 7, 'current': current, 'records': [
            {'account': 'a%d_%d' % (current, n), 'groupName': 'g', 'phoneName': 'p'} for n in range(100)]}})
    hostile.attacks['voice/sipQuery'] = [endless] * 200
    run = run_playbook(tmp_path, [task('laaffic_phone_info', 'listed', **auth_for(hostile))])
    assert run.rc == 0 and run.results['listed']['count'] == 10000 and len(hostile.sent('voice/sipQuery')) == 100
    assert 'phones beyond them are not listed' in ' '.join(run.output.split())


def test_sip_add_reset_after_the_request_is_read_back_not_resent(tmp_path, hostile):
    def created_then_reset(request):
        hostile.fake.sip_add(request.json())
        return reset()
    hostile.attacks['voice/sipAdd'] = [created_then_reset]
    args = auth_for(hostile, name='floor-4', phone_name='floor4-desk', quantity=2)
    run = run_playbook(tmp_path, [task('laaffic_phone_group', 'group', **args)])
    assert run.rc == 0, run.output
    assert run.results['group']['changed'] is True and run.results['group']['group'] == {'name': 'floor-4', 'phone_count': 2}
    assert 'it was created' in ' '.join(run.output.split()) and len(hostile.sent('voice/sipAdd')) == 1


def test_sip_reset_stall_is_read_back_not_resent(tmp_path, hostile):
    def reset_then_stall(request):
        hostile.fake.sip_reset(request.json())
        return stall(5)
    hostile.attacks['voice/sipReset'] = [reset_then_stall]
    run = run_playbook(tmp_path, [task('laaffic_phone_password', 'reset', no_log=True, **auth_for(hostile, accounts=['lobby_001']))],
                       verbosity=4)
    assert run.rc == 0, run.output
    [account] = run.results['reset']['accounts']
    assert account['reset'] is True and account['confirmed_by'] == 'sipQuery' and account['password'] == hostile.fake.phones[2]['password']
    assert len(hostile.sent('voice/sipReset')) == 1 and account['password'] not in run.output
