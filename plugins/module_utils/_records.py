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
callStatus values (documented on the push page): 10 busy, 20 no pick-up, 30 not answered (other),
40 voicemail, 50 connected, 60 other.
"""

from __future__ import annotations

from datetime import datetime, timezone

RANG_STATUSES = (20, 30, 40)
ANSWERED_STATUS = 50


def parse_time(value):
    """An aware datetime from ISO-8601 text or epoch milliseconds/seconds; None for null, empty or 0."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
        number = float(value)
        if number <= 0:
            return None
        if number > 1e11:  # milliseconds, as in pushed reports
            number /= 1000.0
        return datetime.fromtimestamp(number, tz=timezone.utc)
    text = str(value).strip()
    if not text:
        return None
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        try:
            return datetime.strptime(text, '%Y-%m-%d %H:%M:%S')
        except ValueError:
            return None


def iso(value):
    """ISO-8601 text for any time the platform gives, or None."""
    moment = parse_time(value)
    return moment.isoformat(timespec='seconds') if moment else None


def _text(value):
    return None if value is None or str(value).strip() == '' else str(value).strip()


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Progress(object):
    """What a record or report says about a call."""

    def __init__(self, record):
        record = record or {}
        self.submit_time = iso(record.get('submitTime'))
        self.ringing_time = iso(record.get('ringingTime'))
        self.answer_time = iso(record.get('answerTime'))
        self.hangup_time = iso(record.get('hangupTime'))
        self.termination_code = _text(record.get('terminationCode'))
        self.termination_reason = _text(record.get('terminationReason'))
        self.sip_code = _text(record.get('sipCode'))
        self.call_status = _int(record.get('callStatus'))
        self.answered = bool(self.answer_time) or self.call_status == ANSWERED_STATUS
        self.rang = self.answered or bool(self.ringing_time) or self.call_status in RANG_STATUSES
        self.ended = bool(self.hangup_time) or self.termination_code is not None or self.call_status is not None

    def mark_rang(self, ringing_time=None):
        """Add a ringing notification's evidence (receiver path)."""
        self.rang = True
        self.ringing_time = self.ringing_time or iso(ringing_time)

    def failure_reason(self):
        parts = []
        if self.termination_reason:
            parts.append(self.termination_reason)
        if self.sip_code:
            parts.append('SIP %s' % self.sip_code)
        if self.termination_code and self.termination_code != self.sip_code:
            parts.append('termination code %s' % self.termination_code)
        if self.call_status is not None:
            parts.append('callStatus %s' % self.call_status)
        return ', '.join(parts) or 'the call ended without ringing'

    def fields(self):
        return dict(
            submit_time=self.submit_time, ringing_time=self.ringing_time, answer_time=self.answer_time,
            hangup_time=self.hangup_time, termination_code=self.termination_code,
            termination_reason=self.termination_reason, sip_code=self.sip_code, call_status=self.call_status,
        )
