# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulated platform: auth, the five LAAFFIC endpoints, call simulation, faults and the control API.

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
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from laaffic_emulator.envelope import STATUS_BODIES, Answer, BadText, NotJson, dumps, fail, ok, parse_json
from laaffic_emulator.push import Pusher, shown_url
from laaffic_emulator.scenario import DIGITS_7_15, Phone, ScenarioError, check_settings, money, number_in_range
from laaffic_emulator.tables import CALL_STATUS, SIP_REASONS, longest_prefix, region

TZ8 = timezone(timedelta(hours=8))
SIX = Decimal('0.000001')
CALLED_INFO_MAX = 1000
VOICE_ID_PATH = 'voice/recordSip/'
ENDPOINTS = {
    # path without /v3 -> (endpoint name, allowed methods)
    'voice/sendSip': ('sendSip', ('POST',)),
    'voice/recordSipQuery': ('recordSipQuery', ('POST',)),
    'getBalance': ('getBalance', ('GET', 'POST')),  # [INFERRED] POST is tolerated too
    'voice/sipQuery': ('sipQuery', ('POST',)),
}
FAULT_KINDS = ('http_500', 'http_502', 'http_503', 'reset_before_read', 'reset_after_read', 'slow', 'non_json', 'status_-18',
               'partial', 'garbage')
FAULT_ENDPOINTS = ('sendSip', 'recordSip', 'recordSipQuery', 'getBalance', 'sipQuery', '*')
GARBAGE = b'<html><head><title>Gateway</title></head><body>upstream returned an unexpected page</body></html>'
ERROR_PAGES = {
    500: b'{"timestamp":"","status":500,"error":"Internal Server Error","path":""}',
    502: b'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n',
    503: (b'<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n'
          b'<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n'),
}

# [INFERRED] the time format recordSipQuery takes: ISO-8601 date and time with an offset (ASCII digits only).
ISO_TIME = re.compile(r'[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})')
TRUE_WORDS = ('1', 'true', 'yes')
RETRY_AFTER = re.compile(r'[0-9]{1,10}|[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT')


def iso8(epoch):
    """ISO-8601 with the +08:00 offset the vendor's record queries use, seconds precision."""
    return datetime.fromtimestamp(epoch, TZ8).strftime('%Y-%m-%dT%H:%M:%S+08:00')


def printable(text):
    """``text`` for one log line: control characters (a newline could forge a line) escaped."""
    return text if text.isprintable() else text.encode('unicode_escape', 'backslashreplace').decode('ascii')


def ceil_seconds(span):
    """Whole seconds, rounded up, ignoring float noise."""
    return max(0, math.ceil(span - 1e-3))


class Fault:
    """An injected fault, consumed by matching requests."""

    def __init__(self, spec, number):
        if not isinstance(spec, dict):
            raise ScenarioError('a fault must be a mapping')
        unknown = set(spec) - {'endpoint', 'kind', 'count', 'probability', 'account', 'delay', 'retry_after', 'placed'}
        if unknown:
            raise ScenarioError('unknown fault keys: %s' % ', '.join(sorted(unknown)))
        self.id = number
        self.endpoint = spec.get('endpoint', '*')
        if self.endpoint not in FAULT_ENDPOINTS:
            raise ScenarioError('fault endpoint must be one of %s' % ', '.join(FAULT_ENDPOINTS))
        self.kind = spec.get('kind')
        if self.kind not in FAULT_KINDS:
            raise ScenarioError('fault kind must be one of %s' % ', '.join(FAULT_KINDS))
        probability = spec.get('probability')
        count = spec.get('count', None if probability is not None else 1)
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ScenarioError('fault count must be an integer >= 1')
        if probability is not None:
            if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
                raise ScenarioError('fault probability must be between 0 and 1')
        self.count = count
        self.probability = probability
        self.account = spec.get('account')
        if self.account is not None and not isinstance(self.account, str):
            raise ScenarioError('fault account must be a string')
        self.delay = number_in_range('fault delay', spec.get('delay', 20.0 if self.kind == 'slow' else 0.0))
        retry_after = spec.get('retry_after')
        if isinstance(retry_after, int) and not isinstance(retry_after, bool) and retry_after >= 0:
            retry_after = str(retry_after)
        if retry_after is not None and not (isinstance(retry_after, str) and RETRY_AFTER.fullmatch(retry_after)):
            raise ScenarioError('fault retry_after must be seconds (an integer >= 0) or an HTTP date')
        self.retry_after = retry_after
        # [INFERRED] whether the platform acted on the request before the fault hit the answer.
        placed = spec.get('placed')
        self.placed = self.kind in ('reset_after_read', 'slow', 'partial', 'garbage') if placed is None else bool(placed)
        self.hits = 0

    def describe(self):
        """As shown by GET /_emulator/faults."""
        return {'id': self.id, 'endpoint': self.endpoint, 'kind': self.kind, 'count': self.count,
                'probability': self.probability, 'account': self.account, 'delay': self.delay,
                'retry_after': self.retry_after, 'placed': self.placed, 'hits': self.hits}


