"""The emulator these tests share: one process per test module, reset before every test that uses it."""

from __future__ import annotations

import pytest

from devtools.emulator import Emulator


@pytest.fixture(scope='module')
def emu_process():
    with Emulator('default') as emulator:
        yield emulator


@pytest.fixture
def emu(emu_process):
    emu_process.reset()
    return emu_process
