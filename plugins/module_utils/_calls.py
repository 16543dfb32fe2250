# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""Test calls through SIP desk phones: validate, place concurrently, verify, give a verdict per call.

Verification reads the platform's records, or the report receiver's. From the records it reads in bulk
while that costs fewer requests than reading each waiting call's record (``RecordPages``): the run's
window of ``voice/recordSipQuery``, 100 records a request, matched to the waiting calls by voice ID;
``voice/recordSip/{voiceId}`` only for the calls the pages did not cover, for a single call, and for the
rest of a run whose window holds far more records than the run placed calls (a busy application).
"""

from __future__ import annotations

import math
import re
import threading
import time
import typing as t
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from ansible_collections.laaffic.voice.plugins.module_utils._client import REQUEST_KINDS
from ansible_collections.laaffic.voice.plugins.module_utils._errors import (
    ApiStatusError, HttpError, LaafficError, describe, finished, may_have_reached, worth_resending)
from ansible_collections.laaffic.voice.plugins.module_utils._paging import MAX_PAGES
from ansible_collections.laaffic.voice.plugins.module_utils._polling import Deadline, RateLimiter, backoff
from ansible_collections.laaffic.voice.plugins.module_utils._records import Progress
from ansible_collections.laaffic.voice.plugins.module_utils._rules import (
    DEFAULT_EXPECT, account_problem, call_display_num_problem, callee_problem, expect_problem, normalize_number, unsafe_problem)
from ansible_collections.laaffic.voice.plugins.module_utils._time import platform_time

if t.TYPE_CHECKING:
    from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
    from ansible_collections.laaffic.voice.plugins.module_utils._paging import Prefetch
    from ansible_collections.laaffic.voice.plugins.module_utils._receiver import ReceiverClient

VERDICTS = ('accepted', 'rang', 'answered', 'failed', 'rejected', 'timeout', 'unknown')
_VERDICT_LEVEL = {'accepted': 0, 'rang': 1, 'answered': 2}
_EXPECT_LEVEL = {'accepted': 0, 'ringing': 1, 'answered': 2}
CALL_FIELDS = ('account', 'callee', 'display_num', 'called_info', 'expect')
_VOICE_ID = re.compile(r'[\x21-\x7e]{1,64}\Z')
MAX_CALLED_INFO = 1000
TAG_PREFIX = 'laaffic-voice'
LOOK_BEFORE_CALLING_AGAIN = 'Look for the call with the laaffic_record lookup or in the LAAFFIC console before calling again.'

PAGE_SIZE = 100
"""Records per recordSipQuery request (the documented maximum)."""
WINDOW_MARGIN = 60
"""Seconds added before the first call was placed and after the last, so that clocks up to a minute apart
still put the run's records in the window (submitTime is on the platform's clock, the window on ours)."""
RECORDS_PER_CALL = 3
"""A bulk read gives up, for the rest of the run, on a window that holds more than this many records per call
of the run, plus one page (a busy application: other runs' and other users' calls); then each call's record is
read. It never reads more than ``MAX_PAGES`` pages in one round either."""
FRUITLESS_READS = 2
SETTLING_FACTOR = 0.25
"""While calls are settling (a look settled some and left others waiting) and the next look reads the records in
bulk (a few requests, whatever the number of calls), it comes after this fraction of poll_interval: calls placed
one after the other ring one after the other, and the last ones are then due at once."""
"""Bulk reading is given up after this many reads in a row that saved no request: their pages and the calls they
did not show (each read alone) were at least as many requests as the calls waiting (a platform whose query
does not list calls in progress, or a clock further off than the margin)."""
LOOK_BACK_PAGES = 10
"""A read-back of a call whose answer was lost reads at most this many pages of the window's records."""
RESEND_PAUSE = 0.5
"""Seconds at least between a call request answered HTTP 429/500/503 and its read-back (then, only when the
read-back proves that nothing was placed, the request is sent again)."""
MAX_RESEND_PAUSE = 30
"""A Retry-After longer than this is not waited for: the call is read back at once and not sent again."""
# The run's recordSipQuery window is sent with the platform's offset (PLATFORM_ZONE, see _time), right whether the
# platform reads the offset or assumes its own zone.


