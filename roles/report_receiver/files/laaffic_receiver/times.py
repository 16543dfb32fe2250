# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time helpers: microsecond clocks, the log's ISO format, query times, the platform's UTC+8 ringing times."""

from __future__ import annotations

import datetime
import re
import time
from typing import Any, Optional

from .config import INT64_MAX
from .errors import BadRequest

UTC = datetime.timezone.utc
UTC8 = datetime.timezone(datetime.timedelta(hours=8))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)


def now_us() -> int:
    """The wall clock in epoch microseconds."""
    return time.time_ns() // 1000


# The last whole second formatted, as one immutable (seconds, text) pair: every request's log line
# formats the time, and the reader thread formats stored times concurrently.
_SECOND: list[tuple[Optional[int], str]] = [(None, '')]


def iso_us(micros: int) -> str:
    """Epoch microseconds as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    seconds, fraction = divmod(micros, 1000000)
    cached = _SECOND[0]
    if cached[0] != seconds:
        cached = (seconds, (EPOCH + datetime.timedelta(seconds=seconds)).strftime('%Y-%m-%dT%H:%M:%S'))
        _SECOND[0] = cached
    return '%s.%06dZ' % (cached[1], fraction)


EPOCH_SECONDS_RE = re.compile(r'-?[0-9]{1,12}(?:\.[0-9]{1,9})?')
UNSIGNED_RE = re.compile(r'[0-9]{1,19}')
# datetime's range (years 1 to 9999) in epoch seconds
EPOCH_MIN, EPOCH_MAX = -62135596800, 253402300799


def parse_since(text: str) -> int:
    """ISO-8601 (naive means UTC) or epoch seconds (digits, optional fraction) -> epoch microseconds.

    Only values inside datetime's range (years 1 to 9999) are accepted, so the result always fits SQLite's
    64-bit integers."""
    text = text.strip().replace(' ', '+')
    if EPOCH_SECONDS_RE.fullmatch(text):
        whole, _sep, fraction = text.partition('.')
        seconds = int(whole)
        if not EPOCH_MIN <= seconds <= EPOCH_MAX:
            raise BadRequest('since must be an ISO-8601 time or epoch seconds within the years 1 to 9999')
        micros = int((fraction + '000000')[:6]) if fraction else 0
        return seconds * 1000000 + (-micros if text.startswith('-') else micros)
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'
    try:
        when = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest('since must be an ISO-8601 time or epoch seconds (digits with an optional fraction)')
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = when - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def parse_unsigned(text: str, name: str) -> int:
    """A query parameter that must be a plain decimal 64-bit integer >= 0."""
    if not UNSIGNED_RE.fullmatch(text) or int(text) > INT64_MAX:
        raise BadRequest('%s must be an integer from 0 to %d (plain decimal digits)' % (name, INT64_MAX))
    return int(text)


# The times a ringing notification's callinEventTime may name, in UTC: a platform reporting a call outside
# these years is wrong, and years outside datetime's range (1 to 9999) would not even convert.
RINGING_YEARS = (2000, 2999)
RINGING_MIN = datetime.datetime(RINGING_YEARS[0], 1, 1, tzinfo=UTC)
RINGING_END = datetime.datetime(RINGING_YEARS[1] + 1, 1, 1, tzinfo=UTC)


def _ringing_out_of_range() -> BadRequest:
    return BadRequest('callinEventTime is out of range: a time within the years %d to %d (UTC) is accepted, as '
                      '"yyyy-MM-dd HH:mm:ss" in UTC+8, ISO-8601, or epoch seconds or milliseconds' % RINGING_YEARS)


def ringing_time_iso(value: Any) -> Optional[str]:
    """callinEventTime is 'yyyy-MM-dd HH:mm:ss' in UTC+8; ISO-8601 and epoch (s or ms) numbers are accepted too.

    Returns the time in UTC as 'yyyy-MM-ddTHH:mm:ssZ', None for a missing or unreadable time, and raises
    BadRequest for a time outside RINGING_YEARS (year 1, year 9999, a negative or huge number)."""
    when: Optional[datetime.datetime] = None
    if isinstance(value, str):
        try:
            when = datetime.datetime.strptime(value.strip(), '%Y-%m-%d %H:%M:%S').replace(tzinfo=UTC8)
        except ValueError:
            try:
                when = datetime.datetime.fromisoformat(value.strip().replace('Z', '+00:00'))
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC8)
            except ValueError:
                when = None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        # epoch milliseconds above 1e11 (epoch seconds there would be past the year 5000); a number beyond 1e14 is
        # refused before any arithmetic (a JSON integer can have any number of digits: no float holds it)
        if not 0 < value < 1e14:
            raise _ringing_out_of_range()
        seconds = value / 1000.0 if value > 1e11 else value
        if not RINGING_MIN.timestamp() <= seconds < RINGING_END.timestamp():
            raise _ringing_out_of_range()
        when = datetime.datetime.fromtimestamp(seconds, UTC)
    if when is None:
        return None
    # compared as aware datetimes (no conversion), so year 1 in UTC+14 or year 9999 in UTC-12 cannot overflow
    if not RINGING_MIN <= when < RINGING_END:
        raise _ringing_out_of_range()
    return when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')
