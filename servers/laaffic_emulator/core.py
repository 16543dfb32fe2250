# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulated platform: state (phones, calls, records, money, settings), authentication and the LAAFFIC
endpoints. Placed calls are in calls.py, fault injection in faults.py, the control API in control.py.

Every behaviour the vendor documentation does not pin down is marked [INFERRED] here and listed in
docs/emulator.md.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import random
import re
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Optional, TextIO

from laaffic_emulator.accounts import SipAccounts
from laaffic_emulator.calls import SIX, Call, plan
from laaffic_emulator.control import Control
from laaffic_emulator.envelope import Answer, BadText, NotJson, dumps, fail, ok, page_of, paged, parse_json
from laaffic_emulator.faults import Faults
from laaffic_emulator.push import Pusher
from laaffic_emulator.scenario import DIGITS_7_15, check_settings
from laaffic_emulator.tables import longest_prefix

if TYPE_CHECKING:
    import asyncio

    from laaffic_emulator.calls import Fate
    from laaffic_emulator.scenario import Phone, Scenario
    from laaffic_emulator.server import Incoming
    from laaffic_emulator.sip import SipSide

CALLED_INFO_MAX = 1000
VOICE_ID_PATH = 'voice/recordSip/'
ENDPOINTS = {
    # path without /v3 -> (endpoint name, allowed methods)
    'voice/sendSip': ('sendSip', ('POST',)),
    'voice/recordSipQuery': ('recordSipQuery', ('POST',)),
    'getBalance': ('getBalance', ('GET', 'POST')),  # [INFERRED] POST is tolerated too
    'voice/sipQuery': ('sipQuery', ('POST',)),
    'voice/sipAdd': ('sipAdd', ('POST',)),
    'voice/sipReset': ('sipReset', ('POST',)),
}
# [INFERRED] the time format recordSipQuery takes: ISO-8601 date and time with an offset (ASCII digits only).
ISO_TIME = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})')


def printable(text: str) -> str:
    """``text`` for one log line: control characters (a newline could forge a line) escaped."""
    return text if text.isprintable() else text.encode('unicode_escape', 'backslashreplace').decode('ascii')


