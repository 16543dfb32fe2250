"""The platform's zone in one place (module_utils/_time), and the receiver's copy of it (deployed on its own, it cannot
import module_utils) kept equal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from laaffic_receiver import times as receiver_times

from ansible_collections.laaffic.voice.plugins.module_utils import _calls, _records, _report, _time


def test_the_receiver_zone_is_the_platform_zone():
    assert receiver_times.UTC8 == _time.PLATFORM_ZONE == timezone(timedelta(hours=8))


def test_a_time_without_an_offset_is_in_the_platform_zone_everywhere():
    expected = datetime(2026, 11, 26, 2, 0, 1, tzinfo=timezone.utc)
    for text in ('2026-11-26 10:00:01', '2026-11-26T10:00:01', '2026-11-26T10:00:01+08:00', '2026-11-26T02:00:01Z'):
        assert _time.parse_platform_time(text) == expected
        assert _records.parse_time(text) == expected and _report.parse_time(text) == expected
    assert _records.iso('2026-11-26 10:00:01') == '2026-11-26T10:00:01+08:00'
    assert _report.utc_text('2026-11-26 10:00:01') == '2026-11-26 02:00:01'


def test_windows_are_sent_in_the_platform_zone():
    assert _calls.platform_time(1764208800) == _time.platform_time(1764208800) == '2025-11-27T10:00:00+08:00'


@pytest.mark.parametrize('text', ['2026-11-26T10:00:01', 'soon', '', None])
def test_user_times_need_their_offset(text):
    assert _time.parse_with_offset(text) is None
