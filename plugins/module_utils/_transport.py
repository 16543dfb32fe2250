# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The one HTTP core of the collection: every request of the LAAFFIC client and of the report receiver
client goes through ``Transport.send``, which

- sends over one pooled requests.Session, never following a redirect (a 3xx is a ``RedirectError`` naming
  the Location), with the body read up to ``MAX_BODY`` bytes;
- redacts everything that comes back (status reason, the Location shown, the body excerpt and every field
  of the decoded JSON) with one ``Redactor`` before anything else sees it;
- retries by one rule (``retry_wait``): reads are retried with backoff on transport errors, HTTP
  429/500/502/503/504 and unreadable bodies (after Retry-After when given); a request that creates
  something (sendSip, sipAdd, sipReset) is sent again only when it provably never left this host
  (``may_have_reached``), whatever an answer says; permanent errors (TLS, invalid URL, redirects) are
  never retried.
"""

from __future__ import annotations

import json
import re
import threading
import time
import traceback
import typing as t
from urllib.parse import quote, urlsplit

from ansible_collections.laaffic.voice.plugins.module_utils._errors import HttpError, RedirectError, TransportError, may_have_reached
from ansible_collections.laaffic.voice.plugins.module_utils._polling import Deadline, backoff, parse_retry_after

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None

RETRYABLE_READ_STATUS = (429, 500, 502, 503, 504)
USER_AGENT = 'laaffic.voice-ansible-collection/1.0'
MAX_BODY = 8 * 1024 * 1024
MAX_DEPTH = 64
RETRY_DELAY = 0.5
MASK = '********'
MIN_SECRET_LENGTH = 4
_HEX_RUN = re.compile(r'[0-9a-fA-F]{32,}')


class Redactor:
    """Replaces credentials in anything received, whatever their case: the API secret, the receiver token
    (``add``), and every Sign sent during this client's life (``add_sign``; 32 hexadecimal digits).

    Values shorter than 4 characters are not searched for (they would mask ordinary text)."""

    def __init__(self, *values: object) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._signs: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._passwords: frozenset[str] = frozenset()
        self._password_lengths: list[int] = []
        for value in values:
            self.add(value)

    def add(self, value: object) -> None:
        """Mask ``value`` from now on, as sent and in its URL- and JSON-escaped forms."""
        if value is None or len(str(value)) < MIN_SECRET_LENGTH:
            return
        text = str(value)
        forms = {text, quote(text, safe=''), json.dumps(text)[1:-1]}
        with self._lock:
            self._values.update(form.lower() for form in forms)
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile('|'.join(re.escape(form) for form in alternatives), re.IGNORECASE)

    def add_sign(self, sign: str) -> None:
        with self._lock:
            self._signs.add(str(sign).lower())

    def add_passwords(self, values: t.Iterable[object]) -> None:
        """Mask these SIP passwords from now on in any text (as sent and URL- or JSON-escaped), like a secret;
        in decoded JSON, a ``password`` field keeps its value (that field's purpose is to carry one). Matched by
        lookups per length, so that thousands of passwords cost what a few do."""
        forms: set[str] = set()
        for value in values:
            if value is not None and len(str(value)) >= MIN_SECRET_LENGTH:
                text = str(value)
                forms.update(form.lower() for form in (text, quote(text, safe=''), json.dumps(text)[1:-1]))
        with self._lock:
            self._passwords = self._passwords | forms
            self._password_lengths = sorted(set(len(form) for form in self._passwords), reverse=True)

    def _unpassword(self, text: str) -> str:
        passwords, lengths = self._passwords, self._password_lengths
        lowered = text.lower()
        out: list[str] = []
        start, index = 0, 0
        while index < len(text):
            for length in lengths:
                if lowered[index:index + length] in passwords:
                    if not out or start != index or out[-1] != MASK:
                        out.append(text[start:index])
                        out.append(MASK)
                    index += length
                    start = index
                    break
            else:
                index += 1
        if not out:
            return text
        out.append(text[start:])
        return ''.join(out)

    def _unsign(self, match: re.Match[str]) -> str:
        run = match.group(0)
        lowered = run.lower()
        with self._lock:
            hits = [i for i in range(len(run) - 31) if lowered[i:i + 32] in self._signs]
        if not hits:
            return run
        keep = [True] * len(run)
        for start in hits:
            keep[start:start + 32] = [False] * 32
        out: list[str] = []
        masked = False
        for char, kept in zip(run, keep):
            if kept:
                out.append(char)
                masked = False
            elif not masked:
                out.append(MASK)
                masked = True
        return ''.join(out)

    @t.overload
    def redact(self, text: None) -> None:
        ...

    @t.overload
    def redact(self, text: object) -> str:
        ...

    def redact(self, text: object) -> str | None:
        """``text`` (str or bytes) with every credential replaced by ``********``; None stays None."""
        if text is None:
            return None
        if isinstance(text, bytes):
            text = text.decode('utf-8', errors='replace')
        shown = str(text)
        pattern = self._pattern
        if pattern is not None:
            shown = pattern.sub(MASK, shown)
        if self._signs:
            shown = _HEX_RUN.sub(self._unsign, shown)
        if self._passwords:
            shown = self._unpassword(shown)
        return shown

    def redact_data(self, value: t.Any, depth: int = 0) -> t.Any:
        """A decoded JSON value with every string (keys too) redacted. A number that shows a credential
        becomes redacted text. Raises ValueError past ``MAX_DEPTH`` levels of nesting."""
        if depth > MAX_DEPTH:
            raise ValueError('nested more than %d levels' % MAX_DEPTH)
        if isinstance(value, dict):
            return {self.redact(key): (item if key == 'password' and isinstance(item, str) and item.lower() in self._passwords
                                       else self.redact_data(item, depth + 1)) for key, item in value.items()}
        if isinstance(value, list):
            return [self.redact_data(item, depth + 1) for item in value]
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = self.redact(repr(value))
            return value if text == repr(value) else text
        return value


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (requests wraps urllib3 errors in args and .reason)."""
    seen: list[BaseException] = []
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is s for s in seen) or not isinstance(item, BaseException):
            continue
        seen.append(item)
        todo.extend([getattr(item, 'reason', None), item.__cause__, item.__context__])
        todo.extend(arg for arg in getattr(item, 'args', ()) if isinstance(arg, BaseException))
    return seen


