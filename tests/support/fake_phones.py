"""The platform's phone endpoints (sipQuery, sipAdd, sipReset) in-process behind FakeSession, for the unit tests of
the phone modules, the inventory plugin and module_utils/_phones.

They are answered by the emulator's own rules (servers/laaffic_emulator/accounts.py, ``SipAccounts``) on an
emulator ``Platform`` built from a scenario holding the phones given, as the emulator builds one at start: one
implementation of the platform's phone rules for the emulator and the unit tests. Nothing is served and no event
loop runs; signatures are not checked here (the client's signing has its own tests).

    platform = FakePhones([phone('lobby', 'lobby-desk-1', 'lobby_001')])
    client = platform.client()                  # a real LaafficClient over a FakeSession
    platform.install(monkeypatch, _module)      # or make modules build their clients over it

``platform.script['voice/sipReset'] = [reset_after_send()]`` makes the next sipReset raise that (or answer
with the FakeResponse given, or with what a function of the request body returns) before the platform's own
behaviour applies again. ``platform.phones`` is the platform's phone table as sipQuery lists it, in its order:
``append(record)`` adds a phone and assigning a list replaces them all. The platform names the accounts of the
phones sipAdd creates and chooses the passwords (docs/api-reference.md section 9): tests read them from
``platform.phones``.
"""

from __future__ import annotations

from collections.abc import Sequence

from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
from laaffic_emulator.accounts import sip_record
from laaffic_emulator.core import ENDPOINTS, Platform
from laaffic_emulator.envelope import fail
from laaffic_emulator.scenario import Phone, Scenario
from support.credentials import CREDENTIALS
from support.fake_http import FakeResponse, FakeSession

API_URL = 'https://api.test/v3'
PHONE_ENDPOINTS = ('sipQuery', 'sipAdd', 'sipReset')


def phone(group, name, account, password=None, display_num=None):
    """A sipQuery record."""
    return {'groupName': group, 'phoneName': name, 'account': account, 'password': password or 'pw-%s' % account,
            'displayNum': display_num}


def phone_spec(record):
    """A scenario phone entry for a sipQuery record."""
    spec = {'account': record['account'], 'group': record.get('groupName'), 'name': record.get('phoneName'),
            'password': record.get('password'), 'display_num': record.get('displayNum')}
    return {key: value for key, value in spec.items() if value is not None}


def response(answer):
    """The emulator's Answer as the FakeResponse requests would give."""
    headers = dict(answer.headers or {})
    headers['Content-Type'] = answer.content_type
    return FakeResponse(answer.status, answer.body, headers=headers)


class PhoneTable(Sequence):
    """``FakePhones.phones``: the platform's phones as sipQuery records (fresh copies), in the platform's order."""

    def __init__(self, fake):
        self._fake = fake

    def _phones(self):
        return list(self._fake.platform.phones.values())

    def __len__(self):
        return len(self._fake.platform.phones)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [sip_record(p) for p in self._phones()[index]]
        return sip_record(self._phones()[index])

    def append(self, record):
        """Add a phone, as the emulator's control API does (POST /_emulator/phones/<account>)."""
        platform = self._fake.platform
        if record['account'] in platform.phones:
            raise ValueError('FakePhones: account %r is already there; the platform lists each account once' % record['account'])
        scenario = platform.scenario
        new = Phone(phone_spec(record), scenario.defaults, scenario.api_secret)
        platform.phones[new.account] = new


class FakePhones(object):
    def __init__(self, phones=(), app_id=CREDENTIALS['app_id']):
        self.app_id = app_id
        self.script = {}
        self.sessions = []
        self.platform = None
        self.phones = phones

    @property
    def phones(self):
        return PhoneTable(self)

    @phones.setter
    def phones(self, records):
        """A platform whose scenario holds exactly these phones (an account given twice is an error)."""
        specs = [phone_spec(record) for record in records]
        accounts = [spec['account'] for spec in specs]
        if len(set(accounts)) != len(accounts):
            raise ValueError('FakePhones: an account is given twice; the platform lists each account once')
        app = {'api_key': CREDENTIALS['api_key'], 'api_secret': CREDENTIALS['api_secret'], 'app_id': self.app_id}
        self.platform = Platform(Scenario({'name': 'unit', 'app': app, 'phones': specs}), loop=None, quiet=True)

    # what was sent --------------------------------------------------------------------------------
    def sent(self, path=None):
        """Every request sent so far (all sessions), or only those to ``path`` such as 'voice/sipAdd'."""
        return [s for session in self.sessions for s in session.sent if path is None or s['url'].endswith('/' + path)]

    # the platform ---------------------------------------------------------------------------------
    def handler(self, method, url, body, headers):  # pylint: disable=unused-argument
        path = url.split('/v3/', 1)[-1]
        queued = self.script.get(path)
        if queued:
            item = queued.pop(0)
            if isinstance(item, Exception):
                raise item
            if isinstance(item, FakeResponse):
                return item
            return item(body)
        name, methods = ENDPOINTS.get(path, (None, ()))
        if name not in PHONE_ENDPOINTS:
            raise AssertionError('unexpected %s %s' % (method, url))
        if method not in methods:
            return response(self.platform.spring_error(405, 'Method Not Allowed', '/v3/' + path))
        if not isinstance(body, dict):
            return response(fail('-22'))  # as the emulator answers a body that is not a JSON object
        return response(self.platform.endpoints[name](body))

    def sip_query(self, body):
        return response(self.platform.accounts.query(body))

    def sip_add(self, body):
        return response(self.platform.accounts.add(body))

    def sip_reset(self, body):
        return response(self.platform.accounts.reset(body))

    # clients over it ------------------------------------------------------------------------------
    def session(self):
        session = FakeSession(self.handler)
        self.sessions.append(session)
        return session

    def client(self, **options):
        settings = dict(CREDENTIALS, api_url=API_URL, timeout=2)
        settings.update(options)
        return LaafficClient(ConnectionOptions(**settings), session=self.session(), sleep=lambda seconds: None)

    def install(self, monkeypatch, namespace):
        """Make ``namespace.LaafficClient(options, ...)`` build real clients over this platform."""
        def factory(options, pool_size=10, log=None, **kwargs):
            return LaafficClient(options, pool_size=pool_size, log=log, session=self.session(), sleep=lambda seconds: None)
        monkeypatch.setattr(namespace, 'LaafficClient', factory)


def run_with_warnings(monkeypatch, main, args):
    """devtools.module_runner.run_module, plus the warnings the module gave in ``result['warnings']``."""
    from ansible.module_utils import basic
    from devtools.module_runner import run_module
    given = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, warning, **kwargs: given.append(warning))
    result, failed = run_module(monkeypatch, main, args)
    result['warnings'] = given
    return result, failed
