from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ansible.errors import AnsibleLookupError

from ansible_collections.laaffic.voice.plugins.lookup import laaffic_record
from ansible_collections.laaffic.voice.plugins.plugin_utils import _lookup


class Client(object):
    def __init__(self, records):
        self.records = records

    def record_sip(self, voice_id):
        return self.records.get(voice_id)


def lookup(on_missing):
    plugin = laaffic_record.LookupModule()
    plugin.get_option = {'on_missing': on_missing}.get
    return plugin


def test_known_id():
    assert lookup('error')._one(Client({'1': {'voiceId': '1'}}), '1') == {'voiceId': '1'}


def test_unknown_id_error():
    with pytest.raises(AnsibleLookupError, match='no record for voice ID 2'):
        lookup('error')._one(Client({}), '2')


def test_unknown_id_warn(monkeypatch):
    warnings = []
    monkeypatch.setattr(_lookup.display, 'warning', warnings.append)
    assert lookup('warn')._one(Client({}), '2') is None
    assert len(warnings) == 1 and 'voice ID 2' in warnings[0]


def test_unknown_id_ignore(monkeypatch):
    monkeypatch.setattr(_lookup.display, 'warning', lambda message: pytest.fail('warned'))
    assert lookup('ignore')._one(Client({}), '2') is None


@pytest.mark.parametrize('start, end, words', [
    (None, '2026-11-02T00:00:00+00:00', 'both start_time and end_time'),
    ('2026-11-01T00:00:00', '2026-11-02T00:00:00+00:00', 'start_time must be ISO-8601 with an offset'),
    ('2026-11-01T00:00:00+00:00', 'tomorrow', 'end_time must be ISO-8601'),
    ('2026-11-02T00:00:00+00:00', '2026-11-01T00:00:00+00:00', 'after start_time'),
    ('2026-10-01T00:00:00+00:00', '2026-11-02T00:00:01+00:00', 'at most 31 days'),
])
def test_window_validation(start, end, words):
    with pytest.raises(AnsibleLookupError, match=words):
        laaffic_record.LookupModule._check_window(start, end)


def test_window_ok():
    """A window of exactly 31 days is accepted and read with its offsets; one second more is refused."""
    start, end = laaffic_record.LookupModule._check_window('2026-11-01T00:00:00+08:00', '2026-12-02T00:00:00+08:00')
    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc) and end == datetime(2026, 12, 1, 16, 0, tzinfo=timezone.utc)
    assert end - start == laaffic_record.MAX_WINDOW == timedelta(days=31)
    with pytest.raises(AnsibleLookupError, match='at most 31 days'):
        laaffic_record.LookupModule._check_window('2026-11-01T00:00:00+08:00', '2026-12-02T00:00:01+08:00')