def classify_exception(exc: BaseException, timeout: float, url_option: str = 'api_url') -> tuple[bool, str, str | None, bool]:
    """Return ``(sent, cause, remedy, permanent)`` for an exception raised while sending: ``sent`` is False
    only when the request provably never left this host, ``permanent`` when trying again cannot help."""
    if not HAS_REQUESTS or not isinstance(exc, requests.exceptions.RequestException):
        return True, 'unexpected %s' % type(exc).__name__, None, False
    causes = _causes(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return False, 'TLS handshake failed: %s' % type(exc).__name__, (
            'Check the server certificate; use ca_path for a private CA (validate_certs=false only for tests).'), True
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                        requests.exceptions.InvalidHeader)):
        return False, 'invalid URL or header: %s' % type(exc).__name__, 'Check %s.' % url_option, True
    if isinstance(exc, requests.exceptions.ConnectTimeout) or any(isinstance(c, ConnectTimeoutError) for c in causes):
        return False, 'connection timed out after %gs' % timeout, 'Check %s, proxies and the network path.' % url_option, False
    if any(isinstance(c, NewConnectionError) for c in causes):
        return False, 'connection failed: %s' % type([c for c in causes if isinstance(c, NewConnectionError)][0]).__name__, (
            'Check %s, DNS, proxies and that the server is reachable from this host.' % url_option), False
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return True, 'no response within %gs' % timeout, None, False
    if isinstance(exc, requests.exceptions.ConnectionError):
        return True, 'connection lost: %s' % type(causes[-1] if causes else exc).__name__, None, False
    return True, type(exc).__name__, None, False


