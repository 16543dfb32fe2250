# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make receiver` never echoes a secret (issue 18): neither the push secret nor the read token appears in what the
real target prints, even under `make --trace` or `make -n` (which print every recipe line, silent ones too), whether
they are given or generated. Each test starts the target in its own process group and stops the group."""

from __future__ import annotations

import json
import os
import secrets
import signal
import stat
import subprocess
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# make must not remake the virtual environment from a test: its stamp file is treated as up to date (-o)
MAKE = ['make', '--no-print-directory', '-C', ROOT, '-o', '.venv/.installed']


def make_env(tmp_path):
    """This environment without RECEIVER_* variables or an outer make's flags; the port file tells the bound port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('RECEIVER_') and k not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL')}
    env['RECEIVER_PORT_FILE'] = str(tmp_path / 'port')
    return env


def target_args(tmp_path):
    return ['receiver', 'RECEIVER_PORT=0', 'RECEIVER_DB=%s' % (tmp_path / 'db' / 'reports.db'),
            'RECEIVER_CREDENTIALS=%s' % (tmp_path / 'credentials')]


def run_receiver_target(tmp_path, extra_args=(), make_flags=()):
    """Run `make receiver` until it listens, push one report with the secret it uses and read it back with the
    token, stop it (SIGTERM to its process group); return (everything it printed, exit code)."""
    out_path = tmp_path / 'make.out'
    port_file = tmp_path / 'port'
    with open(out_path, 'wb') as out:
        proc = subprocess.Popen(MAKE + list(make_flags) + target_args(tmp_path) + list(extra_args), env=make_env(tmp_path),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            assert proc.poll() is None, 'make receiver exited with %s:\n%s' % (proc.returncode, out_path.read_text())
            assert time.monotonic() < deadline, 'make receiver did not listen:\n%s' % out_path.read_text()
            time.sleep(0.05)
        port = int(port_file.read_text())
        secret, token = credentials_used(tmp_path, extra_args)
        base = 'http://127.0.0.1:%d' % port
        push = urllib.request.Request(base + '/push/' + secret, data=json.dumps({'voiceId': 'make-1'}).encode(),
                                      headers={'Content-Type': 'application/json'}, method='POST')
        with urllib.request.urlopen(push, timeout=10) as resp:
            assert resp.status == 200
        read = urllib.request.Request(base + '/reports/make-1', headers={'Authorization': 'Bearer ' + token})
        with urllib.request.urlopen(read, timeout=10) as resp:
            assert json.loads(resp.read())['final'] is True
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return out_path.read_text(errors='replace'), proc.returncode


def credentials_used(tmp_path, extra_args):
    given = dict(arg.split('=', 1) for arg in extra_args if arg.startswith(('RECEIVER_SECRET=', 'RECEIVER_TOKEN=')))
    if given:
        return given['RECEIVER_SECRET'], given['RECEIVER_TOKEN']
    lines = dict(line.split('=', 1) for line in (tmp_path / 'credentials').read_text().splitlines() if '=' in line)
    return lines['secret'], lines['token']


def assert_hint(output):
    assert 'receiver: listening on http://127.0.0.1:0 (port 0)' in output, output
    assert '/push/<secret>' in output and 'Authorization: Bearer <token>' in output, output


def test_given_secret_and_token_are_never_printed_even_by_make_trace(tmp_path):
    secret, token = 'mk' + secrets.token_urlsafe(24), 'tk' + secrets.token_urlsafe(24)
    given = ['RECEIVER_SECRET=' + secret, 'RECEIVER_TOKEN=' + token]
    dry = subprocess.run(MAKE + ['-n'] + target_args(tmp_path) + given, env=make_env(tmp_path), stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60, check=False).stdout.decode(errors='replace')
    assert '-m laaffic_receiver' in dry, dry
    assert secret not in dry and token not in dry, 'make -n prints a secret'
    output, _code = run_receiver_target(tmp_path, given, make_flags=['--trace'])
    assert secret not in output and token not in output, 'make --trace receiver prints a secret'
    assert_hint(output)
    assert 'as given' in output


def test_generated_secret_and_token_go_to_a_0600_file_not_to_the_terminal(tmp_path):
    output, _code = run_receiver_target(tmp_path)
    secret, token = credentials_used(tmp_path, ())
    assert len(secret) >= 16 and len(token) >= 16
    assert secret not in output and token not in output, 'make receiver prints a generated secret'
    assert stat.S_IMODE(os.stat(tmp_path / 'credentials').st_mode) == 0o600
    assert_hint(output)
    assert 'generated a push secret and a read token into %s' % (tmp_path / 'credentials') in output
