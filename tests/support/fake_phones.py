"""An in-memory stand-in for the platform's phone endpoints (sipQuery, sipAdd, sipReset) behind FakeSession,
for the unit tests of the phone modules, the inventory plugin and module_utils/_phones.

    platform = FakePhones([phone('lobby', 'lobby-desk-1', 'lobby_001')])
    client = platform.client()                  # a real LaafficClient over a FakeSession
    platform.install(monkeypatch, _module)      # or make modules build their clients over it

``platform.script['voice/sipReset'] = [reset_after_send()]`` makes the next sipReset raise that (or answer
with the FakeResponse given) before the in-memory behaviour applies again.
"""

from __future__ import annotations

import itertools

from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
from support.credentials import CREDENTIALS
from support.fake_http import FakeResponse, FakeSession, ok, status

API_URL = 'https://api.test/v3'


def phone(group, name, account, password=None, display_num=None):
    """A sipQuery record."""
    return {'groupName': group, 'phoneName': name, 'account': account, 'password': password or 'pw-%s' % account,
            'displayNum': display_num}


class FakePhones(object):
    def __init__(self, phones=(), app_id=CREDENTIALS['app_id']):
        self.phones = [dict(p) for p in phones]
        self.app_id = app_id
        self.script = {}
        self.sessions = []
        self._serial = itertools.count(1)

    # what was sent --------------------------------------------------------------------------------
    def sent(self, path=None):
        """Every request sent so far (all sessions), or only those to ``path`` such as 'voice/sipAdd'."""
        return [s for session in self.sessions for s in session.sent if path is None or s['url'].endswith('/' + path)]

    # the platform ---------------------------------------------------------------------------------
    def handler(self, method, url, body, headers):
        path = url.split('/v3/', 1)[-1]
        queued = self.script.get(path)
        if queued:
            item = queued.pop(0)
            if isinstance(item, Exception):
                raise item
            if isinstance(item, FakeResponse):
                return item
            return item(body)
        if method != 'POST' or not isinstance(body, dict):
            return status(-22)
        if path == 'voice/sipQuery':
            return self.sip_query(body)
        if path == 'voice/sipAdd':
            return self.sip_add(body)
        if path == 'voice/sipReset':
            return self.sip_reset(body)
        raise AssertionError('unexpected %s %s' % (method, url))

    def sip_query(self, body):
        current, size = body.get('current', 1), body.get('size', 25)
        if (body.get('params') or {}).get('appId') != self.app_id:
            return status(-22)
        records = self.phones[(current - 1) * size:current * size]
        pages = (len(self.phones) + size - 1) // size
        return ok({'total': len(self.phones), 'size': size, 'current': current, 'pages': pages, 'records': records})

    def sip_add(self, body):
        group, name, quantity = body.get('groupName'), body.get('phoneName'), body.get('quantity')
        if body.get('appId') != self.app_id or not isinstance(quantity, int) or not 4 <= len(group or '') <= 32:
            return status(-22)
        if any(p['groupName'] == group for p in self.phones):
            return status(-20, 'Data existing')
        if quantity > 50:
            return status(-23, 'Data caps')
        for index in range(1, quantity + 1):
            serial = next(self._serial)
            self.phones.append(phone(group, '%s-%d' % (name, index), 'acct_%03d' % serial, 'Pw%06d' % serial, body.get('displayNum')))
        return ok(None)

    def sip_reset(self, body):
        if body.get('appId') != self.app_id:
            return status(-22)
        for record in self.phones:
            if record['account'] == body.get('account'):
                record['password'] = 'New%06d' % next(self._serial)
                return ok({'account': record['account'], 'password': record['password']})
        return status(-24, 'Data unexisting')

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
