# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SIP-level tests: the emulator's SIP side (Kamailio) with real user agents (SIPp, baresip) on 127.0.0.1.

The packages come from devtools/ensure_sip.sh (run by `make test`, `make test-sip` through sip-deps). Missing
them, the tests skip saying what to install; under CI=true they fail instead."""

from __future__ import annotations

import os
import shutil

import pytest

from devtools.emulator import Emulator
from devtools.sip_phones import stop_all as stop_farms
from support.push_sink import PushSink

NEEDED = {'kamailio': 'kamailio', 'sipp': 'sip-tester'}
HINT = 'the SIP tests need Debian packages: apt-get install kamailio sip-tester baresip (as root, or run devtools/ensure_sip.sh)'


def missing(tools):
    return [package for tool, package in tools.items()
            if shutil.which(tool) is None and not os.path.exists('/usr/sbin/' + tool)]


def need(tools):
    """Skip (fail under CI=true) when one of ``tools`` is missing, naming the packages."""
    absent = missing(tools)
    if absent:
        message = '%s (missing: %s)' % (HINT, ', '.join(absent))
        if os.environ.get('CI') == 'true':
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def need_tools():
    return need


class Receiver(PushSink):
    """The push sink, read as the SIP tests need it: a call's status reports and ringing notifications."""

    def __init__(self):
        super().__init__('/push/sip-tests')

    def bodies(self):
        with self.lock:
            return [item['body'] for item in self.items]

    def reports(self, voice_id):
        return [body for body in self.bodies() if isinstance(body, dict) and body.get('voiceId') == voice_id]

    def ringing(self, voice_id):
        return [event for body in self.bodies() if isinstance(body, list) for event in body if event.get('callId') == voice_id]


@pytest.fixture(scope='module')
def receiver():
    rec = Receiver()
    yield rec
    rec.close()


@pytest.fixture(scope='module')
def sip_emu(receiver):
    """An emulator with its SIP side on 127.0.0.1 (one per test module)."""
    need(NEEDED)
    emu = Emulator('default', push_url=receiver.url, sip_port=0)
    emu.start()
    try:
        yield emu
    finally:
        stop_farms()
        emu.stop()


@pytest.fixture
def add_group():
    return sip_add


def sip_add(emu, group, quantity):
    """sipAdd a group; its accounts and passwords from sipQuery, in order."""
    status, body = emu.api('POST', '/voice/sipAdd', {'groupName': group, 'phoneName': 'desk', 'quantity': quantity,
                                                     'appId': emu.app_id})
    assert body['status'] == '0', body
    found = []
    for page in range(1, 100):  # every page: another test of the module may have added a thousand phones
        status, body = emu.api('POST', '/voice/sipQuery', {'current': page, 'size': 100, 'params': {'appId': emu.app_id}})
        assert status == 200 and body['status'] == '0', body
        found += [(row['account'], row['password']) for row in body['data']['records'] if row['groupName'] == group]
        if len(body['data']['records']) < 100:
            return found
    raise AssertionError('more than 99 pages of phones')
