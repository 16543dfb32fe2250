# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The connection options shared by every module and plugin, in one place.

Modules merge ``CONNECTION_ARGSPEC`` into their argument spec; plugins read the same names with
``get_option``. Either way ``ConnectionOptions.from_getter`` validates them, so core code never
knows whether it runs in a module or a lookup.
"""

from __future__ import annotations

import math
import typing as t

from ansible.module_utils.basic import env_fallback

from ansible_collections.laaffic.voice.plugins.module_utils._errors import OptionError

DEFAULT_API_URL = 'https://api.laaffic.com/v3'
DEFAULT_TIMEOUT = 15

CONNECTION_OPTIONS: dict[str, dict[str, t.Any]] = {
    'api_url': dict(type='str', default=DEFAULT_API_URL),
    'api_key': dict(type='str', no_log=False),
    'api_secret': dict(type='str', no_log=True),
    'app_id': dict(type='str'),
    'timeout': dict(type='float', default=DEFAULT_TIMEOUT),
    'validate_certs': dict(type='bool', default=True),
    'ca_path': dict(type='path'),
}
"""THE definition of the connection options: name, type and default. Every option is also read from the environment
variable ``LAAFFIC_<NAME>`` (modules and plugins alike), and plugins read the ``[laaffic_voice] <name>`` ini key and the
``laaffic_<name>`` variable too. doc_fragments/connection.py documents exactly this (a unit test compares them)."""

INI_SECTION = 'laaffic_voice'


def env_var(name: str) -> str:
    """The environment variable of a connection option: ``timeout`` -> ``LAAFFIC_TIMEOUT``."""
    return 'LAAFFIC_%s' % name.upper()


def variable(name: str) -> str:
    """The playbook variable of a connection option for plugins: ``timeout`` -> ``laaffic_timeout``."""
    return 'laaffic_%s' % name


CONNECTION_ARGSPEC = {name: dict(option, fallback=(env_fallback, [env_var(name)])) for name, option in CONNECTION_OPTIONS.items()}
"""The connection options as a module argument spec: the same environment variables as the plugins."""

OPTION_NAMES = tuple(CONNECTION_ARGSPEC)

# The documented ranges of the numeric options: (lowest, highest, whether 0 is allowed too, unit).
BOUNDS = {
    'timeout': (0.1, 600.0, False, 'seconds'),
    'wait_timeout': (0.0, 86400.0, False, 'seconds'),
    'poll_interval': (0.05, 300.0, False, 'seconds'),
    'rate_limit': (0.01, 1000.0, True, 'calls per second'),
    'verify_rate_limit': (0.01, 1000.0, True, 'requests per second'),
}


def bounded(field: str, value: t.Any) -> float:
    """``value`` as a float within the documented range of ``field`` (see BOUNDS); an OptionError naming the
    field for anything else, NaN and infinity included."""
    low, high, zero, unit = BOUNDS[field]
    allowed = '%s%g to %g %s' % ('0 (no limit) or ' if zero else '', low, high, unit)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        number = float('nan')
    if isinstance(value, bool) or math.isnan(number) or math.isinf(number) or not (low <= number <= high or (zero and number == 0)):
        raise OptionError(field, 'must be a number from %s, got %r' % (allowed, value))
    return number


def _non_empty(field: str, value: object) -> str:
    if value is None or not str(value).strip():
        raise OptionError(field, 'must be a non-empty string (or set the %s environment variable)' % env_var(field))
    return str(value).strip()


class ConnectionOptions:
    """Validated connection options. ``repr`` never shows the secret."""

    __slots__ = ('api_url', 'api_key', 'api_secret', 'app_id', 'timeout', 'validate_certs', 'ca_path')

    def __init__(self, api_url: str | None = DEFAULT_API_URL, api_key: object = None, api_secret: object = None, app_id: object = None,
                 timeout: object = DEFAULT_TIMEOUT, validate_certs: object = True, ca_path: str | None = None,
                 require_app_id: bool = False) -> None:
        url = (api_url or DEFAULT_API_URL).strip()
        scheme = url.split('://', 1)[0].lower() if '://' in url else ''
        if scheme not in ('http', 'https') or not url.split('://', 1)[1].strip('/'):
            raise OptionError('api_url', 'must be an http:// or https:// URL such as %s, got %r' % (DEFAULT_API_URL, url))
        self.api_url = url.rstrip('/')
        self.api_key = _non_empty('api_key', api_key)
        self.api_secret = _non_empty('api_secret', api_secret)
        self.app_id = _non_empty('app_id', app_id) if require_app_id or app_id is not None else None
        self.timeout = bounded('timeout', timeout if timeout is not None else DEFAULT_TIMEOUT)
        self.validate_certs = bool(validate_certs)
        self.ca_path = ca_path or None

    @classmethod
    def from_getter(cls, getter: t.Callable[[str], t.Any], require_app_id: bool = False) -> ConnectionOptions:
        """Build from any ``getter(name)``: ``module.params.get`` or a plugin's ``get_option``."""
        return cls(require_app_id=require_app_id, **{name: getter(name) for name in OPTION_NAMES})

    def __repr__(self) -> str:
        return 'ConnectionOptions(api_url=%r, api_key=%r, app_id=%r, timeout=%r, validate_certs=%r, ca_path=%r)' % (
            self.api_url, self.api_key, self.app_id, self.timeout, self.validate_certs, self.ca_path)