class Call:
    """One accepted sendSip call and its planned timeline (absolute epoch seconds)."""

    __slots__ = ('voice_id', 'phone', 'callee', 'display_num', 'called_info', 'submit', 'dial', 'ring', 'answer', 'end',
                 'outcome', 'sip_code', 'ended', 'rate', 'cost', 'timers', 'code')

    def record(self, platform, now):
        """The record as recordSip / recordSipQuery show it at ``now``."""
        ended = self.ended
        rec = {
            'voiceId': self.voice_id,
            'sipGroupName': self.phone.group,
            'phoneName': self.phone.name,
            'callee': self.callee,
            'displayNum': self.display_num,
            'code': self.code,
            'submitTime': iso8(self.submit),
            'callTime': iso8(self.dial) if self.dial is not None and (ended or self.dial <= now) else None,
            'ringingTime': iso8(self.ring) if self.ring is not None and (ended or self.ring <= now) else None,
            'answerTime': iso8(self.answer) if self.answer is not None and (ended or self.answer <= now) else None,
            'hangupTime': iso8(self.end) if ended else None,
        }
        if ended:
            rec.update(self.final_fields(platform))
        else:
            rec.update({'callDuration': None, 'chargedDuration': None, 'ringDuration': None, 'terminationCode': None,
                        'terminationReason': None, 'sipCode': None, 'callStatus': None, 'cost': None})
        rec['billPeriod'] = platform.scenario.bill_period
        rec['rate'] = str(self.rate.quantize(SIX))
        rec['recordingFileId'] = ('rec_%s.wav' % self.voice_id) if ended and self.outcome == 'answered' else None
        rec['calledInfo'] = self.called_info
        return rec

    def durations(self, platform):
        """(callDuration, chargedDuration, ringDuration) in whole seconds."""
        call_duration = ceil_seconds(self.end - self.answer) if self.answer is not None else 0
        charged = platform.charged_seconds(call_duration)
        if self.ring is None:
            ring_duration = 0
        else:
            ring_duration = ceil_seconds((self.answer if self.answer is not None else self.end) - self.ring)
        return call_duration, charged, ring_duration

    def final_fields(self, platform):
        """Fields that only exist once the call has ended."""
        call_duration, charged, ring_duration = self.durations(platform)
        if self.outcome == 'answered':
            termination = platform.settings['success_termination_code']
        else:
            termination = self.sip_code
        return {
            'callDuration': call_duration,
            'chargedDuration': charged,
            'ringDuration': ring_duration,
            'terminationCode': termination,
            'terminationReason': SIP_REASONS.get(self.sip_code, 'failed') if self.outcome != 'answered' else 'success',
            'sipCode': self.sip_code,
            'callStatus': CALL_STATUS[self.outcome],
            'cost': str(self.cost.quantize(SIX)),
        }

    def push_report(self, platform):
        """The voice status report (laaffic-api.md 7.1); times as ms epoch, 0 for events that did not happen."""
        def millis(value):
            return int(round(value * 1000)) if value is not None else 0
        final = self.final_fields(platform)
        return {
            'voiceId': self.voice_id,
            'type': 3,
            'callee': self.callee,
            'displayNum': self.display_num,
            'submitTime': millis(self.submit),
            'callTime': millis(self.dial),
            'ringingTime': millis(self.ring),
            'answerTime': millis(self.answer),
            'hangupTime': millis(self.end),
            'callDuration': final['callDuration'],
            'chargedDuration': final['chargedDuration'],
            'billPeriod': platform.scenario.bill_period,
            'code': self.code,
            'rate': str(self.rate.quantize(SIX)),
            'baseCost': final['cost'],
            'cost': final['cost'],
            'terminationCode': final['terminationCode'],
            'terminationReason': final['terminationReason'],
            'sipCode': final['sipCode'],
            'callStatus': final['callStatus'],
            'ringDuration': final['ringDuration'],
            'calledInfo': self.called_info,
            'feedbackValue': '-1',
            'recordingFileId': ('rec_%s.wav' % self.voice_id) if self.outcome == 'answered' else None,
        }


