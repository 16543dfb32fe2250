# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fault injection: faults armed from the scenario or the control API, matched against API requests before
authentication (like a broken gateway in front of the platform), and the answers they make."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Optional

from laaffic_emulator.envelope import STATUS_BODIES, Answer, parse_json
from laaffic_emulator.scenario import ScenarioError, int_in_range, number_in_range

if TYPE_CHECKING:
    from laaffic_emulator.core import Platform
    from laaffic_emulator.server import Incoming

FAULT_KINDS = ('http_429', 'http_500', 'http_502', 'http_503', 'reset_before_read', 'reset_after_read', 'slow', 'non_json', 'status_-18',
               'partial', 'garbage')
FAULT_ENDPOINTS = ('sendSip', 'recordSip', 'recordSipQuery', 'getBalance', 'sipQuery', 'sipAdd', 'sipReset', '*')
# kinds that let the platform process the request and then spoil (or delay) its answer
AFTER_PROCESSING = ('reset_after_read', 'slow', 'partial', 'garbage')
GARBAGE = b'<html><head><title>Gateway</title></head><body>upstream returned an unexpected page</body></html>'
ERROR_PAGES = {
    429: (b'<html>\r\n<head><title>429 Too Many Requests</title></head>\r\n<body>\r\n'
          b'<center><h1>429 Too Many Requests</h1></center>\r\n</body>\r\n</html>\r\n'),
    500: b'{"timestamp":"","status":500,"error":"Internal Server Error","path":""}',
    502: b'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n',
    503: (b'<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n'
          b'<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n'),
}
MAX_COUNT = 1000000   # a fault applies to at most this many requests
MAX_DELAY = 3600.0    # seconds a `slow` fault may hold its answer
MAX_ARMED = 1000      # faults armed at once
# the answers that carry Retry-After when the fault has one
RETRY_AFTER_CODES = (429, 503)
RETRY_AFTER = re.compile(r'[0-9]{1,10}|[A-Za-z]{3}, [0-9]{2} [A-Za-z]{3} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT')


class Fault:
    """An injected fault, consumed by matching requests."""

    def __init__(self, spec: Any, number: int) -> None:
        if not isinstance(spec, dict):
            raise ScenarioError('a fault must be a mapping')
        unknown = set(spec) - {'endpoint', 'kind', 'count', 'probability', 'account', 'delay', 'retry_after', 'placed'}
        if unknown:
            raise ScenarioError('unknown fault keys: %s' % ', '.join(sorted(unknown)))
        self.id = number
        self.endpoint = spec.get('endpoint', '*')
        if self.endpoint not in FAULT_ENDPOINTS:
            raise ScenarioError('fault endpoint must be one of %s' % ', '.join(FAULT_ENDPOINTS))
        self.kind: str = spec.get('kind')  # type: ignore[assignment]  # one of FAULT_KINDS (never None), checked next
        if self.kind not in FAULT_KINDS:
            raise ScenarioError('fault kind must be one of %s' % ', '.join(FAULT_KINDS))
        probability = spec.get('probability')
        count = spec.get('count', None if probability is not None else 1)
        if count is not None:
            int_in_range('fault count', count, 1, MAX_COUNT)
        if probability is not None:
            if isinstance(probability, bool) or not isinstance(probability, (int, float)) or not 0 <= probability <= 1:
                raise ScenarioError('fault probability must be between 0 and 1')
        self.count = count
        self.probability = probability
        self.account = spec.get('account')
        if self.account is not None and not isinstance(self.account, str):
            raise ScenarioError('fault account must be a string')
        self.delay = number_in_range('fault delay', spec.get('delay', 20.0 if self.kind == 'slow' else 0.0), 0, MAX_DELAY)
        retry_after = spec.get('retry_after')
        if isinstance(retry_after, int) and not isinstance(retry_after, bool) and retry_after >= 0:
            retry_after = str(retry_after)
        if retry_after is not None and not (isinstance(retry_after, str) and RETRY_AFTER.fullmatch(retry_after)):
            raise ScenarioError('fault retry_after must be seconds (an integer >= 0) or an HTTP date')
        self.retry_after = retry_after
        # [INFERRED] whether the platform acted on the request before the fault hit the answer.
        placed = spec.get('placed')
        if placed is not None and not isinstance(placed, bool):
            raise ScenarioError('fault placed must be true or false')
        self.placed = self.kind in AFTER_PROCESSING if placed is None else placed
        self.hits = 0

    def describe(self) -> dict[str, Any]:
        """As shown by GET /_emulator/faults."""
        return {'id': self.id, 'endpoint': self.endpoint, 'kind': self.kind, 'count': self.count,
                'probability': self.probability, 'account': self.account, 'delay': self.delay,
                'retry_after': self.retry_after, 'placed': self.placed, 'hits': self.hits}


