# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""LAAFFIC request signing: a pure function of the key, the secret and the timestamp."""

from __future__ import annotations

import hashlib
import time

CONTENT_TYPE = 'application/json;charset=UTF-8'


def sign(api_key: str, api_secret: str, timestamp: float) -> str:
    """Return the documented Sign value: lowercase hex MD5 of ``api_key + api_secret + timestamp``.

    The timestamp is Unix time in whole seconds; the body is not part of the signature.
    """
    material = '%s%s%d' % (api_key, api_secret, int(timestamp))
    return hashlib.md5(material.encode('utf-8')).hexdigest()  # nosec - MD5 is the vendor's documented scheme


def signed_headers(api_key: str, api_secret: str, timestamp: float | None = None) -> dict[str, str]:
    """Return the four headers every signed request carries, signed for ``timestamp`` (default: now)."""
    if timestamp is None:
        timestamp = int(time.time())
    timestamp = int(timestamp)
    return {
        'Content-Type': CONTENT_TYPE,
        'Api-Key': api_key,
        'Sign': sign(api_key, api_secret, timestamp),
        'Timestamp': str(timestamp),
    }
