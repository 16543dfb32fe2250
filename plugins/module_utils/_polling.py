# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""Deadlines, backoff and rate limiting: every wait in the collection goes through here."""

from __future__ import annotations

import collections
import random
import threading
import time
import typing as t


class Deadline:
    """A point in monotonic time. ``None`` as timeout means no deadline."""

    def __init__(self, timeout: float | None, clock: t.Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.at = None if timeout is None else clock() + max(0.0, float(timeout))

    def remaining(self) -> float:
        if self.at is None:
            return float('inf')
        return max(0.0, self.at - self._clock())

    def expired(self) -> bool:
        return self.remaining() <= 0

    def clamp(self, delay: float) -> float:
        """Return ``delay`` shortened so that it never runs past the deadline."""
        return max(0.0, min(float(delay), self.remaining()))


def backoff(initial: float, factor: float = 1.5, maximum: float = 10.0, jitter: float = 0.1) -> t.Iterator[float]:
    """Yield growing delays: initial, initial*factor, ... capped at ``maximum``, with +-``jitter`` relative noise."""
    delay = max(0.0, float(initial))
    while True:
        noise = 1.0 + random.uniform(-jitter, jitter) if jitter else 1.0  # nosec - not used for security
        yield max(0.0, delay * noise)
        delay = min(maximum, delay * factor) if delay else maximum


def parse_retry_after(value: object, default: float | None = None, maximum: float = 60.0) -> float | None:
    """Seconds to wait from a Retry-After header given in seconds; HTTP dates fall back to ``default``."""
    if value is None:
        return default
    try:
        seconds = float(str(value).strip())
    except ValueError:
        return default
    return max(0.0, min(seconds, maximum))


class RateLimiter:
    """Paces events across threads; a rate of 0 or None means no limit.

    With ``burst=1`` (the default) events are spaced at least ``1 / rate`` seconds apart. With a larger
    ``burst`` at most ``burst`` events happen within any ``burst / rate`` seconds (a sliding window):
    ``RateLimiter(20, burst=20)`` lets 20 events go at once and never more than 20 in any second.

    The spacing is kept between the moments events are let go, not the moments they were promised: waiters
    take their turn one at a time, and a waiter that wakes late (a loaded machine) pushes the next ones back
    instead of leaving them free to go right after it."""

    def __init__(self, rate: float | None, clock: t.Callable[[], float] = time.monotonic, sleep: t.Callable[[float], None] = time.sleep,
                 burst: int = 1) -> None:
        self.interval = 1.0 / float(rate) if rate else 0.0
        self.burst = max(1, int(burst))
        self.window = self.interval * self.burst
        self._clock = clock
        self._sleep = sleep
        self._turn = threading.Lock()
        self._released: collections.deque[float] = collections.deque()

    def acquire(self, deadline: Deadline | None = None) -> bool:
        """Wait for this event's turn and return True; with a ``Deadline`` whose time would pass before
        the turn, do not wait and return False."""
        if not self.interval:
            return True
        with self._turn:
            now = self._clock()
            turn = now
            if len(self._released) >= self.burst:
                turn = max(now, self._released[-self.burst] + self.window)
            if deadline is not None and turn - now > deadline.remaining():
                return False
            if turn > now:
                self._sleep(turn - now)
            self._released.append(self._clock())
            while len(self._released) > self.burst:
                self._released.popleft()
        return True
