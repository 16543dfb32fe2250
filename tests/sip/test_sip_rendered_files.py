# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A SIPp phone farm registers with what desk_phone_config rendered: account, password, server, port and
transport read back from the Yealink (UDP) and the Poly (TCP) files; then each phone is rung and answers."""

from __future__ import annotations

import os
import subprocess
import time

import yaml

from devtools.sip_phones import PhoneFarm, read_poly, read_yealink
from support.playbook import BIN, COLLECTIONS


def render(tmp_path, emu, accounts):
    """Render the files: the first half of the accounts as Yealink phones (UDP), the rest as Poly (TCP)."""
    half = len(accounts) // 2
    hosts = {}
    for number, (account, password) in enumerate(accounts):
        hosts['phone-%02d' % number] = {'laaffic_account': account, 'laaffic_sip_password': password,
                                        'laaffic_mac': '00:15:65:00:00:%02x' % number,
                                        'laaffic_phone_family': 'yealink' if number < half else 'polycom'}
    names = sorted(hosts)
    inventory = {'all': {'children': {'yealinks': {'hosts': {n: hosts[n] for n in names[:half]}},
                                      'polys': {'hosts': {n: hosts[n] for n in names[half:]}}}}}
    (tmp_path / 'inventory.yml').write_text(yaml.safe_dump(inventory))
    out = tmp_path / 'provisioning'
    common = {'desk_phone_config_dir': str(out), 'desk_phone_config_sip_server': '127.0.0.1',
              'desk_phone_config_sip_port': emu.sip_port}
    plays = [{'name': group, 'hosts': group, 'gather_facts': False,
              'roles': [{'role': 'laaffic.voice.desk_phone_config', 'vars': dict(common, desk_phone_config_sip_transport=transport)}]}
             for group, transport in (('yealinks', 'udp'), ('polys', 'tcp'))]
    (tmp_path / 'render.yml').write_text(yaml.safe_dump(plays))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false')
    proc = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '-i', str(tmp_path / 'inventory.yml'), str(tmp_path / 'render.yml')],
                          capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, half


def test_farm_registers_from_rendered_yealink_and_poly_files(sip_emu, add_group, tmp_path):
    accounts = add_group(sip_emu, 'sip-rendered', 6)
    out, half = render(tmp_path, sip_emu, accounts)
    files = sorted(os.listdir(out))
    # Yealink <mac>.cfg starts with #!version; Poly's phone<mac>.cfg holds the registration (its <mac>.cfg, the
    # master file, only lists it)
    yealink = [name for name in files if (out / name).read_text().startswith('#!version:')]
    settings = [read_yealink(out / name) for name in yealink]
    settings += [read_poly(out / name) for name in files if name.startswith('phone')]
    assert len(settings) == len(accounts)
    assert {s['account'] for s in settings} == {account for account, _pw in accounts}
    assert sorted(s['transport'] for s in settings) == ['tcp'] * (len(accounts) - half) + ['udp'] * half
    for transport in ('udp', 'tcp'):
        chosen = [s for s in settings if s['transport'] == transport]
        assert {(s['server'], s['port']) for s in chosen} == {('127.0.0.1', sip_emu.sip_port)}
        with PhoneFarm('answer', ring_ms=200, transport=transport) as farm:
            got = farm.register(chosen[0]['server'], chosen[0]['port'], [(s['account'], s['password']) for s in chosen])
            assert got == {s['account']: 'registered' for s in chosen}, transport
            for s in chosen:
                sip_emu.phone(s['account'], talk=0.3)
                status, body = sip_emu.api('POST', '/voice/sendSip', {'callee': '4930123456', 'account': s['account'],
                                                                      'appId': sip_emu.app_id})
                assert body['status'] == '0', body
                s['voice_id'] = body['data']
            for s in chosen:
                deadline = time.monotonic() + 10
                while not (sip_emu.record(s['voice_id']) or {}).get('hangupTime') and time.monotonic() < deadline:
                    time.sleep(0.2)
                record = sip_emu.record(s['voice_id'])
                assert (record['sipCode'], record['callStatus']) == ('200', 50), (transport, record)
