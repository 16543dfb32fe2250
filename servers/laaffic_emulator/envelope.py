# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the emulator answers (an ``Answer``, turned into HTTP by server.py), the LAAFFIC envelopes, and
strict JSON in and out."""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn, Optional

from laaffic_emulator.tables import REASONS

JSON_TYPE = 'application/json;charset=UTF-8'
# A lone surrogate (U+D800..U+DFFF) is not text: it cannot be stored, logged or written back as UTF-8.
SURROGATE = re.compile('[\ud800-\udfff]')


class Answer:
    """What the platform answers one request with.

    ``delay``: answer that many seconds later (other connections keep being served); ``reset``: drop the
    connection with a TCP RST instead of answering; ``partial``: send the headers and only the first half of
    the body, then close; ``garbage``: write bytes that are not HTTP at all, then close. ``lstatus`` is the
    LAAFFIC status (or a note) for the log line."""

    __slots__ = ('status', 'body', 'headers', 'lstatus', 'delay', 'reset', 'partial', 'garbage', 'content_type')

    def __init__(self, status: int = 200, body: bytes = b'', headers: Optional[dict[str, str]] = None,
                 lstatus: Optional[str] = None, delay: float = 0.0, content_type: str = JSON_TYPE) -> None:
        self.status = status
        self.body = body
        self.headers = headers
        self.lstatus = lstatus
        self.delay = delay
        self.reset = False
        self.partial = False
        self.garbage = False
        self.content_type = content_type


class NotJson(ValueError):
    """The bytes are not one strict JSON document (not UTF-8, NaN/Infinity, nested beyond the parser)."""


class BadText(ValueError):
    """The JSON holds a string (or key) that is not valid Unicode text (a lone surrogate)."""


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError('%s is not JSON' % name)


DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def valid_text(value: Any) -> bool:
    """True when no string or key anywhere in ``value`` holds a lone surrogate (iterative: any depth)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if SURROGATE.search(item):
                return False
        elif isinstance(item, dict):
            for key, child in item.items():
                if SURROGATE.search(key):
                    return False
                stack.append(child)
        elif isinstance(item, list):
            stack.extend(item)
    return True


def parse_json(raw: bytes) -> Any:
    """Decode a request body: raises NotJson or BadText."""
    try:
        text = raw.decode('utf-8')
        value = DECODER.decode(text)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise NotJson('not a JSON document') from None
    # Strict UTF-8 bytes cannot carry a surrogate: only a \u escape can, so most bodies skip the walk.
    if '\\u' in text and not valid_text(value):
        raise BadText('a string is not valid Unicode text')
    return value


def dumps(obj: Any) -> bytes:
    """Compact, strict JSON bytes (no NaN/Infinity), as the vendor's Java gateway would write them."""
    return json.dumps(obj, separators=(',', ':'), ensure_ascii=False, allow_nan=False).encode('utf-8')


STATUS_BODIES = {code: dumps({'status': code, 'reason': reason}) for code, reason in REASONS.items()}


def fail(code: str) -> Answer:
    """A business error: HTTP 200 with the documented reason."""
    return Answer(200, STATUS_BODIES[code], lstatus=code)


def ok(data: Any) -> Answer:
    """A success envelope with ``data``."""
    return Answer(200, dumps({'status': '0', 'reason': 'success', 'data': data}), lstatus='0')


def page_of(body: dict[str, Any], default_size: Optional[int] = None) -> Optional[tuple[int, int]]:
    """(current, size) of a paged query, or None when invalid. With ``default_size`` both are optional (absent or
    null: page 1 of ``default_size``), else both are required. ``current`` >= 1, ``size`` 1..100, integers."""
    current: Any
    size: Any
    current, size = body.get('current'), body.get('size')
    if default_size:
        current = 1 if current is None else current
        size = default_size if size is None else size
    for value in (current, size):
        if isinstance(value, bool) or not isinstance(value, int):
            return None
    if current < 1 or not 1 <= size <= 100:
        return None
    return current, size


def paged(items: list[Any], current: int, size: int) -> dict[str, Any]:
    """One page of ``items`` in the platform's page envelope."""
    total = len(items)
    return {'total': total, 'size': size, 'current': current, 'pages': (total + size - 1) // size,
            'searchCount': True, 'records': items[(current - 1) * size:current * size]}
