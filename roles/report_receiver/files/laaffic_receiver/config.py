# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The configuration: defaults < RECEIVER_* environment < --config file < command line flags, and the limits."""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import os
import re
from typing import Any, Mapping, Optional, Union

from .errors import ConfigError

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

# Turns of the event loop a batch waits for more requests while another connection is open (each turn is one
# non-blocking poll of the sockets, some microseconds), and how long a commit waits for a write lock that
# another process holds before its requests are answered 503 (the event loop waits with it).
GATHER_TURNS = 3
WRITE_BUSY_TIMEOUT = 0.2
SHUTDOWN_GRACE = 25.0
DEFAULT_LIMIT = 500
MAX_LIMIT = 1000
INT64_MAX = 2 ** 63 - 1
# JSON nesting accepted in a push (a LAAFFIC report is flat; its lists hold flat objects).
MAX_DEPTH = 32
# Header limits handed to aiohttp's parser: request line, one header field, how many header fields. They
# bound what one connection can hold while its headers arrive (about 2.5 times the raw bytes in memory).
MAX_LINE = 8190
MAX_FIELD = 4096
MAX_HEADERS = 32
# Open files kept for everything but connections (database, WAL, log, event loop, ...), and how many
# connections one wake-up of the listening socket accepts (each may briefly hold one more file: the
# connection it evicts is closed on the next turn of the event loop).
RESERVED_FILES = 32
ACCEPT_BATCH = 64
LISTEN_BACKLOG = 1024
# After an early error answer (413, 404 with a body, ...), the unread body is discarded for this long.
LINGER_SECONDS = 2.0

SECRET_RE = re.compile(r'^[A-Za-z0-9._~-]{16,256}$')
TOKEN_RE = re.compile(r'^[\x21-\x7e]{16,512}$')

# name: (environment variable, default)
OPTIONS: dict[str, tuple[str, Optional[str]]] = {
    'host': ('RECEIVER_HOST', '127.0.0.1'),
    'port': ('RECEIVER_PORT', '8098'),
    'secret': ('RECEIVER_SECRET', None),
    'token': ('RECEIVER_TOKEN', None),
    'db': ('RECEIVER_DB', 'reports.db'),
    'allow': ('RECEIVER_ALLOW', ''),
    'trusted_proxies': ('RECEIVER_TRUSTED_PROXIES', ''),
    'port_file': ('RECEIVER_PORT_FILE', None),
    'pid_file': ('RECEIVER_PID_FILE', None),
    'log_file': ('RECEIVER_LOG_FILE', None),
    'max_connections': ('RECEIVER_MAX_CONNECTIONS', '512'),
    'request_timeout': ('RECEIVER_REQUEST_TIMEOUT', '20'),
    'idle_timeout': ('RECEIVER_IDLE_TIMEOUT', '75'),
    'max_body': ('RECEIVER_MAX_BODY', '1048576'),
    'trust_x_real_ip': ('RECEIVER_TRUST_X_REAL_IP', 'false'),
}

# name: (type, lowest, highest) of the numeric options
LIMITS: dict[str, tuple[type, float, float]] = {
    'max_connections': (int, 1, 1000000),
    'request_timeout': (float, 0.1, 3600.0),
    'idle_timeout': (float, 0.1, 86400.0),
    'max_body': (int, 1024, 64 * 1024 * 1024),
}
TRUE_WORDS = ('true', 'yes', 'on', '1')
FALSE_WORDS = ('false', 'no', 'off', '0', '')


