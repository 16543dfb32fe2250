# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Push body validation: a LAAFFIC push (report, batch, ringing notifications) -> items for the store's writer."""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any, NoReturn, Optional

from .config import MAX_DEPTH
from .errors import BadRequest
from .times import iso_us, now_us, ringing_time_iso

VOICE_ID_RE = re.compile(r'^[^\x00-\x1f\x7f/?#]{1,128}$')
# one writer item: ('report', voiceId, calledInfo, text, digest), ('ring', callId, calledInfo, account, time, digest)
# or ('event', callId, type, text, digest)
Item = tuple


def _ident(value: Any, what: str) -> str:
    if isinstance(value, bool) or value is None:
        raise BadRequest('%s must be a string or an integer' % what)
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not VOICE_ID_RE.fullmatch(value):
        raise BadRequest('%s must be 1-128 printable characters' % what)
    _encodable(value, what)
    return value


def _encodable(value: str, what: str) -> None:
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        raise BadRequest('%s is not valid Unicode' % what)


def _opt_text(value: Any, what: str) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        value = json.dumps(value, sort_keys=True)
    _encodable(value, what)
    return value


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=True)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode('ascii')).hexdigest()


def _report_item(obj: dict) -> Item:
    voice_id = _ident(obj.get('voiceId'), 'voiceId')
    called = _opt_text(obj.get('calledInfo'), 'calledInfo')
    text = _canonical(obj)  # stored as is, and its digest tells an identical retry from a new report
    return ('report', voice_id, called, text, _digest(text))


def _ringing_item(obj: dict, received_us: int) -> Item:
    call_id = _ident(obj.get('callId'), 'callId')
    kind = obj.get('type')
    if str(kind).strip() == '3':
        account = _opt_text(obj.get('sipAccount'), 'sipAccount')
        called = _opt_text(obj.get('calledInfo'), 'calledInfo')
        when = ringing_time_iso(obj.get('callinEventTime'))
        if when is None:
            when = iso_us(received_us)[:19] + 'Z'
        return ('ring', call_id, called, account, when, _digest(_canonical(obj)))
    text = _canonical(obj)
    return ('event', call_id, _opt_text(kind, 'type'), text, _digest(text))


def _reject_constant(name: str) -> NoReturn:
    raise ValueError('invalid JSON constant %s' % name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadRequest('number %s is out of range: numbers must be finite (at most about 1.8e308)' % text[:32])
    return value


def _check_depth(data: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH (iteratively: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest('JSON nested deeper than %d levels' % MAX_DEPTH)
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values() if isinstance(item, (dict, list)))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value if isinstance(item, (dict, list)))


# json.loads with these hooks, made once
_PUSH_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def parse_push(body: bytes) -> list[Item]:
    """Return the list of writer items for a push body, or raise BadRequest."""
    try:
        # what json.loads does with bytes: UTF-8, -16 or -32 told by the first bytes
        data = _PUSH_DECODER.decode(body.decode(json.detect_encoding(body), 'surrogatepass'))
    except (ValueError, UnicodeDecodeError):
        raise BadRequest('body is not JSON')
    except RecursionError:
        raise BadRequest('JSON nested deeper than %d levels' % MAX_DEPTH)
    if body.count(b'[') + body.count(b'{') > MAX_DEPTH:
        _check_depth(data)
    received = now_us()
    if isinstance(data, dict):
        if 'voiceId' in data:
            return [_report_item(data)]
        if 'array' in data:
            batch = data['array']
            if not isinstance(batch, list):
                raise BadRequest('"array" must be a list of reports')
            items: list[Item] = []
            for entry in batch:
                if not isinstance(entry, dict):
                    raise BadRequest('"array" entries must be objects')
                items.append(_report_item(entry))
            return items
        if 'callId' in data:
            return [_ringing_item(data, received)]
        raise BadRequest('object without voiceId, array or callId')
    if isinstance(data, list):
        found: list[Item] = []
        for entry in data:
            if not isinstance(entry, dict):
                raise BadRequest('array entries must be objects')
            if 'callId' in entry:
                found.append(_ringing_item(entry, received))
            elif 'voiceId' in entry:
                found.append(_report_item(entry))
            else:
                raise BadRequest('array entry without callId or voiceId')
        return found
    raise BadRequest('body must be a JSON object or array')
