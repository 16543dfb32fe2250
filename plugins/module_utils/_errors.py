# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""Errors raised by the LAAFFIC client, and the platform's status codes with a remedy for each.

No error text built here ever contains the API secret or a Sign value: errors are built from the
method, the URL (which carries no credential), status codes, the vendor's reason and a short,
redacted body excerpt.
"""

from __future__ import annotations

import typing as t

# code -> (the vendor's documented meaning, what the user should do about it)
STATUS_CODES = {
    '0': ('success', 'Nothing to do.'),
    '-1': ('Authentication error',
           'Check api_key, api_secret and app_id: the key and secret come from the LAAFFIC console '
           '(Home > Developer options), the app_id from Voice application management.'),
    '-2': ('Restricted IP access',
           "The controller's public IP address is not allowed for this API key: add it to the key's IP "
           'whitelist in the LAAFFIC console, or run from an allowed host or execution environment.'),
    '-3': ('Sensitive characters in SMS content', 'Remove the flagged words from the message content.'),
    '-4': ('SMS content is empty', 'Provide non-empty content.'),
    '-5': ('SMS content too long', 'Shorten the content.'),
    '-6': ('SMS that is not a template', 'Use an approved template.'),
    '-7': ('Phone number exceeds limit', 'Send to fewer numbers per request.'),
    '-8': ('Phone number is empty', 'Provide the callee number.'),
    '-9': ('Abnormal phone number', 'Use country code + number, 7-15 digits, without + or spaces.'),
    '-10': ("The customer's balance is insufficient",
            'Top up the LAAFFIC account (check it with getBalance); no further calls will be accepted until then.'),
    '-11': ('Incorrect time format', 'Use ISO-8601 times with an offset, e.g. 2026-01-31T00:00:00+08:00.'),
    '-12': ('Platform reason, submit fail', 'A platform-side failure: retry later or contact LAAFFIC support.'),
    '-13': ('User locked', 'The LAAFFIC account is locked: contact LAAFFIC support or your account manager.'),
    '-14': ('Field is empty or query ID is abnormal', 'Check the identifiers passed to the query.'),
    '-15': ('Frequent query', 'Query less often: lower verify_rate_limit or raise poll_interval (see summary.requests).'),
    '-16': ('Timestamp expires',
            "The controller's clock differs from the platform's: synchronise it with NTP "
            '(the request was signed with the local UTC time shown in this message).'),
    '-17': ('SMS template is empty', 'Provide a template.'),
    '-18': ('Port program unusual (system exception)',
            'The platform could not process the request body (it was not the JSON it expected); '
            'if this repeats with valid input it is a platform-side fault: retry later.'),
    '-19': ('Confirm SMS pricing with the business team', 'Contact LAAFFIC to enable pricing for this destination.'),
    '-20': ('Data existing', 'The object already exists.'),
    '-21': ('Data validation exception', 'Check the values sent against the documented constraints.'),
    '-22': ('Parameter exception',
            'A parameter is missing or invalid: callee 7-15 digits, displayNum 7-15 digits or empty, '
            'account an existing SIP account of this app, appId the voice application ID, calledInfo at most 1000 characters.'),
    '-23': ('Data caps', 'A quota is reached: remove unused objects or ask LAAFFIC to raise it.'),
    '-24': ('Data unexisting', 'The object does not exist: check the identifier.'),
    '-25': ('Out of time range', 'Query a window of at most 31 days within the last two months.'),
    '-26': ('Getting fee fail', 'No rate could be found for this destination: check the callee number, '
                                'or ask LAAFFIC to enable the destination.'),
    '-27': ('Period total send limit', 'The period limit of the app is reached: wait or ask LAAFFIC to raise it.'),
    '-28': ('Period phone send limit', 'This number reached its period limit: wait before calling it again.'),
    '-29': ('WorkSpace is disabled', 'Enable the workspace in the LAAFFIC console or contact support.'),
    '-30': ('API Key is disabled', 'Enable the API key in the LAAFFIC console or create a new one.'),
    '-31': ('IP is not in the whitelist', "Add the controller's public IP address to the API key's whitelist."),
    '-32': ('API Key has no permission for the current application',
            'Grant the API key access to this voice application (app_id) in the LAAFFIC console.'),
    '-68': ('The SIP is not in the idle state and cannot be used',
            'The desk phone is busy (already in a call) or not registered: check that it is powered, '
            'registered to the platform and idle, then call again.'),
}

UNKNOWN_CODE_REMEDY = 'An undocumented status code: see the reason text, and contact LAAFFIC support if it persists.'

EXCERPT_LENGTH = 200


def status_text(code: object) -> tuple[str | None, str]:
    """Return ``(meaning, remedy)`` for a status code given as a string or a number."""
    return STATUS_CODES.get(str(code).strip(), (None, UNKNOWN_CODE_REMEDY))


def excerpt(body: str | bytes | None, length: int = EXCERPT_LENGTH) -> str:
    """A short, single-line excerpt of a response body for error messages."""
    if body is None:
        return ''
    if isinstance(body, bytes):
        body = body.decode('utf-8', errors='replace')
    body = ' '.join(body.split())
    return body if len(body) <= length else body[:length] + '...'


class LaafficError(Exception):
    """Base class of every error the collection raises; ``to_dict`` gives a structured form for results."""

    kind = 'error'

    def __init__(self, message: str, **details: t.Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {'kind': self.kind, 'message': self.message}
        result.update(self.details)
        return result


class OptionError(LaafficError):
    """An option or parameter is invalid; raised before any request is sent."""

    kind = 'option'

    def __init__(self, field: str, message: str) -> None:
        super().__init__('%s: %s' % (field, message), field=field)
        self.field = field


class ApiStatusError(LaafficError):
    """The platform answered HTTP 200 with a non-zero status."""

    kind = 'api_status'

    def __init__(self, code: object, reason: str | None, method: str, url: str, signed_at: str | None = None,
                 remedy: str | None = None) -> None:
        """``remedy``: what to do, when the caller knows better than the generic text of the status (an endpoint's own)."""
        code = str(code).strip()
        meaning, generic = status_text(code)
        remedy = remedy or generic
        text = 'LAAFFIC answered status %s (%s) to %s %s' % (code, reason or meaning or 'no reason given', method, url)
        if code == '-16' and signed_at:
            remedy = '%s Local UTC time signed: %s.' % (remedy, signed_at)
        super().__init__(
            '%s. %s' % (text, remedy), code=code, reason=reason, meaning=meaning, remedy=remedy, method=method, url=url)
        self.code = code
        self.reason = reason
        self.remedy = remedy


class HttpError(LaafficError):
    """The server answered with an HTTP status other than 200, or a body that is not a JSON object."""

    kind = 'http'
    permanent = False

    def __init__(self, method: str, url: str, status: int, body: str | bytes | None = None, reason: str | None = None,
                 retry_after: float | None = None, text: str | None = None, remedy: str | None = None) -> None:
        """``remedy``: what to do about this status on this endpoint, added to the message in parentheses."""
        if text is None:
            text = self.summary(method, url, status, reason)
        body_excerpt = excerpt(body)
        if body_excerpt:
            text = '%s: %s' % (text, body_excerpt)
        if remedy:
            text = '%s (%s)' % (text, remedy)
        super().__init__(text, method=method, url=url, http_status=status, body_excerpt=body_excerpt)
        if remedy:
            self.details['remedy'] = remedy
        self.status = status
        self.retry_after = retry_after

    @staticmethod
    def summary(method: str, url: str, status: int, reason: str | None = None) -> str:
        """The message's first words: what answered what."""
        if status == 200:
            return '%s %s answered HTTP 200 with a body that is not a JSON object' % (method, url)
        return '%s %s answered HTTP %s%s' % (method, url, status, ' %s' % reason if reason else '')


class RedirectError(HttpError):
    """The server answered 3xx. Redirects are never followed: the credentials go only to the configured URL."""

    kind = 'redirect'
    permanent = True

    def __init__(self, method: str, url: str, status: int, location: str | None, option: str, shown: str | None = None) -> None:
        """``shown``: what the message says instead of ``location`` (which is then not kept), when it must not be shown."""
        if shown is not None:
            location = None
        text = ('%s %s answered HTTP %s redirecting to %s; redirects are not followed, so that the credentials are sent '
                'only to the address you configured: if that is the right server, set %s to the final address'
                % (method, url, status, shown or location or '(no Location header)', option))
        super().__init__(method, url, status, text=text)
        self.details.update(location=location)
        self.location = location


class TransportError(LaafficError):
    """No HTTP answer. ``sent`` tells whether the request may have reached the server; ``permanent`` that
    trying again cannot help (TLS failures, invalid URLs)."""

    kind = 'transport'

    def __init__(self, method: str, url: str, cause: str, sent: bool, remedy: str | None = None, permanent: bool = False) -> None:
        if sent:
            text = '%s %s got no answer (%s); the request may have reached the platform' % (method, url, cause)
        else:
            text = '%s %s could not be sent (%s)' % (method, url, cause)
        if remedy:
            text = '%s. %s' % (text, remedy)
        super().__init__(text, method=method, url=url, cause=cause, sent=sent)
        self.sent = sent
        self.permanent = permanent


def describe(exc: BaseException, redact: t.Callable[[str], str]) -> str:
    """The text that tells what ``exc`` was, for a message or a verdict: the collection's own message, or for
    anything else its type and its text passed through ``redact`` (nothing received may show a credential)."""
    if isinstance(exc, LaafficError):
        return exc.message
    return 'unexpected %s: %s' % (type(exc).__name__, redact(str(exc)))


# The statuses with which the platform refuses a request, having done nothing: every documented code but 0
# (success) and -18 (a system exception, which may strike after the platform acted). An undocumented code, or an
# answer without one, proves nothing.
REFUSED_STATUSES = frozenset(code for code in STATUS_CODES if code not in ('0', '-18'))
# HTTP statuses after which a creating request may be sent again, once a read-back proved that it did not act.
RESEND_STATUSES = (429, 500, 503)
# Gateway statuses: the gateway gave up waiting, the platform behind it may still be working on the request.
GATEWAY_STATUSES = (502, 504)


def may_have_reached(exc: BaseException) -> bool:
    """THE rule for requests that create something (sendSip, sipAdd, sipReset), used both to decide whether
    such a request may be sent again and to give its outcome: may the request that raised ``exc`` have acted
    on the platform (placed a call, created phones, reset a password)?

    Only proof says no:

    - a LAAFFIC status that refuses the request (``REFUSED_STATUSES``: -1, -10, -22, -68, ...);
    - no answer, when the request provably never left this host (connection refused, name resolution,
      connect timeout, TLS handshake, invalid URL);
    - a redirect (3xx): never followed, so the request went no further than the server that redirected it.

    Everything else is yes: HTTP 429 and 503 (with or without Retry-After), any other 4xx or 5xx, HTTP 200
    with a body that cannot be read, status -18 or an undocumented status, a reset or a timeout after the
    request was sent, any unexpected error. Then only a read-back can tell (see ``finished``).
    """
    if isinstance(exc, ApiStatusError):
        return exc.code not in REFUSED_STATUSES
    if isinstance(exc, TransportError):
        return bool(exc.sent)
    if isinstance(exc, RedirectError):
        return False
    return True


def finished(exc: BaseException) -> bool:
    """Whether the platform was done with the request when ``exc`` came back: an answer from the platform (a
    status, or an HTTP status other than a gateway's 502 and 504). A read-back after it shows the request's
    whole effect, so not finding that effect proves that it did not act. After a timeout, a reset or a
    gateway error the request may still be at work: a read-back can then prove that it acted, never that
    it did not."""
    if isinstance(exc, ApiStatusError):
        return True
    if isinstance(exc, HttpError) and not isinstance(exc, RedirectError):
        return exc.status not in GATEWAY_STATUSES
    return False


def worth_resending(exc: BaseException) -> t.TypeGuard[HttpError]:
    """Whether a creating request that raised ``exc``, and that a read-back proved did not act, is sent again:
    only after HTTP 429, 500 or 503 (the platform was busy or failed before acting)."""
    return isinstance(exc, HttpError) and not isinstance(exc, RedirectError) and exc.status in RESEND_STATUSES
