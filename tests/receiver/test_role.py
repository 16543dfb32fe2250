# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Integration test of the laaffic.voice.report_receiver role: service manager "none" on localhost, into tmp paths.

Runs ansible-playbook from the virtual environment (``make venv collection`` first), checks the files and
their modes, the rendered systemd unit, idempotence, no_log of the secrets, the background process (a push
stored and read back) and a restart after a configuration change.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import re
import secrets
import shutil
import stat
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, '.venv', 'bin')
COLLECTIONS = os.environ.get('ANSIBLE_COLLECTIONS_PATH') or os.path.join(ROOT, '.build', 'collections')
with open(os.path.join(ROOT, 'roles', 'report_receiver', 'defaults', 'main.yml'), encoding='utf-8') as _defaults:
    AIOHTTP_PIN = yaml.safe_load(_defaults)['report_receiver_aiohttp_version']

HARDENING = [
    'NoNewPrivileges=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'PrivateDevices=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX', 'CapabilityBoundingSet=', 'SystemCallFilter=@system-service',
    'MemoryDenyWriteExecute=yes', 'RestrictSUIDSGID=yes', 'LockPersonality=yes', 'ProtectKernelTunables=yes',
]

PLAYBOOK = """---
- name: Install the report receiver without systemd
  hosts: localhost
  gather_facts: false
  connection: local
  vars_files:
    - {vars_file}
  roles:
    - role: laaffic.voice.report_receiver
"""


def playbook_env():
    env = dict(os.environ)
    env.update({'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS, 'ANSIBLE_COLLECTIONS_SCAN_SYS_PATH': 'false', 'ANSIBLE_NOCOLOR': '1',
                'ANSIBLE_PYTHON_INTERPRETER': sys.executable, 'ANSIBLE_LOCALHOST_WARNING': 'false',
                'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false', 'ANSIBLE_RETRY_FILES_ENABLED': 'false'})
    return {k: v for k, v in env.items() if not k.startswith('RECEIVER_')}


def run_playbook(tmp_path, variables, env=None):
    vars_file = tmp_path / 'vars.yml'
    vars_file.write_text(json.dumps(variables))  # JSON is YAML
    vars_file.chmod(0o600)
    playbook = tmp_path / 'play.yml'
    playbook.write_text(PLAYBOOK.format(vars_file=vars_file))
    result = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', str(playbook)], cwd=str(tmp_path),
                            env=dict(playbook_env(), **(env or {})), capture_output=True, text=True, timeout=600,
                            check=False)
    recap = re.search(r'localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', result.stdout)
    return result, (None if recap is None else {'ok': int(recap.group(1)), 'changed': int(recap.group(2)),
                                                'failed': int(recap.group(4))})


def venv_aiohttp(install):
    """The aiohttp version installed in the role's virtual environment."""
    python = os.path.join(install, 'venv', 'bin', 'python')
    result = subprocess.run([python, '-c', 'import aiohttp; print(aiohttp.__version__)'], capture_output=True, text=True,
                            timeout=60, check=True)
    return result.stdout.strip()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def http(url, token=None, body=None):
    headers = {'Content-Type': 'application/json'}
    if token:
        headers['Authorization'] = 'Bearer ' + token
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(), headers=headers,
                                 method='GET' if body is None else 'POST')
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.fixture(name='layout')
def layout_fixture(tmp_path):
    if not os.path.exists(os.path.join(BIN, 'ansible-playbook')):
        pytest.fail('ansible-playbook not found in .venv/bin: run `make venv collection`')
    if not os.path.isdir(os.path.join(COLLECTIONS, 'ansible_collections', 'laaffic', 'voice', 'roles', 'report_receiver')):
        pytest.fail('laaffic.voice is not reachable under %s: run `make collection`' % COLLECTIONS)
    base = tmp_path / 'host'
    variables = {
        'report_receiver_service_manager': 'none',
        'report_receiver_background_start': True,
        'report_receiver_render_unit': True,
        'report_receiver_create_user': False,
        'report_receiver_user': pwd.getpwuid(os.getuid()).pw_name,
        'report_receiver_group': grp.getgrgid(os.getgid()).gr_name,
        'report_receiver_config_owner': pwd.getpwuid(os.getuid()).pw_name,
        'report_receiver_python': sys.executable,
        'report_receiver_listen_address': '127.0.0.1',
        'report_receiver_port': 0,
        'report_receiver_allow': ['127.0.0.0/8'],
        'report_receiver_install_dir': str(base / 'opt' / 'laaffic-receiver'),
        'report_receiver_config_dir': str(base / 'etc' / 'laaffic-receiver'),
        'report_receiver_state_dir': str(base / 'var' / 'lib' / 'laaffic-receiver'),
        'report_receiver_systemd_unit_dir': str(base / 'etc' / 'systemd' / 'system'),
        'report_receiver_secret': secrets.token_urlsafe(24),
        'report_receiver_token': secrets.token_urlsafe(24),
    }
    os.makedirs(variables['report_receiver_systemd_unit_dir'])
    yield tmp_path, variables
    config = os.path.join(variables['report_receiver_config_dir'], 'receiver.json')
    install = variables['report_receiver_install_dir']
    if os.path.exists(config) and os.path.exists(os.path.join(install, 'laaffic_receiver', '__main__.py')):
        subprocess.run([sys.executable, '-m', 'laaffic_receiver', '--config', config, '--stop'], capture_output=True, timeout=60,
                       check=False, env=dict(os.environ, PYTHONPATH=install))


