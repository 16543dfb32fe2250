"""The emulator these tests share (tests/conftest.py starts one per pytest process), and its credentials."""

from __future__ import annotations

import pytest

from support.credentials import CREDENTIALS


@pytest.fixture
def emu(emulator_process):
    emulator_process.reset()
    yield emulator_process
    emulator_process.clear_faults()


@pytest.fixture
def auth(emu):
    return dict(CREDENTIALS, api_url=emu.api_url)
