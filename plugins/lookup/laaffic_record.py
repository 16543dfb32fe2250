# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: laaffic_record
short_description: Read LAAFFIC desk-phone call records
version_added: 1.0.0
author:
  - laaffic.voice maintainers (@laaffic-voice)
description:
  - Returns the call record of each voice ID given as a term, from C(GET voice/recordSip/{voiceId}).
  - Without terms, returns every record of a time window (at most 31 days, within the last two months)
    from C(POST voice/recordSipQuery), reading the pages until one is short or empty, the records reach the
    total the platform gives, or O(max_pages) pages were read (then with a warning).
  - Read-only; it never places a call. Like every lookup it runs on the controller and the same way in check mode.
options:
  _terms:
    description:
      - Voice IDs, as returned by M(laaffic.voice.laaffic_call) (RV(laaffic.voice.laaffic_call#module:calls[].voice_id)).
    type: list
    elements: str
    required: false
  start_time:
    description:
      - Start of the time window, ISO-8601 with an offset such as V(2026-11-01T00:00:00+08:00). Used when no term is given.
    type: str
  end_time:
    description:
      - End of the time window, ISO-8601 with an offset. At most 31 days after O(start_time).
    type: str
  sip_group_name:
    description: Only records of this phone group (exact match), for window queries.
    type: str
  phone_name:
    description: Only records of this phone name (exact match), for window queries.
    type: str
  max_pages:
    description:
      - At most this many pages (of 100 records) are read for a window query, whatever number of pages the
        platform claims. When the bound stops the read early, the lookup warns and returns the records read so far.
      - From 1 to 1000.
    type: int
    default: 100
  on_missing:
    description:
      - What to do when the platform has no record for a voice ID (an unknown ID, or a call placed a moment ago
        whose record does not exist yet).
      - V(error) fails the lookup, V(warn) warns and returns V(null) for that ID, V(ignore) silently returns V(null).
    type: str
    choices: [error, warn, ignore]
    default: error
extends_documentation_fragment:
  - laaffic.voice.connection
  - laaffic.voice.connection.plugins
notes:
  - The task keyword C(environment) does not reach lookups; set proxies in the controller's environment.
  - Redirects are not followed; a redirect fails the lookup with the address it pointed to (set O(api_url) to the final address).
  - The API secret and every C(Sign) sent are removed (in any letter case) from everything the platform answers.
seealso:
  - module: laaffic.voice.laaffic_call
'''

EXAMPLES = r'''
- name: Show the record of a call placed earlier
  ansible.builtin.debug:
    msg: "{{ lookup('laaffic.voice.laaffic_record', placed.calls[0].voice_id) }}"

- name: Records of several calls, null for the ones the platform does not know yet
  ansible.builtin.set_fact:
    records: "{{ query('laaffic.voice.laaffic_record', *voice_ids, on_missing='ignore') }}"

- name: Every desk-phone call of one day for one phone group, all pages
  ansible.builtin.set_fact:
    day: >-
      {{ query('laaffic.voice.laaffic_record',
               start_time='2026-11-25T00:00:00+00:00', end_time='2026-11-26T00:00:00+00:00',
               sip_group_name='floor-3') }}
'''

RETURN = r'''
_raw:
  description:
    - One record per voice ID, in the order of the terms (V(null) for a missing one when O(on_missing) allows it),
      or every record of the window.
    - Each record is as the platform returns it; times are ISO-8601 strings with an offset.
  type: list
  elements: dict
  contains:
    voiceId:
      description: The call's ID.
      type: str
    sipGroupName:
      description: The phone group.
      type: str
    phoneName:
      description: The phone name.
      type: str
    callee:
      description: The called number.
      type: str
    submitTime:
      description: When the call was submitted.
      type: str
    ringingTime:
      description: When the phone started ringing, or null.
      type: str
    answerTime:
      description: When the call was answered, or null.
      type: str
    hangupTime:
      description: When the call ended, or null.
      type: str
    terminationCode:
      description: The platform's termination code.
      type: str
    terminationReason:
      description: The platform's termination reason.
      type: str
    callDuration:
      description: Talk time in seconds.
      type: int
    cost:
      description: The call's cost in the account's currency.
      type: str
'''

from datetime import timedelta

from ansible.errors import AnsibleLookupError
from ansible_collections.laaffic.voice.plugins.module_utils._time import parse_with_offset
from ansible_collections.laaffic.voice.plugins.plugin_utils._lookup import LaafficLookupBase

MAX_WINDOW = timedelta(days=31)


class LookupModule(LaafficLookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.load_options(variables, kwargs)
        voice_ids = [str(term).strip() for term in (terms or [])]
        if any(not voice_id for voice_id in voice_ids):
            raise AnsibleLookupError('laaffic_record: every term must be a non-empty voice ID')
        start, end = self.get_option('start_time'), self.get_option('end_time')
        if voice_ids and (start or end):
            raise AnsibleLookupError('laaffic_record: give either voice IDs as terms or start_time/end_time, not both')
        if not voice_ids:
            self._check_window(start, end)
        max_pages = self.max_pages()
        client = self.client(self.connection_options())
        with self.lookup_errors(client.session, client.redactor):
            if not voice_ids:
                records = client.record_sip_query(start, end, self.get_option('sip_group_name'), self.get_option('phone_name'),
                                                  max_pages=max_pages)
                self.warn_truncated(records, 'records')
                return list(records)
            return [self._one(client, voice_id) for voice_id in voice_ids]

    def _one(self, client, voice_id):
        record = client.record_sip(voice_id)
        if record is None:
            self.missing('laaffic_record: the platform has no record for voice ID %s (unknown ID, or the call is too recent)' % voice_id)
        return record

    @staticmethod
    def _check_window(start, end):
        """The window as (start, end) aware datetimes: both given, ISO-8601 with an offset, end after start and at most 31
        days later; an AnsibleLookupError naming the option otherwise."""
        if not start or not end:
            raise AnsibleLookupError('laaffic_record: give voice IDs as terms, or both start_time and end_time for a window query')
        parsed = {}
        for name, value in (('start_time', start), ('end_time', end)):
            moment = parse_with_offset(value)
            if moment is None:
                raise AnsibleLookupError('laaffic_record: %s must be ISO-8601 with an offset, such as 2026-11-01T00:00:00+08:00, got %r' % (name, value))
            parsed[name] = moment
        if not parsed['start_time'] < parsed['end_time'] <= parsed['start_time'] + MAX_WINDOW:
            raise AnsibleLookupError('laaffic_record: end_time must be after start_time and at most 31 days later')
        return parsed['start_time'], parsed['end_time']
