# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Headless Chromium with plain command-line flags, for the HTML report's tests, benchmark and screenshot.

No driver, no download: the browser is the system's (``devtools/ensure_chromium.sh`` installs Debian's package),
started once per page with a fresh profile and every background service off, so it opens nothing but the file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import typing as t

NAMES = ('chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome')
FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--disable-extensions', '--disable-default-apps', '--mute-audio',
         '--no-default-browser-check', '--disable-dev-shm-usage')


def find() -> str | None:
    """The Chromium binary ($CHROMIUM, then the usual names on PATH), or None."""
    path = os.environ.get('CHROMIUM')
    if path and os.access(path, os.X_OK):
        return path
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def run(url: str, *extra: str, binary: str | None = None, timeout: float = 60) -> tuple[str, float]:
    """Open ``url`` once in headless Chromium with ``extra`` flags; return (stdout text, seconds it took)."""
    binary = binary or find()
    if binary is None:
        raise RuntimeError('Chromium not found; run devtools/ensure_chromium.sh')
    profile = tempfile.mkdtemp(prefix='laaffic-chromium-')
    env = dict(os.environ, HOME=profile)
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    try:
        start = time.perf_counter()
        proc = subprocess.run([binary] + list(FLAGS) + ['--user-data-dir=' + profile] + list(extra) + [url],
                              capture_output=True, text=True, timeout=timeout, check=False, env=env)
        took = time.perf_counter() - start
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError('Chromium exited with %d: %s' % (proc.returncode, proc.stderr[-2000:]))
    return proc.stdout, took


def dump_dom(path: str, fragment: str = '', **kwargs: t.Any) -> tuple[str, float]:
    """The DOM of the local file ``path`` after its scripts ran (``fragment`` without '#'), and the seconds it took."""
    url = 'file://' + os.path.abspath(path) + ('#' + fragment if fragment else '')
    return run(url, '--dump-dom', **kwargs)


def screenshot(path: str, png: str, width: int = 1280, height: int = 900, fragment: str = '', **kwargs: t.Any) -> float:
    """A PNG of the local file ``path`` at width x height; returns the seconds it took."""
    url = 'file://' + os.path.abspath(path) + ('#' + fragment if fragment else '')
    return run(url, '--screenshot=' + os.path.abspath(png), '--window-size=%d,%d' % (width, height), '--hide-scrollbars', **kwargs)[1]
