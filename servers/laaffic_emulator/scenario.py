# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scenario files (YAML or JSON): app credentials, money, rates, settings, faults and simulated desk phones."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import os
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional, Union

import yaml

if TYPE_CHECKING:
    from laaffic_emulator.calls import Call

SCENARIO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'scenarios')

DIGITS_7_15 = re.compile(r'[0-9]{7,15}')
BILL_PERIOD = re.compile(r'([1-9][0-9]*)\+([1-9][0-9]*)')
SIP_CODE = re.compile(r'[1-6][0-9][0-9]')


class ScenarioError(ValueError):
    """A scenario file, a phone spec, a fault spec or a setting is invalid."""


# ---------------------------------------------------------------------------------------------------
# behaviours
BEHAVIOURS = ('answer', 'no_answer', 'reject', 'offline', 'flaky', 'slow_api', 'late_ring')
THEN_BEHAVIOURS = ('answer', 'no_answer', 'reject', 'flaky')
OTHERWISE_BEHAVIOURS = ('answer', 'no_answer', 'reject')

# Built-in defaults of the behaviour parameters (seconds, floats). A scenario's `defaults:` overrides them.
BEHAVIOUR_DEFAULTS: dict[str, Any] = {
    'ring_after': 1.0,       # placing -> phone starts ringing (answer, no_answer, late_ring)
    'answer_after': 2.0,     # ringing -> answered (answer); not answered when >= ring_timeout
    'talk': 3.0,             # answered -> hung up (answer)
    'ring_timeout': 30.0,    # ringing -> given up as not answered (no_answer; also caps answer_after)
    'reject_after': 0.5,     # placing -> 486 busy (reject); never rings
    'fail_rate': 0.5,        # fraction of failing calls (flaky)
    'fail_sip_code': '503',  # SIP code of a failing call (flaky)
    'fail_after': 0.5,       # placing -> failure (flaky); never rings
    'otherwise': 'answer',   # what a non-failing flaky call does
    'api_delay': 10.0,       # seconds sendSip takes to answer (slow_api)
    'then': 'answer',        # what the call does afterwards (slow_api, late_ring)
}
LATE_RING_AFTER = 20.0
# The longest simulated time (seconds) any phone parameter, delay or setting may ask for: one day.
MAX_SECONDS = 86400.0
FLOAT_PARAMS = ('ring_after', 'answer_after', 'talk', 'ring_timeout', 'reject_after', 'fail_after', 'api_delay')
PHONE_KEYS = ('account', 'group', 'name', 'display_num', 'displayNum', 'password', 'behaviour', 'behavior')


def number_in_range(name: str, value: Any, low: float = 0.0, high: Optional[float] = None, above: bool = False) -> float:
    """A finite number within [low, high] ((low, high] with ``above``; a bool is not a number); raises
    ScenarioError naming ``name`` and the range."""
    if high is None:
        high = MAX_SECONDS
    shown = '%s must be a number %s %s to %s' % (name, 'above' if above else 'from', fmt(low), fmt(high))
    if isinstance(value, bool):
        raise ScenarioError(shown)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ScenarioError('%s, not %s' % (shown, shorten(value))) from None
    if not math.isfinite(number) or number < low or (above and number <= low) or number > high:
        raise ScenarioError('%s, not %s' % (shown, shorten(value)))
    return number


def int_in_range(name: str, value: Any, low: int, high: int) -> int:
    """An integer (a JSON integer: not a bool, not a float) within [low, high]; raises ScenarioError."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScenarioError('%s must be an integer from %s to %s, not %s' % (name, fmt(low), fmt(high), shorten(value)))
    return value


def fmt(number: float) -> str:
    """A bound as the messages and docs show it: 86400, 0.5."""
    return ('%d' % number) if float(number).is_integer() else repr(number)


def shorten(value: object) -> str:
    """A refused value in a message: its repr, at most 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + '...'