def test_role_none_mode_installs_starts_and_is_idempotent(layout):
    tmp_path, variables = layout
    first, recap = run_playbook(tmp_path, variables)
    assert first.returncode == 0, first.stdout + first.stderr
    assert recap['changed'] > 0 and recap['failed'] == 0
    assert variables['report_receiver_secret'] not in first.stdout + first.stderr
    assert variables['report_receiver_token'] not in first.stdout + first.stderr

    install = variables['report_receiver_install_dir']
    conf_dir = variables['report_receiver_config_dir']
    state = variables['report_receiver_state_dir']
    unit = os.path.join(variables['report_receiver_systemd_unit_dir'], 'laaffic-receiver.service')
    assert mode(install) == 0o755
    assert mode(conf_dir) == 0o750
    assert mode(state) == 0o750
    package = os.path.join(install, 'laaffic_receiver')
    assert mode(package) == 0o755
    sources = os.path.join(ROOT, 'roles', 'report_receiver', 'files', 'laaffic_receiver')
    modules = sorted(name for name in os.listdir(sources) if name.endswith('.py'))
    assert '__main__.py' in modules and sorted(os.listdir(package)) == modules  # the modules only, no compiled files
    assert all(mode(os.path.join(package, name)) == 0o644 for name in modules)
    config_file = os.path.join(conf_dir, 'receiver.json')
    assert mode(config_file) == 0o640
    for name in modules:
        with open(os.path.join(sources, name), 'rb') as src, open(os.path.join(package, name), 'rb') as dst:
            assert src.read() == dst.read(), name
    with open(config_file, encoding='utf-8') as handle:
        config = json.load(handle)
    assert config['secret'] == variables['report_receiver_secret']
    assert config['token'] == variables['report_receiver_token']
    assert config['db'] == os.path.join(state, 'reports.db')
    assert config['allow'] == ['127.0.0.0/8'] and config['port'] == 0

    with open(unit, encoding='utf-8') as handle:
        unit_text = handle.read()
    assert mode(unit) == 0o644
    lines = unit_text.splitlines()
    # the default install method: aiohttp pinned in a virtual environment under the install directory
    assert venv_aiohttp(install) == AIOHTTP_PIN
    assert config['max_connections'] == 512 and config['request_timeout'] == 20 and config['idle_timeout'] == 75
    assert config['max_body'] == 1048576 and config['trust_x_real_ip'] is False
    for line in HARDENING + ['ReadWritePaths=' + state, 'User=' + variables['report_receiver_user'], 'LimitNOFILE=65536',
                             'Environment=PYTHONPATH=' + install,
                             'ExecStart=%s/venv/bin/python -m laaffic_receiver --config %s' % (install, config_file)]:
        assert line in lines, line
    assert 'AmbientCapabilities=' in lines
    if shutil.which('systemd-analyze'):
        verified = subprocess.run(['systemd-analyze', 'verify', unit], capture_output=True, text=True, timeout=60, check=False)
        assert verified.returncode == 0, verified.stderr

    # the background process runs: push a report and read it back
    with open(os.path.join(state, 'receiver.port'), encoding='ascii') as handle:
        port = int(handle.read())
    base = 'http://127.0.0.1:%d' % port
    assert http(base + '/healthz') == (200, {'ok': True})
    report = {'voiceId': '23111714122312000001', 'type': 3, 'calledInfo': 'role-test', 'callDuration': 4}
    assert http(base + '/push/' + variables['report_receiver_secret'], body=report) == (200, {'status': '0'})
    status, call = http(base + '/reports/23111714122312000001', token=variables['report_receiver_token'])
    assert status == 200 and call['final'] and call['report'] == report
    assert http(base + '/reports', token='wrong-token-wrong-token')[0] == 401
    assert os.path.exists(os.path.join(state, 'reports.db'))

    second, recap2 = run_playbook(tmp_path, variables)
    assert second.returncode == 0, second.stdout + second.stderr
    assert recap2['changed'] == 0, second.stdout
    with open(os.path.join(state, 'receiver.port'), encoding='ascii') as handle:
        assert int(handle.read()) == port  # not restarted

    # a new token changes the config: the handler restarts the receiver, the stored report survives
    variables['report_receiver_token'] = secrets.token_urlsafe(24)
    third, recap3 = run_playbook(tmp_path, variables)
    assert third.returncode == 0, third.stdout + third.stderr
    assert recap3['changed'] > 0
    assert variables['report_receiver_token'] not in third.stdout + third.stderr
    with open(os.path.join(state, 'receiver.port'), encoding='ascii') as handle:
        base = 'http://127.0.0.1:%d' % int(handle.read())
    status, call = http(base + '/reports/23111714122312000001', token=variables['report_receiver_token'])
    assert status == 200 and call['report'] == report


