from __future__ import annotations

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils._paging import numbered, walk, whole_number


def pages_of(*batches, **claims):
    asked = []

    def request_page(current, size):
        asked.append(current)
        batch = batches[current - 1] if current <= len(batches) else []
        return dict(claims, records=batch)
    return request_page, asked


@pytest.mark.parametrize('claims', [{'pages': 10 ** 9, 'total': 10 ** 11}, {'pages': 'NaN', 'total': None}, {}])
def test_a_short_page_ends_the_walk_whatever_is_claimed(claims):
    request_page, asked = pages_of([{'n': 1}] * 3, **claims)
    records = numbered(request_page, size=3)
    assert asked == [1, 2] and len(records) == 3 and not records.truncated


def test_the_total_ends_the_walk():
    request_page, asked = pages_of([{'n': 1}] * 2, [{'n': 2}] * 2, total=4)
    assert len(numbered(request_page, size=2)) == 4 and asked == [1, 2]


def test_garbage_pages_and_items():
    request_page, asked = pages_of(['x', None, {'n': 1}], **{'pages': 1})
    assert list(numbered(request_page, size=3)) == [{'n': 1}] and asked == [1]
    assert list(numbered(lambda current, size: 'not a page', size=3)) == []


def test_oversized_pages_are_taken_whole():
    """Issue 18: a server that returns 1,000 records a page when asked for 100 lost 900 of each page (300 of 3,000 listed)."""
    request_page, asked = pages_of(*[[{'n': page * 1000 + i} for i in range(1000)] for page in range(3)], total=3000)
    records = numbered(request_page, size=100)
    assert len(records) == 3000 and len(set(r['n'] for r in records)) == 3000 and asked == [1, 2, 3] and not records.truncated


def test_overlapping_pages_are_deduplicated_and_counted_once():
    """A server that honours the offset of ``size`` but returns 1,000 records: each page overlaps the next."""
    everything = [{'account': 'a%05d' % i} for i in range(3000)]
    asked = []

    def request_page(current, size):
        asked.append(current)
        return {'total': 3000, 'records': everything[(current - 1) * size:(current - 1) * size + 1000]}
    records = numbered(request_page, size=100, max_pages=1000)
    assert records == everything and not records.truncated and asked == list(range(1, 22))


def test_a_page_that_brings_nothing_new_ends_the_walk():
    request_page, asked = pages_of(*([[{'n': 1}, {'n': 2}]] * 50), total=10 ** 9)
    records = numbered(request_page, size=2)
    assert asked == [1, 2] and records == [{'n': 1}, {'n': 2}]


def test_the_bound_stops_and_says_so():
    records = numbered(lambda current, size: {'records': [{'n': current}] * size}, size=2, max_pages=5)
    assert records.truncated and records.pages == 5 and len(records) == 10


def test_cursor_that_does_not_move_ends_the_walk():
    asked = []

    def fetch(state):
        asked.append(state)
        return [{'n': 1}], 'same'
    records = walk(fetch, None, max_pages=50)
    assert asked == [None, 'same'] and not records.truncated


@pytest.mark.parametrize('value, expected', [(3, 3), ('7', 7), (2.9, 2), (True, None), (float('nan'), None), (float('inf'), None),
                                             ('x', None), (None, None)])
def test_whole_number(value, expected):
    assert whole_number(value) == expected


def test_max_total_ends_the_walk_at_a_page_that_claims_more():
    request_page, asked = pages_of([{'n': 1}] * 2, [{'n': 2}] * 2, [{'n': 3}] * 2, total=6)
    records = numbered(request_page, size=2, max_total=5)
    assert asked == [1] and records.truncated and records.total == 6 and len(records) == 2
    request_page, asked = pages_of([{'n': 1}] * 2, [{'n': 2}] * 2, [{'n': 3}], total=5)
    records = numbered(request_page, size=2, max_total=5)
    assert asked == [1, 2, 3] and not records.truncated and records.total == 5


def test_prefetch_asks_for_the_pages_the_first_one_calls_for_at_once():
    batches = [[{'n': 1}] * 2, [{'n': 2}] * 2, [{'n': 3}], [{'n': 4}] * 2]  # the third page is short: the fourth is never used
    request_page, asked = pages_of(*batches, total=8)
    maps = []

    def prefetch(function, numbers):
        maps.append(list(numbers))
        return [function(number) for number in numbers]
    records = numbered(request_page, size=2, prefetch=prefetch)
    assert maps == [[2, 3, 4]] and asked == [1, 2, 3, 4]
    assert [r['n'] for r in records] == [1, 1, 2, 2, 3] and records.pages == 3 and not records.truncated


def test_prefetch_is_bounded_by_max_pages_and_max_total():
    maps = []

    def prefetch(function, numbers):
        maps.append(list(numbers))
        return [function(number) for number in numbers]
    request_page, asked = pages_of(*[[{'n': page}] * 2 for page in range(50)], total=10 ** 9)
    records = numbered(request_page, size=2, max_pages=4, prefetch=prefetch)
    assert maps == [[2, 3, 4]] and records.truncated and records.pages == 4
    maps[:] = []
    request_page, asked = pages_of(*([[{'n': 1}] * 2] * 50), total=100)
    records = numbered(request_page, size=2, max_total=99, prefetch=prefetch)
    assert maps == [] and asked == [1] and records.truncated
