# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Entry point: ``python -m laaffic_emulator``."""

from __future__ import annotations

import sys

from laaffic_emulator.cli import main

if __name__ == '__main__':
    sys.exit(main())
