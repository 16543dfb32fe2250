# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The LAAFFIC API client: signed headers on every request (a fresh Timestamp and Sign per attempt, each
Sign remembered by the redactor), the response envelope, and the documented endpoints. Sending,
retrying, redirects and redaction are the shared core's (``_transport``); its rules, documented in the
modules:

- reads (GET, and POST queries that change nothing) are retried with backoff on connection errors,
  timeouts, HTTP 429/500/502/503/504 and bodies that are not JSON;
- a request that creates something (sendSip places a call, sipAdd creates phones, sipReset sets a password)
  is sent again here ONLY when it provably never left this host (connection refused, name resolution or
  connect timeout). Any answer - HTTP 429 or 503 with Retry-After too - and a read timeout or a reset after
  sending may come after the platform acted: the callers read back (``_calls``, ``_phones``) and send again
  only what the read-back proves was not done;
- redirects are never followed; TLS failures and invalid URLs are not retried.

Every attempt that goes on the wire is counted by kind (``requests``: ``place`` for sendSip, ``verify``
for the record reads, ``preflight`` for sipQuery and getBalance), and a kind can be paced (``pace``:
a ``RateLimiter`` whose slot every attempt of that kind waits for, retries included).
"""

from __future__ import annotations

import threading
import time
import typing as t
from datetime import datetime, timezone
from urllib.parse import quote

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.laaffic.voice.plugins.module_utils._errors import ApiStatusError, LaafficError, TransportError
from ansible_collections.laaffic.voice.plugins.module_utils._paging import MAX_PAGES, numbered
from ansible_collections.laaffic.voice.plugins.module_utils._signing import signed_headers
from ansible_collections.laaffic.voice.plugins.module_utils._transport import HAS_REQUESTS, Redactor, Transport, new_session, verify_setting

if t.TYPE_CHECKING:
    import requests

    from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
    from ansible_collections.laaffic.voice.plugins.module_utils._paging import Prefetch, Records
    from ansible_collections.laaffic.voice.plugins.module_utils._polling import Deadline, RateLimiter


def utc_iso(epoch_seconds: float) -> str:
    """ISO-8601 UTC text for an epoch time (used to show which time a request was signed with)."""
    return datetime.fromtimestamp(int(epoch_seconds), tz=timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


REQUEST_KINDS = ('place', 'verify', 'preflight')


class RequestCount:
    """How many requests of each kind went on the wire (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = {kind: 0 for kind in REQUEST_KINDS}

    def add(self, kind: str) -> None:
        with self._lock:
            self._counts[kind] = self._counts.get(kind, 0) + 1

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)


