"""The phone modules and the laaffic_phones inventory plugin, run by ansible-playbook / ansible-inventory:
first against a hostile loopback server (echoed credentials, redirects, resets, stalls, lying lengths,
out-of-range values), then against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils import _phones
from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
from ansible_collections.laaffic.voice.plugins.module_utils._errors import ApiStatusError
from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
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
        parsed = json.loads(proc.stdout[proc.stdout.index('{'):proc.stdout.rindex('}') + 1], object_hook=plain)
    return proc.returncode, proc.stdout + proc.stderr, parsed


def plain(value):
    """ansible-inventory shows values that must never be templated (everything the platform sent) as
    {"__ansible_unsafe": text} on some cores; the text is what counts here."""
    return value['__ansible_unsafe'] if list(value) == ['__ansible_unsafe'] else value


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
    # never templated: ansible-inventory shows it as the text it is
    assert [v['laaffic_phone_name'] for k, v in hostvars.items() if k.startswith('long_')] == ['{{ lookup("pipe", "id") }}']


def test_endless_pages_are_bounded_with_a_warning(tmp_path, hostile):
    def endless(request):
        current = request.json()['current']
        return answer({'status': '0', 'reason': 'success', 'data': {'total': 10 ** 9, 'pages': 10 ** 7, 'current': current, 'records': [
            {'account': 'a%d_%d' % (current, n), 'groupName': 'g', 'phoneName': 'p'} for n in range(100)]}})
    hostile.attacks['voice/sipQuery'] = [endless] * 200
    run = run_playbook(tmp_path, [task('laaffic_phone_info', 'listed', **auth_for(hostile, max_phones=10000))])
    assert run.rc == 0 and run.results['listed']['count'] == 10000 and len(hostile.sent('voice/sipQuery')) == 100
    flat = ' '.join(run.output.split())  # ansible-core 2.18 wraps warnings at the terminal's width
    assert 'phones beyond them are not listed' in flat and 'max_phones is 10000' in flat


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


# On the emulator ---------------------------------------------------------------------------------------------------

FLOOR = {'name': 'floor-7', 'phone_name': 'floor7-desk', 'quantity': 3, 'display_num': '+86 138 0000 0077'}


def listed(emu):
    """Every phone the emulator's application has, with its password (a signed sipQuery, all pages)."""
    phones, current = [], 1
    while True:
        data = emu.api('POST', '/voice/sipQuery', {'current': current, 'size': 100, 'params': {'appId': emu.app_id}})[1]['data']
        phones.extend(data['records'])
        if current >= data['pages']:
            return phones
        current += 1


def client_for(emu):
    return LaafficClient(ConnectionOptions(api_url=emu.api_url, api_key=emu.api_key, api_secret=emu.api_secret, app_id=emu.app_id))


def test_group_check_mode_create_and_idempotency(tmp_path, emu, auth):
    before = len(listed(emu))
    tasks = [task('laaffic_phone_group', 'planned', **dict(auth, **FLOOR))]
    run = run_playbook(tmp_path, tasks, check=True)
    assert run.rc == 0, run.output
    assert run.results['planned']['changed'] is True and run.results['planned']['created'] == 3 and len(listed(emu)) == before
    run = run_playbook(tmp_path, tasks + [task('laaffic_phone_group', 'again', **dict(auth, **FLOOR))])
    assert run.rc == 0, run.output
    created, again = run.results['planned'], run.results['again']
    assert created['changed'] is True and created['created'] == 3 and created['group'] == {'name': 'floor-7', 'phone_count': 3}
    assert [p['phone_name'] for p in created['phones']] == ['floor7-desk-1', 'floor7-desk-2', 'floor7-desk-3']
    assert all(p['display_num'] == '8613800000077' and 'password' not in p for p in created['phones'])
    assert again['changed'] is False and again['created'] == 0 and again['phones'] == created['phones']
    assert len(listed(emu)) == before + 3
    run = run_playbook(tmp_path, [task('laaffic_phone_group', 'checked', **dict(auth, **FLOOR))], check=True)
    assert run.rc == 0 and run.results['checked']['changed'] is False


def test_group_returns_passwords_only_when_asked(tmp_path, emu, auth):
    run = run_playbook(tmp_path, [task('laaffic_phone_group', 'made', no_log=True, **dict(auth, return_passwords=True, **FLOOR))])
    assert run.rc == 0, run.output
    passwords = dict((p['account'], p['password']) for p in listed(emu) if p['groupName'] == 'floor-7')
    assert dict((p['account'], p['password']) for p in run.results['made']['phones']) == passwords
    assert not any(password in run.output for password in passwords.values())