def test_role_rejects_missing_or_weak_secret(layout):
    tmp_path, variables = layout
    weak = dict(variables, report_receiver_secret='short')
    result, recap = run_playbook(tmp_path, weak)
    assert result.returncode != 0 and recap['failed'] == 1
    assert not os.path.exists(variables['report_receiver_install_dir'])
    missing = {k: v for k, v in variables.items() if k != 'report_receiver_token'}
    result, recap = run_playbook(tmp_path, missing)
    assert result.returncode != 0 and recap['failed'] == 1
    assert 'report_receiver_token' in result.stdout
    assert not os.path.exists(variables['report_receiver_install_dir'])


def test_role_installs_aiohttp_from_a_wheelhouse_without_an_index(layout):
    tmp_path, variables = layout
    wheelhouse = tmp_path / 'wheelhouse'
    downloaded = subprocess.run([sys.executable, '-m', 'pip', 'download', '--disable-pip-version-check', '--quiet',
                                 '--dest', str(wheelhouse), 'aiohttp==' + AIOHTTP_PIN], capture_output=True, text=True,
                                timeout=600, check=False)
    assert downloaded.returncode == 0, downloaded.stderr
    variables.update({'report_receiver_wheelhouse': str(wheelhouse), 'report_receiver_background_start': False,
                      'report_receiver_render_unit': False, 'report_receiver_max_connections': 64,
                      'report_receiver_trust_x_real_ip': True})
    # an index the role must not ask: every package has to come from the wheelhouse
    no_index = {'PIP_INDEX_URL': 'http://127.0.0.1:9/simple', 'PIP_EXTRA_INDEX_URL': 'http://127.0.0.1:9/simple',
                'PIP_FIND_LINKS': str(wheelhouse)}
    first, recap = run_playbook(tmp_path, variables, env=no_index)
    assert first.returncode == 0, first.stdout + first.stderr
    install = variables['report_receiver_install_dir']
    assert venv_aiohttp(install) == AIOHTTP_PIN
    with open(os.path.join(variables['report_receiver_config_dir'], 'receiver.json'), encoding='utf-8') as handle:
        config = json.load(handle)
    assert config['max_connections'] == 64 and config['trust_x_real_ip'] is True
    second, recap = run_playbook(tmp_path, variables, env=no_index)
    assert second.returncode == 0 and recap['changed'] == 0, second.stdout


def test_role_package_method_uses_the_given_interpreter(layout):
    tmp_path, variables = layout
    variables.update({'report_receiver_install_method': 'package', 'report_receiver_manage_packages': False,
                      'report_receiver_background_start': False})
    result, recap = run_playbook(tmp_path, variables)
    assert result.returncode == 0, result.stdout + result.stderr
    install = variables['report_receiver_install_dir']
    assert not os.path.exists(os.path.join(install, 'venv'))
    unit = os.path.join(variables['report_receiver_systemd_unit_dir'], 'laaffic-receiver.service')
    with open(unit, encoding='utf-8') as handle:
        lines = handle.read().splitlines()
    config_file = os.path.join(variables['report_receiver_config_dir'], 'receiver.json')
    assert 'ExecStart=%s -m laaffic_receiver --config %s' % (sys.executable, config_file) in lines
    assert 'Environment=PYTHONPATH=' + install in lines
    again, recap = run_playbook(tmp_path, variables)
    assert again.returncode == 0 and recap['changed'] == 0, again.stdout


def test_role_package_method_fails_clearly_without_aiohttp(layout, tmp_path_factory):
    tmp_path, variables = layout
    bare = tmp_path_factory.mktemp('bare')
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(bare)], check=True, timeout=120)
    variables.update({'report_receiver_install_method': 'package', 'report_receiver_manage_packages': False,
                      'report_receiver_python': str(bare / 'bin' / 'python')})
    result, recap = run_playbook(tmp_path, variables)
    assert result.returncode != 0 and recap['failed'] == 1
    assert 'cannot import aiohttp' in result.stdout