def retry_wait(exc: HttpError | TransportError, places_call: bool, delay: float) -> float | None:
    """Seconds to wait before sending the request that raised ``exc`` again, or None when it must not be.

    ``places_call``: the request creates something (sendSip, sipAdd, sipReset). It is sent again here only when
    it provably never left this host; every answer, whatever its status or Retry-After, may come after the
    platform acted (``may_have_reached``), and only the caller's read-back can tell."""
    if getattr(exc, 'permanent', False):
        return None
    if places_call:
        return delay if isinstance(exc, TransportError) and not may_have_reached(exc) else None
    if isinstance(exc, TransportError):
        return delay
    if exc.status in (429, 503) and exc.retry_after is not None:
        return exc.retry_after
    if exc.status in RETRYABLE_READ_STATUS or exc.status == 200:
        return delay
    return None


def new_session(pool_size: int = 10) -> requests.Session:
    """A requests session with one connection pool per host, kept alive, and no automatic retries
    (``retry_wait`` is the only retry rule). The proxy and CA bundle variables of the environment are
    honoured as requests does, but read once per scheme and host (``_environment_once``)."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(2, int(pool_size)), max_retries=0)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    session.headers['User-Agent'] = USER_AGENT
    # Replaced on this one session, on purpose (mypy refuses any assignment to a method); the wrapper returns a plain dict
    # copy of the settings requests' stubs type as a TypedDict.
    session.merge_environment_settings = _environment_once(  # type: ignore[method-assign, assignment]
        session.merge_environment_settings)
    return session


def _environment_once(merge: t.Callable[..., t.Mapping[str, t.Any]]) -> t.Callable[..., dict[str, t.Any]]:
    """``Session.merge_environment_settings`` remembered per scheme, host and arguments: requests walks the
    whole environment (proxy variables, no_proxy, CA bundle variables) on every request otherwise, about a
    quarter of a request's processor time on a fast network, and the environment does not change during a run."""
    cache: dict[tuple[str, ...], t.Mapping[str, t.Any]] = {}
    lock = threading.Lock()

    def merged(url: str, proxies: t.Mapping[str, str] | None, stream: bool | None, verify: bool | str | None,
               cert: object) -> dict[str, t.Any]:
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, repr(sorted((proxies or {}).items())), repr(stream), repr(verify), repr(cert))
        with lock:
            settings = cache.get(key)
        if settings is None:
            settings = merge(url, proxies, stream, verify, cert)
            with lock:
                cache[key] = settings
        return dict(settings)
    return merged


def verify_setting(validate_certs: bool, ca_path: str | None) -> bool | str:
    """The ``verify`` argument of requests for the validate_certs and ca_path options."""
    return ca_path if (validate_certs and ca_path) else bool(validate_certs)


def _keep_as_text(constant: str) -> str:
    """NaN and Infinity in a JSON body stay the text the server sent."""
    return constant


class _TooLarge(Exception):
    pass


# A request's headers, or a function giving fresh ones for each attempt (a new signature each time).
if t.TYPE_CHECKING:
    Headers = t.Union[dict[str, str], t.Callable[[], dict[str, str]], None]


