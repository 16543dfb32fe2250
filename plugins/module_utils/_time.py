# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The platform's zone, in one place, and what a time without an offset means.

The vendor documents UTC+8 as the platform's zone: every example of the record queries' ``strTime``/``endTime`` and
of a record's times carries ``+08:00``, and the one push whose ``yyyy-MM-dd HH:mm:ss`` times the vendor qualifies
(the ringing push's ``callinEventTime``) says UTC+8. So a platform time written ``%Y-%m-%d %H:%M:%S`` (or ISO-8601
without an offset) is read as UTC+8, never as the controller's zone nor as naive. The report receiver (deployed on
its own, it cannot import this) keeps a copy of the zone; a unit test checks that the two agree.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta, timezone

PLATFORM_OFFSET_HOURS = 8
PLATFORM_ZONE = timezone(timedelta(hours=PLATFORM_OFFSET_HOURS))
"""UTC+8, the zone of the platform's times that carry no offset."""
PLATFORM_FORMAT = '%Y-%m-%d %H:%M:%S'
"""How the platform writes a time without an offset."""


def platform_time(epoch: t.Union[int, float, str]) -> str:
    """ISO-8601 with the platform's offset, whole seconds: 1764208800 -> '2025-11-27T10:00:00+08:00'."""
    return datetime.fromtimestamp(int(epoch), PLATFORM_ZONE).isoformat(timespec='seconds')


def aware(moment: datetime) -> datetime:
    """``moment`` with its own offset, or with the platform's when it has none."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PLATFORM_ZONE)


def parse_platform_time(text: str) -> datetime:
    """A time as the platform writes it, as an aware datetime: ISO-8601 (its offset, or the platform's when it has
    none) or ``%Y-%m-%d %H:%M:%S`` (the platform's zone). ValueError for anything else."""
    value = text.strip()
    try:
        return datetime.strptime(value, PLATFORM_FORMAT).replace(tzinfo=PLATFORM_ZONE)
    except ValueError:
        pass
    if value.endswith(('Z', 'z')):
        value = value[:-1] + '+00:00'
    return aware(datetime.fromisoformat(value))


def utc_text(moment: datetime) -> str:
    """``moment`` (naive: the platform's zone) as UTC ISO-8601 with ``Z``, whole seconds."""
    return aware(moment).astimezone(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def parse_with_offset(text: object) -> t.Optional[datetime]:
    """ISO-8601 text that carries its offset (or ``Z``) as an aware datetime; None for anything else, text without an
    offset included. For times a user gives, where a missing offset is more likely a mistake than the platform's zone."""
    value = str(text or '').strip()
    if value.endswith(('Z', 'z')):
        value = value[:-1] + '+00:00'
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