def read_config_file(path: str) -> dict[str, Optional[str]]:
    """Read a JSON object or ``key = value`` lines; keys may be ``port`` or ``RECEIVER_PORT`` style."""
    try:
        with open(path, 'r', encoding='utf-8') as handle:
            text = handle.read()
    except OSError as exc:
        raise ConfigError('cannot read config file %s: %s' % (path, exc.strerror))
    values: dict[str, Optional[str]] = {}
    items: Any
    if text.lstrip().startswith('{'):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError('config file %s is not valid JSON: %s' % (path, exc))
        if not isinstance(data, dict):
            raise ConfigError('config file %s must hold a JSON object' % path)
        items = data.items()
    else:
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith('#'):
                continue
            key, sep, value = line.partition('=')
            if not sep:
                raise ConfigError('config file %s line %d: expected key=value' % (path, number))
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
                value = value[1:-1]
            items.append((key.strip(), value))
    for key, value in items:
        name = key.lower()
        if name.startswith('receiver_'):
            name = name[len('receiver_'):]
        name = name.replace('-', '_')
        if name not in OPTIONS:
            raise ConfigError('config file %s: unknown key %r' % (path, key))
        if isinstance(value, list):
            value = ','.join(str(v) for v in value)
        elif isinstance(value, bool):
            value = 'true' if value else 'false'
        elif value is not None and not isinstance(value, str):
            value = str(value)
        values[name] = value
    return values


def parse_networks(text: Optional[str], what: str) -> tuple[Network, ...]:
    """Comma- or space-separated CIDRs."""
    nets: list[Network] = []
    for part in (text or '').replace(' ', ',').split(','):
        part = part.strip()
        if not part:
            continue
        try:
            nets.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ConfigError('%s: %r is not an IP network (CIDR)' % (what, part))
    return tuple(nets)


def build_config(args: argparse.Namespace, environ: Optional[Mapping[str, str]] = None) -> argparse.Namespace:
    """defaults < environment < --config file < command line flags."""
    env_values: Mapping[str, str] = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name, (env, default) in OPTIONS.items():
        values[name] = env_values.get(env, default)
    if args.config:
        values.update(read_config_file(args.config))
    for name in OPTIONS:
        flag = getattr(args, name, None)
        if flag is not None:
            values[name] = flag
    cfg = argparse.Namespace(**values)
    try:
        cfg.port = int(str(cfg.port).strip())
    except ValueError:
        raise ConfigError('port must be an integer, got %r' % (cfg.port,))
    if not 0 <= cfg.port <= 65535:
        raise ConfigError('port must be in 0..65535')
    for name, (kind, low, high) in LIMITS.items():
        setattr(cfg, name, _config_number(name, getattr(cfg, name), kind, low, high))
    word = str(cfg.trust_x_real_ip).strip().lower()
    if word not in TRUE_WORDS + FALSE_WORDS:
        raise ConfigError('trust_x_real_ip must be true or false, got %r' % (cfg.trust_x_real_ip,))
    cfg.trust_x_real_ip = word in TRUE_WORDS
    cfg.allow = parse_networks(cfg.allow, 'allow list')
    cfg.trusted_proxies = parse_networks(cfg.trusted_proxies, 'trusted proxies')
    if not cfg.db:
        raise ConfigError('db path is empty')
    for name in ('db', 'port_file', 'pid_file', 'log_file'):
        if getattr(cfg, name):
            setattr(cfg, name, os.path.abspath(getattr(cfg, name)))
    return cfg


def _config_number(name: str, value: Any, kind: type, low: float, high: float) -> Union[int, float]:
    text = str(value).strip()
    try:
        number = kind(text)
    except ValueError:
        number = None
    if number is None or not math.isfinite(number) or not low <= number <= high:
        raise ConfigError('%s must be %s from %s to %s, got %r' % (
            name, 'an integer' if kind is int else 'a number of seconds', low, high, value))
    return number


def check_secrets(cfg: argparse.Namespace) -> None:
    """A push secret and a read token are given and well-formed."""
    if not cfg.secret:
        raise ConfigError('a push secret is required (--secret, RECEIVER_SECRET or "secret" in the config file)')
    if not SECRET_RE.fullmatch(cfg.secret):
        raise ConfigError('the push secret must be 16-256 characters from A-Z a-z 0-9 . _ ~ -')
    if not cfg.token:
        raise ConfigError('a read token is required (--token, RECEIVER_TOKEN or "token" in the config file)')
    if not TOKEN_RE.fullmatch(cfg.token):
        raise ConfigError('the read token must be 16-512 printable ASCII characters without spaces')
