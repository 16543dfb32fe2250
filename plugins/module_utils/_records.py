# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""Reading a call's progress from a platform record (recordSip) or a pushed status report.

Records carry ISO-8601 times with an offset; pushed reports carry epoch milliseconds; both carry
terminationCode/terminationReason, and reports also sipCode and callStatus. Progress is read from the
times first (they are common to every source) and from callStatus where the times are absent.

Nothing the platform sends can make reading fail: a time that cannot be read (text that is not a time,
99999999999999999999, NaN) is kept as the text received, and still counts as the event having happened.
callStatus values (documented on the push page): 10 busy, 20 no pick-up, 30 not answered (other),
40 voicemail, 50 connected, 60 other.
"""

from __future__ import annotations

import typing as t
from datetime import datetime, timezone

from ansible_collections.laaffic.voice.plugins.module_utils._paging import whole_number
from ansible_collections.laaffic.voice.plugins.module_utils._time import parse_platform_time

RANG_STATUSES = (20, 30, 40)
ANSWERED_STATUS = 50


MAX_TEXT = 200


def _absent(value: object) -> bool:
    """Whether a time field says 'not happened': null, false, empty, 0 or a negative number."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return value <= 0
    text = str(value).strip()
    digits = text[1:] if text.startswith('-') else text
    return not text or (digits.isascii() and digits.isdigit() and (text.startswith('-') or not digits.strip('0')))


def parse_time(value: object) -> datetime | None:
    """An aware datetime from ISO-8601 text, ``%Y-%m-%d %H:%M:%S`` text or epoch milliseconds/seconds; None for null,
    empty, 0 or anything that is not a time (including numbers out of range). Text without an offset is in the
    platform's zone (UTC+8, see _time)."""
    if _absent(value):
        return None
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isascii() and value.strip().isdigit()):
            number = float(value)
            if number > 1e11:  # milliseconds, as in pushed reports
                number /= 1000.0
            return datetime.fromtimestamp(number, tz=timezone.utc)
        return parse_platform_time(str(value))
    except (ValueError, OverflowError, OSError):
        return None


def iso(value: object) -> str | None:
    """ISO-8601 text for any time the platform gives; None when absent; the text received (at most
    200 characters) when it is not a time that can be read."""
    if _absent(value):
        return None
    moment = parse_time(value)
    if moment is None:
        return str(value).strip()[:MAX_TEXT]
    return moment.isoformat(timespec='seconds')


def _text(value: object) -> str | None:
    return None if value is None or str(value).strip() == '' else str(value).strip()[:MAX_TEXT]


TIME_FIELDS = (('submit_time', 'submitTime'), ('ringing_time', 'ringingTime'), ('answer_time', 'answerTime'), ('hangup_time', 'hangupTime'))


class Progress:
    """What a record or report says about a call."""

    # Set from TIME_FIELDS with setattr.
    submit_time: str | None
    ringing_time: str | None
    answer_time: str | None
    hangup_time: str | None

    def __init__(self, record: object) -> None:
        record = record if isinstance(record, dict) else {}
        for attribute, key in TIME_FIELDS:
            setattr(self, attribute, iso(record.get(key)))
        self.termination_code = _text(record.get('terminationCode'))
        self.termination_reason = _text(record.get('terminationReason'))
        self.sip_code = _text(record.get('sipCode'))
        self.call_status = whole_number(record.get('callStatus'))
        self._notified_ringing = False
        self._derive()

    def _derive(self) -> None:
        self.answered = bool(self.answer_time) or self.call_status == ANSWERED_STATUS
        self.rang = self.answered or self._notified_ringing or bool(self.ringing_time) or self.call_status in RANG_STATUSES
        self.ended = bool(self.hangup_time) or self.termination_code is not None or self.call_status is not None

    def mark_rang(self, ringing_time: object = None) -> None:
        """Add a ringing notification's evidence (receiver path)."""
        self._notified_ringing = True
        self.ringing_time = self.ringing_time or iso(ringing_time)
        self._derive()

    def merge(self, other: Progress) -> None:
        """Fill what this observation lacks from another one of the same call (a record read to complete a report)."""
        for attribute in [name for name, dummy in TIME_FIELDS] + ['termination_code', 'termination_reason', 'sip_code', 'call_status']:
            if getattr(self, attribute) is None:
                setattr(self, attribute, getattr(other, attribute))
        self._derive()

    def failure_reason(self) -> str:
        parts: list[str] = []
        if self.termination_reason:
            parts.append(self.termination_reason)
        if self.sip_code:
            parts.append('SIP %s' % self.sip_code)
        if self.termination_code and self.termination_code != self.sip_code:
            parts.append('termination code %s' % self.termination_code)
        if self.call_status is not None:
            parts.append('callStatus %s' % self.call_status)
        return ', '.join(parts) or 'the call ended without ringing'

    def fields(self) -> dict[str, t.Any]:
        return dict(
            submit_time=self.submit_time, ringing_time=self.ringing_time, answer_time=self.answer_time,
            hangup_time=self.hangup_time, termination_code=self.termination_code,
            termination_reason=self.termination_reason, sip_code=self.sip_code, call_status=self.call_status,
        )