class LaafficClient:
    """Signed JSON requests to the LAAFFIC API over one pooled session.

    ``log`` receives one line per request (method, path, outcome, milliseconds) and never a header.
    ``redactor`` masks the API secret and every Sign this client sent in anything received.
    """

    def __init__(self, options: ConnectionOptions, pool_size: int = 10, log: t.Callable[[str], None] | None = None, read_attempts: int = 4,
                 retry_delay: float | None = None, session: requests.Session | None = None,
                 sleep: t.Callable[[float], None] = time.sleep) -> None:
        if not HAS_REQUESTS:
            raise RuntimeError(missing_required_lib('requests'))
        self.options = options
        self.session = session or new_session(pool_size)
        self.verify = verify_setting(options.validate_certs, options.ca_path)
        self.redactor = Redactor(options.api_secret)
        self.requests = RequestCount()
        self.pace: dict[str, RateLimiter] = {}
        self.transport = Transport(self.session, options.timeout, self.verify, self.redactor, log, read_attempts, retry_delay, sleep,
                                   url_option='api_url')

    def url(self, path: str) -> str:
        return '%s/%s' % (self.options.api_url, path.lstrip('/'))

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path: str, body: object = None, places_call: bool = False, deadline: Deadline | None = None,
                kind: str = 'verify') -> dict[str, t.Any]:
        """Send a signed request and return the response envelope (a dict, redacted) when its status is 0.

        ``places_call`` means: the request creates something; never send it again once it may have acted.
        ``kind`` is what the request is counted as, and paced by (``self.pace[kind]``, a RateLimiter): an attempt whose slot
        would come after ``deadline`` is not sent (a permanent TransportError that says so).
        Raises ApiStatusError for a non-zero status, HttpError (RedirectError) or TransportError when retries are spent.
        """
        url = self.url(path)
        signed: dict[str, int] = {}
        limiter = self.pace.get(kind)

        def headers() -> dict[str, str]:
            if limiter is not None and not limiter.acquire(deadline):
                raise TransportError(method, url, 'the %s request rate limit leaves no time for it before the deadline' % kind,
                                     sent=False, permanent=True)
            self.requests.add(kind)
            timestamp = int(time.time())
            result = signed_headers(self.options.api_key, self.options.api_secret, timestamp)
            self.redactor.add_sign(result['Sign'])
            signed['at'] = timestamp
            return result

        payload = self.transport.send(method, url, headers, body, places_call=places_call, deadline=deadline)
        status = str(payload.get('status', '')).strip()
        if status != '0':
            raise ApiStatusError(status or '(missing)', payload.get('reason'), method, url, signed_at=utc_iso(signed['at']))
        return payload

    # The documented endpoints.
    def get_balance(self, deadline: Deadline | None = None) -> dict[str, t.Any]:
        """GET getBalance: balance, gift and credit come at the top level of the envelope."""
        payload = self.request('GET', 'getBalance', deadline=deadline, kind='preflight')
        return {key: payload.get(key) for key in ('balance', 'gift', 'credit')}

    def send_sip(self, account: str, callee: str, app_id: str, display_num: str | None = None, called_info: str | None = None,
                 deadline: Deadline | None = None) -> t.Any:
        """POST voice/sendSip; returns ``data`` as received (the voiceId; the caller checks that it is one)."""
        body: dict[str, str] = {'callee': callee, 'account': account, 'appId': app_id}
        if display_num:
            body['displayNum'] = display_num
        if called_info is not None:
            body['calledInfo'] = called_info
        payload = self.request('POST', 'voice/sendSip', body, places_call=True, deadline=deadline, kind='place')
        return payload.get('data')

    def record_sip(self, voice_id: object, deadline: Deadline | None = None) -> dict[str, t.Any] | None:
        """GET voice/recordSip/{voiceId}: the record, or None when the platform knows no such call (yet)."""
        payload = self.request('GET', 'voice/recordSip/%s' % quote(str(voice_id), safe=''), deadline=deadline)
        data = payload.get('data')
        return data if isinstance(data, dict) and data else None

    def record_sip_query(self, start_time: str, end_time: str, sip_group_name: str | None = None, phone_name: str | None = None,
                         page_size: int = 100, deadline: Deadline | None = None, max_pages: int = MAX_PAGES, max_total: int | None = None,
                         keep_partial: bool = False, prefetch: Prefetch | None = None) -> Records:
        """POST voice/recordSipQuery over the pages (bounded, see _paging; ``max_total`` ends the walk at a
        first page that claims more records; ``prefetch``, a map function, asks for the pages after the first
        at once); returns ``Records``. With ``keep_partial`` an error on a page ends the walk instead of
        raising: the records read so far come back, with ``Records.error``."""
        params: dict[str, t.Any] = {'strTime': start_time, 'endTime': end_time}
        if sip_group_name:
            params['sipGroupName'] = sip_group_name
        if phone_name:
            params['phoneName'] = phone_name
        return self._paged('voice/recordSipQuery', params, page_size, deadline, max_pages, 'verify', max_total, keep_partial, prefetch)

    def sip_query(self, app_id: str, page_size: int = 100, deadline: Deadline | None = None, max_pages: int = MAX_PAGES) -> Records:
        """POST voice/sipQuery over the pages (bounded, see _paging): the SIP accounts of the application,
        ``Records`` of ``{groupName, phoneName, account, password, displayNum}``.

        The records carry the SIP passwords: callers keep only what they need and never return them."""
        return self._paged('voice/sipQuery', {'appId': app_id}, page_size, deadline, max_pages, 'preflight')

    def _paged(self, path: str, params: dict[str, t.Any], page_size: int, deadline: Deadline | None, max_pages: int, kind: str,
               max_total: int | None = None, keep_partial: bool = False, prefetch: Prefetch | None = None) -> Records:
        errors: list[LaafficError] = []

        def request_page(current: int, size: int) -> object:
            try:
                return self.request('POST', path, {'current': current, 'size': size, 'params': params}, deadline=deadline,
                                    kind=kind).get('data')
            except LaafficError as exc:
                if not keep_partial:
                    raise
                errors.append(exc)
                return None  # an empty page: the walk ends here
        records = numbered(request_page, page_size, max_pages, max_total, prefetch)
        records.error = errors[0] if errors else None
        return records
