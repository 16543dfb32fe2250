from __future__ import annotations

import pytest

from devtools.emulator import Emulator

from support.credentials import CREDENTIALS


@pytest.fixture(scope='module')
def emulator():
    with Emulator(quiet=True) as emu:
        yield emu


@pytest.fixture
def emu(emulator):
    emulator.reset()
    yield emulator
    emulator.clear_faults()


@pytest.fixture
def auth(emu):
    return dict(CREDENTIALS, api_url=emu.api_url)