class Faults:
    """The armed faults of a platform. Probabilities draw from the platform's seeded random generator, so a
    scenario run stays reproducible; fault ids are unique for the life of the process (also across resets)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.armed: list[Fault] = []
        self.seq = 0

    def restore(self, specs: Iterable[Any]) -> None:
        """Disarm everything, then arm ``specs`` (the scenario's list)."""
        self.armed = []
        for spec in specs:
            self.arm(spec)

    def arm(self, spec: Any) -> Fault:
        """Validate and arm a fault; return it."""
        if len(self.armed) >= MAX_ARMED:
            raise ScenarioError('at most %d faults can be armed at once (DELETE /_emulator/faults clears them)' % MAX_ARMED)
        self.seq += 1
        fault = Fault(spec, self.seq)
        self.armed.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        self.armed = []

    def describe(self) -> list[dict[str, Any]]:
        """As shown by GET /_emulator/faults."""
        return [fault.describe() for fault in self.armed]

    def take(self, endpoint: str, req: Incoming) -> Optional[Fault]:
        """Return the first armed fault matching this request (consuming one of its count), else None."""
        account: object = None
        for fault in self.armed:
            if fault.endpoint not in ('*', endpoint):
                continue
            if fault.account is not None:
                if account is None:
                    account = body_account(req)
                if account != fault.account:
                    continue
            if fault.probability is not None and self.platform.rng.random() >= fault.probability:
                continue
            fault.hits += 1
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self.armed.remove(fault)
            return fault
        return None

    def answer(self, fault: Fault, endpoint: str, arg: Optional[str], req: Incoming) -> Answer:
        """Answer a request hit by ``fault`` (processing it through the platform first where the fault says so)."""
        api = self.platform.api
        kind = fault.kind
        if kind == 'reset_before_read':
            answer = Answer(lstatus='fault:' + kind)
            answer.reset = True
            return answer
        if kind in AFTER_PROCESSING:
            if fault.placed or kind != 'reset_after_read':
                answer = api(endpoint, arg, req)
            else:
                # ``placed: false``: the request was read and lost before the platform got it; the connection breaks.
                answer = Answer(lstatus='fault:' + kind)
            answer.reset = kind == 'reset_after_read'
            answer.partial = kind == 'partial'
            answer.garbage = kind == 'garbage'
            if kind == 'slow':
                answer.delay += fault.delay
            answer.lstatus = '%s fault:%s' % (answer.lstatus, kind)
            return answer
        if fault.placed:
            api(endpoint, arg, req)
        if kind == 'non_json':
            return Answer(200, GARBAGE, lstatus='fault:' + kind, content_type='text/html;charset=UTF-8')
        if kind == 'status_-18':
            return Answer(200, STATUS_BODIES['-18'], lstatus='-18 fault')
        code = int(kind[5:])
        headers = {'Retry-After': fault.retry_after} if code in RETRY_AFTER_CODES and fault.retry_after is not None else None
        return Answer(code, ERROR_PAGES[code], headers=headers, lstatus='fault:' + kind,
                      content_type='application/json' if code == 500 else 'text/html')


def body_account(req: Incoming) -> object:
    """The ``account`` of a request's JSON body ('' when there is none)."""
    try:
        body = parse_json(req.body)
    except ValueError:
        return ''
    return body.get('account', '') if isinstance(body, dict) else ''