class Transport:
    """Sends requests for one client. ``log`` receives one line per attempt (method, URL, outcome, ms), never a header."""

    def __init__(self, session: requests.Session, timeout: float, verify: bool | str = True, redactor: Redactor | None = None,
                 log: t.Callable[[str], None] | None = None, attempts: int = 4, retry_delay: float | None = None,
                 sleep: t.Callable[[float], None] = time.sleep, url_option: str = 'api_url', max_body: int = MAX_BODY) -> None:
        self.session = session
        self.timeout = timeout
        self.verify = verify
        self.redactor = redactor if redactor is not None else Redactor()
        self.log: t.Callable[[str], None] = log or (lambda line: None)
        self.attempts = max(1, int(attempts))
        self.retry_delay = RETRY_DELAY if retry_delay is None else retry_delay
        self._sleep = sleep
        self.url_option = url_option
        self.max_body = max_body

    @t.overload
    def send(self, method: str, url: str, headers: Headers = None, body: object = None, params: dict[str, t.Any] | None = None,
             places_call: bool = False, deadline: Deadline | None = None, missing_ok: t.Literal[False] = False,
             remedies: dict[int, str] | None = None) -> dict[str, t.Any]:
        ...

    @t.overload
    def send(self, method: str, url: str, headers: Headers = None, body: object = None, params: dict[str, t.Any] | None = None,
             places_call: bool = False, deadline: Deadline | None = None, missing_ok: bool = False,
             remedies: dict[int, str] | None = None) -> dict[str, t.Any] | None:
        ...

    def send(self, method: str, url: str, headers: Headers = None, body: object = None, params: dict[str, t.Any] | None = None,
             places_call: bool = False, deadline: Deadline | None = None, missing_ok: bool = False,
             remedies: dict[int, str] | None = None) -> dict[str, t.Any] | None:
        """Send until a JSON object comes back, and return it redacted (None for HTTP 404 when ``missing_ok``).
        ``remedies``: what to do about an HTTP status of this endpoint, by status, built into the HttpError.

        ``headers`` is a dict or a function giving fresh headers for each attempt. Raises HttpError,
        RedirectError or TransportError once ``retry_wait`` says no, the attempts are spent or the
        deadline would pass."""
        deadline = deadline or Deadline(None)
        delays = backoff(self.retry_delay, factor=2.0, maximum=5.0)
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._once(method, url, headers() if callable(headers) else headers, body, params, deadline, missing_ok,
                                  remedies or {})
            except (HttpError, TransportError) as exc:
                wait = retry_wait(exc, places_call, next(delays))
                if wait is None or attempt >= self.attempts or deadline.remaining() <= wait:
                    raise
                self._sleep(wait)

    def _read(self, response: requests.Response) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge()
            chunks.append(chunk)
        return b''.join(chunks)

    def _once(self, method: str, url: str, headers: dict[str, str] | None, body: object, params: dict[str, t.Any] | None,
              deadline: Deadline, missing_ok: bool, remedies: dict[int, str]) -> dict[str, t.Any] | None:
        redact = self.redactor.redact
        data = None if body is None else json.dumps(body, separators=(',', ':')).encode('utf-8')
        timeout = self.timeout if deadline.at is None else min(self.timeout, max(0.1, deadline.remaining()))
        started = time.monotonic()

        def done(outcome: str) -> None:
            self.log('%s %s -> %s (%d ms)' % (method, url, outcome, (time.monotonic() - started) * 1000))

        try:
            response = self.session.request(method, url, data=data, params=params, headers=headers, timeout=timeout, verify=self.verify,
                                            allow_redirects=False, stream=True)
            try:
                status = response.status_code
                reason = redact(response.reason)
                if 300 <= status < 400:
                    done('HTTP %s redirect, not followed' % status)
                    raise RedirectError(method, url, status, redact(response.headers.get('Location')), self.url_option)
                try:
                    content = self._read(response)
                except _TooLarge:
                    done('HTTP %s, body larger than %d bytes' % (status, self.max_body))
                    raise HttpError(method, url, status, reason=reason, text='%s %s answered HTTP %s with a body larger than %d bytes'
                                    % (method, url, status, self.max_body), remedy=remedies.get(status))
                retry_after = parse_retry_after(response.headers.get('Retry-After'))
            finally:
                response.close()
        except (HttpError, TransportError):
            raise
        except Exception as exc:  # pylint: disable=broad-except  # anything the network does is an answer we report
            sent, cause, remedy, permanent = classify_exception(exc, timeout, self.url_option)
            done(cause)
            raise TransportError(method, url, redact(cause), sent, remedy, permanent)
        if status == 404 and missing_ok:
            done('HTTP 404')
            return None
        if status != 200:
            done('HTTP %s' % status)
            raise HttpError(method, url, status, redact(content), reason, retry_after=retry_after, remedy=remedies.get(status))
        try:
            payload = self.redactor.redact_data(json.loads(content.decode('utf-8-sig'), parse_constant=_keep_as_text))
        except (ValueError, RecursionError):
            payload = None
        if not isinstance(payload, dict):
            done('HTTP 200, body not a JSON object')
            raise HttpError(method, url, 200, redact(content))
        done('HTTP 200 status %s' % redact(str(payload.get('status'))))
        return payload
