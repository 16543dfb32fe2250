"""Filters of the desk_phone_config role: phones from hostvars, the validation messages, the files of each phone."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.laaffic.voice.plugins.filter import desk_phone_config as flt

GOOD = {'laaffic_account': 'acct_001', 'laaffic_mac': ' 00:15:65:AA:BB:01 ', 'laaffic_sip_password': 'S3cretA1'}


def phones(hostvars, **kwargs):
    return flt.desk_phone_config_phones(list(hostvars), hostvars, **kwargs)


def problems(hostvars, server='sip.example.net', port=5060, **kwargs):
    return flt.desk_phone_config_problems(phones(hostvars, **kwargs), server, port)


def test_phones_take_the_role_defaults_as_the_template_tasks_did():
    listed = phones({'front': GOOD, 'lab': {'laaffic_account': 'acct_002', 'laaffic_mac': '0004F2-00106C', 'laaffic_phone_name': '',
                                            'laaffic_phone_family': 'polycom'}},
                    family='yealink', passwords={'acct_002': 'S3cretB2'})
    assert listed[0] == {'host': 'front', 'raw_mac': '00:15:65:AA:BB:01', 'mac': '001565aabb01', 'account': 'acct_001', 'name': 'front',
                         'family': 'yealink', 'password': 'S3cretA1'}
    assert listed[1]['name'] == 'lab' and listed[1]['family'] == 'polycom' and listed[1]['password'] == 'S3cretB2'
    assert listed[1]['mac'] == '0004f200106c'


def test_the_running_hosts_own_view_wins_and_is_refused_with_more_phones():
    hostvars = {'front': GOOD, 'lab': dict(GOOD, laaffic_mac='00:15:65:AA:BB:02')}
    current = dict(GOOD, inventory_hostname='front', laaffic_sip_password='N3wPassw')
    one = flt.desk_phone_config_phones(['front'], hostvars, current=current)
    assert one[0]['password'] == 'N3wPassw' and flt.desk_phone_config_problems(one, 'sip.example.net') == []
    both = flt.desk_phone_config_phones(['front', 'lab'], hostvars, current=current)
    assert both[0]['task_override'] == ['password']
    out = flt.desk_phone_config_problems(both, 'sip.example.net')
    assert len(out) == 1 and out[0].startswith('front: laaffic_sip_password given to this task or include_role (vars:)')
    assert 'N3wPassw' not in out[0]


def test_every_phone_problem_named_with_its_host():
    out = problems({
        'a': dict(GOOD, laaffic_mac=''),
        'b': dict(GOOD, laaffic_mac='00:04:f2:zz:10:6c'),
        'c': dict(GOOD, laaffic_mac='00:00:00:00:00:00', laaffic_account='', laaffic_sip_password=''),
        'd': dict(GOOD, laaffic_mac='02:00:00:00:00:04', laaffic_account='x' * 65, laaffic_phone_family='cisco'),
    })
    assert out[0] == 'a: no MAC address: set the host variable laaffic_mac (for example 00:15:65:aa:bb:cc)'
    assert out[1].startswith('b: laaffic_mac "00:04:f2:zz:10:6c" is not a MAC address: 12 hexadecimal digits')
    assert out[2].startswith("c: laaffic_mac 00:00:00:00:00:00 is not a phone's address") and '; no SIP account' in out[2]
    assert 'no SIP password: set laaffic_sip_password' in out[2] and 'desk_phone_config_passwords[""]' in out[2]
    assert 'd: laaffic_account must be 4-32 printable ASCII characters without spaces' in out[3]
    assert 'laaffic_phone_family must be yealink or polycom, got "cisco"' in out[3]
    assert len(out) == 4


@pytest.mark.parametrize('char', ['\u0085', '\u009b', '\u200b', '\u202e', '\u2028', '\u2029', '\x1b', '\x7f', '\ufeff'])
@pytest.mark.parametrize('field', ['laaffic_account', 'laaffic_phone_name', 'laaffic_sip_password'])
def test_unicode_control_format_and_separators_refused_naming_the_field(char, field):
    out = problems({'desk': dict(GOOD, **{field: 'ab%scd' % char})})
    assert len(out) == 1 and out[0].startswith('desk: %s' % field), out
    point = 'U+%04X' % ord(char)
    if field == 'laaffic_sip_password':
        assert point not in out[0] and 'ab' not in out[0]  # nothing of the secret
    else:
        assert point in out[0]
    assert char not in out[0]


def test_printable_characters_pass():
    assert problems({'desk': dict(GOOD, laaffic_phone_name='Réception "A" & <B> 中文 \u00a0')}) == []


def test_host_names_and_macs_never_reach_the_terminal_raw():
    out = problems({'evil\x1b]0;x\x07': dict(GOOD, laaffic_mac='')})
    assert out[0].startswith('evil\\u001b]0;x\\u0007: no MAC address')


def test_server_port_and_shared_macs():
    hostvars = {'b': GOOD, 'a': dict(GOOD, laaffic_mac='00-15-65-aa-bb-01'), 'c': dict(GOOD, laaffic_mac='02:00:00:00:00:03')}
    out = problems(hostvars, server='sip example', port='70000')
    assert out == ['desk_phone_config_sip_server must be a host name or IP address without spaces, got "sip example"',
                   'desk_phone_config_sip_port must be 1-65535, got 70000',
                   'phones share a MAC address, so their configuration files would overwrite each other: 001565aabb01: a, b']
    assert problems({'a': GOOD}, server='sip\u2028.example.net')[0].startswith('desk_phone_config_sip_server must be')
    assert problems({'a': GOOD}, server='') and problems({'a': GOOD}, port='x')
    out = flt.desk_phone_config_problems(phones({'a': GOOD}), 'sip.example.net', 5060, 'sip\u2028.ld')
    assert out == ['desk_phone_config_polycom_app_file_path must not contain control characters or Unicode format or line/paragraph '
                   'separators (categories Cc, Cf, Zl, Zp): found U+2028']
    assert flt.desk_phone_config_problems(phones({'a': GOOD}), 'sip.example.net', 5060, 'sip.ld') == []


def test_files_of_each_family_with_secrets_unless_insecure():
    listed = phones({'y': GOOD, 'p': dict(GOOD, laaffic_mac='0004f200106c', laaffic_phone_family='polycom')})
    files = flt.desk_phone_config_files(listed)
    assert [(f['name'], f['template'], f['host']) for f in files] == [
        ('001565aabb01.cfg', 'yealink.cfg.j2', 'y'), ('0004f200106c.cfg', 'polycom-master.cfg.j2', 'p'),
        ('phone0004f200106c.cfg', 'polycom-phone.cfg.j2', 'p')]
    assert files[0]['vars'] == {'__desk_phone_config_mac': '001565aabb01', '__desk_phone_config_name': 'y',
                                '__desk_phone_config_account': 'acct_001', '__desk_phone_config_password': 'S3cretA1'}
    assert all(f['secrets'] == ['S3cretA1'] for f in files)
    assert all(f['secrets'] == [] for f in flt.desk_phone_config_files(listed, False))


@pytest.mark.parametrize('call, words', [
    (lambda: flt.desk_phone_config_phones('all', {}), 'expected a list of host names'),
    (lambda: flt.desk_phone_config_phones(['ghost'], {}), 'ghost is not a host of the inventory'),
    (lambda: flt.desk_phone_config_phones(['a'], {'a': GOOD}, passwords=['x']), 'desk_phone_config_passwords must be a dictionary'),
    (lambda: flt.desk_phone_config_problems('x', 'sip'), 'expected the list'),
    (lambda: flt.desk_phone_config_files([dict(host='a', family='cisco', mac='x')]), 'a: laaffic_phone_family must be'),
])
def test_bad_input(call, words):
    with pytest.raises(AnsibleFilterError, match=words.replace('[', r'\[')):
        call()


def test_filters_are_registered():
    assert sorted(flt.FilterModule().filters()) == ['desk_phone_config_files', 'desk_phone_config_phones', 'desk_phone_config_problems']


def test_strings_keep_their_type_so_unsafe_values_stay_unsafe():
    class Unsafe(str):
        pass
    listed = phones({'a': dict(GOOD, laaffic_phone_name=Unsafe('{{ 7 * 7 }}'), laaffic_sip_password=Unsafe('pw{{x}}'))})
    assert isinstance(listed[0]['name'], Unsafe) and isinstance(listed[0]['password'], Unsafe)
    assert listed[0]['name'] == '{{ 7 * 7 }}'
