# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""What every module of the collection does the same way: argument spec, requests check, options, errors."""

from __future__ import annotations

import copy

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
from ansible_collections.laaffic.voice.plugins.module_utils._errors import LaafficError
from ansible_collections.laaffic.voice.plugins.module_utils._options import CONNECTION_ARGSPEC, ConnectionOptions
from ansible_collections.laaffic.voice.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR


def argument_spec(**extra):
    """The shared connection options plus the module's own."""
    spec = copy.deepcopy(CONNECTION_ARGSPEC)
    spec.update(extra)
    return spec


def fail(module, exc, **result):
    """Fail the module with a LaafficError's message and its structured form under ``error``."""
    module.fail_json(msg=exc.message, error=exc.to_dict(), **result)


def connection_options(module, require_app_id=False):
    """Validated connection options; fails the module with a message naming the bad option."""
    try:
        return ConnectionOptions.from_getter(module.params.get, require_app_id=require_app_id)
    except LaafficError as exc:
        fail(module, exc)


def client(module, options, pool_size=10):
    """A client whose request log goes to the module's debug log (shown with -vvvv and ANSIBLE_DEBUG)."""
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
    return LaafficClient(options, pool_size=pool_size, log=module.debug)