class Platform:
    """All emulator state. Single-threaded: everything runs on one asyncio loop."""

    def __init__(self, scenario: Scenario, loop: asyncio.AbstractEventLoop, overrides: Optional[dict[str, Any]] = None,
                 quiet: bool = False, stream: Optional[TextIO] = None) -> None:
        self.scenario = scenario
        self.loop = loop
        self.overrides = check_settings(overrides or {})
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.pusher = Pusher(self)
        self.faults = Faults(self)
        self.control = Control(self)
        self.accounts = SipAccounts(self)
        self.endpoints = {'sendSip': self.send_sip, 'recordSipQuery': self.record_sip_query, 'sipQuery': self.accounts.query,
                          'sipAdd': self.accounts.add, 'sipReset': self.accounts.reset}
        self.seq = 1000000
        self._ip_cache: dict[str, bool] = {}
        self.settings: dict[str, Any] = {}
        self.phones: dict[str, Phone] = {}
        self.calls: list[dict[str, Any]] = []
        self.records: dict[str, Call] = {}
        self.balance = self.gift = self.credit = Decimal(0)
        self.rng = random.Random()
        self.sip: Optional[SipSide] = None  # the SIP side (sip.SipSide) when --sip-port is given
        self.restore()

    # state ---------------------------------------------------------------------------------------
    def restore(self) -> None:
        """Back to the scenario's initial state (used at start and by POST /_emulator/reset)."""
        for call in self.records.values():
            for timer in call.timers:
                timer.cancel()
        self.pusher.reset()
        self.settings = dict(self.scenario.settings)
        self.settings['ip_allowlist'] = list(self.settings['ip_allowlist'])
        self.settings.update(self.overrides)
        self._ip_cache = {}
        self.phones = self.scenario.make_phones()
        self.calls = []
        self.records = {}
        self.faults.restore(self.scenario.faults)
        self.balance = self.scenario.balance
        self.gift = self.scenario.gift
        self.credit = self.scenario.credit
        self.rng = random.Random(self.scenario.seed)
        if self.sip is not None:
            self.sip.changed()

    # helpers -------------------------------------------------------------------------------------
    def log_line(self, text: str) -> None:
        """One line to stderr unless quiet."""
        if not self.quiet:
            self.stream.write(text + '\n')
            self.stream.flush()

    def log_request(self, req: Incoming, status: object, lstatus: Optional[str], started: float) -> None:
        """Method, path, HTTP status, LAAFFIC status, milliseconds. Never headers, query strings or secrets."""
        if not self.quiet:
            elapsed = (time.perf_counter() - started) * 1000.0
            shown = lstatus if lstatus is not None else '-'
            self.stream.write('%s %s %s %s %.1fms\n' % (req.method, printable(req.path), status, shown, elapsed))
            self.stream.flush()

    def log_error(self, req: Incoming, exc: BaseException) -> None:
        """An unexpected exception while handling a request."""
        self.stream.write('ERROR %s %s: %s\n' % (req.method, printable(req.path), type(exc).__name__))
        self.stream.flush()

    def charged_seconds(self, seconds: int) -> int:
        """Billed seconds under the bill period (e.g. 60+60)."""
        if seconds <= 0:
            return 0
        first, step = self.scenario.bill_first, self.scenario.bill_next
        if seconds <= first:
            return first
        return first + int(math.ceil((seconds - first) / float(step))) * step

    def configure(self, values: dict[str, Any]) -> None:
        """Apply validated settings (POST /_emulator/config)."""
        self.settings.update(values)
        self._ip_cache = {}

    def rate_for(self, callee: str) -> Optional[Decimal]:
        """Per-minute rate for a callee, or None when the platform has no price for it (-26)."""
        rate = longest_prefix(self.scenario.prefix_rates, callee, self.scenario.prefix_longest)
        return rate if rate is not None else self.scenario.per_minute

    def ip_allowed(self, peer: str) -> bool:
        """Is the client address inside the configured allowlist (empty list = everyone)?"""
        allow = self.settings['ip_allowlist']
        if not allow:
            return True
        peer = peer or ''
        cached = self._ip_cache.get(peer)
        if cached is None:
            try:
                address = ipaddress.ip_address(peer.split('%', 1)[0])
                if address.version == 6 and address.ipv4_mapped is not None:
                    address = address.ipv4_mapped
                cached = any(address in ipaddress.ip_network(net, strict=False) for net in allow)
            except ValueError:
                cached = False
            self._ip_cache[peer] = cached
        return cached

    def next_voice_id(self, now: float) -> str:
        """yyMMddHHmmss (UTC+8) + a global sequence: 19 digits (20 after 9 million calls), never reused."""
        self.seq += 1
        return time.strftime('%y%m%d%H%M%S', time.gmtime(now + 8 * 3600)) + str(self.seq)

    def charge(self, amount: Decimal) -> None:
        """Take ``amount`` from balance, then gift, then let balance go negative (credit)."""
        if amount <= 0:
            return
        take = min(amount, max(self.balance, Decimal(0)))
        self.balance -= take
        amount -= take
        take = min(amount, max(self.gift, Decimal(0)))
        self.gift -= take
        amount -= take
        self.balance -= amount

    # HTTP entry ----------------------------------------------------------------------------------
    @staticmethod
    def exact_paths() -> list[str]:
        """The fixed LAAFFIC paths, with and without the /v3 prefix."""
        return [prefix + '/' + path for path in ENDPOINTS for prefix in ('/v3', '')]

    def handle(self, req: Incoming) -> Answer:
        """Route one request."""
        path = req.path
        if path.startswith('/_emulator/') or path == '/_emulator':
            return self.control.handle(req)
        rel = path[4:] if path.startswith('/v3/') else path[1:]
        methods: tuple[str, ...]
        if rel.startswith(VOICE_ID_PATH):
            endpoint, methods, arg = 'recordSip', ('GET',), rel[len(VOICE_ID_PATH):]
        else:
            entry = ENDPOINTS.get(rel.rstrip('/'))
            if entry is None:
                return self.spring_error(404, 'Not Found', path)
            (endpoint, methods), arg = entry, None
        # HEAD is answered as GET would be (aiohttp leaves the body out)
        if (req.method if req.method != 'HEAD' else 'GET') not in methods:
            return self.spring_error(405, 'Method Not Allowed', path)
        fault = self.faults.take(endpoint, req) if self.faults.armed else None
        if fault is None:
            return self.api(endpoint, arg, req)
        return self.faults.answer(fault, endpoint, arg, req)

    @staticmethod
    def spring_error(status: int, error: str, path: str) -> Answer:
        """[INFERRED] what a Spring gateway answers for an unknown path or a wrong method."""
        body = dumps({'timestamp': datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000+00:00'),
                      'status': status, 'error': error, 'path': path})
        return Answer(status, body, lstatus=None)

    fail = staticmethod(fail)
    ok = staticmethod(ok)

    def api(self, endpoint: str, arg: Optional[str], req: Incoming) -> Answer:
        """Auth, then the endpoint."""
        headers = req.headers
        # [INFERRED] check order: key/sign (-1), IP allowlist (-2), timestamp window (-16), body (-18), params (-22).
        api_key = headers.get('api-key')
        timestamp = headers.get('timestamp', '')
        if api_key != self.scenario.api_key:
            return self.fail('-1')
        # header text that was not UTF-8 arrives with surrogate escapes: hashed as the bytes that came
        expected = hashlib.md5((api_key + self.scenario.api_secret + timestamp).encode('utf-8', 'surrogateescape')).hexdigest()  # nosec
        if headers.get('sign', '').lower() != expected:
            return self.fail('-1')
        if not self.ip_allowed(req.peer):
            return self.fail('-2')
        try:
            skew = abs(time.time() - int(timestamp)) if timestamp.isascii() else math.inf
        except ValueError:
            skew = math.inf
        if skew > self.settings['timestamp_window']:
            return self.fail('-16')
        body = None
        if req.method == 'POST' and endpoint != 'getBalance':
            try:
                body = parse_json(req.body)
            except NotJson:
                return self.fail('-18')
            except BadText:
                return self.fail('-22')  # invalid text is refused, never stored
            if not isinstance(body, dict):
                return self.fail('-22')
        if endpoint == 'recordSip':
            return self.record_sip(arg)  # type: ignore[arg-type]  # handle() passes recordSip the path's tail, a str
        if endpoint == 'getBalance':
            # getBalance puts the amounts at top level, not under data (docs/api-reference.md section 8)
            return Answer(200, dumps({'status': '0', 'reason': 'success', 'balance': str(self.balance.quantize(SIX)),
                                      'gift': str(self.gift.quantize(SIX)), 'credit': str(self.credit.quantize(SIX))}),
                          lstatus='0')
        # the endpoints of self.endpoints take POST only: body is the parsed object by now, never None
        return self.endpoints[endpoint](body)  # type: ignore[arg-type]

    # endpoints -----------------------------------------------------------------------------------
    def send_sip(self, body: dict[str, Any]) -> Answer:
        """POST voice/sendSip."""
        callee = body.get('callee')
        if isinstance(callee, int) and not isinstance(callee, bool):
            callee = str(callee)  # [INFERRED] a JSON number is coerced to String, as Jackson does
        if not isinstance(callee, str) or not DIGITS_7_15.fullmatch(callee):
            return self.fail('-22')
        account = body.get('account')
        phone = self.phones.get(account) if isinstance(account, str) else None
        if phone is None:
            return self.fail('-22')
        if body.get('appId') != self.scenario.app_id:
            return self.fail('-22')
        display = body.get('displayNum')
        if isinstance(display, int) and not isinstance(display, bool):
            display = str(display)
        if display not in (None, '') and (not isinstance(display, str) or not DIGITS_7_15.fullmatch(display)):
            return self.fail('-22')
        info = body.get('calledInfo')
        if info is not None and (not isinstance(info, str) or len(info) > CALLED_INFO_MAX):
            return self.fail('-22')
        if self.sip is not None:
            # the registrar decides first: a registered phone is rung over SIP (see sip.py)
            return self.sip.send(phone, lambda leg: self.place(phone, callee, display, info, leg))
        return self.place(phone, callee, display, info)

    def place(self, phone: Phone, callee: str, display: Optional[str], info: Optional[str], leg: Optional[SipSide] = None) -> Answer:
        """sendSip once the parameters are valid; ``leg`` is the SIP side when the phone is rung over SIP (its
        registration and idleness already checked), else None (the phone's scripted behaviour)."""
        # [INFERRED] after parameters: phone state (-68), fee lookup (-26), balance (-10).
        if leg is None and (phone.behaviour == 'offline' or phone.current is not None):
            return self.fail('-68')
        rate = self.rate_for(callee)
        if rate is None:
            return self.fail('-26')
        per_call = self.scenario.per_call
        minimum = per_call + rate * self.scenario.bill_first / 60
        available = self.balance + self.gift + self.credit
        if available <= 0 or available < minimum:
            return self.fail('-10')
        return self.accept(phone, callee, display or phone.display_num, info, rate, leg)

    def accept(self, phone: Phone, callee: str, display: Optional[str], info: Optional[str], rate: Decimal,
               leg: Optional[SipSide] = None) -> Answer:
        """Place the call: record it, make the phone busy, schedule its events."""
        now = time.time()
        cost = self.scenario.per_call
        self.charge(cost)
        # on the SIP leg the phone's own answers decide (sip.py fills the times and the outcome)
        fate: Fate = plan(phone.behaviour, phone.params, self.rng) if leg is None else ('pending', None, None, 0.0, None)
        scale = self.settings['time_scale']
        call = Call(self.next_voice_id(now), phone, callee, display, info, rate, cost, now, fate, self.settings['dial_delay'], scale)
        _outcome, ring, _answer, end, _sip = fate
        if leg is not None:
            leg.place(call)
        else:
            call.timers.append(self.loop.call_later(end * scale, self.finish, call))
        if leg is None and ring is not None and self.settings['push_ringing'] and (self.settings['push_url'] or self.settings['ringing_url']):
            call.timers.append(self.loop.call_later(ring * scale, self.pusher.ringing, call))
        phone.current = call
        self.records[call.voice_id] = call
        self.calls.append({'voiceId': call.voice_id, 'account': phone.account, 'callee': callee, 'displayNum': display,
                           'calledInfo': info, 'time': now})
        if len(self.calls) > self.settings['max_records']:
            oldest = self.calls.pop(0)
            self.records.pop(oldest['voiceId'], None)
        resp = Answer(200, b'{"status":"0","reason":"success","data":"%s"}' % call.voice_id.encode('ascii'), lstatus='0')
        if phone.behaviour == 'slow_api' and leg is None:
            resp.delay = phone.params['api_delay'] * scale
        return resp

    def finish(self, call: Call) -> None:
        """The call ends: bill it, free the phone, push the report."""
        call.ended = True
        call.timers = []
        _duration, charged, _ring = call.durations(self)
        usage = (call.rate * charged / 60).quantize(SIX)
        call.cost += usage
        self.charge(usage)
        for phone in (call.phone, self.phones.get(call.phone.account)):
            if phone is not None and phone.current is call:
                phone.current = None
        self.pusher.report(call)

    def record_sip(self, voice_id: str) -> Answer:
        """GET voice/recordSip/{voiceId}."""
        voice_id = voice_id.strip('/')
        if not voice_id:
            return self.fail('-22')
        call = self.records.get(voice_id)
        if call is None:
            # [INFERRED] an unknown id answers success with data null (configurable: -22).
            if self.settings['unknown_voice_id'] == 'error':
                return self.fail('-22')
            return Answer(200, b'{"status":"0","reason":"success","data":null}', lstatus='0')
        return self.ok(call.record(self, time.time()))

    def record_sip_query(self, body: dict[str, Any]) -> Answer:
        """POST voice/recordSipQuery."""
        page = page_of(body)
        params = body.get('params')
        if page is None or not isinstance(params, dict):
            return self.fail('-22')
        window = []
        for key in ('strTime', 'endTime'):
            value = params.get(key)
            if not isinstance(value, str):
                return self.fail('-22')
            # [INFERRED] text that is not an ISO-8601 date and time with an offset: -11 (global status table)
            if not ISO_TIME.fullmatch(value):
                return self.fail('-11')
            try:
                window.append(datetime.fromisoformat(value.replace('Z', '+00:00')).timestamp())
            except ValueError:
                return self.fail('-11')
        start, stop = window[0], window[1]
        if stop < start or stop - start > 31 * 86400:
            return self.fail('-22')
        group = params.get('sipGroupName') or None
        name = params.get('phoneName') or None
        for value in (group, name):
            if value is not None and not isinstance(value, str):
                return self.fail('-22')
        now = time.time()
        # [INFERRED] newest first; the window applies to submitTime, both ends inclusive
        chosen = [call for call in reversed(list(self.records.values()))
                  if start <= call.submit <= stop and (group is None or call.phone.group == group)
                  and (name is None or call.phone.name == name)]
        current, size = page
        result = paged(chosen, current, size)
        result['records'] = [call.record(self, now) for call in result['records']]
        return self.ok(result)
