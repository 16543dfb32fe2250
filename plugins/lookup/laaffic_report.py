# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: laaffic_report
short_description: Read the call reports stored by the laaffic.voice report receiver
version_added: 1.0.0
author:
  - laaffic.voice maintainers (@laaffic-voice)
description:
  - Returns what the collection's report receiver (see the C(laaffic.voice.report_receiver) role) stored about calls,
    the status report the LAAFFIC platform pushed when each call ended, and whether the phone rang.
  - With voice IDs as terms, returns one call object per ID. Without terms, returns every call matching
    O(called_info), O(called_info_prefix) and O(since), reading the pages until the receiver says there are no
    more, or O(max_pages) pages were read (then with a warning).
  - Read-only. It talks to the receiver only, never to the LAAFFIC platform, and needs no LAAFFIC credentials.
options:
  _terms:
    description: Voice IDs.
    type: list
    elements: str
    required: false
  receiver_url:
    description: Base URL of the report receiver, for example V(http://127.0.0.1:8098).
    type: str
    required: true
    env:
      - name: LAAFFIC_RECEIVER_URL
    ini:
      - section: laaffic_voice
        key: receiver_url
    vars:
      - name: laaffic_receiver_url
  receiver_token:
    description: The receiver's read token (sent as a bearer token).
    type: str
    required: true
    env:
      - name: LAAFFIC_RECEIVER_TOKEN
    ini:
      - section: laaffic_voice
        key: receiver_token
    vars:
      - name: laaffic_receiver_token
  called_info:
    description: Only calls whose calledInfo is exactly this.
    type: str
  called_info_prefix:
    description:
      - Only calls whose calledInfo starts with this, such as the tag prefix V(laaffic-voice:<run_id>:) of one
        M(laaffic.voice.laaffic_call) run.
    type: str
  since:
    description: Only calls updated at or after this time (ISO-8601, or Unix seconds).
    type: str
  max_pages:
    description:
      - At most this many pages (of 1000 call objects) are read when no term is given. When the bound stops the read
        early, the lookup warns and returns what it read. From 1 to 1000.
    type: int
    default: 100
  on_missing:
    description:
      - What to do when the receiver knows nothing of a voice ID given as a term.
      - V(error) fails, V(warn) warns and returns V(null), V(ignore) returns V(null).
    type: str
    choices: [error, warn, ignore]
    default: ignore
  timeout:
    description:
      - Seconds to wait for each HTTP request, from 0.1 to 600.
      - The same option, environment variable and variable as the connection options of the other plugins (and the one
        M(laaffic.voice.laaffic_call) uses for the receiver).
    type: float
    default: 15
    env:
      - name: LAAFFIC_TIMEOUT
    ini:
      - section: laaffic_voice
        key: timeout
    vars:
      - name: laaffic_timeout
  validate_certs:
    description: Whether to verify the receiver's TLS certificate.
    type: bool
    default: true
    env:
      - name: LAAFFIC_VALIDATE_CERTS
    ini:
      - section: laaffic_voice
        key: validate_certs
    vars:
      - name: laaffic_validate_certs
  ca_path:
    description: CA bundle to verify the receiver's certificate with.
    type: path
    env:
      - name: LAAFFIC_CA_PATH
    ini:
      - section: laaffic_voice
        key: ca_path
    vars:
      - name: laaffic_ca_path
notes:
  - Requires the Python library C(requests) on the controller.
  - Redirects are not followed; a redirect fails the lookup with the address it pointed to (set O(receiver_url) to the final address).
  - The receiver token is removed (in any letter case) from everything the receiver answers, error pages included.
seealso:
  - module: laaffic.voice.laaffic_call
'''

EXAMPLES = r'''
- name: What the platform reported for the calls of one laaffic_call run
  ansible.builtin.debug:
    msg: >-
      {{ query('laaffic.voice.laaffic_report', called_info_prefix='laaffic-voice:' ~ smoke.run_id ~ ':',
               receiver_url='https://reports.example.com', receiver_token=vault_receiver_token) }}

- name: One call, receiver settings from LAAFFIC_RECEIVER_URL and LAAFFIC_RECEIVER_TOKEN
  ansible.builtin.debug:
    msg: "{{ lookup('laaffic.voice.laaffic_report', smoke.calls[0].voice_id) }}"
'''

RETURN = r'''
_raw:
  description: One call object per term (V(null) when unknown and O(on_missing) allows it), or every matching call.
  type: list
  elements: dict
  contains:
    voiceId:
      description: The call's ID.
      type: str
    calledInfo:
      description: The calledInfo the call was placed with.
      type: str
    account:
      description: The SIP account that rang, from the ringing notification.
      type: str
    ringing:
      description: Whether a ringing notification or a report showed that the phone rang.
      type: bool
    ringingTime:
      description: When the phone started ringing.
      type: str
    final:
      description: Whether the platform's status report for the end of the call was received.
      type: bool
    report:
      description: The latest status report as pushed by the platform (times in epoch milliseconds), or null.
      type: dict
    firstSeen:
      description: When the receiver first heard of the call (UTC).
      type: str
    updated:
      description: When the receiver last updated the call (UTC).
      type: str
'''

from ansible.errors import AnsibleLookupError
from ansible.utils.display import Display

from ansible_collections.laaffic.voice.plugins.module_utils._transport import new_session, verify_setting
from ansible_collections.laaffic.voice.plugins.module_utils._errors import OptionError
from ansible_collections.laaffic.voice.plugins.module_utils._options import bounded
from ansible_collections.laaffic.voice.plugins.module_utils._receiver import ReceiverClient
from ansible_collections.laaffic.voice.plugins.plugin_utils._lookup import LaafficLookupBase
from ansible_collections.laaffic.voice.plugins.plugin_utils._requests import require_requests

display = Display()


class LookupModule(LaafficLookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.load_options(variables, kwargs)
        require_requests('the %s lookup' % self._load_name, AnsibleLookupError)
        max_pages = self.max_pages()
        try:
            timeout = bounded('timeout', self.get_option('timeout'))
            receiver = ReceiverClient(new_session(), self.get_option('receiver_url'), self.get_option('receiver_token'), timeout,
                                      verify_setting(self.get_option('validate_certs'), self.get_option('ca_path')),
                                      log=lambda line: display.vvv('laaffic_report: %s' % line))
        except OptionError as exc:
            raise AnsibleLookupError('laaffic_report: %s' % exc.message)
        with self.lookup_errors(receiver.transport.session, receiver.redactor):
            if not terms:
                objects, dummy = receiver.reports(calledInfo=self.get_option('called_info'), calledInfoPrefix=self.get_option('called_info_prefix'),
                                                  since=self.get_option('since'), max_pages=max_pages)
                self.warn_truncated(objects, 'call objects')
                return list(objects)
            return [self._one(receiver, str(term).strip()) for term in terms]

    def _one(self, receiver, voice_id):
        obj = receiver.report(voice_id)
        if obj is None:
            self.missing('laaffic_report: the receiver has no report for voice ID %s' % voice_id)
        return obj