def behaviour_params(spec: Mapping[str, Any], defaults: Optional[Mapping[str, Any]] = None) -> tuple[str, dict[str, Any]]:
    """Return (behaviour name, full parameter dict) for a phone spec, validated."""
    name = spec.get('behaviour', spec.get('behavior', 'answer'))
    if name not in BEHAVIOURS:
        raise ScenarioError('unknown behaviour %r (known: %s)' % (name, ', '.join(BEHAVIOURS)))
    params = dict(BEHAVIOUR_DEFAULTS)
    if defaults:
        params.update(defaults)
    if name == 'late_ring' and 'ring_after' not in spec:
        params['ring_after'] = (defaults or {}).get('late_ring_after', LATE_RING_AFTER)
    params.pop('late_ring_after', None)
    for key, value in spec.items():
        if key in PHONE_KEYS:
            continue
        if key not in BEHAVIOUR_DEFAULTS:
            raise ScenarioError('unknown phone key %r' % key)
        params[key] = value
    for key in FLOAT_PARAMS:
        params[key] = number_in_range(key, params[key])
    params['fail_rate'] = number_in_range('fail_rate', params['fail_rate'], 0.0, 1.0)
    params['fail_sip_code'] = str(params['fail_sip_code'])
    if not SIP_CODE.fullmatch(params['fail_sip_code']):
        raise ScenarioError('fail_sip_code must be a SIP code such as "503"')
    if params['then'] not in THEN_BEHAVIOURS:
        raise ScenarioError('then must be one of %s' % ', '.join(THEN_BEHAVIOURS))
    if params['otherwise'] not in OTHERWISE_BEHAVIOURS:
        raise ScenarioError('otherwise must be one of %s' % ', '.join(OTHERWISE_BEHAVIOURS))
    return name, params


class Phone:
    """A simulated desk phone (SIP account) and its current call, if any."""

    __slots__ = ('account', 'group', 'name', 'display_num', 'password', 'behaviour', 'params', 'spec', 'current')

    def __init__(self, spec: Mapping[str, Any], defaults: Optional[Mapping[str, Any]] = None, secret: str = '') -> None:
        account = spec.get('account')
        if not isinstance(account, str) or not account:
            raise ScenarioError('a phone needs an account string')
        self.account = account
        self.group = str(spec.get('group', 'default'))
        self.name = str(spec.get('name', account))
        display = spec.get('display_num', spec.get('displayNum'))
        if display is not None:
            display = str(display)
            if not DIGITS_7_15.fullmatch(display):
                raise ScenarioError('phone %s: display_num must be 7-15 digits' % account)
        self.display_num: Optional[str] = display
        password = spec.get('password')
        if password is None:
            # [INFERRED] 8-character SIP password, derived so it is stable for a scenario.
            password = hashlib.md5((secret + account).encode('utf-8')).hexdigest()[:8]  # nosec - not security
        self.password = str(password)
        self.behaviour, self.params = behaviour_params(spec, defaults)
        self.spec = dict(spec)
        self.current: Optional[Call] = None

    @classmethod
    def made(cls, account: str, group: str, name: str, display: Optional[str], password: str, behaviour: str,
             params: dict[str, Any], spec: dict[str, Any]) -> Phone:
        """A phone from parts already validated (the generated fleet: thousands at start-up and on every reset).
        ``params`` may be shared between phones (nothing changes a phone's params in place); ``spec`` is its own."""
        phone = cls.__new__(cls)
        phone.account, phone.group, phone.name, phone.display_num = account, group, name, display
        phone.password, phone.behaviour, phone.params, phone.spec = password, behaviour, params, spec
        phone.current = None
        return phone

    def describe(self) -> dict[str, Any]:
        """Return the phone as shown by the control API."""
        out = {'account': self.account, 'group': self.group, 'name': self.name, 'display_num': self.display_num,
               'behaviour': self.behaviour, 'busy': self.current is not None,
               'current_call': self.current.voice_id if self.current is not None else None}
        out.update(self.params)
        return out


# ---------------------------------------------------------------------------------------------------
# the generated fleet (scenario `fleet:`, --fleet-size, EMULATOR_FLEET_SIZE)
MAX_PHONES = 100000          # phones one scenario may hold (the generated fleet, a bulk entry's count)
FLEET_GROUP_SIZE = 50        # phones per group: what one sipAdd may create (docs/api-reference.md section 9.1)
FLEET_DISPLAY_BASE = 8613700000000
FLEET_DEFAULTS = {'behaviour': 'no_answer', 'ring_after': 1.0, 'ring_timeout': 5.0}


