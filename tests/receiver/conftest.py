# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures shared by the receiver's tests."""

from __future__ import annotations

import pytest

from devtools.receiver import Receiver


@pytest.fixture(scope='module')
def rcv():
    """One receiver subprocess per test module (random secret and token, temp database, ephemeral port); it must
    exit 0 on SIGTERM when the module's tests are done."""
    receiver = Receiver()
    yield receiver
    assert receiver.stop() == 0
