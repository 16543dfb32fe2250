"""The emulator these tests share (tests/conftest.py starts one per pytest process), reset before every test."""

from __future__ import annotations

import pytest


@pytest.fixture
def emu(emulator_process):
    emulator_process.reset()
    return emulator_process