def meets(verdict: str, expect: str) -> bool:
    """Whether a verdict satisfies an expectation (accepted < rang < answered)."""
    return verdict in _VERDICT_LEVEL and _VERDICT_LEVEL[verdict] >= _EXPECT_LEVEL[expect]


def new_run_id() -> str:
    """A short tag unique to one run: UTC time plus random hex."""
    return '%s-%s' % (datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%SZ'), uuid.uuid4().hex[:8])


def run_tag_prefix(run_id: object) -> str:
    return '%s:%s:' % (TAG_PREFIX, run_id)


class Call:
    """One test call: what was asked, what happened, and the verdict."""

    def __init__(self, index: int, account: str, callee: str, display_num: str | None, called_info: str, expect: str,
                 default_tag: bool) -> None:
        self.attempted = False
        self.index = index
        self.account = account
        self.callee = callee
        self.display_num = display_num
        self.called_info = called_info
        self.expect = expect
        self.default_tag = default_tag
        self.voice_id: str | None = None
        self.verdict: str | None = None
        self.reason: str | None = None
        self.remedy: str | None = None
        self.api_status: str | None = None
        self.progress: Progress | None = None
        self.last_error: str | None = None

    def set_verdict(self, verdict: str, reason: str, remedy: str | None = None) -> None:
        self.verdict = verdict
        self.reason = reason
        if remedy:
            self.remedy = remedy

    @property
    def ok(self) -> bool:
        return self.verdict is not None and meets(self.verdict, self.expect)

    @property
    def may_exist(self) -> bool:
        """Whether this call may have been placed (it is then a change, and costs money)."""
        return self.voice_id is not None or self.verdict == 'unknown' or (self.attempted and self.verdict is None)

    def broke(self, error: object) -> None:
        """The run stopped on ``error`` before this call had its verdict: say what is known, never less."""
        settled = self.verdict is not None and (self.verdict != 'accepted' or self.expect == 'accepted')
        if settled:
            return
        if self.voice_id is not None:
            self.set_verdict('unknown', 'the call was placed (voice ID %s) but following it up broke: %s; it was not placed again'
                             % (self.voice_id, error), LOOK_BEFORE_CALLING_AGAIN)
        elif self.attempted:
            self.set_verdict('unknown', 'the call request may have reached the platform when the run broke: %s; it was not sent again'
                             % error, LOOK_BEFORE_CALLING_AGAIN)
        else:
            self.set_verdict('rejected', 'not placed: the run broke before this call was sent: %s' % error)

    def settle(self, final: bool) -> bool:
        """Set the verdict from the latest observation; True when it is conclusive (or ``final``)."""
        progress = self.progress
        if progress is None:
            if final:
                self.set_verdict('timeout', 'did not ring within wait_timeout: %s' % (
                    self.last_error or 'the platform has no record of the call yet'))
            return final
        if progress.answered:
            self.set_verdict('answered', 'answered at %s' % (progress.answer_time or 'an unrecorded time'))
            return True
        if progress.rang:
            if progress.ended:
                self.set_verdict('rang', 'rang, not answered (%s)' % progress.failure_reason())
                return True
            if self.expect != 'answered' or final:
                self.set_verdict('rang', 'rang at %s%s' % (
                    progress.ringing_time or 'an unrecorded time',
                    ', still not answered when wait_timeout expired' if self.expect == 'answered' else ''))
                return True
            return False
        if progress.ended:
            self.set_verdict('failed', 'the call was not established: %s' % progress.failure_reason(),
                             'Check that the desk phone is registered, idle and accepts calls.')
            return True
        if final:
            self.set_verdict('timeout', 'submitted%s but did not ring within wait_timeout' % (
                ' at %s' % progress.submit_time if progress.submit_time else ''))
        return final

    def to_dict(self) -> dict[str, t.Any]:
        result: dict[str, t.Any] = dict(
            index=self.index, account=self.account, callee=self.callee, display_num=self.display_num,
            called_info=self.called_info, expect=self.expect, voice_id=self.voice_id, verdict=self.verdict,
            ok=self.ok, reason=self.reason, remedy=self.remedy, api_status=self.api_status,
        )
        result.update((self.progress or Progress({})).fields())
        return result


def build_calls(params: t.Mapping[str, t.Any], run_id: object) -> tuple[list[Call], list[str]]:
    """Calls from the module parameters: ``calls`` items override the task-level values.

    Returns ``(calls, errors)``; errors name the item index and the field, and nothing must be sent
    when there are any."""
    task = {name: params.get(name) for name in CALL_FIELDS}
    items = params.get('calls')
    single = items is None
    if single:
        items = [{}]
    elif not items:
        return [], ['calls: must list at least one call']
    calls: list[Call] = []
    errors: list[str] = []
    for index, item in enumerate(items):
        where = '' if single else 'calls[%d].' % index
        if not isinstance(item, dict):
            errors.append('%s: must be a dictionary with account, callee, display_num, called_info, expect' % where.rstrip('.'))
            continue
        merged = dict(task)
        merged.update((key, value) for key, value in item.items() if value is not None)
        account = str(merged.get('account') or '').strip()
        callee = normalize_number(merged.get('callee') or '')
        display_num = normalize_number(merged.get('display_num') or '')
        expect = merged.get('expect') or DEFAULT_EXPECT
        for field, problem in (('account', account_problem(account)), ('callee', callee_problem(merged.get('callee') or None)),
                               ('display_num', call_display_num_problem(merged.get('display_num'))), ('expect', expect_problem(expect))):
            if problem:
                errors.append('%s%s: %s' % (where, field, problem))
        default_tag = merged.get('called_info') is None
        called_info = '%s%d:%s' % (run_tag_prefix(run_id), index, account) if default_tag else str(merged['called_info'])
        if len(called_info) > MAX_CALLED_INFO:
            errors.append('%scalled_info: must be at most %d characters, got %d' % (where, MAX_CALLED_INFO, len(called_info)))
        if not default_tag and unsafe_problem(called_info):
            errors.append('%scalled_info: %s' % (where, unsafe_problem(called_info)))
        calls.append(Call(index, account, callee, display_num or None, called_info, expect, default_tag))
    return calls, errors


def shortfall(calls: t.Iterable[Call], check_mode: bool = False) -> list[Call]:
    """The calls that fell short of their expectation; in check mode a call without a (predicted) verdict,
    one that would be placed, is not short."""
    return [call for call in calls if not call.ok and not (check_mode and call.verdict is None)]


def summarize(calls: t.Sequence[Call], check_mode: bool = False, requests: t.Mapping[str, int] | None = None) -> dict[str, t.Any]:
    """Verdict counts, and how many calls are ``shortfall``. ``requests`` is the client's count of API requests
    by kind (place, verify, preflight)."""
    summary: dict[str, t.Any] = {verdict: 0 for verdict in VERDICTS}
    for call in calls:
        if call.verdict in summary:
            summary[call.verdict] += 1
    summary.update(total=len(calls), ok=sum(1 for call in calls if call.ok), short=len(shortfall(calls, check_mode)),
                   requests=dict(dict.fromkeys(REQUEST_KINDS, 0), **(requests or {})))
    return summary


def voice_id_text(value: object) -> str | None:
    """The voice ID from a sendSip success, or None when ``data`` is not one (the caller says so)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    return text if _VOICE_ID.match(text) else None


def predict(calls: t.Iterable[Call], accounts: t.Collection[str], app_id: object) -> None:
    """Give each call whose SIP account the application does not have its verdict, before anything is sent.
    ``accounts`` is the set listed by sipQuery."""
    for call in calls:
        if call.account not in accounts:
            call.set_verdict('rejected', 'preflight: application %s has no SIP account %r (sipQuery lists %d account%s)'
                             % (app_id, call.account, len(accounts), '' if len(accounts) == 1 else 's'),
                             'Check the account name and app_id against Voice application management in the LAAFFIC console.')


def common_group(calls: t.Iterable[Call], groups: t.Mapping[str, str | None] | None) -> str | None:
    """The one SIP group of every call's account when ``groups`` (account -> group, from sipQuery) knows them
    all and they agree; else None."""
    found = set(groups.get(call.account) for call in calls) if groups else set([None])
    return found.pop() if len(found) == 1 and None not in found else None


class RecordPages:
    """Reads a run's call records a page at a time (POST voice/recordSipQuery, ``PAGE_SIZE`` a request) and
    matches them to the waiting calls by voice ID.

    ``window`` is ``(first, last)``: epoch seconds when the first call was sent and the last one answered.
    The query asks for ``WINDOW_MARGIN`` seconds more on both sides, in the platform's offset, narrowed to
    ``group`` when one is given. ``calls`` is how many calls of the run may exist (all are in the window).

    A read is worth it while the pages it is expected to take (the calls of the run at first, then the pages
    the last read took) are fewer than the calls still waiting. It is given up for the rest of the run, and
    ``given_up`` says why, when the window holds more than ``RECORDS_PER_CALL`` records per call of the run
    plus one page (or more than the pager's bound), when a read fails, or after ``FRUITLESS_READS`` reads in
    a row that saved no request."""

    def __init__(self, client: LaafficClient, window: tuple[float, float], calls: int, group: str | None = None,
                 redact: t.Callable[[str], str] | None = None) -> None:
        self.client = client
        self.redact: t.Callable[[str], str] = redact or (lambda text: text)
        self.start = platform_time(math.floor(window[0]) - WINDOW_MARGIN)
        self.end = platform_time(math.ceil(window[1]) + WINDOW_MARGIN)
        self.group = group
        self.max_total = min(RECORDS_PER_CALL * max(1, calls) + PAGE_SIZE, MAX_PAGES * PAGE_SIZE)
        self.max_pages = min(MAX_PAGES, -(-self.max_total // PAGE_SIZE) + 1)
        self.expected_pages = max(1, -(-calls // PAGE_SIZE))
        self.given_up: str | None = None
        self.failed: str | None = None
        self._fruitless = 0

    def worth_it(self, waiting: t.Sized) -> bool:
        return self.given_up is None and self.expected_pages < len(waiting)

    def _give_up(self, reason: str) -> None:
        self.given_up = reason

    def read(self, waiting: t.Sequence[Call], deadline: Deadline | None, prefetch: Prefetch | None = None) -> list[Call]:
        """Set ``progress`` of the waiting calls found on the pages; return the calls they did not cover.
        ``prefetch`` (a thread pool's map) reads the pages after the first at once."""
        wanted: dict[str | None, list[Call]] = {}
        for call in waiting:
            wanted.setdefault(call.voice_id, []).append(call)  # a platform may give two calls one voice ID: both get the record
        try:
            records = self.client.record_sip_query(self.start, self.end, self.group, page_size=PAGE_SIZE, deadline=deadline,
                                                   max_pages=self.max_pages, max_total=self.max_total, keep_partial=True,
                                                   prefetch=prefetch)
        except Exception as exc:  # pylint: disable=broad-except  # a broken bulk read leaves each call's own record
            self.failed = 'reading the records in bulk failed: %s' % describe(exc, self.redact)
            self._give_up(self.failed)
            return list(waiting)
        found: dict[str | None, dict[str, t.Any]] = {}
        for record in records:
            voice_id = voice_id_text(record.get('voiceId'))
            if voice_id in wanted:
                found[voice_id] = record  # a record seen twice (the pages moved between reads): the later read wins
        for voice_id, record in found.items():
            for call in wanted[voice_id]:
                call.progress = Progress(record)
        self.expected_pages = max(1, records.pages)
        if records.error is not None:
            self.failed = 'reading the records in bulk failed: %s' % records.error.message
            self._give_up(self.failed)
        elif records.truncated:
            self._give_up('the window %s to %s holds more records (%s) than %d, %d per call of the run and a page: a busy application'
                          % (self.start, self.end, records.total if records.total is not None else 'more than %d' % len(records),
                             self.max_total, RECORDS_PER_CALL))
        missed = [call for call in waiting if call.voice_id not in found]
        if records.error is None and not records.truncated:
            if records.pages + len(missed) >= len(waiting):
                self._fruitless += 1
                if self._fruitless >= FRUITLESS_READS:
                    self._give_up('%d reads in a row of the window %s to %s saved no request (the last showed %d of %d waiting calls)'
                                  % (self._fruitless, self.start, self.end, len(waiting) - len(missed), len(waiting)))
            else:
                self._fruitless = 0
        return missed


class CallRunner:
    """Places calls over one client (one pooled session) with bounded concurrency, then verifies them."""

    def __init__(self, client: LaafficClient, app_id: str, concurrency: int = 10, rate_limit: float | None = None,
                 poll_interval: float = 1.0, receiver: ReceiverClient | None = None, run_id: str | None = None,
                 sleep: t.Callable[[float], None] = time.sleep, verify_rate_limit: float | None = None,
                 groups: t.Mapping[str, str | None] | None = None) -> None:
        self.client = client
        self.app_id = app_id
        self.concurrency = max(1, int(concurrency))
        self.limiter = RateLimiter(rate_limit)
        self.poll_interval = max(0.05, float(poll_interval))
        self.receiver = receiver
        self.run_id = run_id
        self.groups = groups
        self.pages: RecordPages | None = None
        self._sleep = sleep
        self._cursor: object = None
        self._seen: dict[str | None, t.Any] = {}  # by voice ID
        self._fatal: str | None = None
        self._window: tuple[float, float] | None = None
        self._taken: set[str | None] = set()  # voice IDs that read-backs gave to calls of this run
        self._taken_lock = threading.Lock()
        self.place_attempts = getattr(getattr(client, 'transport', None), 'attempts', 4)
        if verify_rate_limit:
            # at most verify_rate_limit requests in any second (at most one per 1 / rate seconds below 1 per second)
            client.pace['verify'] = RateLimiter(verify_rate_limit, burst=max(1, int(verify_rate_limit)))

    def run(self, calls: list[Call], wait_timeout: float | None) -> list[Call]:
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            first = time.time()
            list(pool.map(self._place, calls))
            self._window = (first, time.time())
            self._verify(pool, calls, wait_timeout)
        return calls

    def _place(self, call: Call) -> None:
        """Send the call request; when its answer leaves the call in doubt, read back (``_look_back``) and send it
        again only when the read-back proves the first request did nothing (``_after_failure``)."""
        since = 0.0  # when the first request went out (0: not yet)
        sends = 0
        while True:
            try:
                self.limiter.acquire()
                call.attempted = True
                since = since or time.time()
                sends += 1
                data = self.client.send_sip(call.account, call.callee, self.app_id, call.display_num, call.called_info)
            except Exception as exc:  # pylint: disable=broad-except  # every failure gets a verdict, never a lost call
                wait = self._after_failure(call, exc, since, sends)
                if wait is None:
                    return
                self._sleep(wait)
                continue
            break
        call.voice_id = voice_id_text(data)
        if call.voice_id:
            with self._taken_lock:
                self._taken.add(call.voice_id)
            call.set_verdict('accepted', 'accepted by the platform')
        elif data is None or str(data).strip() == '':
            call.set_verdict('unknown', 'the platform answered success without a voice ID', LOOK_BEFORE_CALLING_AGAIN)
        else:
            call.set_verdict('unknown', 'the platform answered success with a voice ID that is not one: %r' % (str(data)[:100],),
                             LOOK_BEFORE_CALLING_AGAIN)

    def _after_failure(self, call: Call, exc: Exception, since: float, sends: int) -> float | None:
        """Give the call its verdict after its request (send number ``sends``, the first at ``since``) raised
        ``exc``, or return the seconds to wait before sending it again. The rule (docs: "Which requests are
        sent again"): an answer that proves nothing was done is the verdict (``rejected``); otherwise the
        records are read back: a record of the call is used (the call goes on with its voice ID); no record,
        after an answer with which the platform was done (``finished``), proves the call was not placed: sent
        again after HTTP 429/500/503 while sends remain, else ``rejected``; anything else is ``unknown``."""
        if not call.attempted:
            self._not_placed(call, exc)
            return None
        busy_again = sends > 1 and isinstance(exc, ApiStatusError) and exc.code == '-68'
        if not may_have_reached(exc) and not busy_again:
            self._not_placed(call, exc)
            return None
        message = describe(exc, self.redact)
        if busy_again:
            message = ('%s; sent again after a read-back found no record of the first request, the phone is busy: the first '
                       'request may have placed the call after all' % message)
        pause = None
        if worth_resending(exc) and not busy_again and sends < self.place_attempts:
            retry_after = getattr(exc, 'retry_after', None)
            pause = max(RESEND_PAUSE, retry_after or 0)
            if pause > MAX_RESEND_PAUSE:
                pause = None  # the platform asks for more patience than a test run has: read back now, do not resend
            else:
                self._sleep(pause)  # the platform's Retry-After, and time for its records to show the call
        state, found, detail = self._look_back(call, since)
        if state == 'found':
            found = t.cast(dict, found)  # 'found' always comes with the record
            call.voice_id = found['voiceId']
            call.progress = Progress(found['record'])
            call.set_verdict('accepted', 'accepted by the platform: its answer was lost (%s), but recordSipQuery lists this call '
                                         'with voice ID %s' % (message, call.voice_id))
            return None
        if state == 'absent' and finished(exc) and not busy_again:
            if pause is not None:
                return 0
            call.set_verdict('rejected', '%s; %s, so it was not placed (request sent %d time%s)'
                             % (message, detail, sends, '' if sends == 1 else 's'), getattr(exc, 'remedy', None))
            return None
        call.set_verdict('unknown', '%s; %s; the call may or may not have been placed and was not sent again' % (message, detail),
                         LOOK_BEFORE_CALLING_AGAIN)
        return None

    def _look_back(self, call: Call, since: float) -> tuple[str, dict[str, t.Any] | None, str | None]:
        """Whether the platform lists this call since ``since`` (epoch seconds of its first request): returns
        ``('found', {'voiceId', 'record'}, text)``, ``('absent', None, text)`` or ``('undecided', None, text)``.

        The records of the window (``WINDOW_MARGIN`` before ``since`` to the same after now, narrowed to the
        account's SIP group when the preflight listed it) are matched by callee and ``called_info`` (the run tag
        ``laaffic-voice:<run>:<index>:<account>`` unless the task gave its own): one record not already taken by
        another call of the run is the call; none is proof that it was not placed; more, a read that fails or a
        window with more than ``LOOK_BACK_PAGES`` pages cannot decide."""
        start = platform_time(math.floor(since) - WINDOW_MARGIN)
        end = platform_time(math.ceil(time.time()) + WINDOW_MARGIN)
        group = (self.groups or {}).get(call.account)
        try:
            records = self.client.record_sip_query(start, end, group, page_size=PAGE_SIZE, max_pages=LOOK_BACK_PAGES)
        except Exception as exc:  # pylint: disable=broad-except  # a failed read-back decides nothing
            return 'undecided', None, 'reading the records back failed: %s' % describe(exc, self.redact)
        window = 'recordSipQuery lists no such call from %s to %s' % (start, end)
        matches = [record for record in records if isinstance(record, dict) and record.get('calledInfo') == call.called_info
                   and normalize_number(record.get('callee') or '') == call.callee]
        with self._taken_lock:
            fresh = [record for record in matches if voice_id_text(record.get('voiceId')) not in self._taken]
            if len(fresh) == 1 and voice_id_text(fresh[0].get('voiceId')):
                voice_id = voice_id_text(fresh[0].get('voiceId'))
                self._taken.add(voice_id)
                return 'found', {'voiceId': voice_id, 'record': fresh[0]}, None
        if fresh:
            return 'undecided', None, ('recordSipQuery lists %d record(s) with this callee and called_info from %s to %s, which '
                                       'cannot tell whether one is this call' % (len(fresh), start, end))
        if getattr(records, 'truncated', False):
            return 'undecided', None, ('recordSipQuery holds more records from %s to %s than the %d pages read back'
                                       % (start, end, LOOK_BACK_PAGES))
        return 'absent', None, window

    def _not_placed(self, call: Call, exc: Exception) -> None:
        """The verdict of a call request whose answer proves that nothing was done (``may_have_reached``)."""
        message = describe(exc, self.redact)
        if isinstance(exc, ApiStatusError):
            call.api_status = exc.code
            call.set_verdict('rejected', 'the platform refused the call: status %s (%s)' % (exc.code, exc.reason or 'no reason given'), exc.remedy)
        else:
            call.set_verdict('rejected', message)

    def redact(self, text: str) -> str:
        redactor = getattr(self.client, 'redactor', None)
        return redactor.redact(text) if redactor is not None else text

    def _verify(self, pool: ThreadPoolExecutor, calls: list[Call], wait_timeout: float | None) -> None:
        waiting = [call for call in calls if call.voice_id and call.expect != 'accepted']
        deadline = Deadline(wait_timeout)
        delays = backoff(self.poll_interval, factor=1.3, maximum=max(self.poll_interval, 5.0))
        if waiting and self.receiver is None:
            self.pages = RecordPages(self.client, self._window or (time.time(), time.time()),
                                     sum(1 for call in calls if call.may_exist), common_group(waiting, self.groups), self.redact)
        first, settling = True, False
        # at least one check, however late: a verdict of timeout rests on a look at the call (a stalled controller, or 0)
        while waiting and self._fatal is None and (first or not deadline.expired()):
            # the first look comes no sooner than poll_interval after the last call was placed (jitter only later)
            delay = next(delays)
            if first:
                delay = max(delay, self.poll_interval)
            elif settling:
                delay = min(delay, self.poll_interval * SETTLING_FACTOR)
            self._sleep(deadline.clamp(delay))
            first = False
            self._observe(pool, waiting, deadline)
            before = len(waiting)
            waiting = [call for call in waiting if not call.settle(final=False)]
            settling = 0 < len(waiting) < before and self.pages is not None and self.pages.worth_it(waiting)
        for call in waiting:
            if self._fatal is not None:
                call.last_error = self._fatal
            call.settle(final=True)

    def _failed_check(self, call: Call, exc: LaafficError) -> None:
        """Remember why a check failed; a refused receiver token will not get better, so waiting stops."""
        call.last_error = exc.message
        if self.receiver is not None and isinstance(exc, HttpError) and exc.status in (401, 403):
            self._fatal = exc.message

    def _observe(self, pool: ThreadPoolExecutor, waiting: list[Call], deadline: Deadline) -> None:
        """Update ``call.progress`` of the waiting calls from the records or the receiver."""
        if self.receiver is None:
            rest = waiting
            if self.pages is not None and self.pages.worth_it(waiting):
                rest = self.pages.read(waiting, deadline, pool.map)
            list(pool.map(lambda call: self._observe_record(call, deadline), rest))
            return
        if any(call.default_tag for call in waiting):
            try:
                objects, self._cursor = self.receiver.reports(self._cursor, deadline, calledInfoPrefix=run_tag_prefix(self.run_id))
            except LaafficError as exc:
                for call in waiting:
                    self._failed_check(call, exc)
                return
            for obj in objects:
                if isinstance(obj, dict):
                    self._seen[str(obj.get('voiceId'))] = obj
        list(pool.map(lambda call: self._observe_receiver(call, deadline), waiting))

    def _record(self, call: Call, deadline: Deadline | None) -> Progress | None:
        """The call's record as Progress, or None (no record yet, or the read failed: ``call.last_error`` says why)."""
        try:
            record = self.client.record_sip(call.voice_id, deadline)
            return None if record is None else Progress(record)
        except LaafficError as exc:
            self._failed_check(call, exc)
        except Exception as exc:  # pylint: disable=broad-except  # a broken read leaves the call waiting, with the reason
            call.last_error = 'reading the record failed: %s' % describe(exc, self.redact)
        return None

    def _observe_record(self, call: Call, deadline: Deadline | None) -> None:
        progress = self._record(call, deadline)
        if progress is not None:
            call.progress = progress

    def _observe_receiver(self, call: Call, deadline: Deadline | None) -> None:
        obj = self._seen.get(call.voice_id)
        if obj is None and not call.default_tag:
            receiver = t.cast('ReceiverClient', self.receiver)  # called on the receiver path only
            try:
                obj = receiver.report(call.voice_id, deadline)
            except LaafficError as exc:
                self._failed_check(call, exc)
                return
        if obj is None:
            if self._seen:
                call.last_error = 'no ringing notification or status report for this call reached the receiver'
            else:
                call.last_error = ('no report of this run reached the receiver; if that lasts, check the push address '
                                   'configured for the voice application in the LAAFFIC console')
            return
        if not isinstance(obj, dict):
            call.last_error = 'the receiver answered something that is not a call object for this call'
            return
        progress = Progress(obj.get('report'))
        if obj.get('ringing'):
            progress.mark_rang(obj.get('ringingTime'))
        if call.expect == 'answered' and progress.rang and not progress.answered and not progress.ended:
            # Only the final report says "answered": read the record to see an answer time while the call lasts.
            record = self._record(call, deadline)
            if record is not None:
                progress.merge(record)
        call.progress = progress
