# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The one bounded pager: every paged read of the collection (recordSipQuery, sipQuery, the receiver's
report list) walks its pages through ``walk``.

A walk never trusts what a server claims about how many pages there are. It stops at the first empty
or short page, when the records returned reach the claimed total, when the cursor stops moving, or
after ``max_pages`` pages, whichever comes first. Only the last case stops early, and the result then
says so (``Records.truncated``) so that callers can warn. A numbered walk can also be told the most
records its caller is willing to read (``max_total``): a first page claiming more ends the walk there,
truncated, so that a caller never pages through a history it does not want.
"""

from __future__ import annotations

import json
import typing as t

if t.TYPE_CHECKING:
    from ansible_collections.laaffic.voice.plugins.module_utils._errors import LaafficError

    # A map function, such as a thread pool's: ``prefetch(function, numbers)`` gives function(number) for each number, in order.
    Prefetch = t.Callable[[t.Callable[[int], object], list[int]], t.Iterable[object]]

_State = t.TypeVar('_State')

MAX_PAGES = 100
"""Documented default bound: 100 pages (10,000 platform records at 100 per page)."""


class Records(list):
    """A list of records; ``truncated`` is True when the walk stopped at its page bound (or at
    ``max_total``) while the server still had more to give, ``pages`` is how many pages were read,
    ``total`` the total the last page claimed (None when it claimed none that is a number) and
    ``error`` the error that ended a walk that keeps what it read (see ``LaafficClient._paged``)."""

    def __init__(self, items: t.Iterable[t.Any] = (), truncated: bool = False, pages: int = 0) -> None:
        super().__init__(items)
        self.truncated = truncated
        self.pages = pages
        self.total: int | None = None
        self.error: LaafficError | None = None

    max_phones: int
    """Set on the listings of phones only (``_phones.sip_accounts``): the cap they were read with."""


def whole_number(value: t.Any) -> int | None:
    """An int from a number or digit text the server sent, or None when it is not one (NaN, inf, 1e999, 'x')."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def walk(fetch: t.Callable[[_State], tuple[t.Sequence[object] | None, _State | None]], first: _State,
         max_pages: int = MAX_PAGES) -> Records:
    """Read pages until the end or ``max_pages``.

    ``fetch(state)`` returns ``(items, next_state)``; ``next_state`` None means the server said this was
    the last page. Items that are not dictionaries are dropped. Returns ``Records``."""
    records = Records()
    state = first
    seen: set[str] = set()
    while True:
        if records.pages >= max(1, int(max_pages)):
            records.truncated = True
            return records
        items, following = fetch(state)
        records.pages += 1
        records.extend(item for item in (items or []) if isinstance(item, dict))
        key = repr(following)
        if following is None or not items or key in seen:
            return records
        seen.add(key)
        state = following


def record_key(record: dict[str, t.Any]) -> t.Hashable:
    """What tells two records apart: their whole content (a record that comes twice is the same record)."""
    try:
        return frozenset(record.items())
    except TypeError:  # a nested list or dict
        return json.dumps(record, sort_keys=True, default=repr)


def numbered(request_page: t.Callable[[int, int], object], size: int = 100, max_pages: int = MAX_PAGES, max_total: int | None = None,
             prefetch: Prefetch | None = None, key: t.Callable[[dict[str, t.Any]], t.Hashable] = record_key) -> Records:
    """Walk a page-numbered query (``current`` from 1, ``size`` per page) whose answer's data is
    ``{total, pages, current, records}``: ``request_page(current, size)`` returns that data.

    The next page is asked for only when this one was full and the records so far are fewer than the
    claimed total (when one is given); ``pages`` is never followed past what the records bear out.
    With ``max_total``, a page claiming a total above it is the last one read, and the result is
    truncated (a claim that lies only ends the walk sooner).

    With ``prefetch`` (a map function such as a thread pool's), the pages that the first page's total
    calls for (never more than ``max_pages``, never when the total is above ``max_total``) are asked for
    at once after it; the walk then takes them in order by the same rules, and a page it does not get
    to is dropped.

    Every record a page returned is kept, even when the server gave more than ``size`` (a page of 1,000 when
    100 were asked for); records seen on an earlier page (``key``: pages that overlap) are kept once and do not
    count twice towards the total. A full page that brings nothing new ends the walk (the server repeats itself)."""
    count = [0]
    keys: set[t.Hashable] = set()
    state: dict[str, t.Any] = {'total': None, 'over': False}
    ahead: dict[int, object] = {}

    def get(current: int) -> object:
        if current in ahead:
            return ahead.pop(current)
        return request_page(current, size)

    def fetch(current: int) -> tuple[list[dict[str, t.Any]], int | None]:
        page = get(current)
        page = page if isinstance(page, dict) else {}
        batch = page.get('records')
        batch = batch if isinstance(batch, list) else []
        fresh: list[dict[str, t.Any]] = []
        marks: list[t.Hashable] = []
        for item in batch:
            if isinstance(item, dict):
                mark = key(item)
                if mark not in keys:
                    marks.append(mark)
                    fresh.append(item)
        keys.update(marks)
        count[0] += len(fresh)
        total = whole_number(page.get('total'))
        pages = whole_number(page.get('pages'))
        state['total'] = total
        finished = (len(batch) < size or (total is not None and count[0] >= total)
                    or (pages is not None and current >= pages))
        if not finished and max_total is not None and total is not None and total > max_total:
            state['over'] = finished = True
        if not finished and prefetch is not None and current == 1 and total is not None:
            wanted = list(range(2, min(-(-total // size), max(1, int(max_pages))) + 1))
            ahead.update(zip(wanted, prefetch(lambda number: request_page(number, size), wanted)))
        return fresh, None if finished else current + 1
    records = walk(fetch, 1, max_pages)
    records.total = state['total']
    records.truncated = records.truncated or state['over']
    return records