def plan(behaviour, params, rng):
    """Decide a call's fate: (outcome, ring offset, answer offset, end offset, sip code), offsets in seconds."""
    if behaviour in ('slow_api', 'late_ring'):
        behaviour = params['then']
    if behaviour == 'flaky':
        if rng.random() < params['fail_rate']:
            return 'failed', None, None, params['fail_after'], params['fail_sip_code']
        behaviour = params['otherwise']
    if behaviour == 'reject':
        return 'rejected', None, None, params['reject_after'], '486'
    ring = params['ring_after']
    if behaviour == 'no_answer' or params['answer_after'] >= params['ring_timeout']:
        return 'no_answer', ring, None, ring + params['ring_timeout'], '480'
    answer = ring + params['answer_after']
    return 'answered', ring, answer, answer + params['talk'], '200'


class Platform:
    """All emulator state. Single-threaded: everything runs on one asyncio loop."""

    def __init__(self, scenario, loop, overrides=None, quiet=False, stream=None):
        self.scenario = scenario
        self.loop = loop
        self.overrides = check_settings(overrides or {})
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.pusher = Pusher(self)
        self.seq = 1000000
        self.fault_seq = 0
        self._ip_cache = {}
        self.settings = {}
        self.phones = {}
        self.calls = []
        self.records = {}
        self.faults = []
        self.balance = self.gift = self.credit = Decimal(0)
        self.rng = random.Random()
        self.restore()

    # state ---------------------------------------------------------------------------------------
    def restore(self):
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
        self.faults = []
        for spec in self.scenario.faults:
            self.add_fault(spec)
        self.balance = self.scenario.balance
        self.gift = self.scenario.gift
        self.credit = self.scenario.credit
        self.rng = random.Random(self.scenario.seed)

    def add_fault(self, spec):
        """Validate and arm a fault."""
        self.fault_seq += 1
        fault = Fault(spec, self.fault_seq)
        self.faults.append(fault)
        return fault

    def take_fault(self, endpoint, req):
        """Return the first armed fault matching this request (consuming one of its count), else None."""
        account = None
        for fault in self.faults:
            if fault.endpoint not in ('*', endpoint):
                continue
            if fault.account is not None:
                if account is None:
                    account = self._body_account(req)
                if account != fault.account:
                    continue
            if fault.probability is not None and self.rng.random() >= fault.probability:
                continue
            fault.hits += 1
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
            return fault
        return None

    @staticmethod
    def _body_account(req):
        try:
            body = parse_json(req.body)
        except ValueError:
            return ''
        return body.get('account', '') if isinstance(body, dict) else ''

    # helpers -------------------------------------------------------------------------------------
    def log_line(self, text):
        """One line to stderr unless quiet."""
        if not self.quiet:
            self.stream.write(text + '\n')
            self.stream.flush()

    def log_request(self, req, status, lstatus, started):
        """Method, path, HTTP status, LAAFFIC status, milliseconds. Never headers, query strings or secrets."""
        if not self.quiet:
            elapsed = (time.perf_counter() - started) * 1000.0
            shown = lstatus if lstatus is not None else '-'
            self.stream.write('%s %s %s %s %.1fms\n' % (req.method, printable(req.path), status, shown, elapsed))
            self.stream.flush()

    def log_error(self, req, exc):
        """An unexpected exception while handling a request."""
        self.stream.write('ERROR %s %s: %s\n' % (req.method, printable(req.path), type(exc).__name__))
        self.stream.flush()

    @staticmethod
    def utc8_text(epoch):
        """``yyyy-MM-dd HH:mm:ss`` in UTC+8 (ringing notification)."""
        return datetime.fromtimestamp(epoch, TZ8).strftime('%Y-%m-%d %H:%M:%S')

    def charged_seconds(self, seconds):
        """Billed seconds under the bill period (e.g. 60+60)."""
        if seconds <= 0:
            return 0
        first, step = self.scenario.bill_first, self.scenario.bill_next
        if seconds <= first:
            return first
        return first + int(math.ceil((seconds - first) / float(step))) * step

    def rate_for(self, callee):
        """Per-minute rate for a callee, or None when the platform has no price for it (-26)."""
        rate = longest_prefix(self.scenario.prefix_rates, callee)
        return rate if rate is not None else self.scenario.per_minute

    def ip_allowed(self, peer):
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

    def next_voice_id(self, now):
        """yyMMddHHmmss (UTC+8) + a global sequence: 19 digits (20 after 9 million calls), never reused."""
        self.seq += 1
        return time.strftime('%y%m%d%H%M%S', time.gmtime(now + 8 * 3600)) + str(self.seq)

    def charge(self, amount):
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
    def handle(self, req):
        """Route one request."""
        path = req.path
        if path.startswith('/_emulator/') or path == '/_emulator':
            return self.control(req)
        rel = path[4:] if path.startswith('/v3/') else path[1:]
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
        fault = self.take_fault(endpoint, req) if self.faults else None
        if fault is None:
            return self.api(endpoint, arg, req)
        return self.apply_fault(fault, endpoint, arg, req)

    def apply_fault(self, fault, endpoint, arg, req):
        """Answer a request hit by a fault."""
        kind = fault.kind
        if kind == 'reset_before_read':
            answer = Answer(lstatus='fault:' + kind)
            answer.reset = True
            return answer
        if kind in ('reset_after_read', 'slow', 'partial', 'garbage'):
            answer = self.api(endpoint, arg, req)
            answer.reset = kind == 'reset_after_read'
            answer.partial = kind == 'partial'
            answer.garbage = kind == 'garbage'
            if kind == 'slow':
                answer.delay += fault.delay
            answer.lstatus = '%s fault:%s' % (answer.lstatus, kind)
            return answer
        if fault.placed:
            self.api(endpoint, arg, req)
        if kind == 'non_json':
            return Answer(200, GARBAGE, lstatus='fault:' + kind, content_type='text/html;charset=UTF-8')
        if kind == 'status_-18':
            return Answer(200, STATUS_BODIES['-18'], lstatus='-18 fault')
        code = int(kind[5:])
        headers = {'Retry-After': fault.retry_after} if code == 503 and fault.retry_after is not None else None
        return Answer(code, ERROR_PAGES[code], headers=headers, lstatus='fault:' + kind,
                      content_type='application/json' if code == 500 else 'text/html')

    @staticmethod
    def spring_error(status, error, path):
        """[INFERRED] what a Spring gateway answers for an unknown path or a wrong method."""
        body = dumps({'timestamp': datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000+00:00'),
                      'status': status, 'error': error, 'path': path})
        return Answer(status, body, lstatus=None)

    fail = staticmethod(fail)
    ok = staticmethod(ok)

    def api(self, endpoint, arg, req):
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
            skew = abs(time.time() - int(timestamp)) if timestamp.isascii() else None
        except ValueError:
            return self.fail('-16')
        if skew is None:
            return self.fail('-16')
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
        if endpoint == 'sendSip':
            return self.send_sip(body)
        if endpoint == 'recordSip':
            return self.record_sip(arg)
        if endpoint == 'recordSipQuery':
            return self.record_sip_query(body)
        if endpoint == 'getBalance':
            # getBalance puts the amounts at top level, not under data (laaffic-api.md section 8)
            return Answer(200, dumps({'status': '0', 'reason': 'success', 'balance': str(self.balance.quantize(SIX)),
                                      'gift': str(self.gift.quantize(SIX)), 'credit': str(self.credit.quantize(SIX))}),
                          lstatus='0')
        return self.sip_query(body)

    # endpoints -----------------------------------------------------------------------------------
    def send_sip(self, body):
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
        # [INFERRED] after parameters: phone state (-68), fee lookup (-26), balance (-10).
        if phone.behaviour == 'offline' or phone.current is not None:
            return self.fail('-68')
        rate = self.rate_for(callee)
        if rate is None:
            return self.fail('-26')
        per_call = self.scenario.per_call
        minimum = per_call + rate * self.scenario.bill_first / 60
        available = self.balance + self.gift + self.credit
        if available <= 0 or available < minimum:
            return self.fail('-10')
        return self.accept(phone, callee, display or phone.display_num, info, rate)

    def accept(self, phone, callee, display, info, rate):
        """Place the call: record it, make the phone busy, schedule its events."""
        now = time.time()
        call = Call()
        call.voice_id = self.next_voice_id(now)
        call.phone = phone
        call.callee = callee
        call.display_num = display
        call.called_info = info
        call.code = region(callee)
        call.rate = rate
        call.ended = False
        call.cost = self.scenario.per_call
        self.charge(call.cost)
        outcome, ring, answer, end, sip = plan(phone.behaviour, phone.params, self.rng)
        scale = self.settings['time_scale']
        first = min(x for x in (ring, end) if x is not None)
        dial = min(self.settings['dial_delay'], first)
        call.submit = now
        call.dial = now + dial * scale
        call.ring = None if ring is None else now + ring * scale
        call.answer = None if answer is None else now + answer * scale
        call.end = now + end * scale
        call.outcome = outcome
        call.sip_code = sip
        call.timers = [self.loop.call_later(end * scale, self.finish, call)]
        if ring is not None and self.settings['push_ringing'] and (self.settings['push_url'] or self.settings['ringing_url']):
            call.timers.append(self.loop.call_later(ring * scale, self.pusher.ringing, call))
        phone.current = call
        self.records[call.voice_id] = call
        self.calls.append({'voiceId': call.voice_id, 'account': phone.account, 'callee': callee, 'displayNum': display,
                           'calledInfo': info, 'time': now})
        if len(self.calls) > self.settings['max_records']:
            oldest = self.calls.pop(0)
            self.records.pop(oldest['voiceId'], None)
        resp = Answer(200, b'{"status":"0","reason":"success","data":"%s"}' % call.voice_id.encode('ascii'), lstatus='0')
        if phone.behaviour == 'slow_api':
            resp.delay = phone.params['api_delay'] * scale
        return resp

    def finish(self, call):
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

    def record_sip(self, voice_id):
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

    @staticmethod
    def _page(body, default_size=None):
        current = body.get('current', 1 if default_size else None)
        size = body.get('size', default_size)
        for value in (current, size):
            if isinstance(value, bool) or not isinstance(value, int):
                return None
        if current < 1 or not 1 <= size <= 100:
            return None
        return current, size

    @staticmethod
    def _paged(items, current, size):
        total = len(items)
        return {'total': total, 'size': size, 'current': current, 'pages': (total + size - 1) // size,
                'searchCount': True, 'records': items[(current - 1) * size:current * size]}

    def record_sip_query(self, body):
        """POST voice/recordSipQuery."""
        page = self._page(body)
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
        start, stop = window
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
        result = self._paged(chosen, current, size)
        result['records'] = [call.record(self, now) for call in result['records']]
        return self.ok(result)

    def sip_query(self, body):
        """POST voice/sipQuery."""
        page = self._page(body, default_size=25)
        params = body.get('params')
        if page is None or not isinstance(params, dict) or params.get('appId') != self.scenario.app_id:
            return self.fail('-22')
        current, size = page
        result = self._paged(list(self.phones.values()), current, size)
        result['records'] = [{'groupName': p.group, 'phoneName': p.name, 'account': p.account, 'password': p.password,
                              'displayNum': p.display_num} for p in result['records']]
        return self.ok(result)

    # control API ---------------------------------------------------------------------------------
    def control(self, req):
        """The emulator's own API under /_emulator/ (no auth)."""
        parts = [part for part in req.path.split('/') if part][1:]
        method = 'GET' if req.method == 'HEAD' else req.method
        body = {}
        if req.body:
            try:
                body = parse_json(req.body)
            except NotJson:
                return self.control_error(400, 'body is not JSON')
            except BadText:
                return self.control_error(400, 'a string in the body is not valid text (lone surrogate)')
        secrets = req.query.get('secrets', '').lower() in TRUE_WORDS
        try:
            result = self.control_route(method, parts, body, secrets)
        except ScenarioError as exc:
            return self.control_error(400, str(exc))
        if result is None:
            return self.control_error(404, 'no such control endpoint: %s %s' % (method, req.path))
        return Answer(200, dumps(result), lstatus='ctl')

    @staticmethod
    def control_error(status, message):
        """A control API error."""
        return Answer(status, dumps({'ok': False, 'error': message}), lstatus='ctl')

    def control_route(self, method, parts, body, secrets=False):  # pylint: disable=too-many-return-statements,too-many-branches
        """Dispatch a control request; None means 404. Secrets (the API secret, push URL paths) only with ``secrets``."""
        head = parts[0] if parts else ''
        if head == 'health' and method == 'GET':
            return {'ok': True}
        if head == 'calls' and method == 'GET':
            return {'calls': self.calls}
        if head == 'reset' and method == 'POST':
            self.restore()
            return {'ok': True}
        if head == 'faults':
            if method == 'GET':
                return {'faults': [fault.describe() for fault in self.faults]}
            if method == 'DELETE':
                self.faults = []
                return {'ok': True}
            if method == 'POST':
                specs = body if isinstance(body, list) else [body]
                added = [self.add_fault(spec).describe() for spec in specs]
                return {'ok': True, 'added': added}
        if head == 'phones':
            if len(parts) == 1 and method == 'GET':
                return {'phones': [phone.describe() for phone in self.phones.values()]}
            if len(parts) == 2:
                return self.control_phone(method, parts[1], body)
        if head == 'balance':
            if method == 'POST':
                if not isinstance(body, dict):
                    raise ScenarioError('balance body must be an object')
                for key in ('balance', 'gift', 'credit'):
                    if key in body:
                        setattr(self, key, money(key, body[key]))
            if method in ('GET', 'POST'):
                return {'ok': True, 'balance': str(self.balance.quantize(SIX)), 'gift': str(self.gift.quantize(SIX)),
                        'credit': str(self.credit.quantize(SIX))}
        if head == 'pushes':
            if method == 'GET':
                if secrets:
                    return {'pushes': self.pusher.log}
                return {'pushes': [dict(entry, url=shown_url(entry['url'])) for entry in self.pusher.log]}
            if method == 'DELETE':
                self.pusher.log = []
                return {'ok': True}
        if head == 'config':
            if method == 'POST':
                self.settings.update(check_settings(body))
                self._ip_cache = {}
            if method in ('GET', 'POST'):
                config = dict(self.settings)
                for key in ('push_url', 'ringing_url'):
                    config[key] = shown_url(config[key], secrets)
                return {'ok': True, 'config': config}
        if head == 'app' and method == 'GET':
            app = {'api_key': self.scenario.api_key, 'app_id': self.scenario.app_id, 'scenario': self.scenario.name}
            if secrets:
                app['api_secret'] = self.scenario.api_secret
            return app
        return None

    def control_phone(self, method, account, body):
        """GET/POST/DELETE /_emulator/phones/<account>."""
        phone = self.phones.get(account)
        if method == 'GET':
            return None if phone is None else phone.describe()
        if method == 'DELETE':
            if phone is None:
                return None
            del self.phones[account]
            return {'ok': True}
        if method != 'POST':
            return None
        if not isinstance(body, dict):
            raise ScenarioError('phone body must be an object')
        spec = dict(phone.spec) if phone is not None else {}
        if 'behavior' in body:
            body = dict(body)
            body['behaviour'] = body.pop('behavior')
        if 'behaviour' in body:
            spec.pop('behavior', None)
        spec.update(body)
        spec['account'] = account
        new = Phone(spec, self.scenario.defaults, self.scenario.api_secret)
        if phone is not None:
            new.current = phone.current
        self.phones[account] = new
        return {'ok': True, 'phone': new.describe()}
