# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SIP account (desk phone) management: voice/sipAdd, voice/sipQuery, voice/sipReset (docs/api-reference.md section 9).

The phones live in the platform's phone table with the scenario's phones: they stay for the emulator's
lifetime and a reset through the control API restores the scenario (phones created here are gone, reset
passwords are back). Behaviour the vendor documentation does not pin down is marked [INFERRED] and listed
in docs/emulator.md.
"""

from __future__ import annotations

import re
import secrets
import string
from typing import TYPE_CHECKING, Any

from laaffic_emulator.envelope import fail, ok, page_of, paged
from laaffic_emulator.scenario import Phone

if TYPE_CHECKING:
    from typing import TypeGuard

    from laaffic_emulator.core import Platform
    from laaffic_emulator.envelope import Answer

NAME_LENGTH = (4, 32)      # groupName, phoneName, account: 4-32 characters (documented)
PER_REQUEST_CAP = 50       # quantity 1-50 (documented); more is -23 "Data caps"
DISPLAY_NUM = re.compile(r'[0-9]{7,13}')
ALNUM = string.ascii_letters + string.digits
# [INFERRED] an account is a 10-character group prefix, '_' and a 3-digit number, like the documented
# 1653C690ab_006; a password is 8 letters and digits, like the documented LX9FZdF2.
PREFIX_LENGTH = 10
PASSWORD_LENGTH = 8
# [INFERRED] a created phone answers like the default scenario's answering phones (desk-answer-01).
ANSWERING = {'behaviour': 'answer', 'ring_after': 0.5, 'answer_after': 1.0, 'talk': 2.0}


def name_ok(value: object) -> TypeGuard[str]:
    """A group, phone or account name: a string of 4-32 printable characters."""
    return isinstance(value, str) and NAME_LENGTH[0] <= len(value) <= NAME_LENGTH[1] and value.isprintable()


def sip_record(phone: Phone) -> dict[str, Any]:
    """A phone as sipQuery lists it."""
    return {'groupName': phone.group, 'phoneName': phone.name, 'account': phone.account, 'password': phone.password,
            'displayNum': phone.display_num}


def random_text(length: int) -> str:
    """``length`` random letters and digits."""
    return ''.join(secrets.choice(ALNUM) for _unused in range(length))


class SipAccounts:
    """The three endpoints, working on ``platform.phones``."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def _app_ok(self, body: dict[str, Any]) -> bool:
        return body.get('appId') == self.platform.scenario.app_id

    def add(self, body: dict[str, Any]) -> Answer:
        """POST voice/sipAdd: a group of ``quantity`` phones; answers data null.

        [INFERRED] check order: parameters (-22), more than 50 in one request (-23), the group exists in the
        app (-20), the app's phone cap (-23)."""
        group, name, quantity = body.get('groupName'), body.get('phoneName'), body.get('quantity')
        display = body.get('displayNum')
        if isinstance(display, int) and not isinstance(display, bool):
            display = str(display)  # [INFERRED] a JSON number is taken as its digits, as for sendSip
        if display == '':
            display = None  # [INFERRED] empty means none, as for sendSip
        if not (name_ok(group) and name_ok(name) and self._app_ok(body)):
            return fail('-22')
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            return fail('-22')
        if display is not None and not (isinstance(display, str) and DISPLAY_NUM.fullmatch(display)):
            return fail('-22')
        if quantity > PER_REQUEST_CAP:
            return fail('-23')
        phones = self.platform.phones
        if any(phone.group == group for phone in phones.values()):
            return fail('-20')
        if len(phones) + quantity > self.platform.settings['max_phones']:
            return fail('-23')
        prefix = self._new_prefix()
        scenario = self.platform.scenario
        for number in range(1, quantity + 1):
            spec = dict(ANSWERING, account='%s_%03d' % (prefix, number), group=group, name='%s-%d' % (name, number),
                        display_num=display, password=random_text(PASSWORD_LENGTH))
            phone = Phone(spec, scenario.defaults, scenario.api_secret)
            phones[phone.account] = phone
            if self.platform.sip is not None:
                self.platform.sip.created.add(phone.account)
        if self.platform.sip is not None:
            return self.platform.sip.after_sync(ok(None))  # answered once the registrar knows the new accounts
        return ok(None)

    def _new_prefix(self) -> str:
        """A group prefix no account of the app starts with."""
        taken = {account.partition('_')[0] for account in self.platform.phones}
        while True:
            prefix = random_text(PREFIX_LENGTH)
            if prefix not in taken:
                return prefix

    def query(self, body: dict[str, Any]) -> Answer:
        """POST voice/sipQuery: the app's phones, paged (``current`` 1 and ``size`` 25 when absent or null)."""
        page = page_of(body, default_size=25)
        params = body.get('params')
        if page is None or not isinstance(params, dict) or not self._app_ok(params):
            return fail('-22')
        current, size = page
        result = paged(list(self.platform.phones.values()), current, size)
        result['records'] = [sip_record(phone) for phone in result['records']]
        return ok(result)

    def reset(self, body: dict[str, Any]) -> Answer:
        """POST voice/sipReset: a new password for ``account``; answers data {account, password}."""
        account = body.get('account')
        if not (name_ok(account) and self._app_ok(body)):
            return fail('-22')
        phone = self.platform.phones.get(account)
        if phone is None:
            return fail('-24')
        password = random_text(PASSWORD_LENGTH)
        while password == phone.password:
            password = random_text(PASSWORD_LENGTH)
        phone.password = password
        phone.spec['password'] = password  # a later change through the control API keeps it
        if self.platform.sip is not None:
            # answered once the old password no longer registers (its registrations are dropped)
            return self.platform.sip.after_sync(ok({'account': account, 'password': password}))
        return ok({'account': account, 'password': password})