def fleet_size(name: str, value: Any) -> int:
    """A fleet size: an integer from 0 to MAX_PHONES (text of digits is taken too, for the command line)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PHONES:
        raise ScenarioError('%s must be an integer from 0 to %d, not %r' % (name, MAX_PHONES, value))
    return value


class Fleet:
    """N generated fleet phones: accounts ``fleet-00001`` ... (at least 5 digits, so never one of the bundled
    ``fleet`` scenario's ``fleet-0001``), the same names, groups ``fleet-g0001`` ... of at most 50 phones,
    display numbers 8613700000001 ..., every one with the same behaviour (default: no_answer, rings after 1 s,
    gives up 5 s later)."""

    def __init__(self, spec: Any, defaults: Mapping[str, Any], secret: str) -> None:
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise ScenarioError('fleet must be a mapping (size and behaviour parameters)')
        spec = dict(spec)
        self.size = fleet_size('fleet.size', spec.pop('size', 0))
        for key in spec:
            if key in PHONE_KEYS and key not in ('behaviour', 'behavior'):
                raise ScenarioError('fleet: %r is generated for each phone and cannot be given' % key)
        behaviour = dict(FLEET_DEFAULTS)
        if 'behavior' in spec:
            spec['behaviour'] = spec.pop('behavior')
        behaviour.update(spec)
        self.spec = behaviour
        self.behaviour, self.params = behaviour_params(behaviour, defaults)
        self.secret = secret

    def phones(self) -> Iterator[Phone]:
        """Yield the fleet's phones, freshly made."""
        width = max(5, len(str(self.size)))
        gwidth = max(4, len(str((self.size + FLEET_GROUP_SIZE - 1) // FLEET_GROUP_SIZE)))
        account_format = 'fleet-%%0%dd' % width
        group_format = 'fleet-g%%0%dd' % gwidth
        md5, secret = hashlib.md5, self.secret.encode('utf-8')
        behaviour, params, template = self.behaviour, self.params, self.spec
        group = None
        for number in range(1, self.size + 1):
            if (number - 1) % FLEET_GROUP_SIZE == 0:
                group = group_format % ((number - 1) // FLEET_GROUP_SIZE + 1)
            account = account_format % number
            display = str(FLEET_DISPLAY_BASE + number)
            password = md5(secret + account.encode('ascii')).hexdigest()[:8]  # nosec - as Phone derives it
            spec = dict(template, account=account, group=group, name=account, display_num=display, password=password)
            # group is set on the first pass (number 1), before any phone is made
            yield Phone.made(account, group, account, display, password, behaviour, params, spec)  # type: ignore[arg-type]


def expand_phones(entries: Optional[Iterable[Any]], defaults: Mapping[str, Any], secret: str) -> dict[str, Phone]:
    """Expand a scenario's `phones:` list (single phones and `pattern`/`count` bulk entries) into Phone objects."""
    phones = {}
    for entry in entries or ():
        if not isinstance(entry, dict):
            raise ScenarioError('each phones entry must be a mapping')
        if 'pattern' in entry:
            entry = dict(entry)
            pattern = entry.pop('pattern')
            count = entry.pop('count', 1)
            start = entry.pop('start', 1)
            name_pattern = entry.pop('name_pattern', pattern)
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PHONES:
                raise ScenarioError('phones: count must be an integer from 1 to %d' % MAX_PHONES)
            if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start <= 10 ** 9:
                raise ScenarioError('phones: start must be an integer from 0 to 1000000000')
            display_base = entry.pop('display_num_base', None)
            if display_base is not None:
                try:
                    display_base = int(str(display_base))
                except ValueError:
                    raise ScenarioError('phones: display_num_base must be digits, not %s' % shorten(display_base)) from None
            for number in range(start, start + count):
                spec = dict(entry)
                spec['account'] = pattern.format(number)
                spec['name'] = name_pattern.format(number)
                if display_base is not None:
                    spec['display_num'] = str(int(display_base) + number)
                phone = Phone(spec, defaults, secret)
                phones[phone.account] = phone
        else:
            phone = Phone(entry, defaults, secret)
            phones[phone.account] = phone
    return phones


# ---------------------------------------------------------------------------------------------------
# settings (run-time toggles, also POST /_emulator/config)
def _opt_url(name: str, value: Any) -> Optional[str]:
    if value in (None, ''):
        return None
    if not isinstance(value, str) or not value.startswith(('http://', 'https://')):
        raise ScenarioError('%s must be an http(s) URL' % name)
    return value


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ScenarioError('%s must be true or false' % name)
    return value


def _int(low: int, high: int) -> Callable[[str, Any], int]:
    def check(name: str, value: Any) -> int:
        return int_in_range(name, value, low, high)
    return check


def _seconds(low: float, high: float, above: bool = False) -> Callable[[str, Any], float]:
    def check(name: str, value: Any) -> float:
        return number_in_range(name, value, low, high, above)
    return check


def _choice(*choices: str) -> Callable[[str, Any], str]:
    def check(name: str, value: Any) -> str:
        if value not in choices:
            raise ScenarioError('%s must be one of %s' % (name, ', '.join(choices)))
        return value
    return check


def _allowlist(name: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ScenarioError('%s must be a list of addresses or networks' % name)
    out = []
    for item in value:
        try:
            ipaddress.ip_network(str(item), strict=False)
        except ValueError:
            raise ScenarioError('%s: bad address or network %r' % (name, item)) from None
        out.append(str(item))
    return out


def _termination(name: str, value: Any) -> str:
    return str(value)


SETTINGS: dict[str, tuple[Any, Callable[[str, Any], Any]]] = {
    # name: (default, validator); every number has bounds (docs/emulator.md, "Settings"): beyond them, 400
    'push_url': (None, _opt_url),
    'ringing_url': (None, _opt_url),
    'push_format': ('single', _choice('single', 'batch')),
    'push_ringing': (True, _bool),
    'push_retry_interval': (1.0, _seconds(0, 600)),
    'push_attempts': (3, _int(1, 100)),
    'push_timeout': (5.0, _seconds(0, 300, above=True)),
    'push_duplicates': (0, _int(0, 100)),
    'push_duplicate_delay': (0.2, _seconds(0, 60)),
    'push_late': (0.0, _seconds(0, 3600)),
    'push_out_of_order': (False, _bool),
    'push_out_of_order_window': (1.0, _seconds(0, 3600)),
    'push_batch_size': (50, _int(1, 1000)),
    'push_batch_interval': (0.5, _seconds(0, 3600)),
    'ip_allowlist': ([], _allowlist),
    'timestamp_window': (300.0, _seconds(0, 86400)),
    'time_scale': (1.0, _seconds(0, 100, above=True)),
    'dial_delay': (0.1, _seconds(0, 60)),
    'unknown_voice_id': ('null', _choice('null', 'error')),
    'success_termination_code': ('0', _termination),
    'max_records': (500000, _int(1, 1000000)),
    # [INFERRED] at most this many phones in the application (scenario phones included): sipAdd beyond it is -23
    'max_phones': (2000, _int(1, 100000)),
}


def default_settings() -> dict[str, Any]:
    """Return a fresh dict of every setting at its built-in default."""
    return {name: (list(default) if isinstance(default, list) else default) for name, (default, _check) in SETTINGS.items()}


def check_settings(values: Any) -> dict[str, Any]:
    """Validate a partial settings dict; return the normalised copy."""
    if not isinstance(values, dict):
        raise ScenarioError('settings must be a mapping')
    out = {}
    for name, value in values.items():
        if name not in SETTINGS:
            raise ScenarioError('unknown setting %r (known: %s)' % (name, ', '.join(sorted(SETTINGS))))
        out[name] = SETTINGS[name][1](name, value)
    return out


# ---------------------------------------------------------------------------------------------------
# money
MONEY_MAX = Decimal(10) ** 12   # amounts (balance, gift, credit, rates) stay below this in magnitude


def money(name: str, value: Any, low: Union[Decimal, int] = -MONEY_MAX) -> Decimal:
    """Parse a decimal amount (string or number) from ``low`` to below 10^12: the platform's 6-decimal amounts
    of any such size fit Decimal's 28 digits, so every answer can show them."""
    if isinstance(value, bool):
        raise ScenarioError('%s must be a decimal amount' % name)
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ScenarioError('%s must be a decimal amount, not %s' % (name, shorten(value))) from None
    if not amount.is_finite() or not low <= amount < MONEY_MAX:
        raise ScenarioError('%s must be a decimal amount from %s to less than 1000000000000, not %s'
                            % (name, '0' if low == 0 else '-1000000000000', shorten(value)))
    # a finite amount (checked above) has an int exponent, never 'n', 'N' or 'F'
    return amount.quantize(Decimal('0.000001')) if amount.as_tuple().exponent < -6 else amount  # type: ignore[operator]


class Scenario:
    """A loaded, validated scenario."""

    def __init__(self, data: Any, source: str = '<dict>') -> None:
        if not isinstance(data, dict):
            raise ScenarioError('%s: a scenario must be a mapping' % source)
        known = {'name', 'description', 'app', 'account', 'rates', 'settings', 'seed', 'defaults', 'faults', 'phones', 'fleet'}
        unknown = set(data) - known
        if unknown:
            raise ScenarioError('%s: unknown top-level keys %s' % (source, ', '.join(sorted(unknown))))
        self.source = source
        self.name = str(data.get('name', os.path.splitext(os.path.basename(source))[0]))
        app = data.get('app') or {}
        self.api_key = str(app.get('api_key', 'bDqJFiq9'))
        self.api_secret = str(app.get('api_secret', '7bz1lzh9'))
        self.app_id = str(app.get('app_id', '4luaKsL2'))
        acct = data.get('account') or {}
        self.balance = money('balance', acct.get('balance', '100'))
        self.gift = money('gift', acct.get('gift', '0'))
        self.credit = money('credit', acct.get('credit', '0'))
        rates = data.get('rates') or {}
        self.per_call = money('per_call', rates.get('per_call', '0'), 0)
        per_minute = rates.get('per_minute', '0.03')
        self.per_minute = None if per_minute is None else money('per_minute', per_minute, 0)
        self.prefix_rates = {str(k): money('rate for %s' % k, v, 0) for k, v in (rates.get('prefixes') or {}).items()}
        self.prefix_longest = max((len(key) for key in self.prefix_rates), default=0)
        bill = str(rates.get('bill_period', '60+60'))
        match = BILL_PERIOD.fullmatch(bill)
        if not match or not all(1 <= int(part) <= 3600 for part in match.groups()):
            raise ScenarioError('bill_period must look like "60+60", each number from 1 to 3600')
        self.bill_period = bill
        self.bill_first, self.bill_next = int(match.group(1)), int(match.group(2))
        self.settings = default_settings()
        self.settings.update(check_settings(data.get('settings') or {}))
        self.seed = data.get('seed')
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, (int, str))):
            raise ScenarioError('seed must be an integer or a string')
        self.defaults = dict(data.get('defaults') or {})
        for key in self.defaults:
            if key not in BEHAVIOUR_DEFAULTS and key != 'late_ring_after':
                raise ScenarioError('unknown key in defaults: %r' % key)
        self.faults = list(data.get('faults') or [])
        self.phone_specs = list(data.get('phones') or [])
        self.fleet = Fleet(data.get('fleet'), self.defaults, self.api_secret)
        self.make_phones(check=True)  # validate now

    def set_fleet_size(self, size: Any) -> None:
        """Serve ``size`` generated fleet phones (--fleet-size, EMULATOR_FLEET_SIZE) instead of the scenario's
        ``fleet.size``."""
        self.fleet.size = fleet_size('fleet size', size)
        self.make_phones(check=True)

    def make_phones(self, check: bool = False) -> dict[str, Phone]:
        """Return a fresh account -> Phone dict: the scenario's phones, then the generated fleet."""
        phones = expand_phones(self.phone_specs, self.defaults, self.api_secret)
        mine = len(phones)
        for phone in self.fleet.phones():
            phones[phone.account] = phone
        if check and len(phones) != mine + self.fleet.size:
            raise ScenarioError('the generated fleet (accounts fleet-00001 ...) repeats an account of the scenario\'s phones')
        if check and len(phones) > MAX_PHONES:
            raise ScenarioError('a scenario holds at most %d phones (fleet included), not %d' % (MAX_PHONES, len(phones)))
        return phones


def resolve(name_or_path: str) -> str:
    """Return the path of a bundled scenario name or an existing file."""
    if os.path.isfile(name_or_path):
        return name_or_path
    for ext in ('.yml', '.yaml', '.json'):
        candidate = os.path.join(SCENARIO_DIR, name_or_path + ext)
        if os.path.isfile(candidate):
            return candidate
    raise ScenarioError('no scenario file or bundled scenario named %r (bundled: %s)' % (name_or_path, ', '.join(bundled())))


def bundled() -> list[str]:
    """Names of the bundled scenarios."""
    return sorted(os.path.splitext(f)[0] for f in os.listdir(SCENARIO_DIR) if f.endswith(('.yml', '.yaml', '.json')))


def load(name_or_path: str) -> Scenario:
    """Load a scenario by bundled name or file path (YAML or JSON)."""
    path = resolve(name_or_path)
    with open(path, encoding='utf-8') as handle:
        text = handle.read()
    try:
        data = json.loads(text) if path.endswith('.json') else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ScenarioError('%s: %s' % (path, exc)) from None
    return Scenario(data, path)
