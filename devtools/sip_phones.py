# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SIP phones for tests, the demo and the benchmarks: a SIPp phone farm (one SIPp process answering for any
number of accounts, one behaviour per farm) and the desk-phone files' SIP settings read back.

    farm = PhoneFarm('answer', ring_ms=300)            # SIPp UAS on 127.0.0.1, ephemeral port
    result = farm.register('127.0.0.1', 5070, [(account, password), ...])   # {'account': 'registered' | 'refused 403'}
    farm.stop()

Every SIPp started here binds 127.0.0.1 only (signalling, media, control socket), is tied to this process
(SIGTERM when it ends, PR_SET_PDEATHSIG) and stopped by stop(), atexit or the context manager. The farm's
account file (account;password) lives in a private temporary directory and is deleted at once; SIPp writes
no message trace (only "registered <account>" / "refused <account> <code>" lines, never a password).
"""

from __future__ import annotations

import argparse
import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET  # nosec - our own rendered files
from typing import Any, Iterable, Optional, Sequence

HERE = os.path.dirname(os.path.abspath(__file__))
REGISTER_XML = os.path.join(HERE, 'sipp', 'register.xml')
LIVE: set[PhoneFarm] = set()

HEAD = '''<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="laaffic phone farm: %s">
  <recv request="INVITE" crlf="true"/>
'''
RESPONSE = '''  <send%s>
    <![CDATA[
      SIP/2.0 %s
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]P[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:phone@[local_ip]:[local_port];transport=[transport]>
      %s
    ]]>
  </send>
'''
SDP = '''Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=phone 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000'''
NO_BODY = 'Content-Length: 0'


def uas_scenario(behaviour: str, ring_ms: int) -> str:
    """The SIPp UAS scenario of one behaviour: answer (180, 200 after ring_ms, then the platform's BYE), ring
    (180 and never answers: the platform's CANCEL), busy (486), decline (603), or unavailable (480)."""
    out = HEAD % behaviour
    if behaviour == 'busy':
        return out + RESPONSE % ('', '486 Busy Here', NO_BODY) + '  <recv request="ACK"/>\n</scenario>\n'
    if behaviour == 'decline':
        return out + RESPONSE % ('', '603 Decline', NO_BODY) + '  <recv request="ACK"/>\n</scenario>\n'
    if behaviour == 'unavailable':
        return out + RESPONSE % ('', '480 Temporarily Unavailable', NO_BODY) + '  <recv request="ACK"/>\n</scenario>\n'
    out += RESPONSE % ('', '180 Ringing', NO_BODY)
    if behaviour == 'ring':
        out += '  <recv request="CANCEL"/>\n'
        out += RESPONSE.replace('[last_CSeq:]', '[last_CSeq:]') % ('', '200 OK', NO_BODY)
        out += RESPONSE.replace('[last_CSeq:]', 'CSeq: 1 INVITE') % ('', '487 Request Terminated', NO_BODY)
        return out + '  <recv request="ACK"/>\n</scenario>\n'
    if behaviour != 'answer':
        raise ValueError('unknown behaviour %r' % behaviour)
    out += '  <pause milliseconds="%d"/>\n' % ring_ms
    out += RESPONSE % (' retrans="500"', '200 OK', SDP)
    out += '  <recv request="ACK" crlf="true"/>\n  <recv request="BYE"/>\n'
    out += RESPONSE % ('', '200 OK', NO_BODY)
    return out + '</scenario>\n'


def die_with_us() -> None:
    """In the child before exec: SIGTERM when this process ends."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A free port on 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, kind)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def free_sip_port(host: str = '127.0.0.1', tcp_span: int = 1) -> int:
    """A port free for UDP and TCP on ``host``, and the ``tcp_span - 1`` ports after it for TCP (baresip binds
    SIP on UDP and TCP at its port and TLS on TCP at the next one)."""
    for _attempt in range(50):
        socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM)]
        try:
            socks[0].bind((host, 0))
            port = socks[0].getsockname()[1]
            socks.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            socks[-1].bind((host, port))
            for extra in range(1, tcp_span):
                socks.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                socks[-1].bind((host, port + extra))
            return port
        except OSError:
            continue
        finally:
            for sock in socks:
                sock.close()
    raise OSError('no port free for UDP and TCP on %s' % host)


def sipp_binary() -> Optional[str]:
    """SIPp's path, or None."""
    return shutil.which('sipp')


def register(server: str, port: int, accounts: Iterable[tuple[str, str]], contact_port: int, transport: str = 'udp',
             expires: int = 600, rate: int = 500, workdir: Optional[str] = None) -> dict[str, str]:
    """REGISTER every (account, password) with ``server:port`` from 127.0.0.1 (one SIPp UAC), with the contact
    127.0.0.1:``contact_port`` (a PhoneFarm's port: the farm answers the INVITEs). Returns
    {account: 'registered' | 'refused <code>' | 'no answer'}. The account file is mode 0600 and deleted at once."""
    transport = transport.lower()
    accounts = list(accounts)
    if not accounts:
        return {}
    own = workdir is None
    workdir = tempfile.mkdtemp(prefix='laaffic-register-') if workdir is None else workdir
    try:
        inf = os.path.join(workdir, 'accounts.csv')
        fd = os.open(inf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write('SEQUENTIAL\n')
            for account, password in accounts:
                # SIPp reads a password that starts with 0x as hex (for AKA keys), so one the platform made up such as
                # 0xyL6nrL never registered: every password goes as 0x and its UTF-8 bytes in hex, which SIPp decodes
                # back to the password, whatever it holds (also ';' or ']', which would end the field)
                handle.write('%s;[authentication username=%s password=0x%s]\n' % (account, account, password.encode('utf-8').hex()))
        logs = os.path.join(workdir, 'register_logs.txt')
        if os.path.exists(logs):
            os.unlink(logs)
        cmd = [sipp_binary(), '-sf', REGISTER_XML, '%s:%s' % (server, port), '-inf', inf, '-m', str(len(accounts)),
               '-r', str(rate), '-l', '200', '-i', '127.0.0.1', '-mi', '127.0.0.1', '-ci', '127.0.0.1',
               '-cp', str(free_port()), '-p', str(free_port()), '-t', 't1' if transport == 'tcp' else 'u1', '-nostdin',
               '-key', 'contact_port', str(contact_port), '-key', 'expires', str(expires),
               '-trace_logs', '-log_file', logs, '-timeout', '60s']
        try:
            # cmd[0]: SIPp, which the callers find first (sipp_binary(), or a skip when it is missing)
            subprocess.run(cmd, cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # type: ignore[arg-type]
                           stderr=subprocess.DEVNULL, timeout=90, preexec_fn=die_with_us, check=False)
        finally:
            os.unlink(inf)
        result = {account: 'no answer' for account, _password in accounts}
        if os.path.exists(logs):
            with open(logs, encoding='utf-8', errors='replace') as handle:
                for line in handle:
                    match = re.search(r'(registered|refused) (\S+)(?: (\d{3}))?', line)
                    if match and match.group(2) in result:
                        result[match.group(2)] = match.group(1) if match.group(1) == 'registered' else 'refused ' + match.group(3)
        return result
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


class PhoneFarm:
    """One SIPp UAS answering INVITEs for every account registered to its port, all with one behaviour."""

    def __init__(self, behaviour: str = 'answer', ring_ms: int = 300, transport: str = 'udp', port: Optional[int] = None) -> None:
        self.behaviour = behaviour
        self.transport = transport.lower()
        self.tmp = tempfile.mkdtemp(prefix='laaffic-phones-')
        self.port = port or free_port(socket.SOCK_STREAM if self.transport == 'tcp' else socket.SOCK_DGRAM)
        scenario = os.path.join(self.tmp, 'uas.xml')
        with open(scenario, 'w', encoding='utf-8') as handle:
            handle.write(uas_scenario(behaviour, ring_ms))
        # the first argument: SIPp, which the callers find first (sipp_binary(), or a skip when it is missing)
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with,subprocess-popen-preexec-fn
            [sipp_binary(), '-sf', scenario, '-i', '127.0.0.1', '-mi', '127.0.0.1', '-ci', '127.0.0.1', '-cp', str(free_port()),  # type: ignore[list-item]
             '-p', str(self.port), '-t', 't1' if self.transport == 'tcp' else 'u1', '-nostdin',
             '-max_socket', '1000', '-timeout', '600s'],
            cwd=self.tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_us)
        LIVE.add(self)

    def register(self, server: str, port: int, accounts: Iterable[tuple[str, str]], transport: Optional[str] = None,
                 expires: int = 600, rate: int = 500) -> dict[str, str]:
        """REGISTER every (account, password) with ``server:port``, contact = this farm. Returns
        {account: 'registered' | 'refused <code>' | 'no answer'}."""
        return register(server, port, accounts, self.port, transport or self.transport, expires, rate, self.tmp)

    def unregister(self, server: str, port: int, accounts: Iterable[tuple[str, str]]) -> dict[str, str]:
        """REGISTER with Expires: 0 (the phone goes offline)."""
        return self.register(server, port, accounts, expires=0)

    def stop(self) -> None:
        """Stop SIPp, remove the directory."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
        LIVE.discard(self)

    def __enter__(self) -> PhoneFarm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_all() -> None:
    """Stop every farm not stopped yet."""
    for farm in list(LIVE):
        farm.stop()


atexit.register(stop_all)

YEALINK_TRANSPORTS = {'0': 'udp', '1': 'tcp', '2': 'tls'}
POLY_TRANSPORTS = {'UDPOnly': 'udp', 'TCPOnly': 'tcp', 'TLS': 'tls'}


def read_yealink(path: str) -> dict[str, Any]:
    """SIP settings of a rendered Yealink <MAC>.cfg: account, password, server, port, transport."""
    values: dict[str, str] = {}
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            if line.startswith('#') or '=' not in line:
                continue
            key, _sep, value = line.partition('=')
            values[key.strip()] = value.strip()
    return {'account': values['account.1.auth_name'], 'password': values['account.1.password'],
            'server': values['account.1.sip_server.1.address'], 'port': int(values['account.1.sip_server.1.port']),
            'transport': YEALINK_TRANSPORTS[values['account.1.sip_server.1.transport_type']]}


def read_poly(path: str) -> dict[str, Any]:
    """SIP settings of a rendered Poly phone<MAC>.cfg (its <ALL> element's reg.1.* attributes)."""
    # Any: a file we rendered, whose <ALL> element has every reg.1.* attribute read here (no None to check for)
    node: Any = ET.parse(path).getroot().find('ALL')  # nosec - a file we rendered
    return {'account': node.get('reg.1.auth.userId'), 'password': node.get('reg.1.auth.password'),
            'server': node.get('reg.1.server.1.address'), 'port': int(node.get('reg.1.server.1.port')),
            'transport': POLY_TRANSPORTS[node.get('reg.1.server.1.transport')]}


def read_files(directory: str) -> list[dict[str, Any]]:
    """The SIP settings of every phone file rendered in ``directory``: Yealink ``<MAC>.cfg`` (starting with
    ``#!version``) and Poly ``phone<MAC>.cfg``; each with its file name. Poly's master ``<MAC>.cfg`` (XML that
    only lists the phone file) and other files are skipped."""
    phones: list[dict[str, Any]] = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not name.endswith('.cfg') or not os.path.isfile(path):
            continue
        with open(path, encoding='utf-8', errors='replace') as handle:
            head = handle.read(16)
        if head.startswith('#!version'):
            phones.append(dict(read_yealink(path), file=name))
        elif name.startswith('phone'):
            phones.append(dict(read_poly(path), file=name))
    return phones


def register_files(directory: str, contact_port: int, expires: int = 600) -> list[dict[str, Any]]:
    """REGISTER every phone of the files in ``directory`` with the server, port and transport its file names,
    contact 127.0.0.1:``contact_port``. Returns [{'file', 'account', 'server', 'port', 'transport', 'result'}]
    (no password)."""
    phones = read_files(directory)
    groups: dict[tuple[str, int, str], list[dict[str, Any]]] = {}
    for phone in phones:
        groups.setdefault((phone['server'], phone['port'], phone['transport']), []).append(phone)
    out: list[dict[str, Any]] = []
    for (server, port, transport), group in groups.items():
        got = register(server, port, [(p['account'], p['password']) for p in group], contact_port, transport, expires)
        out.extend({'file': p['file'], 'account': p['account'], 'server': server, 'port': port, 'transport': transport,
                    'result': got[p['account']]} for p in group)
    return sorted(out, key=lambda row: row['file'])


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python devtools/sip_phones.py register --contact-port N DIR``: the phones of the rendered files in DIR
    register (contact: a running PhoneFarm's port); prints one JSON list: file, account, server, port, transport,
    result ('registered', 'refused 403', 'no answer'). Exit status 0 when SIPp ran, 2 on bad arguments."""
    parser = argparse.ArgumentParser(description='Register the phones of rendered desk-phone files with SIPp.')
    sub = parser.add_subparsers(dest='command', required=True)
    reg = sub.add_parser('register', help='REGISTER every phone of the rendered files in DIR')
    reg.add_argument('directory')
    reg.add_argument('--contact-port', type=int, required=True, help="the phone farm's port on 127.0.0.1")
    reg.add_argument('--expires', type=int, default=600)
    args = parser.parse_args(argv)
    if not sipp_binary():
        print('sip_phones: SIPp is missing: apt-get install sip-tester', file=sys.stderr)
        return 1
    print(json.dumps(register_files(args.directory, args.contact_port, args.expires)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
