from __future__ import annotations

import pytest

from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.laaffic.voice.plugins.inventory import laaffic_phones
from support.credentials import CREDENTIALS
from support.fake_http import FakeResponse, status
from support.fake_phones import API_URL, FakePhones, phone

DEFAULTS = dict(CREDENTIALS, api_url=API_URL, timeout=2, validate_certs=True, ca_path=None, plugin='laaffic.voice.laaffic_phones',
                phone_groups=[], include_passwords=False, hostname='laaffic_account', parent_group='laaffic_phones', group_prefix='',
                strict=False, compose={}, groups={}, keyed_groups=[], use_extra_vars=False, leading_separator=True,
                cache=False, cache_plugin='memory', cache_timeout=3600, cache_connection=None, cache_prefix='ansible_inventory_',
                max_phones=100000)


@pytest.fixture
def platform(monkeypatch):
    fake = FakePhones([phone('floor-3', 'floor3-desk-1', 'f3_001', 'S3cretA1', '49301234567'),
                       phone('floor-3', 'floor3-desk-2', 'f3_002', 'S3cretA2', '49301234568'),
                       phone('3rd floor', 'third-1', 'third_01', 'S3cretB1'),
                       phone('lobby', 'lobby-desk-1', 'lobby_001', 'S3cretC1')])
    fake.install(monkeypatch, laaffic_phones)
    return fake


def trusted(value):
    """Option values as read from the configuration file, which ansible trusts as templates (2.19 and later)."""
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core 2.18: every string is a template
        return value
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return dict((key, trusted(item)) for key, item in value.items())
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return value


def parse(tmp_path, use_cache=True, plugin=None, **options):
    """Run the plugin's parse() on a config file; options as _read_config_data would set them."""
    if plugin is None:
        plugin = laaffic_phones.InventoryModule()
        plugin._cache = {}  # a fresh cache per plugin (ansible-core 2.18 has a class-wide one)
    values = trusted(dict(DEFAULTS, **options))
    plugin.get_option = values.__getitem__
    plugin._read_config_data = lambda path: values
    plugin.ansible_name = 'laaffic.voice.laaffic_phones'
    path = tmp_path / 'office.laaffic_phones.yml'
    path.write_text('plugin: laaffic.voice.laaffic_phones\n')
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=use_cache)
    return inventory, plugin


def members(inventory, group):
    return sorted(host.name for host in inventory.groups[group].get_hosts())


@pytest.mark.parametrize('name, accepted', [('laaffic_phones.yml', True), ('prod.laaffic_phones.yaml', True),
                                            ('hosts.yml', False), ('laaffic_phones.yml.bak', False), ('laaffic.yml', False)])
def test_verify_file_only_claims_its_own_files(tmp_path, name, accepted):
    path = tmp_path / name
    path.write_text('plugin: laaffic.voice.laaffic_phones\n')
    assert laaffic_phones.InventoryModule().verify_file(str(path)) is accepted


def test_missing_file_is_not_claimed(tmp_path):
    assert laaffic_phones.InventoryModule().verify_file(str(tmp_path / 'laaffic_phones.yml')) is False


def test_hosts_groups_and_vars(tmp_path, platform):
    inventory, dummy = parse(tmp_path)
    assert members(inventory, 'laaffic_phones') == ['f3_001', 'f3_002', 'lobby_001', 'third_01']
    assert members(inventory, 'floor_3') == ['f3_001', 'f3_002']
    assert members(inventory, '_rd_floor') == ['third_01'] and members(inventory, 'lobby') == ['lobby_001']
    assert dict((k, v) for k, v in inventory.get_host('f3_002').vars.items() if k.startswith('laaffic_')) == dict(
        laaffic_account='f3_002', laaffic_display_num='49301234568', laaffic_phone_group='floor-3', laaffic_phone_name='floor3-desk-2')
    assert sorted(g.name for g in inventory.get_host('f3_002').get_groups()) == ['floor_3', 'laaffic_phones']


def test_passwords_only_when_asked(tmp_path, platform):
    inventory, dummy = parse(tmp_path)
    assert not any('laaffic_sip_password' in h.vars for h in inventory.hosts.values())
    assert 'S3cret' not in repr([h.vars for h in inventory.hosts.values()])
    inventory, dummy = parse(tmp_path, include_passwords=True)
    assert inventory.get_host('lobby_001').vars['laaffic_sip_password'] == 'S3cretC1'


