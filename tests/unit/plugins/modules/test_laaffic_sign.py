from __future__ import annotations

import pytest

from ansible_collections.laaffic.voice.plugins.modules import laaffic_sign
from devtools.module_runner import run_module

AUTH = {'api_key': 'bDqJFiq9', 'api_secret': '7bz1lzh9'}


def test_documented_vector(monkeypatch):
    result, failed = run_module(monkeypatch, laaffic_sign.main, dict(AUTH, timestamp=1630468800))
    assert not failed and result['changed'] is False
    assert result['headers'] == {'Content-Type': 'application/json;charset=UTF-8', 'Api-Key': 'bDqJFiq9',
                                 'Sign': '05d7a50893e22a5c4bb3216ae3396c7c', 'Timestamp': '1630468800'}
    assert result['signed_at'] == '2021-09-01T04:00:00Z' and result['api_url'] == 'https://api.laaffic.com/v3'
    assert '7bz1lzh9' not in repr(result)


def test_check_mode_same_result(monkeypatch):
    result, failed = run_module(monkeypatch, laaffic_sign.main, dict(AUTH, timestamp='1630468800', _ansible_check_mode=True))
    assert not failed and result['headers']['Sign'] == '05d7a50893e22a5c4bb3216ae3396c7c'


def test_environment_fallback(monkeypatch):
    monkeypatch.setenv('LAAFFIC_API_KEY', 'bDqJFiq9')
    monkeypatch.setenv('LAAFFIC_API_SECRET', '7bz1lzh9')
    monkeypatch.setenv('LAAFFIC_API_URL', 'http://127.0.0.1:8099/v3/')
    result, failed = run_module(monkeypatch, laaffic_sign.main, {'timestamp': 1630468800})
    assert not failed and result['headers']['Sign'] == '05d7a50893e22a5c4bb3216ae3396c7c'
    assert result['api_url'] == 'http://127.0.0.1:8099/v3'


@pytest.mark.parametrize('args, words', [
    ({'timestamp': 'soon'}, 'timestamp: must be a Unix time in whole seconds'),
    ({'timestamp': '-5'}, 'timestamp: must be a Unix time'),
    ({'timestamp': 1.5}, 'timestamp: must be a Unix time'),
    ({'api_key': ''}, 'api_key: must be a non-empty string'),
    ({'api_secret': ''}, 'api_secret: must be a non-empty string'),
    ({'api_url': 'mailto:x'}, 'api_url: must be an http:// or https:// URL'),
])
def test_bad_input(monkeypatch, args, words):
    for name in ('LAAFFIC_API_KEY', 'LAAFFIC_API_SECRET'):
        monkeypatch.delenv(name, raising=False)
    result, failed = run_module(monkeypatch, laaffic_sign.main, dict(AUTH, **args))
    assert failed and words in result['msg']
