# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A placed call: its planned timeline, its record as recordSip shows it, and its push report."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional, Tuple

from laaffic_emulator.tables import CALL_STATUS, SIP_REASONS, region

if TYPE_CHECKING:
    import asyncio
    import random

    from laaffic_emulator.core import Platform
    from laaffic_emulator.scenario import Phone

# What plan() decides: (outcome, ring offset, answer offset, end offset, sip code)
Fate = Tuple[str, Optional[float], Optional[float], float, Optional[str]]

TZ8 = timezone(timedelta(hours=8))
SIX = Decimal('0.000001')
IN_PROGRESS = {'callDuration': None, 'chargedDuration': None, 'ringDuration': None, 'terminationCode': None,
               'terminationReason': None, 'sipCode': None, 'callStatus': None, 'cost': None}


def iso8(epoch: float) -> str:
    """ISO-8601 with the +08:00 offset the vendor's record queries use, seconds precision."""
    return datetime.fromtimestamp(epoch, TZ8).strftime('%Y-%m-%dT%H:%M:%S+08:00')


def utc8_text(epoch: float) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in UTC+8 (ringing notification)."""
    return datetime.fromtimestamp(epoch, TZ8).strftime('%Y-%m-%d %H:%M:%S')


def ceil_seconds(span: float) -> int:
    """Whole seconds, rounded up, ignoring float noise."""
    return max(0, math.ceil(span - 1e-3))


def plan(behaviour: str, params: dict[str, Any], rng: random.Random) -> Fate:
    """Decide a call's fate: (outcome, ring offset, answer offset, end offset, sip code), offsets in seconds."""
    if behaviour in ('slow_api', 'late_ring'):
        behaviour = params['then']
    if behaviour == 'flaky':
        if rng.random() < params['fail_rate']:
            return 'failed', None, None, params['fail_after'], params['fail_sip_code']
        behaviour = params['otherwise']
    if behaviour == 'reject':
        return 'rejected', None, None, params['reject_after'], '486'
    ring = params['ring_after']
    if behaviour == 'no_answer' or params['answer_after'] >= params['ring_timeout']:
        return 'no_answer', ring, None, ring + params['ring_timeout'], '480'
    answer = ring + params['answer_after']
    return 'answered', ring, answer, answer + params['talk'], '200'


class Call:
    """One accepted sendSip call and its planned timeline (absolute epoch seconds)."""

    __slots__ = ('voice_id', 'phone', 'callee', 'display_num', 'called_info', 'submit', 'dial', 'ring', 'answer', 'end',
                 'outcome', 'sip_code', 'ended', 'rate', 'cost', 'timers', 'code')

    def __init__(self, voice_id: str, phone: Phone, callee: str, display_num: Optional[str], called_info: Optional[str],
                 rate: Decimal, cost: Decimal, submit: float, fate: Fate, dial_delay: float, scale: float) -> None:
        """``fate`` is what plan() decided; ``dial_delay`` (capped at the first event) and every offset are
        multiplied by ``scale`` and counted from ``submit``."""
        outcome, ring, answer, end, sip_code = fate
        self.voice_id = voice_id
        self.phone = phone
        self.callee = callee
        self.display_num = display_num
        self.called_info = called_info
        self.code = region(callee)
        self.rate = rate
        self.cost = cost
        self.ended = False
        self.timers: list[asyncio.TimerHandle] = []
        self.outcome = outcome
        self.sip_code = sip_code
        self.submit = submit
        first = end if ring is None else min(ring, end)
        self.dial = submit + min(dial_delay, first) * scale
        self.ring = None if ring is None else submit + ring * scale
        self.answer = None if answer is None else submit + answer * scale
        self.end = submit + end * scale

    def record(self, platform: Platform, now: float) -> dict[str, Any]:
        """The record as recordSip / recordSipQuery show it at ``now``."""
        ended = self.ended
        rec = {
            'voiceId': self.voice_id,
            'sipGroupName': self.phone.group,
            'phoneName': self.phone.name,
            'callee': self.callee,
            'displayNum': self.display_num,
            'code': self.code,
            'submitTime': iso8(self.submit),
            'callTime': iso8(self.dial) if self.dial is not None and (ended or self.dial <= now) else None,
            'ringingTime': iso8(self.ring) if self.ring is not None and (ended or self.ring <= now) else None,
            'answerTime': iso8(self.answer) if self.answer is not None and (ended or self.answer <= now) else None,
            'hangupTime': iso8(self.end) if ended else None,
        }
        rec.update(self.final_fields(platform) if ended else IN_PROGRESS)
        rec['billPeriod'] = platform.scenario.bill_period
        rec['rate'] = str(self.rate.quantize(SIX))
        rec['recordingFileId'] = ('rec_%s.wav' % self.voice_id) if ended and self.outcome == 'answered' else None
        rec['calledInfo'] = self.called_info
        return rec

    def durations(self, platform: Platform) -> tuple[int, int, int]:
        """(callDuration, chargedDuration, ringDuration) in whole seconds."""
        call_duration = ceil_seconds(self.end - self.answer) if self.answer is not None else 0
        charged = platform.charged_seconds(call_duration)
        if self.ring is None:
            ring_duration = 0
        else:
            ring_duration = ceil_seconds((self.answer if self.answer is not None else self.end) - self.ring)
        return call_duration, charged, ring_duration

    def final_fields(self, platform: Platform) -> dict[str, Any]:
        """Fields that only exist once the call has ended."""
        call_duration, charged, ring_duration = self.durations(platform)
        if self.outcome == 'answered':
            termination = platform.settings['success_termination_code']
        else:
            termination = self.sip_code
        return {
            'callDuration': call_duration,
            'chargedDuration': charged,
            'ringDuration': ring_duration,
            'terminationCode': termination,
            # a call that failed without a SIP code (None) is looked up too: 'failed'
            'terminationReason': SIP_REASONS.get(self.sip_code, 'failed') if self.outcome != 'answered' else 'success',  # type: ignore[arg-type]
            'sipCode': self.sip_code,
            'callStatus': CALL_STATUS[self.outcome],
            'cost': str(self.cost.quantize(SIX)),
        }

    def push_report(self, platform: Platform) -> dict[str, Any]:
        """The voice status report (docs/api-reference.md section 7.1); times as ms epoch, 0 for events that did not happen."""
        def millis(value: Optional[float]) -> int:
            return int(round(value * 1000)) if value is not None else 0
        final = self.final_fields(platform)
        return {
            'voiceId': self.voice_id,
            'type': 3,
            'callee': self.callee,
            'displayNum': self.display_num,
            'submitTime': millis(self.submit),
            'callTime': millis(self.dial),
            'ringingTime': millis(self.ring),
            'answerTime': millis(self.answer),
            'hangupTime': millis(self.end),
            'callDuration': final['callDuration'],
            'chargedDuration': final['chargedDuration'],
            'billPeriod': platform.scenario.bill_period,
            'code': self.code,
            'rate': str(self.rate.quantize(SIX)),
            'baseCost': final['cost'],
            'cost': final['cost'],
            'terminationCode': final['terminationCode'],
            'terminationReason': final['terminationReason'],
            'sipCode': final['sipCode'],
            'callStatus': final['callStatus'],
            'ringDuration': final['ringDuration'],
            'calledInfo': self.called_info,
            'feedbackValue': '-1',
            'recordingFileId': ('rec_%s.wav' % self.voice_id) if self.outcome == 'answered' else None,
        }