def test_unreachable_groups_fail_before_sending(tmp_path, emu, auth):
    before = listed(emu)
    cases = [(dict(name='desk-lab', phone_name='answer', quantity=8), 'already has 7 phone(s) and 8 are requested'),
             (dict(name='desk-lab', phone_name='answer', quantity=6), 'more than the 6 requested'),
             (dict(name='floor-9', phone_name='floor9-desk', quantity=51), 'at most 50 phones per request'),
             (dict(name='flr', phone_name='floor9-desk', quantity=1), 'name: must be 4-32 characters')]
    for args, words in cases:
        run = run_playbook(tmp_path, [task('laaffic_phone_group', 'refused', **dict(auth, **args))])
        assert run.rc != 0 and words in ' '.join(run.output.split()), run.output
    assert listed(emu) == before


def test_every_status_code_of_the_phone_endpoints(tmp_path, emu, auth):
    client = client_for(emu)
    try:
        # -20: the group exists (the module checks first; a direct request gets the platform's answer and our remedy)
        with pytest.raises(ApiStatusError) as info:
            _phones.add_group(client, emu.app_id, _phones.GroupPlan('desk-lab', 'answer', 1, None, []))
        assert info.value.code == '-20' and 'cannot add phones to an existing group' in info.value.message
        # -22: a parameter the platform refuses (a phone name over 32 characters)
        with pytest.raises(ApiStatusError) as info:
            _phones.add_group(client, emu.app_id, _phones.GroupPlan('floor-9', 'x' * 33, 1, None, []))
        assert info.value.code == '-22' and 'parameter was refused' in info.value.message
        # -23: over 50 in one request
        with pytest.raises(ApiStatusError) as info:
            _phones.add_group(client, emu.app_id, _phones.GroupPlan('floor-9', 'floor9-desk', 51, None, []))
        assert info.value.code == '-23' and 'at most 50 phones per request' in info.value.message
        # -24: no such account
        with pytest.raises(ApiStatusError) as info:
            _phones.reset_password(client, emu.app_id, 'nobody_001')
        assert info.value.code == '-24' and 'knows no such SIP account' in info.value.message
    finally:
        client.close()
    # -23 through the module: the application's phone cap (the scenario has 12 phones)
    emu.config(max_phones=14)
    try:
        run = run_playbook(tmp_path, [task('laaffic_phone_group', 'capped', **dict(auth, **FLOOR))])
        assert run.rc != 0 and run.results['capped']['error']['code'] == '-23' and 'phone quota' in run.output
        assert run.results['capped']['changed'] is False
    finally:
        emu.config(max_phones=2000)
    # -24 through the module: refused before any reset, naming the account; the known account keeps its password
    before = listed(emu)
    run = run_playbook(tmp_path, [task('laaffic_phone_password', 'unknown', **dict(auth, accounts=['desk-answer-01', 'nobody_001']))])
    assert run.rc != 0 and run.results['unknown']['unknown'] == ['nobody_001'] and '-24' in run.output
    assert listed(emu) == before


def test_info_filters_and_a_reset_changes_what_it_lists(tmp_path, emu, auth):
    old = dict((p['account'], p['password']) for p in listed(emu))
    tasks = [task('laaffic_phone_info', 'lab', **dict(auth, group='desk-lab')),
             task('laaffic_phone_info', 'one', no_log=True, **dict(auth, accounts=['desk-answer-02'], return_passwords=True)),
             task('laaffic_phone_password', 'reset', no_log=True, **dict(auth, accounts=['desk-answer-02'])),
             task('laaffic_phone_info', 'after', no_log=True, **dict(auth, accounts=['desk-answer-02'], return_passwords=True))]
    run = run_playbook(tmp_path, tasks, verbosity=4)
    assert run.rc == 0, run.output
    lab = run.results['lab']
    assert lab['count'] == 7 and lab['groups'] == {'desk-lab': 7} and all('password' not in p for p in lab['phones'])
    assert run.results['one']['phones'][0]['password'] == old['desk-answer-02']
    new = run.results['reset']['accounts'][0]['password']
    assert run.results['reset']['changed'] is True and new != old['desk-answer-02']
    assert run.results['after']['phones'][0]['password'] == new == dict((p['account'], p['password']) for p in listed(emu))['desk-answer-02']
    assert old['desk-answer-02'] not in run.output and new not in run.output


