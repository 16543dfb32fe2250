"""laaffic_provision_files: atomic writes, changed only on a difference, check mode, masked diffs, clear errors."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.laaffic.voice.plugins.modules import laaffic_provision_files as mod
from devtools.module_runner import run_module

MASKS = [r'(?m)^account\.\d+\.password = (.*)$', r'reg\.\d+\.auth\.password="([^"]*)"']


def yealink(password, server='sip.example.net'):
    return '#!version:1.0.0.1\naccount.1.user_name = acct_001\naccount.1.password = %s\naccount.1.sip_server.1.address = %s\n' % (
        password, server)


def run(monkeypatch, path, files, **extra):
    args = dict({'path': str(path), 'files': files, 'mode': '0640', 'mask': MASKS}, **extra)
    return run_module(monkeypatch, mod.main, args)


def test_writes_then_changes_nothing_then_rewrites_only_what_differs(monkeypatch, tmp_path):
    files = [{'name': 'a.cfg', 'content': yealink('Pw0000001'), 'secrets': ['Pw0000001'], 'host': 'a'},
             {'name': 'b.cfg', 'content': yealink('Pw0000002'), 'secrets': ['Pw0000002'], 'host': 'b'}]
    result, failed = run(monkeypatch, tmp_path, files)
    assert not failed and result['changed'] and result['changed_count'] == 2
    assert [f['state'] for f in result['files']] == ['created', 'created'] and result['files'][0]['host'] == 'a'
    assert stat.S_IMODE(os.stat(tmp_path / 'a.cfg').st_mode) == 0o640 and (tmp_path / 'a.cfg').read_text() == yealink('Pw0000001')
    assert sorted(os.listdir(tmp_path)) == ['a.cfg', 'b.cfg']  # no temporary file left
    inode = os.stat(tmp_path / 'b.cfg').st_ino
    result, failed = run(monkeypatch, tmp_path, files)
    assert not failed and not result['changed'] and result['changed_count'] == 0 and 'diff' not in result
    files[0] = dict(files[0], content=yealink('Pw0000009'), secrets=['Pw0000009'])
    result, failed = run(monkeypatch, tmp_path, files)
    assert result['changed_count'] == 1 and [f['state'] for f in result['files']] == ['changed', 'unchanged']
    assert os.stat(tmp_path / 'b.cfg').st_ino == inode
    os.chmod(tmp_path / 'b.cfg', 0o644)
    result, failed = run(monkeypatch, tmp_path, files)
    assert [f['state'] for f in result['files']] == ['unchanged', 'attributes'] and os.stat(tmp_path / 'b.cfg').st_ino == inode
    assert stat.S_IMODE(os.stat(tmp_path / 'b.cfg').st_mode) == 0o640


def test_check_mode_and_diff_mask_old_and_new_passwords(monkeypatch, tmp_path):
    (tmp_path / 'a.cfg').write_text(yealink('OldPassw0rd'))
    (tmp_path / 'p.cfg').write_text('<ALL reg.1.auth.password="Po1ycomPw" reg.1.server.1.address="sip.example.net"/>\n')
    files = [{'name': 'a.cfg', 'content': yealink('NewPassw0rd', 'sip2.example.net'), 'secrets': ['NewPassw0rd']},
             {'name': 'p.cfg', 'content': '<ALL reg.1.auth.password="Po1ycomPw" reg.1.server.1.address="sip2.example.net"/>\n',
              'secrets': ['Po1ycomPw']},
             {'name': 'new.cfg', 'content': yealink('Fresh9Pw'), 'secrets': ['Fresh9Pw']}]
    before = dict((name, (tmp_path / name).read_bytes()) for name in os.listdir(tmp_path))
    result, failed = run(monkeypatch, tmp_path, files, _ansible_check_mode=True, _ansible_diff=True)
    assert not failed and result['changed_count'] == 3
    assert dict((name, (tmp_path / name).read_bytes()) for name in os.listdir(tmp_path)) == before
    diff = dict((entry['after_header'].rsplit('/', 1)[1], entry) for entry in result['diff'])
    assert 'account.1.password = ********\n' in diff['a.cfg']['before'] and 'sip.example.net' in diff['a.cfg']['before']
    assert 'account.1.password = ******** (new)\n' in diff['a.cfg']['after'] and 'sip2.example.net' in diff['a.cfg']['after']
    assert 'reg.1.auth.password="********"' in diff['p.cfg']['before'] and 'reg.1.auth.password="********"' in diff['p.cfg']['after']
    assert diff['new.cfg']['before'] == '' and 'account.1.password = ******** (new)' in diff['new.cfg']['after']
    for secret in ('OldPassw0rd', 'NewPassw0rd', 'Po1ycomPw', 'Fresh9Pw'):
        assert secret not in repr(result)


def test_check_mode_without_the_directory(monkeypatch, tmp_path):
    result, failed = run(monkeypatch, tmp_path / 'missing', [{'name': 'a.cfg', 'content': 'x'}], _ansible_check_mode=True)
    assert not failed and result['files'][0]['state'] == 'created' and not (tmp_path / 'missing').exists()
    result, failed = run(monkeypatch, tmp_path / 'missing', [{'name': 'a.cfg', 'content': 'x'}])
    assert failed and result['msg'].startswith('path: ')


@pytest.mark.parametrize('files, extra, words', [
    ([{'name': '../a.cfg', 'content': 'x'}], {}, 'files[0].name: a file name without "/"'),
    ([{'name': '..', 'content': 'x'}], {}, 'files[0].name'),
    ([{'name': 'a', 'content': 'x'}, {'name': 'a', 'content': 'y'}], {}, "files[1].name: 'a' is given twice"),
    ([{'name': 'a'}], {}, 'files[0].content: required'),
    ([{'name': 'a', 'content': 'x'}], {'mode': '0644x'}, 'mode: an octal mode'),
    ([{'name': 'a', 'content': 'x'}], {'mode': '4640'}, 'mode: setuid'),
    ([{'name': 'a', 'content': 'x'}], {'mask': ['(']}, 'mask[0]: not a regular expression'),
    ([{'name': 'a', 'content': 'x'}], {'owner': 'no-such-user-here'}, 'owner: no user'),
    ([{'name': 'a', 'content': 'x'}], {'group': 'no-such-group-here'}, 'group: no group'),
])
def test_bad_input_is_refused_before_anything_is_written(monkeypatch, tmp_path, files, extra, words):
    result, failed = run(monkeypatch, tmp_path, files, **extra)
    assert failed and words in result['msg'] and os.listdir(tmp_path) == []


def test_a_directory_in_the_way_is_an_error(monkeypatch, tmp_path):
    (tmp_path / 'a.cfg').mkdir()
    result, failed = run(monkeypatch, tmp_path, [{'name': 'a.cfg', 'content': 'x'}])
    assert failed and 'is not a regular file' in result['msg']


def test_files_from_the_action_plugins_src_file(monkeypatch, tmp_path):
    """What the action plugin hands over: the list in a JSON file, secrets masked by the module itself (not as no_log
    arguments), nothing of the contents in the result."""
    out = tmp_path / 'out'
    out.mkdir()
    src = tmp_path / 'files.json'
    src.write_text(json.dumps({'files': [{'name': 'a.cfg', 'content': yealink('Src5ecret'), 'secrets': ['Src5ecret'], 'host': 'a'}]}))
    result, failed = run_module(monkeypatch, mod.main, {'path': str(out), 'src': str(src), 'mode': '0600', '_ansible_diff': True})
    assert not failed and result['files'] == [{'name': 'a.cfg', 'path': str(out / 'a.cfg'), 'changed': True, 'state': 'created', 'host': 'a'}]
    assert '******** (new)' in result['diff'][0]['after'] and 'Src5ecret' not in repr(result)
    assert (out / 'a.cfg').read_text() == yealink('Src5ecret') and stat.S_IMODE(os.stat(out / 'a.cfg').st_mode) == 0o600
    for data, words in (({'files': [{'name': 'b', 'content': 'x', 'mode': '0777'}]}, 'files[0]: unknown keys mode'),
                        ({'files': [{'name': 'b', 'content': 'x', 'secrets': 'pw'}]}, 'files[0].secrets: a list of strings'),
                        ({'files': 'x'}, 'src: expected a JSON object')):
        src.write_text(json.dumps(data))
        result, failed = run_module(monkeypatch, mod.main, {'path': str(out), 'src': str(src)})
        assert failed and words in result['msg']
    result, failed = run_module(monkeypatch, mod.main, {'path': str(out), 'src': str(src), 'files': [{'name': 'c', 'content': 'x'}]})
    assert failed and 'mutually exclusive' in result['msg']
