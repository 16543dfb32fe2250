# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""SIP desk phones of a voice application: list them (sipQuery), plan and create a phone group (sipAdd),
reset passwords (sipReset).

The documented constraints (the vendor's sipAdd and sipReset pages; the rules are in _rules): ``groupName`` 4-32 characters and unique per
application, ``phoneName`` 4-32 characters, ``quantity`` 1-50 per request, ``displayNum`` 7-13 digits
(optional), ``account`` 4-32 characters. The platform has no call to add phones to an existing group
(sipAdd answers -20 for an existing group name), to rename or delete phones, or to change their
display number, so every state that would need one is refused here before anything is sent.

SIP passwords are secrets: nothing built here puts one in an error message, and response bodies are
never quoted in errors of these endpoints (a truncated sipQuery or sipReset body would carry them).
"""

from __future__ import annotations

import time
import typing as t

from ansible_collections.laaffic.voice.plugins.module_utils._calls import MAX_RESEND_PAUSE, RESEND_PAUSE
from ansible_collections.laaffic.voice.plugins.module_utils._errors import (
    ApiStatusError, HttpError, LaafficError, OptionError, RedirectError, finished, may_have_reached, worth_resending)
from ansible_collections.laaffic.voice.plugins.module_utils._paging import Records
from ansible_collections.laaffic.voice.plugins.module_utils._rules import check_account, check_display_num, check_name

if t.TYPE_CHECKING:
    from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient

    Phone = dict[str, t.Any]  # account, phone_name, group_name, display_num, password (see phone_from_record)

MAX_PER_REQUEST = 50
PAGE_SIZE = 100
"""sipQuery's largest documented page (1-100)."""
MAX_PHONES = 100000
"""Default safety cap of a listing (``max_phones``; the platform's own total ends it first)."""
MAX_PHONES_LIMIT = 10000000

# What each status code means for these endpoints and what to do about it.
SIP_ADD_REMEDIES = {
    '-20': 'A phone group with this name already exists in the application, and the platform cannot add phones to an '
           'existing group: choose another group name for new phones.',
    '-22': 'A parameter was refused: groupName and phoneName 4-32 characters, quantity 1-50, displayNum 7-13 digits '
           'or absent, appId the voice application ID.',
    '-23': 'A cap was reached: at most 50 phones per request, and the application may have reached its phone quota '
           '(ask LAAFFIC to raise it, or free phones in the console).',
}
SIP_RESET_REMEDIES = {
    '-22': 'A parameter was refused: account 4-32 characters, appId the voice application ID.',
    '-24': 'The platform knows no such SIP account in this application: check the account with laaffic_phone_info.',
}


def _text(value: object) -> str | None:
    """A field of a record as text (None stays None): records come from the network and may hold any type."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def check_quantity(value: object, field: str = 'quantity') -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OptionError(field, 'must be a whole number of phones, 1 or more, got %r' % (value,))
    if value > MAX_PER_REQUEST:
        raise OptionError(field, (
            'the platform creates at most %d phones per request (sipAdd answers -23 above that) and cannot add phones '
            'to an existing group later (-20), so a group holds at most %d phones; got %d. Split the phones into '
            'several groups of at most %d, for example one laaffic_phone_group task per floor.')
            % (MAX_PER_REQUEST, MAX_PER_REQUEST, value, MAX_PER_REQUEST))
    return value


def check_accounts(values: t.Iterable[object] | None, field: str = 'accounts') -> list[str]:
    """One or more SIP accounts, without duplicates, in the given order."""
    if not values:
        raise OptionError(field, 'give at least one SIP account')
    accounts: list[str] = []
    for index, value in enumerate(values):
        account = check_account('%s[%d]' % (field, index), value)
        if account not in accounts:
            accounts.append(account)
    return accounts


def phone_from_record(record: object) -> Phone | None:
    """A sipQuery record as a phone dict, or None when it has no account (nothing received may crash a run)."""
    if not isinstance(record, dict):
        return None
    account = _text(record.get('account'))
    if not account:
        return None
    return {
        'account': account,
        'phone_name': _text(record.get('phoneName')),
        'group_name': _text(record.get('groupName')),
        'display_num': _text(record.get('displayNum')),
        'password': _text(record.get('password')),
    }


def public(phone: Phone, with_password: bool = False) -> Phone:
    """A phone for a result: the password only when asked for."""
    shown = {key: phone[key] for key in ('account', 'phone_name', 'group_name', 'display_num')}
    if with_password:
        shown['password'] = phone['password']
    return shown


NOT_SHOWN = 'not shown: on this endpoint it may contain SIP passwords'


def scrubbed(exc: LaafficError, remedies: dict[str, str] | None = None) -> LaafficError:
    """The error to raise instead of ``exc``, built once with all it says: without any free text from the server
    (status reason, response body, ``Location``), because on the endpoints that carry SIP passwords (sipQuery, sipAdd,
    sipReset) any of them may quote one, and with the endpoint's own remedy for its status (``remedies``, by status
    code) where it has one, else the status's generic remedy. The status code and the collection's own text stay.
    Other errors (no answer: our own text) are returned as they are."""
    if isinstance(exc, ApiStatusError):
        meaning = exc.details.get('meaning') or 'an undocumented status'
        return ApiStatusError(exc.code, '%s; the platform\'s reason is %s' % (meaning, NOT_SHOWN), exc.details['method'], exc.details['url'],
                              remedy=(remedies or {}).get(exc.code) or exc.remedy)
    if isinstance(exc, RedirectError):
        return RedirectError(exc.details['method'], exc.details['url'], exc.status, None, 'api_url',
                             shown='(%s)' % NOT_SHOWN.replace('contain', 'carry'))
    if isinstance(exc, HttpError):
        method, url = exc.details['method'], exc.details['url']
        own_text = not exc.details.get('body_excerpt') and exc.message.endswith(' bytes') and ' with a body larger than ' in exc.message
        if exc.message == HttpError.summary(method, url, exc.status) or own_text:
            return exc  # nothing the server wrote is in it
        return HttpError(method, url, exc.status, retry_after=exc.retry_after,
                         text='%s (reason and response body %s)' % (HttpError.summary(method, url, exc.status), NOT_SHOWN))
    return exc


def remember_passwords(client: LaafficClient, records: t.Iterable[object] | None) -> None:
    """Every SIP password of these records (phone dicts or sipQuery records) joins the client's redaction set,
    so that no later message of the run can show one."""
    redactor = getattr(client, 'redactor', None)
    if redactor is not None:
        redactor.add_passwords(record.get('password') for record in records or [] if isinstance(record, dict))


def check_max_phones(value: object, field: str = 'max_phones') -> int:
    """The safety cap of a listing: a whole number from 1 to MAX_PHONES_LIMIT (None: the default)."""
    if value is None:
        return MAX_PHONES
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PHONES_LIMIT:
        raise OptionError(field, 'must be a whole number of phones from 1 to %d, got %r' % (MAX_PHONES_LIMIT, value))
    return value


def sip_accounts(client: LaafficClient, app_id: str, max_phones: object = MAX_PHONES) -> Records:
    """The sipQuery records of the application over every page, up to ``max_phones`` (the platform's own total ends
    the walk first). Errors carry no free text from the server, and every password read joins the redaction set."""
    max_phones = check_max_phones(max_phones)
    try:
        records = client.sip_query(app_id, page_size=PAGE_SIZE, max_pages=-(-max_phones // PAGE_SIZE))
    except LaafficError as exc:
        raise scrubbed(exc)
    remember_passwords(client, records)
    records.max_phones = max_phones
    return records


def list_phones(client: LaafficClient, app_id: str, group_name: str | None = None, phone_name: str | None = None,
                accounts: t.Collection[str] | None = None, warn: t.Callable[[str], None] | None = None,
                max_phones: object = MAX_PHONES) -> Records:
    """Every phone of the application (sipQuery over its pages, up to the platform's total or ``max_phones``),
    optionally only one group, phone name or set of accounts.

    Returns ``Records`` sorted by group, phone name and account (stable whatever order the pages come in);
    ``truncated`` is True when the pager stopped at its page bound with more phones left on the platform, and
    then ``warn`` (a function of one text), when given, gets ``truncation_warning``.
    """
    records = sip_accounts(client, app_id, max_phones)
    phones: dict[str, Phone] = {}
    for record in records or []:
        phone = phone_from_record(record)
        if phone is not None:
            phones.setdefault(phone['account'], phone)
    chosen = [phone for phone in phones.values()
              if (group_name is None or phone['group_name'] == group_name)
              and (phone_name is None or phone['phone_name'] == phone_name)
              and (accounts is None or phone['account'] in accounts)]
    chosen.sort(key=lambda p: (p['group_name'] or '', p['phone_name'] or '', p['account']))
    listed = Records(chosen, truncated=bool(getattr(records, 'truncated', False)), pages=getattr(records, 'pages', 0))
    listed.total, listed.max_phones = records.total, records.max_phones
    if warn is not None and listed.truncated:
        warn(truncation_warning(listed) or '')
    return listed


def truncation_warning(phones: Records) -> str | None:
    """The warning to give when the listing stopped at the pager's bound, or None."""
    if not getattr(phones, 'truncated', False):
        return None
    total = getattr(phones, 'total', None)
    return ('sipQuery was read for %d pages and the platform claims more phones (%s): phones beyond them are not listed '
            '(max_phones is %d; raise it to list every phone).' % (
                phones.pages, 'a total of %d' % total if total is not None else 'no total', getattr(phones, 'max_phones', MAX_PHONES)))


def phone_name_matches(requested: str, actual: str | None) -> bool:
    """Whether a phone created with ``requested`` as phoneName can carry the name ``actual``.

    [INFERRED] The documents do not say how the platform names the phones of a group of several: the sample
    record shows phoneName ``sip-1``. A name equal to the requested one, or starting with it, is taken as a match.
    """
    return actual is not None and (actual == requested or actual.startswith(requested))


class GroupPlan:
    """What laaffic_phone_group has to do to reach the requested group: ``create`` is True or False."""

    def __init__(self, name: str, phone_name: str, quantity: int, display_num: str | None, existing: list[Phone]) -> None:
        self.name = name
        self.phone_name = phone_name
        self.quantity = quantity
        self.display_num = display_num
        self.existing = existing
        self.create = not existing
        self.problems = [] if self.create else self._problems()

    def _problems(self) -> list[str]:
        """Why the existing group is not the requested one, as sentences; empty when it is."""
        count = len(self.existing)
        problems: list[str] = []
        if count < self.quantity:
            problems.append(
                'phone group %r already has %d phone(s) and %d are requested, but the platform cannot add phones to an '
                'existing group (sipAdd answers -20). Set quantity to %d to keep the group as it is, or create the %d '
                'extra phone(s) in a new group (another name).' % (self.name, count, self.quantity, count, self.quantity - count))
        elif count > self.quantity:
            problems.append(
                'phone group %r already has %d phone(s), more than the %d requested, and the API cannot delete phones. '
                'Set quantity to %d, or delete phones in the LAAFFIC console.' % (self.name, count, self.quantity, count))
        wrong_names = sorted(p['phone_name'] or '(none)' for p in self.existing if not phone_name_matches(self.phone_name, p['phone_name']))
        if wrong_names:
            shown = ', '.join(wrong_names[:5]) + (' ...' if len(wrong_names) > 5 else '')
            problems.append(
                'phone group %r has phones named %s, not %r, and the API cannot rename phones. Set phone_name to the '
                'name the group was created with.' % (self.name, shown, self.phone_name))
        if self.display_num is not None:
            numbers = sorted(set(p['display_num'] or '(none)' for p in self.existing if p['display_num'] != self.display_num))
            if numbers:
                problems.append(
                    'phones of group %r display %s, not %s, and the API cannot change the display number of a phone. '
                    'Leave display_num out or set it to the group\'s number, or change it in the LAAFFIC console.'
                    % (self.name, ', '.join(numbers), self.display_num))
        return problems

    @property
    def reachable(self) -> bool:
        return not self.problems

    def diff(self) -> dict[str, dict[str, t.Any]]:
        before: dict[str, t.Any] = {'name': self.name, 'phones': len(self.existing)} if self.existing else {}
        after = {'name': self.name, 'phones': self.quantity if self.create else len(self.existing)}
        return {'before': before, 'after': after}


def plan_group(phones: t.Iterable[Phone], name: object, phone_name: object, quantity: object, display_num: object) -> GroupPlan:
    """Validate the request and compare it with the phones of the application; raises OptionError for bad input."""
    name = check_name('name', name, 'the phone group name, unique in the application')
    phone_name = check_name('phone_name', phone_name, 'the name of the phones')
    quantity = check_quantity(quantity)
    display_num = check_display_num(display_num)
    existing = [phone for phone in phones if phone['group_name'] == name]
    return GroupPlan(name, phone_name, quantity, display_num, existing)


def sip_add_body(app_id: str, plan: GroupPlan) -> dict[str, t.Any]:
    """The sipAdd request as the SDK sends it (displayNum only when given)."""
    body: dict[str, t.Any] = {'groupName': plan.name, 'phoneName': plan.phone_name, 'quantity': plan.quantity, 'appId': app_id}
    if plan.display_num is not None:
        body['displayNum'] = plan.display_num
    return body


def add_group(client: LaafficClient, app_id: str, plan: GroupPlan) -> None:
    """POST voice/sipAdd once. Never retried once it may have reached the platform (it creates phones)."""
    try:
        client.request('POST', 'voice/sipAdd', sip_add_body(app_id, plan), places_call=True)
    except LaafficError as exc:
        raise scrubbed(exc, SIP_ADD_REMEDIES) from None


class GroupCreation:
    """What one laaffic_phone_group creation did: ``created`` is True (the group exists, ``phones`` as sipQuery lists
    them), False (proven not created) or None (it may have been created: the read-back could not tell); ``error``
    the sipAdd error that made a read-back necessary (None after a plain success), ``note`` what the read-back found,
    ``sends`` how many sipAdd requests were sent."""

    def __init__(self, created: bool | None, phones: t.Sequence[Phone], error: LaafficError | None = None, note: str | None = None,
                 sends: int = 1) -> None:
        self.created = created
        self.phones = phones
        self.error = error
        self.note = note
        self.sends = sends


def create_group(client: LaafficClient, app_id: str, plan: GroupPlan, sleep: t.Callable[[float], None] | None = None,
                 attempts: int | None = None) -> GroupCreation:
    """Create the planned group by the rule for creating requests (docs: "Which requests are sent again").

    sipAdd is sent; an answer that proves nothing was done (a refusal status, a request that never left) is raised
    as it is. Any other failure is settled by reading the group back (sipQuery): listed -> created; not listed after
    an answer with which the platform was done (``finished``) -> not created, and after HTTP 429/500/503 sent again
    (Retry-After, at least ``RESEND_PAUSE`` seconds, waited first) while ``attempts`` remain - a second sipAdd cannot
    create the group twice, the platform answers -20 for an existing name; not listed after a timeout, a reset or a
    gateway error, or a read-back that fails -> None (may have been created). Returns ``GroupCreation``."""
    sleep = sleep or time.sleep
    most = attempts or t.cast(int, getattr(getattr(client, 'transport', None), 'attempts', 4))
    first: LaafficError | None = None
    sends = 0
    while True:
        sends += 1
        try:
            add_group(client, app_id, plan)
        except LaafficError as exc:
            ours = isinstance(exc, ApiStatusError) and exc.code == '-20' and first is not None
            if not ours and not may_have_reached(exc):
                raise
            first = first or exc
            pause: float | None = None
            if worth_resending(exc) and sends < most:
                pause = max(RESEND_PAUSE, exc.retry_after or 0)
                if pause > MAX_RESEND_PAUSE:
                    pause = None
                else:
                    sleep(pause)
            try:
                phones = list_phones(client, app_id, group_name=plan.name)
            except LaafficError as read_exc:
                return GroupCreation(None, [], first, 'reading the phones back failed too (%s)' % read_exc.message, sends)
            if phones:
                return GroupCreation(True, phones, first, 'sipQuery lists phone group %s' % plan.name, sends)
            if ours or not finished(exc):
                return GroupCreation(None, [], first, 'sipQuery does not list phone group %s (yet): the request may still be at '
                                                      'work on the platform' % plan.name, sends)
            if pause is not None:
                continue
            return GroupCreation(False, [], first, 'sipQuery does not list phone group %s, so it was not created (sipAdd sent %d '
                                                   'time%s)' % (plan.name, sends, '' if sends == 1 else 's'), sends)
        return GroupCreation(True, list_phones(client, app_id, group_name=plan.name), first,
                             None if first is None else 'a later sipAdd created it', sends)


def reset_password(client: LaafficClient, app_id: str, account: str) -> str:
    """POST voice/sipReset once; returns the new password. Never retried once it may have reached the platform."""
    try:
        payload = client.request('POST', 'voice/sipReset', {'account': account, 'appId': app_id}, places_call=True)
    except LaafficError as exc:
        raise scrubbed(exc, SIP_RESET_REMEDIES) from None
    data = payload.get('data')
    password = _text(data.get('password')) if isinstance(data, dict) else None
    remember_passwords(client, [{'password': password}])
    if not password:
        # The reset happened (status 0) but its answer is unusable: like a lost answer, settled by reading back.
        raise HttpError('POST', client.url('voice/sipReset'), 200,
                        text='POST %s answered status 0 without a new password for %s' % (client.url('voice/sipReset'), account))
    return password


class ResetOutcome:
    """One account of laaffic_phone_password: ``reset`` is True (new password known), False (not reset) or None
    (it may have been reset and the new password could not be read back)."""

    def __init__(self, account: str) -> None:
        self.account = account
        self.reset: bool | None = False
        self.password: str | None = None
        self.confirmed_by: str | None = None
        self.error: str | None = None

    @property
    def changed(self) -> bool:
        """Whether the account's password was, or may have been, changed."""
        return self.reset is not False

    def to_dict(self, phone: Phone) -> dict[str, t.Any]:
        result: dict[str, t.Any] = {'account': self.account, 'reset': self.reset, 'phone_name': phone.get('phone_name'),
                                    'group_name': phone.get('group_name')}
        if self.password is not None:
            result['password'] = self.password
        if self.confirmed_by:
            result['confirmed_by'] = self.confirmed_by
        if self.error:
            result['error'] = self.error
        return result


def reset_passwords(client: LaafficClient, app_id: str, accounts: t.Iterable[str], before: t.Mapping[str, Phone]) -> list[ResetOutcome]:
    """Reset each account in turn; ``before`` maps account -> phone as listed before (with its old password).

    An account whose answer was lost after the request may have reached the platform is not sent again: the
    phones are read back (sipQuery is safe to repeat) and the password found there is taken if it changed.
    """
    outcomes: list[ResetOutcome] = []
    uncertain: list[ResetOutcome] = []
    for account in accounts:
        outcome = ResetOutcome(account)
        outcomes.append(outcome)
        try:
            outcome.password = reset_password(client, app_id, account)
            outcome.reset = True
        except LaafficError as exc:
            outcome.error = exc.message
            if may_have_reached(exc):
                outcome.reset = None
                uncertain.append(outcome)
    if uncertain:
        _read_back(client, app_id, uncertain, before)
    return outcomes


def _read_back(client: LaafficClient, app_id: str, uncertain: list[ResetOutcome], before: t.Mapping[str, Phone]) -> None:
    """Settle resets whose answer was lost by comparing the password sipQuery shows now with the one before."""
    try:
        now = {p['account']: p for p in list_phones(client, app_id, accounts=[o.account for o in uncertain])}
    except LaafficError as exc:
        for outcome in uncertain:
            outcome.error = '%s; reading the phones back failed too (%s): run the reset again for this account' % (
                outcome.error, exc.message)
        return
    for outcome in uncertain:
        current = now.get(outcome.account, {}).get('password')
        old = before.get(outcome.account, {}).get('password')
        if current and current != old:
            outcome.reset, outcome.password, outcome.confirmed_by, outcome.error = True, current, 'sipQuery', None
        elif current and current == old:
            # Not proof that nothing was done (the listing may lag behind the reset): unknown, never sent again.
            outcome.error = ('%s; sipQuery still shows the old password, which does not prove that it was not reset (a reset is '
                             'never sent again): run the reset again for this account to get a password you know' % outcome.error)
        else:
            outcome.error = '%s; sipQuery did not show the account: run the reset again for this account' % outcome.error
