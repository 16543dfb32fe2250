# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A second user agent nobody here wrote: baresip (Debian) registers with a sipAdd account and auto-answers the
platform's call; the call record, the push report and laaffic_call's verdict say answered.

baresip runs headless with its own config directory: SIP on 127.0.0.1 (a port free for UDP and TCP, both of
which it binds), media on 127.0.0.1, a 440 Hz sine as its microphone (ausine only runs at 48 kHz stereo,
resampled to PCMU) and no audio player; `;answermode=auto` on the account makes it answer.

Its sockets: SIP (UDP and TCP, TLS on the next TCP port) and RTP on 127.0.0.1. The one exception, which no
setting of baresip 1.0.0 changes: its DNS client (libre's dnsc) opens two unconnected UDP sockets on the
wildcard address (IPv4 and IPv6) with kernel-chosen ports, and sends nothing from them here (every address is
an IP literal). The test checks that nothing else leaves loopback."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

from devtools.sip_phones import die_with_us, free_sip_port
from support.credentials import CREDENTIALS
from support.playbook import run_playbook

CALLEE = '4930123456'
MODULES = '/usr/lib/baresip/modules'


def write_config(home, account, password, sip_port):
    """baresip's config and accounts files (the accounts file holds the password: mode 0600)."""
    port = free_sip_port(tcp_span=2)
    (home / 'config').write_text('\n'.join([
        'sip_listen 127.0.0.1:%d' % port,
        'net_interface 127.0.0.1',
        'module_path ' + MODULES,
        'module g711.so',
        'module ausine.so',
        'module_app account.so',
        'audio_source ausine,440',
        'ausrc_srate 48000',
        'ausrc_channels 2',
        'rtp_ports 20000-59999',
        '']))
    accounts = home / 'accounts'
    fd = os.open(accounts, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write('<sip:%s@127.0.0.1:%d;transport=udp>;auth_pass=%s;answermode=auto;regint=600\n'
                     % (account, sip_port, password))
    return port


def start_baresip(home):
    return subprocess.Popen(['baresip', '-f', str(home)], stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=die_with_us)  # pylint: disable=subprocess-popen-preexec-fn


def stop(proc):
    """SIGTERM by pid (then SIGKILL); baresip's whole output."""
    if proc.poll() is None:
        proc.terminate()
    try:
        out = proc.communicate(timeout=5)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        out = proc.communicate()[0]
    return out.decode('utf-8', 'replace')


def sockets_of(pid):
    """(protocol, local address, peer) of every TCP and UDP socket of process ``pid`` (ss from iproute2), or None
    without ss."""
    if not shutil.which('ss'):
        return None
    out = subprocess.run(['ss', '-Hantup'], capture_output=True, text=True, check=False).stdout
    return [tuple(line.split()[i] for i in (0, 4, 5)) for line in out.splitlines() if re.search(r'pid=%d,' % pid, line)]


def check_loopback(sockets, sip_port):
    """SIP and media on 127.0.0.1; off loopback only the DNS client's unconnected UDP sockets (see above)."""
    assert ('udp', '127.0.0.1:%d' % sip_port, '0.0.0.0:*') in sockets, sockets
    elsewhere = [sock for sock in sockets if not sock[1].startswith('127.0.0.1:')]
    assert len(elsewhere) <= 2, sockets
    for proto, local, peer in elsewhere:
        assert proto == 'udp' and local.rsplit(':', 1)[0] in ('0.0.0.0', '*', '[::]') and peer.endswith(':*'), sockets


def wait_ended(emu, voice_id, timeout=15):
    deadline = time.monotonic() + timeout
    record = emu.record(voice_id)
    while not (record or {}).get('hangupTime') and time.monotonic() < deadline:
        time.sleep(0.2)
        record = emu.record(voice_id)
    return record


def test_baresip_registers_and_answers(sip_emu, receiver, add_group, need_tools, tmp_path):
    need_tools({'baresip': 'baresip'})
    (account, password), = add_group(sip_emu, 'sip-baresip', 1)
    sip_emu.phone(account, talk=0.5)
    home = tmp_path / 'baresip'
    home.mkdir(mode=0o700)
    outputs = []
    proc = None
    try:
        live = False
        for _attempt in range(3):   # another process may take the free port before baresip binds it: retry
            sip_port = write_config(home, account, password, sip_emu.sip_port)
            proc = start_baresip(home)
            deadline = time.monotonic() + 10
            while proc.poll() is None and time.monotonic() < deadline:
                # sendSip is refused with -68 until baresip's REGISTER went through; ask the registrar directly
                status, body = sip_emu.api('POST', '/voice/sendSip', {'callee': CALLEE, 'account': account,
                                                                      'appId': sip_emu.app_id})
                assert status == 200 and body['status'] in ('0', '-68'), body
                if body['status'] == '0':
                    live = body['data']
                    break
                time.sleep(0.2)
            if live:
                break
            outputs.append(stop(proc))
        assert live, 'baresip did not register: %s' % outputs[-1][-1500:]
        voice_id = live
        sockets = sockets_of(proc.pid)
        if sockets is not None:
            check_loopback(sockets, sip_port)

        record = wait_ended(sip_emu, voice_id)
        assert (record['sipCode'], record['callStatus'], record['terminationCode']) == ('200', 50, '0'), record
        assert record['ringingTime'] and record['answerTime']

        deadline = time.monotonic() + 10
        while not receiver.reports(voice_id) and time.monotonic() < deadline:
            time.sleep(0.1)
        report = receiver.reports(voice_id)[0]
        assert (report['sipCode'], report['callStatus']) == ('200', 50) and report['answerTime']

        # laaffic_call places a second call to the same baresip and judges it answered
        task = {'name': 'Call', 'register': 'r', 'laaffic.voice.laaffic_call': dict(
            CREDENTIALS, api_url=sip_emu.api_url, callee=CALLEE, calls=[{'account': account, 'expect': 'answered'}],
            wait_timeout=12, poll_interval=0.3, fail_on='none')}
        run = run_playbook(tmp_path, [task])
        assert run.rc == 0, run.output
        call, = run.results['r']['calls']
        assert call['verdict'] == 'answered', call
        assert wait_ended(sip_emu, call['voice_id'])['sipCode'] == '200'
    finally:
        if proc is not None and proc.returncode is None:
            outputs.append(stop(proc))
    output = ''.join(outputs)
    assert 'Call established' in output          # baresip's own word that it answered
    assert password not in output
