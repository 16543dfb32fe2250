"""The connection options: one definition (module_utils/_options.CONNECTION_OPTIONS) that the module argument spec is
built from and the doc fragment documents, and the same environment variables for modules and plugins."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

from ansible_collections.laaffic.voice.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.laaffic.voice.plugins.module_utils import _options
from ansible_collections.laaffic.voice.plugins.modules import (
    laaffic_call, laaffic_phone_group, laaffic_phone_info, laaffic_phone_password, laaffic_sign, laaffic_smoke_test)
from devtools.module_runner import run_module
from support.playbook import BIN, COLLECTIONS, run_playbook

DOCUMENTED = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)['options']
PLUGINS = yaml.safe_load(ModuleDocFragment.PLUGINS)['options']
CREDENTIALS = dict(api_url='http://127.0.0.1:9/v3', api_key='key-of-test', api_secret='secret-of-test', app_id='4luaKsL2')
ENV = {'LAAFFIC_%s' % name.upper(): value for name, value in CREDENTIALS.items()}


def test_the_fragment_documents_every_option_of_the_argspec_and_no_other():
    assert list(DOCUMENTED) == list(_options.CONNECTION_ARGSPEC) == list(PLUGINS) == list(_options.CONNECTION_OPTIONS)


@pytest.mark.parametrize('name', list(_options.CONNECTION_OPTIONS))
def test_types_defaults_and_sources_agree(name):
    spec, doc, plugin = _options.CONNECTION_ARGSPEC[name], DOCUMENTED[name], PLUGINS[name]
    assert doc['type'] == spec['type']
    assert doc.get('default') == spec.get('default')
    assert spec['fallback'][1] == [_options.env_var(name)] == [item['name'] for item in plugin['env']]
    assert 'E(%s)' % _options.env_var(name) in ' '.join(doc['description'])  # modules read it: the module docs say so
    assert plugin['ini'] == [{'section': _options.INI_SECTION, 'key': name}]
    assert plugin['vars'] == [{'name': _options.variable(name)}]
    assert bool(spec.get('no_log')) == (name == 'api_secret')


MODULES = [
    (laaffic_call.main, dict(account='desk-001', callee='4930123456')),
    (laaffic_phone_group.main, dict(name='floor-3', phone_name='desk', quantity=1)),
    (laaffic_phone_info.main, {}),
    (laaffic_phone_password.main, dict(accounts=['desk_001'])),
    (laaffic_sign.main, {}),
    (laaffic_smoke_test.main, dict(phones=[dict(account='desk_001', callee='4930123456')], report_dir='/nonexistent')),
]


@pytest.mark.parametrize('main, args', MODULES, ids=[main.__module__.split('.')[-1] for main, args in MODULES])
def test_modules_read_the_environment_and_name_timeout(monkeypatch, main, args):
    for key, value in dict(ENV, LAAFFIC_TIMEOUT='abc').items():
        monkeypatch.setenv(key, value)
    result, failed = run_module(monkeypatch, main, args)
    assert failed and 'timeout' in result['msg'] and 'secret-of-test' not in repr(result), result


@pytest.mark.parametrize('variable, value', [('LAAFFIC_VALIDATE_CERTS', 'maybe'), ('LAAFFIC_TIMEOUT', '0')])
def test_modules_read_the_other_variables(monkeypatch, variable, value):
    for key, item in dict(ENV, **{variable: value}).items():
        monkeypatch.setenv(key, item)
    result, failed = run_module(monkeypatch, laaffic_sign.main, {})
    option = variable[len('LAAFFIC_'):].lower()
    assert failed and option in result['msg'], result


def test_the_inventory_plugin_names_timeout(tmp_path):
    path = tmp_path / 'office.laaffic_phones.yml'
    path.write_text('plugin: laaffic.voice.laaffic_phones\n')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_INVENTORY_UNPARSED_FAILED='true',
               ANSIBLE_INVENTORY_ENABLED='laaffic.voice.laaffic_phones', **ENV, LAAFFIC_TIMEOUT='abc')
    proc = subprocess.run([os.path.join(BIN, 'ansible-inventory'), '-i', str(path), '--list'], capture_output=True, text=True,
                          env=env, cwd=str(tmp_path), check=False)
    # ansible-core refuses the value itself when it reads the option (2.19: "Config 'timeout' ... from 'env: LAAFFIC_TIMEOUT' has an
    # invalid value"; 2.18: "setting: timeout (from env: LAAFFIC_TIMEOUT)"), before the plugin's own check (which names
    # timeout too); the terminal may wrap the warning
    flat = ' '.join(proc.stderr.split())
    assert proc.returncode != 0 and re.search(r"\btimeout\b", flat) and 'LAAFFIC_TIMEOUT' in flat, proc.stderr
    assert 'secret-of-test' not in proc.stdout + proc.stderr


def test_lookups_and_the_smoke_test_action_name_timeout(tmp_path):
    """Through ansible-playbook: the lookups and the action plugin resolve the variable as ansible does."""
    tasks = [
        {'name': 'record', 'ansible.builtin.set_fact': {'x': "{{ lookup('laaffic.voice.laaffic_record', '2203031113381000002') }}"},
         'register': 'record', 'ignore_errors': True},
        {'name': 'report', 'ansible.builtin.set_fact': {'x': "{{ lookup('laaffic.voice.laaffic_report', '2203031113381000002', "
                                                             "receiver_url='http://127.0.0.1:9', receiver_token='t0ken-of-test') }}"},
         'register': 'report', 'ignore_errors': True},
        {'name': 'smoke', 'laaffic.voice.laaffic_smoke_test': {'phones': [{'account': 'desk_001', 'callee': '4930123456'}],
                                                               'report_dir': str(tmp_path)},
         'register': 'smoke', 'ignore_errors': True},
    ]
    run = run_playbook(tmp_path, tasks, env=dict(ENV, LAAFFIC_TIMEOUT='abc'))
    assert run.rc == 0, run.output
    for name in ('record', 'report', 'smoke'):
        result = run.results[name]
        assert result['failed'] and 'timeout' in result['msg'], (name, result)
    assert 'secret-of-test' not in run.output
