# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A local emulator of the LAAFFIC cloud voice API (sendSip, recordSip, recordSipQuery, getBalance, sipQuery, sipAdd,
sipReset).

Run it with ``PYTHONPATH=servers python -m laaffic_emulator --help``; see docs/emulator.md.
"""

from __future__ import annotations

__version__ = '1.1.0'
