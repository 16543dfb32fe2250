from __future__ import annotations

import itertools

from ansible_collections.laaffic.voice.plugins.module_utils._polling import Deadline, RateLimiter, backoff, parse_retry_after


class Clock(object):
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_deadline_clamps_and_expires():
    clock = Clock()
    deadline = Deadline(10, clock=clock)
    assert deadline.clamp(3) == 3
    clock.now += 8
    assert deadline.clamp(3) == 2
    clock.now += 5
    assert deadline.expired() and deadline.clamp(3) == 0


def test_no_deadline():
    assert Deadline(None).remaining() == float('inf')


def test_backoff_grows_to_maximum():
    delays = list(itertools.islice(backoff(1, factor=2, maximum=5, jitter=0), 5))
    assert delays == [1, 2, 4, 5, 5]


def test_backoff_jitter_bounds():
    for delay in itertools.islice(backoff(1, factor=1, maximum=1, jitter=0.1), 50):
        assert 0.9 <= delay <= 1.1


def test_retry_after():
    assert parse_retry_after('2') == 2.0
    assert parse_retry_after('1000') == 60.0
    assert parse_retry_after('Wed, 21 Oct 2015 07:28:00 GMT', default=3) == 3
    assert parse_retry_after(None, default=None) is None


def test_rate_limiter_spaces_events():
    clock = Clock()
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)
    times = []
    for dummy in range(5):
        limiter.acquire()
        times.append(clock.now)
    assert [round(b - a, 6) for a, b in zip(times, times[1:])] == [0.25] * 4


def test_no_rate_limit():
    clock = Clock()
    limiter = RateLimiter(0, clock=clock, sleep=clock.sleep)
    for dummy in range(5):
        limiter.acquire()
    assert clock.now == 100.0


def test_rate_limiter_burst_is_a_sliding_window():
    clock = Clock()
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep, burst=3)
    times = []
    for dummy in range(7):
        limiter.acquire()
        times.append(round(clock.now - 100.0, 6))
    assert times == [0, 0, 0, 1, 1, 1, 2]  # never more than 3 within any second


def test_rate_limiter_spaces_from_a_late_wake_not_from_the_promised_slot():
    clock = Clock()
    late = [0.3]

    def oversleep(seconds):
        clock.sleep(seconds + (late.pop() if late else 0.0))  # the second event wakes 0.3 s late

    limiter = RateLimiter(10, clock=clock, sleep=oversleep)
    times = []
    for dummy in range(4):
        limiter.acquire()
        times.append(round(clock.now - 100.0, 6))
    assert times == [0, 0.4, 0.5, 0.6]  # after the late one, the next still waits a whole interval


def test_rate_limiter_refuses_a_slot_past_the_deadline():
    clock = Clock()
    limiter = RateLimiter(1, clock=clock, sleep=clock.sleep)
    deadline = Deadline(1.5, clock=clock)
    assert limiter.acquire(deadline) and limiter.acquire(deadline)  # now, then 1 s later
    assert not limiter.acquire(deadline) and clock.now == 101.0  # the next slot (102) is past the deadline: no wait
    assert RateLimiter(0).acquire(Deadline(0))
