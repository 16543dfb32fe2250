# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The LAAFFIC HTTP client: one pooled requests.Session, signed headers on every request, the response
envelope, and the retry rules.

Retry rules (documented in the modules):
- reads (GET, and POST queries that change nothing) are retried with backoff on connection errors,
  timeouts, HTTP 429/500/502/503/504 and bodies that are not JSON;
- a request that places a call is retried ONLY when it provably never reached the platform (connection
  refused, name resolution or connect timeout) or when the platform answered HTTP 429 or 503 with a
  Retry-After header. A read timeout or a reset after sending is never retried: the call may exist.
"""

from __future__ import annotations

import json
import time
import traceback
from datetime import datetime, timezone
from urllib.parse import quote

from ansible_collections.laaffic.voice.plugins.module_utils._errors import ApiStatusError, HttpError, TransportError
from ansible_collections.laaffic.voice.plugins.module_utils._paging import MAX_PAGES, numbered
from ansible_collections.laaffic.voice.plugins.module_utils._polling import Deadline, backoff, parse_retry_after
from ansible_collections.laaffic.voice.plugins.module_utils._signing import signed_headers

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

RETRYABLE_READ_STATUS = (429, 500, 502, 503, 504)
USER_AGENT = 'laaffic.voice-ansible-collection/1.0'


def utc_iso(epoch_seconds):
    """ISO-8601 UTC text for an epoch time (used to show which time a request was signed with)."""
    return datetime.fromtimestamp(int(epoch_seconds), tz=timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def _causes(exc):
    """The exception and everything it wraps (requests wraps urllib3 errors in args and .reason)."""
    seen = []
    todo = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen) or not isinstance(item, BaseException):
            continue
        seen.append(item)
        todo.extend([getattr(item, 'reason', None), item.__cause__, item.__context__])
        todo.extend(arg for arg in getattr(item, 'args', ()) if isinstance(arg, BaseException))
    return seen


def classify_exception(exc, timeout):
    """Return ``(sent, cause, remedy)`` for a requests exception: ``sent`` is False only when the request
    provably never left this host."""
    causes = _causes(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return False, 'TLS handshake failed: %s' % type(exc).__name__, (
            'Check the platform certificate; use ca_path for a private CA (validate_certs=false only for tests).')
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema)):
        return False, 'invalid URL', 'Check api_url.'
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(isinstance(c, ConnectTimeoutError) for c in causes):
        return False, 'connection timed out after %gs' % timeout, 'Check api_url, proxies and the network path to the platform.'
    if any(isinstance(c, NewConnectionError) for c in causes):
        return False, 'connection failed: %s' % type([c for c in causes if isinstance(c, NewConnectionError)][0]).__name__, (
            'Check api_url, DNS, proxies and that the platform is reachable from this host.')
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return True, 'no response within %gs' % timeout, None
    if isinstance(exc, requests.exceptions.ConnectionError):
        return True, 'connection lost: %s' % type(causes[-1] if causes else exc).__name__, None
    return True, type(exc).__name__, None


def new_session(pool_size=10):
    """A requests session with one connection pool per host, kept alive, and no automatic retries
    (the retry rules above are applied by the callers)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(2, int(pool_size)), max_retries=0)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    session.headers['User-Agent'] = USER_AGENT
    return session


def verify_setting(validate_certs, ca_path):
    """The ``verify`` argument of requests for the validate_certs and ca_path options."""
    return ca_path if (validate_certs and ca_path) else bool(validate_certs)