def test_values_from_the_network_are_never_templated(tmp_path, platform):
    platform.phones.append(phone('evil', "{{ lookup('pipe', 'id') }}", 'evil_001'))
    inventory, dummy = parse(tmp_path)
    value = inventory.get_host('evil_001').vars['laaffic_phone_name']
    assert Templar(loader=DataLoader()).template(value) == "{{ lookup('pipe', 'id') }}"


def test_phone_groups_filter_prefix_and_no_parent(tmp_path, platform):
    inventory, dummy = parse(tmp_path, phone_groups=['floor-3', 'nowhere'], group_prefix='pg-', parent_group='')
    assert sorted(inventory.hosts) == ['f3_001', 'f3_002'] and members(inventory, 'pg_floor_3') == ['f3_001', 'f3_002']
    assert 'laaffic_phones' not in inventory.groups


def test_hostname_expression_and_constructed_features(tmp_path, platform):
    inventory, dummy = parse(tmp_path, hostname="laaffic_phone_group | replace(' ', '_') ~ '-' ~ laaffic_phone_name",
                             compose={'laaffic_mac': "'00:15:65:00:00:' ~ laaffic_account[-2:]"},
                             groups={'desks': "'desk' in laaffic_phone_name"},
                             keyed_groups=[{'key': 'laaffic_display_num', 'prefix': 'cid'}])
    assert sorted(inventory.hosts) == ['3rd_floor-third-1', 'floor-3-floor3-desk-1', 'floor-3-floor3-desk-2', 'lobby-lobby-desk-1']
    assert inventory.get_host('floor-3-floor3-desk-1').vars['laaffic_mac'] == '00:15:65:00:00:01'
    assert members(inventory, 'desks') == ['floor-3-floor3-desk-1', 'floor-3-floor3-desk-2', 'lobby-lobby-desk-1']
    assert members(inventory, 'cid_49301234567') == ['floor-3-floor3-desk-1']


def test_hostname_collisions_fail(tmp_path, platform):
    platform.phones.append(phone('lobby', 'floor3-desk-1', 'other_01'))
    with pytest.raises(AnsibleError, match="f3_001 and other_01 both get the host name 'floor3-desk-1'"):
        parse(tmp_path, hostname='laaffic_phone_name')


def test_empty_hostname_fails(tmp_path, platform):
    with pytest.raises(AnsibleError, match='gives an empty name for account'):
        parse(tmp_path, hostname="''")


def test_strict_compose_errors(tmp_path, platform):
    parse(tmp_path, compose={'x': 'undefined_thing.attr'})
    with pytest.raises(AnsibleError, match='Could not set x'):
        parse(tmp_path, compose={'x': 'undefined_thing.attr'}, strict=True)


def test_cache_holds_the_listing_without_passwords(tmp_path, platform):
    inventory, plugin = parse(tmp_path, use_cache=False, cache=True)
    assert len(platform.sent('voice/sipQuery')) == 1
    [(key, cached)] = plugin._cache.items()
    assert key.startswith('laaffic.voice.laaffic_phones_') and len(cached) == 4 and all(p['password'] is None for p in cached)
    again, dummy = parse(tmp_path, plugin=plugin, use_cache=True, cache=True)
    assert sorted(again.hosts) == sorted(inventory.hosts) and len(platform.sent('voice/sipQuery')) == 1


def test_cache_miss_fetches_and_fills(tmp_path, platform):
    inventory, plugin = parse(tmp_path, use_cache=True, cache=True)
    assert len(platform.sent('voice/sipQuery')) == 1 and len(plugin._cache) == 1


@pytest.mark.parametrize('option, value, words', [('app_id', None, 'laaffic_phones: app_id: must be a non-empty string'),
                                                  ('api_secret', '', 'api_secret: must be a non-empty string'),
                                                  ('api_url', 'ftp://x', 'api_url: must be an http')])
def test_bad_options_fail_clearly_before_any_request(tmp_path, platform, option, value, words):
    with pytest.raises(AnsibleError, match=words):
        parse(tmp_path, **{option: value})
    assert platform.sent() == []


