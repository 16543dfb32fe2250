# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""Mark data from the network unsafe only where it could be templated, as community.dns, community.hrobot and
community.docker do (their ``plugin_utils/unsafe.py``).

Wrapping every value makes ``ansible-inventory --list`` (and so an AWX inventory import) show each one as
``{"__ansible_unsafe": "..."}``. A string can only be templated when it holds a Jinja2 delimiter, and every
delimiter (``{{``, ``{%``, ``{#`` and their closing forms) holds ``{`` or ``}``: such strings are wrapped,
every other one stays a plain string.

From ansible-core 2.19 on, every string that is not tagged as trusted is "unsafe" and ``ansible-inventory``
shows it as ``{"__ansible_unsafe": ...}``; a string without ``{`` or ``}`` cannot be templated whatever its tag,
so it is marked trusted there, which makes it a plain string in that output as on older cores.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Mapping, Set

from ansible.utils.unsafe_proxy import AnsibleUnsafe, wrap_var

try:
    from ansible.template import trust_as_template as _plain
except ImportError:  # ansible-core 2.18: untagged strings are plain already
    def _plain(value: str) -> str:  # type: ignore[misc]  # mypy wants the signature of 2.19's generic trust_as_template
        return value

_TEMPLATE_CHARS = re.compile(u'[{}]')
_TEMPLATE_CHARS_BYTES = re.compile(b'[{}]')


def make_unsafe(value: t.Any) -> t.Any:
    """``value`` with every string that holds ``{`` or ``}`` marked unsafe, in lists, tuples, sets and dictionaries
    (keys too) at any depth; other values unchanged."""
    if value is None or isinstance(value, AnsibleUnsafe):
        return value
    if isinstance(value, Mapping):
        return {make_unsafe(key): make_unsafe(item) for key, item in value.items()}
    if isinstance(value, Set):
        return set(make_unsafe(item) for item in value)
    if isinstance(value, (list, tuple)):
        return type(value)(make_unsafe(item) for item in value)
    if isinstance(value, bytes):
        return wrap_var(value) if _TEMPLATE_CHARS_BYTES.search(value) else value
    if isinstance(value, str):
        return wrap_var(value) if _TEMPLATE_CHARS.search(value) else _plain(value)
    return value