def test_password_check_mode_resets_nothing(tmp_path, emu, auth):
    old = listed(emu)
    run = run_playbook(tmp_path, [task('laaffic_phone_password', 'would', **dict(auth, accounts=['desk-lab-x', 'desk-answer-01']))],
                       check=True)
    assert run.rc != 0 and "no SIP account desk-lab-x" in run.output
    run = run_playbook(tmp_path, [task('laaffic_phone_password', 'would', **dict(auth, accounts=['desk-answer-01']))], check=True)
    assert run.rc == 0 and run.results['would']['changed'] is True and run.results['would']['accounts'][0]['reset'] is False
    assert 'password' not in run.results['would']['accounts'][0] and listed(emu) == old


def test_inventory_groups_and_vars(tmp_path, emu, auth):
    run = run_playbook(tmp_path, [task('laaffic_phone_group', 'made', **dict(auth, **FLOOR))])
    assert run.rc == 0, run.output
    rc, output, parsed = inventory(tmp_path, emu.api_url)
    assert rc == 0, output
    hostvars = parsed['_meta']['hostvars']
    phones = listed(emu)
    assert sorted(hostvars) == sorted(p['account'] for p in phones)
    assert sorted(parsed['laaffic_phones']['hosts']) == sorted(hostvars)
    assert sorted(parsed['floor_7']['hosts']) == sorted(p['account'] for p in run.results['made']['phones'])
    assert sorted(parsed['desk_lab']['hosts']) == sorted(p['account'] for p in phones if p['groupName'] == 'desk-lab')
    first = run.results['made']['phones'][0]
    assert hostvars[first['account']] == {'laaffic_account': first['account'], 'laaffic_display_num': '8613800000077',
                                          'laaffic_phone_group': 'floor-7', 'laaffic_phone_name': 'floor7-desk-1'}
    assert not any(p['password'] in output for p in phones)
    rc, output, parsed = inventory(tmp_path, emu.api_url, include_passwords=True, phone_groups=['floor-7'], group_prefix='pg_',
                                   keyed_groups=[{'key': 'laaffic_phone_group', 'prefix': 'by'}])
    assert rc == 0, output
    hostvars = parsed['_meta']['hostvars']
    assert sorted(parsed['pg_floor_7']['hosts']) == sorted(hostvars) and sorted(parsed['by_floor_7']['hosts']) == sorted(hostvars)
    assert dict((k, v['laaffic_sip_password']) for k, v in hostvars.items()) == dict(
        (p['account'], p['password']) for p in phones if p['groupName'] == 'floor-7')


def test_inventory_credentials_from_extra_vars(tmp_path, emu, auth):
    env = {'LAAFFIC_API_URL': 'http://127.0.0.1:9/v3', 'LAAFFIC_API_SECRET': 'wrong-secret'}
    path = tmp_path / 'vars.laaffic_phones.yml'
    path.write_text('plugin: laaffic.voice.laaffic_phones\napi_secret: "{{ vault_secret }}"\n')
    run_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                   ANSIBLE_INVENTORY_UNPARSED_FAILED='true', LAAFFIC_API_KEY=emu.api_key, LAAFFIC_APP_ID=emu.app_id, **env)
    proc = subprocess.run([os.path.join(BIN, 'ansible-inventory'), '-i', str(path), '--list', '-e', 'laaffic_api_url=%s' % emu.api_url,
                           '-e', 'vault_secret=%s' % emu.api_secret], capture_output=True, text=True, env=run_env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'desk-answer-01' in json.loads(proc.stdout)['_meta']['hostvars']


def test_no_password_in_a_vvvv_run_of_the_whole_loop(tmp_path, emu, auth):
    """Create phones (passwords returned), read them as inventory with passwords, render their files, reset one
    password and render again, all with -vvvv and --diff: no password, old or new, in the output."""
    config = tmp_path / 'loop.laaffic_phones.yml'
    config.write_text(json.dumps({'plugin': 'laaffic.voice.laaffic_phones', 'include_passwords': True, 'phone_groups': ['floor-7'],
                                  'compose': {'laaffic_mac': "'02:00:' ~ ((laaffic_account | hash('sha1'))[:8] | regex_findall('..') | join(':'))"}}))
    out = tmp_path / 'provisioning'
    render = {'desk_phone_config_dir': str(out), 'desk_phone_config_sip_server': 'sip.example.net'}
    plays = [
        {'name': 'Create', 'hosts': 'localhost', 'gather_facts': False, 'vars': {'ansible_python_interpreter': sys.executable},
         'tasks': [task('laaffic_phone_group', 'made', no_log=True, **dict(auth, return_passwords=True, **FLOOR)),
                   {'name': 'Refresh', 'ansible.builtin.meta': 'refresh_inventory'}]},
        {'name': 'Render', 'hosts': 'floor_7', 'gather_facts': False,
         'roles': [{'role': 'laaffic.voice.desk_phone_config', 'vars': render}]},
        {'name': 'Rotate one', 'hosts': 'floor_7[0]', 'gather_facts': False,
         'tasks': [dict(task('laaffic_phone_password', 'reset', no_log=True, **dict(auth, account='{{ laaffic_account }}')),
                        delegate_to='localhost', vars={'ansible_python_interpreter': sys.executable}),
                   {'name': 'Render again', 'ansible.builtin.include_role': {'name': 'laaffic.voice.desk_phone_config'},
                    'vars': dict(render, laaffic_sip_password='{{ reset.accounts[0].password }}')}]},
    ]
    playbook = tmp_path / 'loop.yml'
    playbook.write_text(json.dumps(plays))
    old = dict((p['account'], p['password']) for p in listed(emu))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               LAAFFIC_API_URL=emu.api_url, LAAFFIC_API_KEY=emu.api_key, LAAFFIC_API_SECRET=emu.api_secret, LAAFFIC_APP_ID=emu.app_id)
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', str(config), str(playbook), '-vvvv', '--diff'],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    now = dict((p['account'], p['password']) for p in listed(emu))
    created = sorted(account for account in now if account not in old)
    assert len(created) == 3 and len(os.listdir(out)) == 3
    rotation = output[output.index('TASK [laaffic_phone_password]'):]
    assert rotation.split('TASK [', 2)[1].count('changed: [') == 1  # one phone got a new password
    files = ''.join((out / name).read_text() for name in os.listdir(out))
    assert all(now[account] in files for account in created)
    secrets = set(now.values()) | set(old.values()) | {emu.api_secret}
    assert not [value for value in secrets if value in output]


