"""Make the collection, the bundled servers and the shared test support importable.

`make collection` links the repository root at .build/collections/ansible_collections/laaffic/voice,
so plugins import as ``ansible_collections.laaffic.voice...`` exactly as ansible loads them.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(ROOT, '.build', 'collections'), os.path.join(ROOT, 'servers'), os.path.join(ROOT, 'tests')):
    if path not in sys.path:
        sys.path.insert(0, path)
