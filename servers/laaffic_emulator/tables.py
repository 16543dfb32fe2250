# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixed tables: documented status reasons, SIP reason phrases, and the callee-prefix -> region map."""

from __future__ import annotations

from typing import Mapping, Optional, TypeVar

V = TypeVar('V')

# Reason texts as worded on the vendor's per-endpoint status tables (docs/api-reference.md section 4.1), and for
# -11, -20, -23 and -24 as worded on the global status table (section 4.2).
REASONS = {
    '0': 'success',
    '-1': 'Authentication error',
    '-2': 'Restricted IP access',
    '-10': "The customer's balance is insufficient",
    '-11': 'Incorrect time format',
    '-16': 'Timestamp expires',
    '-18': 'Port program unusual',
    '-20': 'Data existing',
    '-22': 'Parameter exception',
    '-23': 'Data caps',
    '-24': 'Data unexisting',
    '-26': 'Getting fee fail',
    '-68': 'The SIP is not in the idle state and cannot be used',
}

# [INFERRED] terminationReason texts for SIP final responses.
SIP_REASONS = {
    '200': 'success',
    '403': 'forbidden',
    '404': 'not found',
    '408': 'request timeout',
    '480': 'no answer',
    '486': 'busy',
    '487': 'request terminated',
    '500': 'server internal error',
    '502': 'bad gateway',
    '503': 'service unavailable',
    '504': 'server timeout',
    '603': 'decline',
}

# [INFERRED] callStatus values (docs/api-reference.md section 7.1): 10 busy, 20 no answer, 50 connected, 60 other.
CALL_STATUS = {'answered': 50, 'no_answer': 20, 'rejected': 10, 'failed': 60}

# [INFERRED] any plausible mapping from the callee's country code to the `code` field ("Country(Region)").
REGIONS = {
    '1': 'United States',
    '7': 'Russia',
    '20': 'Egypt',
    '27': 'South Africa',
    '33': 'France',
    '34': 'Spain',
    '39': 'Italy',
    '44': 'United Kingdom',
    '49': 'Germany',
    '52': 'Mexico',
    '55': 'Brazil',
    '60': 'Malaysia',
    '61': 'Australia',
    '62': 'Indonesia',
    '63': 'Philippines',
    '65': 'Singapore',
    '66': 'Thailand',
    '81': 'Japan',
    '82': 'South Korea',
    '84': 'Vietnam',
    '86': 'China',
    '90': 'Turkey',
    '91': 'India(Karnataka)',
    '92': 'Pakistan',
    '93': 'Afghanistan(Kandahar)',
    '234': 'Nigeria',
    '254': 'Kenya',
    '852': 'Hong Kong',
    '880': 'Bangladesh',
    '966': 'Saudi Arabia',
    '971': 'United Arab Emirates',
}


def longest_prefix(mapping: Mapping[str, V], number: str, longest: int = 6) -> Optional[V]:
    """Return the value of the longest key of ``mapping`` that prefixes ``number`` (None when none does); no key
    is longer than ``longest``."""
    for size in range(min(len(number), longest), 0, -1):
        value = mapping.get(number[:size])
        if value is not None:
            return value
    return None


REGIONS_LONGEST = max(len(key) for key in REGIONS)


def region(callee: str) -> str:
    """Return the `code` field for a callee number."""
    return longest_prefix(REGIONS, callee, REGIONS_LONGEST) or 'Unknown'
