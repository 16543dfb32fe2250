from __future__ import annotations

import pytest

from ansible.module_utils.basic import env_fallback

from ansible_collections.laaffic.voice.plugins.module_utils._errors import OptionError
from ansible_collections.laaffic.voice.plugins.module_utils._options import bounded, CONNECTION_ARGSPEC, DEFAULT_API_URL, ConnectionOptions

GOOD = dict(api_url='https://api.laaffic.com/v3', api_key='bDqJFiq9', api_secret='7bz1lzh9', app_id='4luaKsL2')


def test_defaults():
    options = ConnectionOptions(api_key='k', api_secret='s')
    assert options.api_url == DEFAULT_API_URL and options.timeout == 15 and options.validate_certs is True and options.app_id is None


def test_trailing_slash_and_base_without_v3():
    assert ConnectionOptions(api_url='http://127.0.0.1:8099/', api_key='k', api_secret='s').api_url == 'http://127.0.0.1:8099'


@pytest.mark.parametrize('field, value, words', [
    ('api_url', 'ftp://x', 'http:// or https://'),
    ('api_url', 'api.laaffic.com', 'http:// or https://'),
    ('api_url', 'https://', 'http:// or https://'),
    ('api_key', '', 'non-empty'),
    ('api_key', None, 'LAAFFIC_API_KEY'),
    ('api_secret', '  ', 'LAAFFIC_API_SECRET'),
    ('app_id', '', 'non-empty'),
    ('timeout', 0, 'from 0.1 to 600 seconds'),
    ('timeout', 'soon', 'from 0.1 to 600 seconds'),
    ('timeout', float('nan'), 'from 0.1 to 600 seconds'),
    ('timeout', 'inf', 'from 0.1 to 600 seconds'),
    ('timeout', 1e300, 'from 0.1 to 600 seconds'),
])
def test_bad_values_name_the_option(field, value, words):
    params = dict(GOOD, **{field: value})
    with pytest.raises(OptionError) as info:
        ConnectionOptions(**params)
    assert info.value.field == field and words in info.value.message


def test_app_id_required_when_asked():
    with pytest.raises(OptionError, match='app_id'):
        ConnectionOptions(api_key='k', api_secret='s', require_app_id=True)


def test_repr_never_shows_secret():
    assert '7bz1lzh9' not in repr(ConnectionOptions(**GOOD))


def test_from_getter():
    options = ConnectionOptions.from_getter(dict(GOOD, timeout=3, validate_certs=False, ca_path=None).get)
    assert options.timeout == 3.0 and options.validate_certs is False and options.app_id == '4luaKsL2'


def test_argspec_env_fallbacks_and_no_log(monkeypatch):
    for name, env in (('api_url', 'LAAFFIC_API_URL'), ('api_key', 'LAAFFIC_API_KEY'),
                      ('api_secret', 'LAAFFIC_API_SECRET'), ('app_id', 'LAAFFIC_APP_ID')):
        function, names = CONNECTION_ARGSPEC[name]['fallback']
        assert function is env_fallback and names == [env]
        monkeypatch.setenv(env, 'from-env-%s' % name)
        assert function(*names) == 'from-env-%s' % name
    assert CONNECTION_ARGSPEC['api_secret']['no_log'] is True


@pytest.mark.parametrize('field, value', [
    ('rate_limit', 1e-300), ('rate_limit', float('nan')), ('rate_limit', float('inf')), ('rate_limit', -1), ('rate_limit', 1e6),
    ('wait_timeout', float('nan')), ('wait_timeout', float('inf')), ('wait_timeout', -1), ('wait_timeout', 1e300),
    ('poll_interval', 0), ('poll_interval', float('nan')), ('poll_interval', float('-inf')), ('poll_interval', 1e-9), ('poll_interval', 1e9),
    ('timeout', float('-inf')), ('timeout', True),
])
def test_numeric_options_reject_nan_infinity_and_out_of_range(field, value):
    with pytest.raises(OptionError) as info:
        bounded(field, value)
    assert info.value.field == field and info.value.message.startswith(field + ': must be a number from ')


@pytest.mark.parametrize('field, value', [('rate_limit', 0), ('rate_limit', 0.01), ('rate_limit', 1000), ('wait_timeout', 0),
                                          ('wait_timeout', 86400), ('poll_interval', 0.05), ('timeout', '2.5')])
def test_numeric_options_in_range(field, value):
    assert bounded(field, value) == float(value)
