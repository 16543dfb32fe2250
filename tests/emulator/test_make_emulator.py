# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``make emulator EMULATOR_PUSH_URL=http://.../push/SECRET`` never prints the secret (it printed the whole
command before): the port and a hint are printed instead. The target runs briefly and is stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from devtools.emulator import ROOT

SECRET = 'Pr1vatePushPathZq81'


def test_make_emulator_prints_no_secret():
    url = 'http://127.0.0.1:9/push/%s?t=%s' % (SECRET, SECRET)
    dry = subprocess.run(['make', '--no-print-directory', '-n', 'emulator', 'EMULATOR_PUSH_URL=' + url], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=False)
    assert dry.returncode == 0 and 'laaffic_emulator' in dry.stdout and SECRET not in dry.stdout + dry.stderr
    proc = subprocess.Popen(['make', '--no-print-directory', 'emulator', 'EMULATOR_PORT=0', 'EMULATOR_PUSH_URL=' + url],
                            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    output = b''
    try:
        os.set_blocking(proc.stdout.fileno(), False)
        deadline = time.monotonic() + 60
        while b'listening on' not in output and proc.poll() is None and time.monotonic() < deadline:
            output += proc.stdout.read() or b''
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        os.set_blocking(proc.stdout.fileno(), True)
        output += proc.stdout.read()
        proc.stdout.close()
    text = output.decode('utf-8', 'replace')
    assert 'listening on http://127.0.0.1:' in text, text
    assert SECRET not in text
    assert 'push http://127.0.0.1:9/<hidden>' in text  # the emulator got the URL, and printed it hidden
    assert 'EMULATOR_PUSH_URL' in text  # the hint
