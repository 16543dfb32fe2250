from __future__ import annotations

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
    assert progress.rang and progress.ringing_time == '2026-11-26T10:00:01'
