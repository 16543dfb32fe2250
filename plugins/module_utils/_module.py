# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""What every module of the collection does the same way: argument spec, requests check, options, errors."""

from __future__ import annotations

import copy
import typing as t
from collections.abc import Mapping

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
from ansible_collections.laaffic.voice.plugins.module_utils._errors import LaafficError
from ansible_collections.laaffic.voice.plugins.module_utils._options import CONNECTION_ARGSPEC, ConnectionOptions
from ansible_collections.laaffic.voice.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR


def no_log_values(spec: Mapping[str, Mapping[str, t.Any]], params: object) -> set[str]:
    """The values of every ``no_log`` option in ``params``, suboptions of the items that are dictionaries included,
    whatever else the parameters hold (an item that is not a dictionary is skipped, not a reason to give up)."""
    found: set[str] = set()
    if not isinstance(params, Mapping):
        return found
    for name, option in spec.items():
        names = [name] + list(option.get('aliases') or [])
        values = [params[key] for key in names if params.get(key) is not None]
        if option.get('no_log'):
            for value in values:
                found.update(_texts(value))
        if option.get('options'):
            for value in values:
                for item in (value if isinstance(value, list) else [value]):
                    found.update(no_log_values(option['options'], item))
    return found


def _texts(value: object, depth: int = 0) -> set[str]:
    """Every non-empty text in a value (strings, numbers, and those in lists and dictionaries), as Ansible masks them."""
    if depth > 32:
        return set()
    if isinstance(value, Mapping):
        return set().union(*[_texts(item, depth + 1) for item in list(value.keys()) + list(value.values())])
    if isinstance(value, (list, tuple, set)):
        return set().union(*[_texts(item, depth + 1) for item in value])
    text = value.decode('utf-8', 'replace') if isinstance(value, bytes) else str(value)
    return {text} if text and not isinstance(value, bool) else set()


class LaafficModule(AnsibleModule):
    """AnsibleModule that masks every ``no_log`` value in whatever it returns, even when argument validation failed.

    ansible-core collects the ``no_log`` values in one pass over the argument spec, which stops at the first item
    of a list of dictionaries that is not one (``calls: [x]``): the whole set is lost, and the failure that follows
    shows ``api_secret`` in ``invocation.module_args`` at ``-vvv``. Here the values are collected again, item by
    item, before anything is returned."""

    def _mask_no_log(self) -> None:
        spec = getattr(self, 'argument_spec', None) or {}
        params = getattr(self, 'params', None) or {}
        self.no_log_values.update(no_log_values(spec, params))

    def fail_json(self, msg: str, **kwargs: t.Any) -> t.NoReturn:
        self._mask_no_log()
        super().fail_json(msg, **kwargs)

    def exit_json(self, **kwargs: t.Any) -> t.NoReturn:
        self._mask_no_log()
        super().exit_json(**kwargs)


def argument_spec(**extra: dict[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    """The shared connection options plus the module's own."""
    spec = copy.deepcopy(CONNECTION_ARGSPEC)
    spec.update(extra)
    return spec


def fail(module: AnsibleModule, exc: LaafficError, **result: t.Any) -> t.NoReturn:
    """Fail the module with a LaafficError's message and its structured form under ``error``."""
    module.fail_json(msg=exc.message, error=exc.to_dict(), **result)


def connection_options(module: AnsibleModule, require_app_id: bool = False) -> ConnectionOptions:
    """Validated connection options; fails the module with a message naming the bad option."""
    try:
        return ConnectionOptions.from_getter(module.params.get, require_app_id=require_app_id)
    except LaafficError as exc:
        fail(module, exc)


def client(module: AnsibleModule, options: ConnectionOptions, pool_size: int = 10) -> LaafficClient:
    """A client whose request log goes to the module's debug log (shown with -vvvv and ANSIBLE_DEBUG)."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    return LaafficClient(options, pool_size=pool_size, log=module.debug)
