# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The platform's input rules, in one place: SIP account names, group and phone names, display numbers, the callee
and the ``expect`` choices. The modules, the filter plugins (and so the roles' messages) check with these.

What the vendor documents (the sipAdd, sipReset and sendSip API pages):

- ``account``: 4-32 characters (sipReset). The platform creates the accounts itself (sipAdd), from ASCII letters,
  digits and ``_`` (``test_001``, ``1653C690ab_006``), so an account here is 4-32 printable ASCII characters
  without spaces. A longer or shorter one, or one with other characters, cannot exist: refusing it before anything
  is sent saves a request that the platform would answer with -22 (sipReset) or a failed call (sendSip).
- ``groupName`` and ``phoneName``: 4-32 characters (sipAdd), any text but the invisible characters of ``_names``
  (Unicode categories Cc, Cf, Zl, Zp), which the platform refuses (-22), and no leading or trailing space.
- ``callee``: 7-15 digits, country code first, no ``+`` (sendSip). ``displayNum`` of a call: 7-15 digits or none
  (sendSip); ``displayNum`` of new phones: 7-13 digits or none (sipAdd). Numbers are given as people write them
  (``+49 30-1234 5678``): a leading ``+`` and spaces, dashes, dots, slashes and parentheses are removed first.
- ``expect`` (the collection's own): how far a test call must get, ``accepted`` < ``ringing`` < ``answered``.

Each ``*_problem`` function returns what is wrong with a value, as the end of a sentence that starts with the field's
name (``None`` when nothing is), for messages that are not exceptions (the filters'); each ``check_*`` raises the
same text as an OptionError naming the field.
"""

from __future__ import annotations

import re
import typing as t

from ansible_collections.laaffic.voice.plugins.module_utils._errors import OptionError
from ansible_collections.laaffic.voice.plugins.module_utils._names import UNSAFE_CATEGORIES, unsafe_characters

EXPECTATIONS = ('accepted', 'ringing', 'answered')
"""The ``expect`` choices, weakest first."""
DEFAULT_EXPECT = 'accepted'

NAME_MIN, NAME_MAX = 4, 32
"""Length of ``account``, ``groupName`` and ``phoneName`` (characters)."""
ACCOUNT_MIN, ACCOUNT_MAX = NAME_MIN, NAME_MAX
CALL_NUMBER_MIN, CALL_NUMBER_MAX = 7, 15
"""Digits of ``callee`` and of a call's ``displayNum`` (sendSip)."""
DISPLAY_NUM_MIN, DISPLAY_NUM_MAX = 7, 13
"""Digits of the ``displayNum`` of new phones (sipAdd)."""

_ACCOUNT = re.compile(r'[\x21-\x7e]{%d,%d}\Z' % (ACCOUNT_MIN, ACCOUNT_MAX))
_SEPARATORS = re.compile(r'[\s\-.()/]')
_CALL_NUMBER = re.compile(r'[0-9]{%d,%d}\Z' % (CALL_NUMBER_MIN, CALL_NUMBER_MAX))
_DISPLAY_NUM = re.compile(r'[0-9]{%d,%d}\Z' % (DISPLAY_NUM_MIN, DISPLAY_NUM_MAX))

ACCOUNT_REQUIRED = 'is required (the SIP account of the desk phone)'
ACCOUNT_RULE = ('must be 4-32 printable ASCII characters without spaces (the SIP account of the desk phone, as the platform '
                'names it)')
UNSAFE_RULE = ('must not contain control, format or line/paragraph separator characters (Unicode categories %s)'
               % ', '.join(UNSAFE_CATEGORIES))


def normalize_number(value: object) -> str:
    """Phone numbers as the platform wants them: a leading + and spaces, dashes, dots, slashes and
    parentheses are removed (+49 30-1234 5678 -> 493012345678). Returns the text, digits or not."""
    text = str(value).strip()
    if text.startswith('+'):
        text = text[1:]
    return _SEPARATORS.sub('', text)


def unsafe_problem(value: object) -> t.Optional[str]:
    """What is wrong with text holding Cc, Cf, Zl or Zp characters (named by code point, never raw), or None."""
    found = unsafe_characters(value)
    return '%s; found %s' % (UNSAFE_RULE, ', '.join(found)) if found else None


def account_problem(value: object) -> t.Optional[str]:
    """What is wrong with a SIP account name (see the module's docstring), or None."""
    text = '' if value is None else str(value).strip()
    if not text:
        return ACCOUNT_REQUIRED
    return unsafe_problem(text) or (None if _ACCOUNT.match(text) else '%s, got %r' % (ACCOUNT_RULE, text))


def check_account(field: str, value: object) -> str:
    """The SIP account as text (surrounding spaces removed); an OptionError naming ``field`` otherwise."""
    problem = account_problem(value)
    if problem:
        raise OptionError(field, problem)
    return str(value).strip()


def name_problem(value: object, what: str) -> t.Optional[str]:
    """What is wrong with a group or phone name (``what`` says which, for the message), or None."""
    if value is None or not str(value).strip():
        return 'is required: %s, %d-%d characters' % (what, NAME_MIN, NAME_MAX)
    text = str(value)
    found = unsafe_characters(text)
    if found:
        return ('must not contain control characters or other invisible ones (Unicode categories %s); found %s'
                % (', '.join(UNSAFE_CATEGORIES), ', '.join(found)))
    if text != text.strip():
        return 'must not start or end with spaces or contain control characters, got %r' % text
    if not NAME_MIN <= len(text) <= NAME_MAX:
        return 'must be %d-%d characters (%s), got %d: %r' % (NAME_MIN, NAME_MAX, what, len(text), text)
    return None


def check_name(field: str, value: object, what: str) -> str:
    """A group or phone name as the platform documents it: 4-32 characters, no control or format characters."""
    problem = name_problem(value, what)
    if problem:
        raise OptionError(field, problem)
    return str(value)


def callee_problem(value: object) -> t.Optional[str]:
    """What is wrong with the number to call, or None."""
    if value is None or not str(value).strip():
        return 'is required (%d-%d digits, country code first)' % (CALL_NUMBER_MIN, CALL_NUMBER_MAX)
    if not _CALL_NUMBER.match(normalize_number(value)):
        return ('must be %d-%d digits (ASCII 0-9) with the country code (a leading +, spaces and dashes are removed), got %r'
                % (CALL_NUMBER_MIN, CALL_NUMBER_MAX, value))
    return None


def call_display_num_problem(value: object) -> t.Optional[str]:
    """What is wrong with the caller ID of a call (empty means the phone's own), or None."""
    number = normalize_number(value or '')
    if number and not _CALL_NUMBER.match(number):
        return 'must be empty or %d-%d digits (ASCII 0-9), got %r' % (CALL_NUMBER_MIN, CALL_NUMBER_MAX, value)
    return None


def check_display_num(value: object, field: str = 'display_num') -> t.Optional[str]:
    """The caller ID of new phones: None, or 7-13 digits after removing +, spaces and dashes."""
    if value is None or not str(value).strip():
        return None
    number = normalize_number(value)
    if not _DISPLAY_NUM.match(number):
        raise OptionError(field, 'must be %d-%d digits (a leading +, spaces and dashes are removed), got %r'
                          % (DISPLAY_NUM_MIN, DISPLAY_NUM_MAX, value))
    return number


def expect_problem(value: object) -> t.Optional[str]:
    """What is wrong with an ``expect`` value (None and empty mean the default), or None."""
    if value and value not in EXPECTATIONS:
        return 'must be one of %s, got %r' % (', '.join(EXPECTATIONS), value)
    return None
