# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line: ``python3 -m laaffic_receiver --config FILE`` (see --help). --help, --check-config (but for
aiohttp's presence), --stop and --status work without aiohttp."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from typing import Optional, Sequence

from . import VERSION
from .config import build_config, check_secrets
from .errors import ConfigError
from .process import daemonize, read_pid, stop_pid


def arg_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        description='LAAFFIC voice status report receiver. Precedence: defaults < RECEIVER_* environment < --config file < flags.')
    parser.add_argument('--config', help='JSON object or key=value file (keys: the long option names with _, e.g. '
                                         'host, port, secret, token, db, allow, trusted_proxies, max_connections)')
    parser.add_argument('--host', help='listen address (RECEIVER_HOST, default 127.0.0.1)')
    parser.add_argument('--port', help='listen port, 0 = ephemeral (RECEIVER_PORT, default 8098)')
    parser.add_argument('--secret', help='push path secret (RECEIVER_SECRET); prefer the environment or config file')
    parser.add_argument('--token', help='bearer token of the read API (RECEIVER_TOKEN); prefer the environment or config file')
    parser.add_argument('--db', help='SQLite database path (RECEIVER_DB, default reports.db)')
    parser.add_argument('--allow', help='comma-separated CIDRs allowed to push (RECEIVER_ALLOW, default: any)')
    parser.add_argument('--trusted-proxies', dest='trusted_proxies',
                        help='comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed (RECEIVER_TRUSTED_PROXIES)')
    parser.add_argument('--port-file', dest='port_file', help='write the bound port here once listening (RECEIVER_PORT_FILE)')
    parser.add_argument('--pid-file', dest='pid_file', help='write the pid here once listening (RECEIVER_PID_FILE)')
    parser.add_argument('--log-file', dest='log_file', help='log file used with --daemon (RECEIVER_LOG_FILE)')
    parser.add_argument('--max-connections', dest='max_connections',
                        help='open connections at most, lowered to what the open-files limit allows (RECEIVER_MAX_CONNECTIONS, '
                             'default 512)')
    parser.add_argument('--request-timeout', dest='request_timeout',
                        help="seconds for a request's headers and body from its first byte (RECEIVER_REQUEST_TIMEOUT, default 20)")
    parser.add_argument('--idle-timeout', dest='idle_timeout',
                        help='seconds an idle keep-alive connection stays open (RECEIVER_IDLE_TIMEOUT, default 75)')
    parser.add_argument('--max-body', dest='max_body', help='largest request body in bytes (RECEIVER_MAX_BODY, default 1048576)')
    parser.add_argument('--trust-x-real-ip', dest='trust_x_real_ip', metavar='{true,false}',
                        help='take the client address from X-Real-IP instead of X-Forwarded-For, from trusted proxies only '
                             '(RECEIVER_TRUST_X_REAL_IP, default false)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--check-config', action='store_true', help='validate the configuration and exit')
    mode.add_argument('--daemon', action='store_true', help='run in the background (needs a pid file)')
    mode.add_argument('--stop', action='store_true', help='stop the background receiver named by the pid file')
    mode.add_argument('--status', action='store_true', help='exit 0 if the receiver of the pid file runs, 3 if not')
    parser.add_argument('--version', action='version', version=VERSION)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; the exit code (2: configuration error)."""
    args = arg_parser().parse_args(argv)
    try:
        cfg = build_config(args)
        if args.stop or args.status:
            if not cfg.pid_file:
                raise ConfigError('--stop and --status need a pid file')
            if args.status:
                pid = read_pid(cfg.pid_file)
                print('running (pid %d)' % pid if pid else 'not running')
                return 0 if pid else 3
            print('stopped' if stop_pid(cfg.pid_file) else 'not running')
            return 0
        check_secrets(cfg)
        if args.daemon and not cfg.pid_file:
            raise ConfigError('--daemon needs a pid file')
        if importlib.util.find_spec('aiohttp') is None:
            raise ConfigError('aiohttp is not installed for %s (install aiohttp 3.8 or later)' % sys.executable)
    except ConfigError as exc:
        sys.stderr.write('laaffic_receiver: configuration error: %s\n' % exc)
        return 2
    if args.check_config:
        print('configuration OK (listen %s:%d, db %s, %d allowed networks)' % (cfg.host, cfg.port, cfg.db, len(cfg.allow)))
        return 0
    # aiohttp is needed from here on
    from .server import serve  # pylint: disable=import-outside-toplevel
    if args.daemon:
        return daemonize(cfg, serve)
    return serve(cfg)


if __name__ == '__main__':
    sys.exit(main())
