"""The action plugin of laaffic_provision_files: rendering on the controller, byte for byte what the role's template tasks wrote."""

from __future__ import annotations

import json
import os

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.laaffic.voice.plugins.action import laaffic_provision_files as action
from ansible_collections.laaffic.voice.plugins.filter import desk_phone_config as flt

HERE = os.path.dirname(os.path.abspath(__file__))
# Files written by the role's per-phone template tasks before 1.2.0, by name (<transport>-<file>). Kept as JSON: a Yealink
# file begins with '#!version', which sanity's shebang test would take for a script.
with open(os.path.join(HERE, 'fixtures', 'desk_phone_config.json'), encoding='utf-8') as _handle:
    FIXTURES = json.load(_handle)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(HERE))))
TEMPLATES = os.path.join(ROOT, 'roles', 'desk_phone_config', 'templates')

HOSTS = {
    'p1': {'laaffic_account': 'acct_002', 'laaffic_mac': '0004F2-00106C', 'laaffic_phone_family': 'polycom',
           'laaffic_phone_name': 'Lab "A" & <B> it\'s \u00e9', 'laaffic_sip_password': 'P\'w"<&>'},
    'y1': {'laaffic_account': 'acct_001', 'laaffic_mac': '00:15:65:AA:BB:01', 'laaffic_phone_name': 'Front "desk" & <B> \u00e9\u4e2d',
           'laaffic_sip_password': 'S3c\'r"e<t>&A1'},
    'y2': {'laaffic_account': 'acct_003', 'laaffic_mac': '001565aabb03', 'laaffic_sip_password': 'plain'},
}


def plugin(args):
    module = action.ActionModule.__new__(action.ActionModule)
    module._task = type('Task', (), {'args': args})()
    module._find_needle = lambda kind, name: os.path.join(TEMPLATES, name)
    return module


def common(transport):
    return {'desk_phone_config_sip_server': 'sip.example.net', 'desk_phone_config_sip_port': 5061,
            'desk_phone_config_sip_transport': transport, 'desk_phone_config_polycom_app_file_path': 'a&b".ld',
            '__desk_phone_config_yealink_transport': {'udp': 0, 'tcp': 1, 'tls': 2, 'dns_naptr': 3},
            '__desk_phone_config_polycom_transport': {'udp': 'UDPOnly', 'tcp': 'TCPOnly', 'tls': 'TLS', 'dns_naptr': 'DNSnaptr'}}


@pytest.mark.parametrize('transport', ['udp', 'tls'])
def test_renders_byte_for_byte_what_the_template_tasks_wrote(transport):
    phones = flt.desk_phone_config_phones(sorted(HOSTS), HOSTS)
    args = {'path': '/srv/tftp', 'files': flt.desk_phone_config_files(phones), 'vars': common(transport), 'mode': '0640'}
    rendered = plugin(args).render(args)
    assert 'vars' not in rendered and all('template' not in item and 'vars' not in item for item in rendered['files'])
    names = sorted(item['name'] for item in rendered['files'])
    assert names == sorted(name.split('-', 1)[1] for name in FIXTURES if name.startswith(transport + '-'))
    for item in rendered['files']:
        assert item['content'] == FIXTURES['%s-%s' % (transport, item['name'])], item['name']


def test_content_items_pass_through_and_errors_name_the_item():
    args = {'path': '/x', 'files': [{'name': 'a.cfg', 'content': 'x\n'}]}
    assert plugin(args).render(args)['files'] == [{'name': 'a.cfg', 'content': 'x\n'}]
    for files, words in (([{'name': 'a'}], 'files[0]: content or template is required'),
                         ([{'name': 'a', 'content': 'x', 'template': 'yealink.cfg.j2'}], 'files[0]: give content or template, not both'),
                         (['a'], 'files[0]: a dictionary'),
                         ('a', 'files: a list')):
        with pytest.raises(AnsibleActionFail, match=words.replace('[', r'\[').replace(']', r'\]')):
            plugin({'files': files}).render({'files': files})


def test_a_missing_variable_names_the_template_not_the_values():
    files = [{'name': 'a.cfg', 'template': 'yealink.cfg.j2', 'vars': {'__desk_phone_config_password': 'Secr3tPw'}}]
    with pytest.raises(AnsibleActionFail) as raised:
        plugin({'files': files}).render({'files': files})
    assert 'yealink.cfg.j2' in str(raised.value) and 'UndefinedError' in str(raised.value) and 'Secr3tPw' not in str(raised.value)


def test_templates_are_sandboxed():
    files = [{'name': 'a.cfg', 'template': 'evil.j2'}]
    module = plugin({'files': files})
    module._load = lambda env, cache, source: env.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(AnsibleActionFail, match='SecurityError'):
        module.render({'files': files})