def test_api_errors_become_one_clear_error(tmp_path, platform):
    platform.script['voice/sipQuery'] = [status(-1, 'Authentication error')]
    with pytest.raises(AnsibleError, match=r'laaffic_phones: LAAFFIC answered status -1 .*Check api_key'):
        parse(tmp_path)


def test_truncated_bodies_are_never_quoted(tmp_path, platform):
    platform.script['voice/sipQuery'] = [FakeResponse(200, b'{"status":"0","data":{"records":[{"password":"S3cretA1"')] * 4
    with pytest.raises(AnsibleError) as info:
        parse(tmp_path)
    assert 'S3cretA1' not in str(info.value) and 'response body not shown' in str(info.value)


def test_templated_secret_from_extra_vars(tmp_path, platform):
    plugin = laaffic_phones.InventoryModule()
    plugin.parse = lambda *args, **kwargs: None  # only _option is exercised here
    values = trusted(dict(DEFAULTS, api_secret='{{ vault_secret }}'))
    plugin.get_option = values.__getitem__
    plugin.loader = DataLoader()
    plugin.templar = Templar(loader=plugin.loader)  # as parse() sets it up
    plugin._vars = {'vault_secret': 'from-extra-vars'}
    assert plugin._option('api_secret') == 'from-extra-vars'
    assert plugin._option('api_key') == CREDENTIALS['api_key']


# issue 18 -----------------------------------------------------------------------------------------------------------
def test_passwords_are_never_cached_the_combination_is_refused(tmp_path, platform):
    for use_cache in (True, False):
        with pytest.raises(AnsibleError, match='include_passwords and cache cannot be used together') as info:
            parse(tmp_path, use_cache=use_cache, cache=True, include_passwords=True)
        assert 'S3cret' not in str(info.value)
    assert platform.sent() == []  # refused before anything is read, so nothing can be written


def test_only_values_with_template_characters_are_unsafe(tmp_path, platform):
    platform.phones.append(phone('evil', "{% raw %}x{# c #}", 'evil_002'))
    inventory, dummy = parse(tmp_path)
    plain = inventory.get_host('f3_001').vars
    assert Templar(loader=DataLoader()).template(plain['laaffic_phone_name']) == 'floor3-desk-1'
    assert Templar(loader=DataLoader()).template(inventory.get_host('evil_002').vars['laaffic_phone_name']) == "{% raw %}x{# c #}"


@pytest.mark.parametrize('char', ['\x1b', '\x07', '\u0085', '\u009b', '\u200b', '\u202e', '\u2028', '\u2029'])
def test_host_names_from_platform_data_are_sanitized(tmp_path, platform, char):
    platform.phones.append(phone('evil', 'evil%s[31m-1' % char, 'ev%sil_01' % char))
    inventory, dummy = parse(tmp_path)
    assert 'ev_il_01' in inventory.hosts and not any(char in name for name in inventory.hosts)
    assert inventory.get_host('ev_il_01').vars['laaffic_account'] == 'ev%sil_01' % char  # the variable keeps what the platform sent
    inventory, dummy = parse(tmp_path, hostname='laaffic_phone_name')
    assert 'evil_[31m-1' in inventory.hosts


def test_an_application_larger_than_100_pages_is_listed_whole(tmp_path, platform):
    platform.phones = [phone('g%02d' % (i // 1000), 'p-%d' % i, 'a%05d' % i) for i in range(10050)]
    inventory, dummy = parse(tmp_path)
    assert len(inventory.hosts) == 10050
    inventory, dummy = parse(tmp_path, max_phones=200)
    assert len(inventory.hosts) == 200
    with pytest.raises(AnsibleError, match='max_phones: must be a whole number of phones from 1 to'):
        parse(tmp_path, max_phones=0)


def test_sip_query_errors_quote_no_password(tmp_path, platform):
    platform.script['voice/sipQuery'] = [status(-22, 'size; S3cretA1 S3cretA2')]
    with pytest.raises(AnsibleError) as info:
        parse(tmp_path)
    assert 'S3cret' not in str(info.value) and 'status -22' in str(info.value)
    platform.script['voice/sipQuery'] = [FakeResponse(302, b'', headers={'Location': 'https://x.test/?S3cretA1'})]
    with pytest.raises(AnsibleError) as info:
        parse(tmp_path)
    assert 'S3cret' not in str(info.value) and 'HTTP 302' in str(info.value)