def test_smoke_test_over_every_phone_of_the_application(tmp_path, emu, auth):
    """ansible-playbook -i <laaffic_phones.yml> runs desk_phone_smoke_test over every phone, no hand-written inventory."""
    phones = listed(emu)
    for record in phones:
        emu.phone(record['account'], behaviour='answer', ring_after=0.2, answer_after=0.2, talk=0.5)
    config = tmp_path / 'all.laaffic_phones.yml'
    config.write_text('plugin: laaffic.voice.laaffic_phones\n')
    playbook = tmp_path / 'smoke.yml'
    playbook.write_text(json.dumps([{'name': 'Smoke-test every phone', 'hosts': 'laaffic_phones', 'gather_facts': False, 'roles': [
        {'role': 'laaffic.voice.desk_phone_smoke_test', 'vars': {
            'desk_phone_smoke_test_callee': '919876543210', 'desk_phone_smoke_test_expect': 'answered',
            'desk_phone_smoke_test_wait_timeout': 30, 'desk_phone_smoke_test_poll_interval': 0.5,
            'desk_phone_smoke_test_report_dir': str(tmp_path / 'reports')}}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               LAAFFIC_API_URL=emu.api_url, LAAFFIC_API_KEY=emu.api_key, LAAFFIC_API_SECRET=emu.api_secret, LAAFFIC_APP_ID=emu.app_id)
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', str(config), str(playbook)],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert '%d phone(s): %d ok, 0 short' % (len(phones), len(phones)) in output
    assert sorted(call['account'] for call in emu.calls()) == sorted(p['account'] for p in phones)


# issue 18: passwords, unsafe values and host names through ansible-playbook and ansible-inventory ----------------------
def test_password_endpoints_quote_no_server_text_at_vvvv(tmp_path, hostile):
    """sipQuery -22 whose reason quotes passwords, a 302 whose Location carries one, sipReset -24 quoting the current
    password, sipAdd -23 quoting them, and laaffic_call's check-mode preflight meeting a 500 that quotes them: every
    module at -vvvv (laaffic_sign too), then the inventory plugin: no password, secret or Sign in the output."""
    quoting = 'accounts f3_001/%s f3_002/%s lobby_001/%s' % tuple(PASSWORDS)
    hostile.attacks['voice/sipQuery'] = (
        always(answer({'status': '-22', 'reason': 'bad page size; ' + quoting}))
        + always(answer('internal error dumping ' + quoting, status=500, reason='Oops ' + PASSWORDS[0]), 4)
        + always(redirect(302, 'http://127.0.0.1:9/login?next=sipQuery&pw=%s' % PASSWORDS[1])))
    hostile.attacks['voice/sipReset'] = always(answer({'status': '-24', 'reason': 'no such account; current password %s' % PASSWORDS[0]}))
    hostile.attacks['voice/sipAdd'] = always(answer({'status': '-23', 'reason': 'caps reached: ' + quoting}))
    auth = auth_for(hostile)
    tasks = [
        task('laaffic_phone_info', 'minus22', **auth),
        dict(task('laaffic_call', 'preflight', **dict(auth, account='f3_001', callee='4930123456')), check_mode=True),
        task('laaffic_phone_info', 'moved', **auth),
        task('laaffic_phone_password', 'reset', **dict(auth, accounts=['f3_001'])),
        task('laaffic_phone_group', 'group', **dict(auth, name='floor-9', phone_name='floor9-desk', quantity=2)),
        # its Sign is its purpose (it returns it): signed for a fixed past time, so that it never equals the Sign of a
        # request the other tasks send in the same second, which the output must not show
        task('laaffic_sign', 'signed', **dict(auth, timestamp=1630468800)),
    ]
    for item in tasks:
        item['ignore_errors'] = True
    run = run_playbook(tmp_path, tasks, verbosity=4)
    assert run.rc == 0, run.output
    results = run.results
    assert 'status -22' in results['minus22']['msg'] and 'HTTP 500' in results['preflight']['msg']
    assert 'HTTP 302' in results['moved']['msg'] and '127.0.0.1:9' not in results['moved']['msg']
    assert 'status -24' in results['reset']['accounts'][0]['error'] and 'status -23' in results['group']['msg']
    assert len(hostile.sent('voice/sipReset')) == 1 and len(hostile.sent('voice/sipAdd')) == 1
    no_secret_in(run.output, hostile)
    for attack in (answer({'status': '-22', 'reason': quoting}), redirect(302, 'http://127.0.0.1:9/?pw=' + PASSWORDS[2])):
        hostile.attacks['voice/sipQuery'] = always(attack)
        rc, output, dummy = inventory(tmp_path, hostile.api_url, verbosity=4)
        assert rc != 0 and 'laaffic_phones' in output
        no_secret_in(output, hostile)


EVIL_NAME = "{{ lookup('pipe', 'touch templated-by-ansible') }}"


def test_plain_values_stay_plain_unsafe_ones_are_never_templated_and_host_names_are_sanitized(tmp_path, hostile):
    """ansible-inventory --list shows plain values as plain strings (what an AWX import stores); a phone named like a
    template is never templated in a play; ESC and BEL in an account never reach the terminal through the host name."""
    hostile.fake.phones.append(phone('evil', EVIL_NAME, 'evil_001'))
    hostile.fake.phones.append(phone('esc', 'esc-desk-1', 'esc\x1b]0;owned\x07\u202e_01'))
    rc, output, dummy = inventory(tmp_path, hostile.api_url)
    assert rc == 0, output
    listed = json.loads(output[output.index('{'):output.rindex('}') + 1])  # no object hook: what AWX reads
    hostvars = listed['_meta']['hostvars']
    assert hostvars['f3_001'] == {'laaffic_account': 'f3_001', 'laaffic_display_num': '49301234567', 'laaffic_phone_group': 'floor-3',
                                  'laaffic_phone_name': 'floor3-desk-1'}
    assert plain(hostvars['evil_001']['laaffic_phone_name']) == EVIL_NAME
    assert 'esc_]0;owned___01' in hostvars and '\x1b' not in output and '\x07' not in output
    config = tmp_path / 'play.laaffic_phones.yml'
    config.write_text('plugin: laaffic.voice.laaffic_phones\n')
    playbook = tmp_path / 'use.yml'
    playbook.write_text(json.dumps([{'name': 'Use', 'hosts': 'laaffic_phones', 'gather_facts': False, 'tasks': [
        {'name': 'Show', 'ansible.builtin.debug': {'msg': 'name={{ laaffic_phone_name }}'}, 'when': "laaffic_account == 'evil_001'"},
        {'name': 'Fail', 'ansible.builtin.fail': {'msg': 'short'}, 'when': "laaffic_phone_group == 'esc'"}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               LAAFFIC_API_URL=hostile.api_url, LAAFFIC_API_KEY=CREDENTIALS['api_key'], LAAFFIC_API_SECRET=CREDENTIALS['api_secret'],
               LAAFFIC_APP_ID=CREDENTIALS['app_id'], ANSIBLE_INVENTORY_UNPARSED_FAILED='true')
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', str(config), str(playbook)], capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2 and 'fatal: [esc_]0;owned___01]' in output, output
    assert 'name=' + EVIL_NAME in output and not (tmp_path / 'templated-by-ansible').exists()
    assert not any(char in output for char in '\x1b\x07\u202e')