class LaafficClient(object):
    """Signed JSON requests to the LAAFFIC API over one pooled session.

    ``log`` receives one line per request (method, path, outcome, milliseconds) and never a header.
    """

    def __init__(self, options, pool_size=10, log=None, read_attempts=4, retry_delay=0.5, session=None, sleep=time.sleep):
        if not HAS_REQUESTS:
            raise RuntimeError('the requests library is required')
        self.options = options
        self.log = log or (lambda message: None)
        self.read_attempts = max(1, int(read_attempts))
        self.retry_delay = retry_delay
        self._sleep = sleep
        self.session = session or new_session(pool_size)
        self.verify = verify_setting(options.validate_certs, options.ca_path)

    def url(self, path):
        return '%s/%s' % (self.options.api_url, path.lstrip('/'))

    def close(self):
        self.session.close()

    def _redact(self, text, headers):
        """A response body or reason with the secret and this request's Sign replaced, should a server echo them."""
        if text is None:
            return None
        if isinstance(text, bytes):
            text = text.decode('utf-8', errors='replace')
        for value in (self.options.api_secret, headers['Sign']):
            text = text.replace(value, '********')
        return text

    def _send_once(self, method, url, body):
        """One signed request. Returns ``(payload, signed_at)``; raises HttpError or TransportError."""
        timestamp = int(time.time())
        headers = signed_headers(self.options.api_key, self.options.api_secret, timestamp)
        data = None if body is None else json.dumps(body, separators=(',', ':')).encode('utf-8')
        started = time.monotonic()
        try:
            response = self.session.request(method, url, data=data, headers=headers, timeout=self.options.timeout, verify=self.verify)
        except requests.exceptions.RequestException as exc:
            sent, cause, remedy = classify_exception(exc, self.options.timeout)
            self.log('%s %s -> %s (%d ms)' % (method, url, cause, (time.monotonic() - started) * 1000))
            raise TransportError(method, url, cause, sent, remedy)
        elapsed = (time.monotonic() - started) * 1000
        if response.status_code != 200:
            self.log('%s %s -> HTTP %s (%d ms)' % (method, url, response.status_code, elapsed))
            raise HttpError(method, url, response.status_code, self._redact(response.content, headers), response.reason,
                            retry_after=parse_retry_after(response.headers.get('Retry-After')))
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self.log('%s %s -> HTTP 200, body not a JSON object (%d ms)' % (method, url, elapsed))
            raise HttpError(method, url, 200, self._redact(response.content, headers))
        self.log('%s %s -> HTTP 200 status %s (%d ms)' % (method, url, payload.get('status'), elapsed))
        if str(payload.get('status', '')).strip() != '0' and isinstance(payload.get('reason'), str):
            payload['reason'] = self._redact(payload['reason'], headers)
        return payload, utc_iso(timestamp)

    def request(self, method, path, body=None, places_call=False, deadline=None):
        """Send a signed request and return the response envelope (a dict) when its status is 0.

        Raises ApiStatusError for a non-zero status, HttpError or TransportError when retries are spent.
        """
        url = self.url(path)
        deadline = deadline or Deadline(None)
        delays = backoff(self.retry_delay, factor=2.0, maximum=5.0)
        attempt = 0
        while True:
            attempt += 1
            try:
                payload, signed_at = self._send_once(method, url, body)
                break
            except (HttpError, TransportError) as exc:
                wait = self._retry_wait(exc, places_call, next(delays))
                if wait is None or attempt >= self.read_attempts or deadline.remaining() <= wait:
                    raise
                self._sleep(wait)
        status = str(payload.get('status', '')).strip()
        if status != '0':
            raise ApiStatusError(status or '(missing)', payload.get('reason'), method, url, signed_at=signed_at)
        return payload

    @staticmethod
    def _retry_wait(exc, places_call, delay):
        """Seconds to wait before retrying ``exc``, or None when it must not be retried."""
        if isinstance(exc, TransportError):
            if not exc.sent or not places_call:
                return delay
            return None
        if exc.status in (429, 503) and exc.retry_after is not None:
            return exc.retry_after
        if places_call:
            return None
        if exc.status in RETRYABLE_READ_STATUS or exc.status == 200:
            return delay
        return None

    # The documented endpoints.
    def get_balance(self, deadline=None):
        """GET getBalance: balance, gift and credit come at the top level of the envelope."""
        payload = self.request('GET', 'getBalance', deadline=deadline)
        return dict((key, payload.get(key)) for key in ('balance', 'gift', 'credit'))

    def send_sip(self, account, callee, app_id, display_num=None, called_info=None, deadline=None):
        """POST voice/sendSip; returns the voiceId (a string)."""
        body = {'callee': callee, 'account': account, 'appId': app_id}
        if display_num:
            body['displayNum'] = display_num
        if called_info is not None:
            body['calledInfo'] = called_info
        payload = self.request('POST', 'voice/sendSip', body, places_call=True, deadline=deadline)
        return None if payload.get('data') is None else str(payload.get('data'))

    def record_sip(self, voice_id, deadline=None):
        """GET voice/recordSip/{voiceId}: the record, or None when the platform knows no such call (yet)."""
        payload = self.request('GET', 'voice/recordSip/%s' % quote(str(voice_id), safe=''), deadline=deadline)
        data = payload.get('data')
        return data if isinstance(data, dict) and data else None

    def record_sip_query(self, start_time, end_time, sip_group_name=None, phone_name=None, page_size=100, deadline=None,
                         max_pages=MAX_PAGES):
        """POST voice/recordSipQuery over the pages (bounded, see _paging); returns ``Records``."""
        params = {'strTime': start_time, 'endTime': end_time}
        if sip_group_name:
            params['sipGroupName'] = sip_group_name
        if phone_name:
            params['phoneName'] = phone_name
        return self._paged('voice/recordSipQuery', params, page_size, deadline, max_pages)

    def sip_query(self, app_id, page_size=100, deadline=None, max_pages=MAX_PAGES):
        """POST voice/sipQuery over the pages (bounded, see _paging): the SIP accounts of the application,
        ``Records`` of ``{groupName, phoneName, account, password, displayNum}``.

        The records carry the SIP passwords: callers keep only what they need and never return them."""
        return self._paged('voice/sipQuery', {'appId': app_id}, page_size, deadline, max_pages)

    def _paged(self, path, params, page_size, deadline, max_pages):
        def request_page(current, size):
            return self.request('POST', path, {'current': current, 'size': size, 'params': params}, deadline=deadline).get('data')
        return numbered(request_page, page_size, max_pages)
