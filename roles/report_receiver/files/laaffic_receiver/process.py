# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Process management (--daemon / --stop / --status, used by the role in service manager "none")."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from typing import Callable, Optional

try:
    import resource
except ImportError:  # not POSIX
    resource = None  # type: ignore[assignment]


def read_pid(pid_file: str) -> Optional[int]:
    """The pid in ``pid_file`` if that process runs and is a receiver."""
    try:
        with open(pid_file, 'r', encoding='ascii') as handle:
            pid = int(handle.read().strip())
    except (OSError, ValueError):
        return None
    if pid <= 1:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            if b'laaffic_receiver' not in handle.read():
                return None
    except OSError:
        pass
    return pid


def stop_pid(pid_file: str, wait: float = 30.0) -> bool:
    """SIGTERM the receiver of ``pid_file`` (SIGKILL after ``wait`` seconds); False if none runs."""
    pid = read_pid(pid_file)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if read_pid(pid_file) is None or not _alive(pid):
            return True
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open('/proc/%d/stat' % pid, 'r', encoding='ascii') as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return True


def daemonize(cfg: argparse.Namespace, serve: Callable[[argparse.Namespace], int]) -> int:
    """Start in the background; return once the child listens (pid file written) or died."""
    running = read_pid(cfg.pid_file)
    if running is not None:
        print('already running (pid %d)' % running)
        return 0
    for path in (cfg.pid_file, cfg.port_file):
        if path:
            try:
                os.unlink(path)
            except OSError:
                pass
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)  # pylint: disable=protected-access
        null = os.open(os.devnull, os.O_RDWR)
        log_fd = os.open(cfg.log_file or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o640)
        os.dup2(null, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(null)
        os.close(log_fd)
        os.chdir('/')
        code = 1
        try:
            code = serve(cfg)
        finally:
            os._exit(code)  # pylint: disable=protected-access
    os.waitpid(pid, 0)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        child = read_pid(cfg.pid_file)
        if child is not None:
            print('started (pid %d)' % child)
            return 0
        time.sleep(0.05)
    sys.stderr.write('receiver did not come up; see %s\n' % (cfg.log_file or 'its log'))
    return 1


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    tmp = '%s.%d.tmp' % (path, os.getpid())
    with open(tmp, 'w', encoding='ascii') as handle:
        handle.write(text)
    os.replace(tmp, path)


def raise_open_files_limit() -> Optional[int]:
    """Raise this process's open-files soft limit to the hard limit; return the soft limit (None: unlimited)."""
    if resource is None:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return None if soft == resource.RLIM_INFINITY else soft
