from __future__ import annotations

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils._records import Progress, iso, parse_time


def test_parse_times():
    assert iso('2022-02-18T14:42:45+08:00') == '2022-02-18T14:42:45+08:00'
    assert iso('2022-02-18T06:42:45Z') == '2022-02-18T06:42:45+00:00'
    assert iso(1670939570000) == '2022-12-13T13:52:50+00:00'
    assert iso('1670939570000') == '2022-12-13T13:52:50+00:00'
    assert parse_time(None) is None and parse_time('') is None and parse_time(0) is None and parse_time('garbage') is None


def test_in_progress_record():
    progress = Progress({'submitTime': '2026-11-26T10:00:00+08:00', 'ringingTime': None, 'hangupTime': None})
    assert not progress.rang and not progress.answered and not progress.ended


def test_ringing_record():
    progress = Progress({'ringingTime': '2026-11-26T10:00:01+08:00'})
    assert progress.rang and not progress.answered and not progress.ended


def test_answered_record():
    progress = Progress({'ringingTime': '2026-11-26T10:00:01+08:00', 'answerTime': '2026-11-26T10:00:03+08:00',
                         'hangupTime': '2026-11-26T10:00:09+08:00', 'terminationCode': '0', 'sipCode': '200', 'callStatus': 50})
    assert progress.answered and progress.rang and progress.ended


def test_failed_record_reason():
    progress = Progress({'hangupTime': '2026-11-26T10:00:02+08:00', 'terminationCode': '486', 'terminationReason': 'busy',
                         'sipCode': '486', 'callStatus': 10})
    assert progress.ended and not progress.rang
    assert progress.failure_reason() == 'busy, SIP 486, callStatus 10'


def test_push_report_with_ms_times_and_status_only():
    assert Progress({'answerTime': 0, 'ringingTime': 0, 'callStatus': 20, 'hangupTime': 1670939595000}).rang
    assert Progress({'callStatus': '50'}).answered


def test_receiver_ringing_evidence():
    progress = Progress(None)
    progress.mark_rang('2026-11-26 10:00:01')
    assert progress.rang and progress.ringing_time == '2026-11-26T10:00:01+08:00'  # the platform's zone


@pytest.mark.parametrize('value', [99999999999999999999, '99999999999999999999', 1e300, float('nan'), '9' * 5000, 'NaN', 'Infinity',
                                   '2026-13-45T99:99:99+08:00', {'a': 1}, [1]])
def test_unreadable_times_are_kept_as_text_and_never_raise(value):
    assert parse_time(value) is None
    text = iso(value)
    assert text and text == str(value).strip()[:200]


def test_out_of_range_answer_time_still_counts_as_answered():
    progress = Progress({'ringingTime': 1670939570000, 'answerTime': 99999999999999999999, 'callStatus': float('inf')})
    assert progress.answered and progress.rang and progress.answer_time == '99999999999999999999' and progress.call_status is None


@pytest.mark.parametrize('value', [None, '', 0, '0', '000', -5, '-5', False])
def test_absent_times(value):
    assert iso(value) is None


def test_merge_fills_what_a_report_lacks():
    report = Progress({'submitTime': 1670939570000})
    report.mark_rang(1670939571000)
    assert report.rang and not report.answered
    report.merge(Progress({'answerTime': '2022-12-13T13:52:52+00:00', 'ringingTime': '2022-12-13T13:52:59+00:00'}))
    assert report.answered and report.answer_time == '2022-12-13T13:52:52+00:00'
    assert report.ringing_time == '2022-12-13T13:52:51+00:00'  # the report's own value is kept
