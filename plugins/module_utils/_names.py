# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The one rule for text the collection sends as a name or shows as one: no character of the Unicode
categories Cc (controls: NUL to US, DEL, U+0080 to U+009F such as NEL U+0085 and CSI U+009B), Cf (format:
zero-width space U+200B, the bidirectional overrides U+202A to U+202E, U+2066 to U+2069, the BOM...), Zl
(U+2028 line separator) and Zp (U+2029 paragraph separator).

They are invisible, reorder what a terminal or a review shows, end lines in provisioning files, or drive the
terminal (ESC, BEL), and the platform refuses them in names (-22). ``unsafe_characters`` finds them,
``check_text`` refuses them before anything is sent (naming the field), and ``sanitized`` replaces them in
text that comes from the platform and must still be shown or used (inventory host names).
"""

from __future__ import annotations

import unicodedata

from ansible_collections.laaffic.voice.plugins.module_utils._errors import OptionError

UNSAFE_CATEGORIES = ('Cc', 'Cf', 'Zl', 'Zp')
REPLACEMENT = '_'


def is_unsafe(char: str) -> bool:
    """Whether one character belongs to Cc, Cf, Zl or Zp."""
    return unicodedata.category(char) in UNSAFE_CATEGORIES


def unsafe_characters(text: object) -> list[str]:
    """The distinct unsafe characters of ``text`` in order of appearance, as ``U+XXXX`` names."""
    found: list[str] = []
    for char in str(text):
        if is_unsafe(char):
            name = 'U+%04X' % ord(char)
            if name not in found:
                found.append(name)
    return found


def check_text(field: str, value: object) -> str | None:
    """``value`` as text when it holds no character of the categories Cc, Cf, Zl and Zp; an OptionError naming
    ``field`` and the characters (by code point, never raw) otherwise. None stays None."""
    if value is None:
        return None
    text = str(value)
    found = unsafe_characters(text)
    if found:
        raise OptionError(field, 'must not contain control, format or line/paragraph separator characters (Unicode categories '
                                 'Cc, Cf, Zl, Zp); found %s' % ', '.join(found))
    return text


def sanitized(text: object, replacement: str = REPLACEMENT) -> str:
    """``text`` with every Cc, Cf, Zl and Zp character replaced by ``replacement`` (``_``)."""
    return ''.join(replacement if is_unsafe(char) else char for char in str(text))
