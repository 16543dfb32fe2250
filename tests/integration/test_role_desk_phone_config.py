"""The desk_phone_config role, run by ansible-playbook over an inventory of phones (no emulator needed)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys

import yaml

from support.playbook import BIN, COLLECTIONS

PHONES = {
    'front-desk': {'laaffic_account': 'acct_001', 'laaffic_mac': '00:15:65:AA:BB:01', 'laaffic_sip_password': 'S3cretA1',
                   'laaffic_phone_name': 'Front desk'},
    'lab': {'laaffic_account': 'acct_002', 'laaffic_mac': '0004F2-00106C', 'laaffic_phone_family': 'polycom',
            'laaffic_phone_name': 'Lab "A" & <B>'},
}
PASSWORDS = {'acct_002': 'S3cretB2'}


def play(tmp_path, phones=None, extra=None, args=(), name='site'):
    """Run the role over ``phones``; returns (rc, output, the provisioning directory)."""
    out = tmp_path / 'provisioning'
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': phones if phones is not None else PHONES}}))
    role_vars = {'desk_phone_config_dir': str(out), 'desk_phone_config_sip_server': 'sip.example.net',
                 'desk_phone_config_passwords': PASSWORDS}
    role_vars.update(extra or {})
    playbook = tmp_path / ('%s.yml' % name)
    playbook.write_text(yaml.safe_dump([{'name': 'Provisioning files', 'hosts': 'all', 'gather_facts': False,
                                         'roles': [{'role': 'laaffic.voice.desk_phone_config', 'vars': role_vars}]}]))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false')
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', str(inventory), str(playbook)] + list(args),
                          capture_output=True, text=True, env=env, check=False)
    return proc.returncode, proc.stdout + proc.stderr, out


def changed(output):
    return sum(int(n) for n in re.findall(r'changed=(\d+)', output))


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_renders_both_families_with_their_keys_and_modes(tmp_path):
    rc, output, out = play(tmp_path)
    assert rc == 0, output
    assert sorted(os.listdir(out)) == ['0004f200106c.cfg', '001565aabb01.cfg', 'phone0004f200106c.cfg']
    assert mode(out) == 0o750 and all(mode(out / f) == 0o640 for f in os.listdir(out))
    yealink = (out / '001565aabb01.cfg').read_text()
    assert yealink.startswith('#!version:1.0.0.1\n')
    keys = dict(line.split(' = ', 1) for line in yealink.splitlines() if line and not line.startswith('#'))
    assert keys == {'account.1.enable': '1', 'account.1.label': 'Front desk', 'account.1.display_name': 'Front desk',
                    'account.1.auth_name': 'acct_001', 'account.1.user_name': 'acct_001', 'account.1.password': 'S3cretA1',
                    'account.1.sip_server.1.address': 'sip.example.net', 'account.1.sip_server.1.port': '5060',
                    'account.1.sip_server.1.transport_type': '0'}
    master = (out / '0004f200106c.cfg').read_text()
    assert 'CONFIG_FILES="phone0004f200106c.cfg"' in master and 'APP_FILE_PATH="sip.ld"' in master and 'S3cret' not in master
    import xml.etree.ElementTree as ET
    ET.fromstring(master.encode())
    registration = ET.fromstring((out / 'phone0004f200106c.cfg').read_text().encode()).find('ALL').attrib
    assert registration == {'reg.1.displayName': 'Lab "A" & <B>', 'reg.1.label': 'Lab "A" & <B>', 'reg.1.address': 'acct_002',
                            'reg.1.auth.userId': 'acct_002', 'reg.1.auth.password': 'S3cretB2',
                            'reg.1.server.1.address': 'sip.example.net', 'reg.1.server.1.port': '5060',
                            'reg.1.server.1.transport': 'UDPOnly'}


def test_second_run_changes_nothing_and_a_new_password_rewrites_one_file(tmp_path):
    rc, output, out = play(tmp_path)
    assert rc == 0 and changed(output) == 2, output  # the directory, then the one task that writes every phone's files
    before = dict((name, (out / name).read_bytes()) for name in os.listdir(out))
    inodes = dict((name, os.stat(out / name).st_ino) for name in os.listdir(out))
    rc, output, out = play(tmp_path)
    assert rc == 0 and changed(output) == 0, output
    assert dict((name, (out / name).read_bytes()) for name in os.listdir(out)) == before
    phones = dict(PHONES, **{'front-desk': dict(PHONES['front-desk'], laaffic_sip_password='N3wPassw')})
    rc, output, out = play(tmp_path, phones)
    assert rc == 0 and changed(output) == 1, output
    assert 'account.1.password = N3wPassw' in (out / '001565aabb01.cfg').read_text()
    assert (out / 'phone0004f200106c.cfg').read_bytes() == before['phone0004f200106c.cfg']
    # the other files were not rewritten (same inode: no atomic replace happened)
    assert os.stat(out / 'phone0004f200106c.cfg').st_ino == inodes['phone0004f200106c.cfg']
    assert os.stat(out / '001565aabb01.cfg').st_ino != inodes['001565aabb01.cfg']


def test_modes_transport_and_port(tmp_path):
    rc, output, out = play(tmp_path, extra={'desk_phone_config_mode': '0600', 'desk_phone_config_dir_mode': '0700',
                                            'desk_phone_config_sip_transport': 'tls', 'desk_phone_config_sip_port': 5061})
    assert rc == 0, output
    assert mode(out) == 0o700 and all(mode(out / f) == 0o600 for f in os.listdir(out))
    assert 'account.1.sip_server.1.transport_type = 2' in (out / '001565aabb01.cfg').read_text()
    text = (out / 'phone0004f200106c.cfg').read_text()
    assert 'reg.1.server.1.transport="TLS"' in text and 'reg.1.server.1.port="5061"' in text


def test_mode_outside_the_choices_is_refused(tmp_path):
    rc, output, out = play(tmp_path, extra={'desk_phone_config_mode': '0644'})
    assert rc != 0 and 'desk_phone_config_mode' in output and not out.exists()


def test_check_mode_writes_nothing(tmp_path):
    rc, output, out = play(tmp_path, args=['--check'])
    assert rc == 0 and changed(output) >= 2, output
    assert not out.exists()


def test_bad_mac_stops_every_phone_naming_the_host(tmp_path):
    phones = dict(PHONES, lab=dict(PHONES['lab'], laaffic_mac='00:04:f2:zz:10:6c'))
    rc, output, out = play(tmp_path, phones)
    assert rc != 0 and 'lab: laaffic_mac "00:04:f2:zz:10:6c" is not a MAC address' in output
    assert not out.exists()


def test_missing_and_shared_macs_missing_passwords(tmp_path):
    phones = {'a': dict(PHONES['front-desk'], laaffic_mac=''), 'b': dict(PHONES['lab'], laaffic_mac='000000000000')}
    rc, output, out = play(tmp_path, phones, extra={'desk_phone_config_passwords': {}})
    assert rc != 0 and 'a: no MAC address: set the host variable laaffic_mac' in output
    assert 'b: laaffic_mac 000000000000 is not a phone' in output and 'b: ' in output and 'no SIP password' in output
    phones = {'a': PHONES['front-desk'], 'b': dict(PHONES['lab'], laaffic_mac='00-15-65-aa-bb-01')}
    rc, output, out = play(tmp_path, phones)
    assert rc != 0 and 'phones share a MAC address' in output and '001565aabb01: a, b' in output and not out.exists()


def test_control_characters_are_refused(tmp_path):
    phones = {'a': dict(PHONES['front-desk'], laaffic_phone_name='Front\naccount.2.enable = 1')}
    rc, output, out = play(tmp_path, phones)
    assert rc != 0 and 'laaffic_phone_name must not contain control characters' in output and not out.exists()


def test_passwords_never_in_the_output_even_with_diff_and_vvvv(tmp_path):
    rc, output, out = play(tmp_path, args=['-vvvv', '--diff'])
    assert rc == 0, output
    assert 'S3cretA1' not in output and 'S3cretB2' not in output
    assert 'S3cretA1' in (out / '001565aabb01.cfg').read_text()
    rc, output, out = play(tmp_path, args=['-vvvv', '--diff', '--check'],
                           phones=dict(PHONES, **{'front-desk': dict(PHONES['front-desk'], laaffic_sip_password='Chang3dPw')}))
    assert rc == 0 and 'Chang3dPw' not in output and 'S3cretA1' not in output and 'S3cretB2' not in output


def test_check_diff_of_a_new_sip_server_masks_passwords_writes_nothing_on_the_delegate(tmp_path):
    """--check --diff after a change of SIP server (and of one password): a diff per file to review, every password,
    old and new, masked; nothing written; the files are written by desk_phone_config_delegate_to (its own Python runs
    the module); a rerun without a change reports changed=0."""
    marker = tmp_path / 'delegate-ran'
    wrapper = tmp_path / 'delegate-python'
    wrapper.write_text('#!/bin/sh\necho ran >> %s\nexec %s "$@"\n' % (marker, sys.executable))
    wrapper.chmod(0o755)
    inventory = tmp_path / 'inventory.yml'
    out = tmp_path / 'provisioning'

    def run(server, *args, password='S3cretA1'):
        phones = dict(PHONES, **{'front-desk': dict(PHONES['front-desk'], laaffic_sip_password=password)})
        inventory.write_text(yaml.safe_dump({'all': {'children': {
            'phones': {'hosts': phones},
            'servers': {'hosts': {'prov': {'ansible_connection': 'local', 'ansible_python_interpreter': str(wrapper)}}}}}}))
        role_vars = {'desk_phone_config_dir': str(out), 'desk_phone_config_sip_server': server, 'desk_phone_config_passwords': PASSWORDS,
                     'desk_phone_config_delegate_to': 'prov'}
        playbook = tmp_path / 'site.yml'
        playbook.write_text(yaml.safe_dump([{'name': 'Provisioning files', 'hosts': 'phones', 'gather_facts': False,
                                             'roles': [{'role': 'laaffic.voice.desk_phone_config', 'vars': role_vars}],
                                             'post_tasks': [{'name': 'Files of lab', 'ansible.builtin.debug': {'var': 'desk_phone_config_files'},
                                                             'when': "inventory_hostname == 'lab'"}]}]))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false')
        proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', str(inventory), str(playbook)] + list(args),
                              capture_output=True, text=True, env=env, check=False)
        return proc.returncode, proc.stdout + proc.stderr

    rc, output = run('sip.example.net')
    assert rc == 0, output
    assert marker.exists()  # the module ran with the delegate's interpreter
    assert '%s/0004f200106c.cfg' % out in output and '%s/phone0004f200106c.cfg' % out in output  # desk_phone_config_files of lab
    before = dict((name, (out / name).read_bytes()) for name in os.listdir(out))
    rc, output = run('sip2.example.net', '--check', '--diff', password='Chang3dPw')
    assert rc == 0, output
    assert '-account.1.sip_server.1.address = sip.example.net' in output and '+account.1.sip_server.1.address = sip2.example.net' in output
    assert '-    reg.1.server.1.address="sip.example.net"' in output and '+    reg.1.server.1.address="sip2.example.net"' in output
    assert '-account.1.password = ********\n' in output and '+account.1.password = ******** (new)\n' in output  # new, masked
    assert '     reg.1.auth.password="********"' in output
    assert 'censored' not in output
    for secret in ('S3cretA1', 'S3cretB2', 'Chang3dPw'):
        assert secret not in output
    assert dict((name, (out / name).read_bytes()) for name in os.listdir(out)) == before
    rc, output = run('sip.example.net')
    assert rc == 0 and changed(output) == 0, output


def test_unicode_control_format_and_separator_characters_are_refused(tmp_path):
    """Issue 18: Cc (U+0085, U+009B), Cf (U+200B, U+202E) and Zl (U+2028) in an account, a phone name or a password stop
    the play before anything is written, naming the host and the field."""
    base = PHONES['front-desk']
    phones = {
        'nel': dict(base, laaffic_phone_name='Desk\u0085one', laaffic_mac='02:00:00:00:00:01'),
        'csi': dict(base, laaffic_phone_name='Desk\u009b2J', laaffic_mac='02:00:00:00:00:02', laaffic_account='acct_102'),
        'zwsp': dict(base, laaffic_account='acct\u200b103', laaffic_mac='02:00:00:00:00:03'),
        'rlo': dict(base, laaffic_sip_password='pw\u202eRLO', laaffic_mac='02:00:00:00:00:04', laaffic_account='acct_104'),
        'lsep': dict(base, laaffic_phone_name='Desk\u2028five', laaffic_mac='02:00:00:00:00:05', laaffic_account='acct_105'),
        'fine': dict(base, laaffic_mac='02:00:00:00:00:06', laaffic_account='acct_106'),
    }
    rc, output, out = play(tmp_path, phones)
    assert rc != 0 and not out.exists(), output
    assert 'nel: laaffic_phone_name must not contain control characters' in output and 'U+0085' in output
    assert 'csi: laaffic_phone_name must not contain control characters' in output and 'U+009B' in output
    assert 'zwsp: laaffic_account must not contain control, format or line/paragraph separator characters' in output and 'U+200B' in output
    assert 'rlo: laaffic_sip_password: the SIP password contains control characters' in output and 'U+202E' not in output
    assert 'lsep: laaffic_phone_name must not contain control characters' in output and 'U+2028' in output
    assert 'fine:' not in output
