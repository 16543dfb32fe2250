# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulator's own control API under /_emulator/ (not part of LAAFFIC; no auth): health, calls, reset,
faults, phones, balance, pushes, config, app. Secrets (the API secret, the push URLs' paths) are served only
to a call that asks with ``?secrets=1``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from laaffic_emulator.calls import SIX
from laaffic_emulator.envelope import Answer, BadText, NotJson, dumps, parse_json
from laaffic_emulator.push import shown_url
from laaffic_emulator.scenario import Phone, ScenarioError, check_settings, money

if TYPE_CHECKING:
    from laaffic_emulator.core import Platform
    from laaffic_emulator.server import Incoming

TRUE_WORDS = ('1', 'true', 'yes')
# a control method's result: the JSON answer, or None for 404
Result = Optional[Dict[str, Any]]


def error(status: int, message: str) -> Answer:
    """A control API error."""
    return Answer(status, dumps({'ok': False, 'error': message}), lstatus='ctl')


class Control:
    """Routes /_emulator/<head>[/<arg>] to one method per head; a method returns the JSON result, or None for 404."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.routes = {'health': self.health, 'calls': self.calls, 'reset': self.reset, 'faults': self.faults,
                       'phones': self.phones, 'balance': self.balance, 'pushes': self.pushes, 'config': self.config,
                       'app': self.app}

    def handle(self, req: Incoming) -> Answer:
        """Answer one control request."""
        parts = [part for part in req.path.split('/') if part][1:]
        method = 'GET' if req.method == 'HEAD' else req.method
        body: Any = {}
        if req.body:
            try:
                body = parse_json(req.body)
            except NotJson:
                return error(400, 'body is not JSON')
            except BadText:
                return error(400, 'a string in the body is not valid text (lone surrogate)')
        secrets = req.query.get('secrets', '').lower() in TRUE_WORDS
        route = self.routes.get(parts[0] if parts else '')
        try:
            result = None if route is None else route(method, parts[1:], body, secrets)
        except ScenarioError as exc:
            return error(400, str(exc))
        if result is None:
            return error(404, 'no such control endpoint: %s %s' % (method, req.path))
        return Answer(200, dumps(result), lstatus='ctl')

    # one method per head: (method, the path parts after the head, the JSON body, secrets asked for) ------------
    @staticmethod
    def health(method: str, _args: list[str], _body: Any, _secrets: bool) -> Result:
        """GET /_emulator/health."""
        return {'ok': True} if method == 'GET' else None

    def calls(self, method: str, _args: list[str], _body: Any, _secrets: bool) -> Result:
        """GET /_emulator/calls: every accepted sendSip, in order."""
        return {'calls': self.platform.calls} if method == 'GET' else None

    def reset(self, method: str, _args: list[str], _body: Any, _secrets: bool) -> Result:
        """POST /_emulator/reset: back to the scenario."""
        if method != 'POST':
            return None
        self.platform.restore()
        return {'ok': True}

    def faults(self, method: str, _args: list[str], body: Any, _secrets: bool) -> Result:
        """GET (list), POST (arm one or several), DELETE (disarm all) /_emulator/faults."""
        faults = self.platform.faults
        if method == 'GET':
            return {'faults': faults.describe()}
        if method == 'DELETE':
            faults.clear()
            return {'ok': True}
        if method == 'POST':
            specs = body if isinstance(body, list) else [body]
            before = list(faults.armed)
            try:
                return {'ok': True, 'added': [faults.arm(spec).describe() for spec in specs]}
            except ScenarioError:
                faults.armed = before  # all or nothing
                raise
        return None

    def phones(self, method: str, args: list[str], body: Any, _secrets: bool) -> Result:
        """GET /_emulator/phones; GET/POST/DELETE /_emulator/phones/<account>."""
        phones = self.platform.phones
        if not args:
            return {'phones': [phone.describe() for phone in phones.values()]} if method == 'GET' else None
        if len(args) != 1:
            return None
        account = args[0]
        phone = phones.get(account)
        if method == 'GET':
            return None if phone is None else phone.describe()
        if method == 'DELETE':
            if phone is None:
                return None
            del phones[account]
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
        scenario = self.platform.scenario
        new = Phone(spec, scenario.defaults, scenario.api_secret)
        if phone is not None:
            new.current = phone.current
        phones[account] = new
        return {'ok': True, 'phone': new.describe()}

    def balance(self, method: str, _args: list[str], body: Any, _secrets: bool) -> Result:
        """GET /_emulator/balance; POST sets any of balance, gift, credit."""
        platform = self.platform
        if method == 'POST':
            if not isinstance(body, dict):
                raise ScenarioError('balance body must be an object')
            amounts = {key: money(key, body[key]) for key in ('balance', 'gift', 'credit') if key in body}
            for key, amount in amounts.items():  # all or nothing
                setattr(platform, key, amount)
        if method not in ('GET', 'POST'):
            return None
        return {'ok': True, 'balance': str(platform.balance.quantize(SIX)), 'gift': str(platform.gift.quantize(SIX)),
                'credit': str(platform.credit.quantize(SIX))}

    def pushes(self, method: str, _args: list[str], _body: Any, secrets: bool) -> Result:
        """GET /_emulator/pushes (URLs without their path unless asked for); DELETE clears the log."""
        pusher = self.platform.pusher
        if method == 'GET':
            if secrets:
                return {'pushes': pusher.log}
            return {'pushes': [dict(entry, url=shown_url(entry['url'])) for entry in pusher.log]}
        if method == 'DELETE':
            pusher.log = []
            return {'ok': True}
        return None

    def config(self, method: str, _args: list[str], body: Any, secrets: bool) -> Result:
        """GET /_emulator/config; POST changes settings (validated first)."""
        platform = self.platform
        if method == 'POST':
            platform.configure(check_settings(body))
        if method not in ('GET', 'POST'):
            return None
        config = dict(platform.settings)
        for key in ('push_url', 'ringing_url'):
            config[key] = shown_url(config[key], secrets)
        return {'ok': True, 'config': config}

    def app(self, method: str, _args: list[str], _body: Any, secrets: bool) -> Result:
        """GET /_emulator/app: api key, app id, scenario name; the API secret only with ?secrets=1."""
        if method != 'GET':
            return None
        scenario = self.platform.scenario
        app = {'api_key': scenario.api_key, 'app_id': scenario.app_id, 'scenario': scenario.name}
        if secrets:
            app['api_secret'] = scenario.api_secret
        return app
