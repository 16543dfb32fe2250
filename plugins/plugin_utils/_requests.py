# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The one check, and the one message, of the plugins for a missing ``requests`` library (modules use
``missing_required_lib('requests')``, see module_utils/_module)."""

from __future__ import annotations

import typing as t

from ansible.errors import AnsibleError

from ansible_collections.laaffic.voice.plugins.module_utils import _transport


def missing_requests(plugin: str) -> str:
    """The message: which plugin needs what, where, and how to get it."""
    return '%s needs the Python library "requests" (2.28 or later) on the controller: pip install requests' % plugin


def require_requests(plugin: str, error: t.Type[AnsibleError] = AnsibleError) -> None:
    """Raise ``error`` (AnsibleError or a subclass such as AnsibleLookupError) with ``missing_requests`` when the
    library could not be imported."""
    if not _transport.HAS_REQUESTS:
        raise error(missing_requests(plugin))
