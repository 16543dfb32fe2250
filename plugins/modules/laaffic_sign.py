#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: laaffic_sign
short_description: Compute the signed headers of a LAAFFIC API request
version_added: 1.0.0
description:
  - Returns the four headers that every LAAFFIC API request carries (C(Content-Type), C(Api-Key), C(Sign) and C(Timestamp)),
    signed for the current time or for a given O(timestamp), so that a request can be sent by hand with M(ansible.builtin.uri).
  - C(Sign) is the documented C(md5(api_key + api_secret + Timestamp)), in lowercase hexadecimal.
  - No request is sent. The API secret is never returned.
author:
  - laaffic.voice maintainers (@laaffic-voice)
options:
  timestamp:
    description:
      - Unix time in whole seconds to sign for. Defaults to the current time of the host that runs the module.
      - The platform only accepts timestamps close to its own clock, so a fixed value is mostly useful for testing.
    type: raw
extends_documentation_fragment:
  - laaffic.voice.connection
  - laaffic.voice.attributes
  - laaffic.voice.attributes.action_group
attributes:
  check_mode:
    support: full
    details:
      - The module only computes values, so check mode runs it as usual.
  diff_mode:
    support: none
  idempotent:
    description: Whether the module returns the same result when run twice.
    support: none
    details:
      - The signature depends on the time unless O(timestamp) is given.
notes:
  - >-
    The returned C(Sign) is a credential derived from the secret, valid for the platform's timestamp window (a few minutes).
    Put C(no_log: true) on the task that registers it and on the task that sends it, as in the examples.
  - O(api_url), O(app_id), O(timeout), O(validate_certs) and O(ca_path) are accepted so that C(module_defaults) for the
    C(group/laaffic.voice.laaffic) group apply; O(api_url) is returned for convenience, the others are not used.
seealso:
  - module: laaffic.voice.laaffic_call
  - module: ansible.builtin.uri
'''

EXAMPLES = r'''
- name: Sign a request for now
  laaffic.voice.laaffic_sign:
    api_key: "{{ laaffic_api_key }}"
    api_secret: "{{ laaffic_api_secret }}"
  register: laaffic_signed
  no_log: true

- name: Read the balance with ansible.builtin.uri
  ansible.builtin.uri:
    url: "{{ laaffic_signed.api_url }}/getBalance"
    method: GET
    headers: "{{ laaffic_signed.headers }}"
  register: balance
  no_log: true

- name: Reproduce the vendor's documented example signature
  laaffic.voice.laaffic_sign:
    api_key: bDqJFiq9
    api_secret: 7bz1lzh9
    timestamp: 1630468800
  register: example  # example.headers.Sign == "05d7a50893e22a5c4bb3216ae3396c7c"

- name: Credentials from module_defaults (or the LAAFFIC_* environment variables)
  module_defaults:
    group/laaffic.voice.laaffic:
      api_key: "{{ vault_laaffic_api_key }}"
      api_secret: "{{ vault_laaffic_api_secret }}"
  block:
    - name: Sign
      laaffic.voice.laaffic_sign:
      register: laaffic_signed
      no_log: true
'''

RETURN = r'''
headers:
  description:
    - The headers to send with the request, C(Content-Type) (V(application/json;charset=UTF-8)), C(Api-Key) (the API key),
      C(Sign) (the signature for O(api_key), O(api_secret) and RV(timestamp)) and C(Timestamp) (RV(timestamp) as a string).
  returned: success
  type: dict
  sample:
    Content-Type: application/json;charset=UTF-8
    Api-Key: bDqJFiq9
    Sign: 05d7a50893e22a5c4bb3216ae3396c7c
    Timestamp: '1630468800'
timestamp:
  description: The signed Unix time in seconds.
  returned: success
  type: int
  sample: 1630468800
signed_at:
  description: The signed time in ISO-8601 UTC, to compare with the platform's clock when it answers C(-16).
  returned: success
  type: str
  sample: '2021-09-01T04:00:00Z'
api_url:
  description: The API base URL, without a trailing slash.
  returned: success
  type: str
  sample: https://api.laaffic.com/v3
'''

import time


from ansible_collections.laaffic.voice.plugins.module_utils._client import utc_iso
from ansible_collections.laaffic.voice.plugins.module_utils._errors import OptionError
from ansible_collections.laaffic.voice.plugins.module_utils._module import LaafficModule, argument_spec, connection_options, fail
from ansible_collections.laaffic.voice.plugins.module_utils._signing import signed_headers


def parse_timestamp(value):
    """The timestamp option as an int, or an OptionError naming it."""
    if value is None:
        return int(time.time())
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdigit():
        raise OptionError('timestamp', 'must be a Unix time in whole seconds, such as 1630468800, got %r' % (value,))
    return int(text)


def main():
    module = LaafficModule(argument_spec=argument_spec(timestamp=dict(type='raw')), supports_check_mode=True)
    options = connection_options(module)
    try:
        timestamp = parse_timestamp(module.params['timestamp'])
    except OptionError as exc:
        fail(module, exc)
    module.exit_json(
        changed=False,
        headers=signed_headers(options.api_key, options.api_secret, timestamp),
        timestamp=timestamp,
        signed_at=utc_iso(timestamp),
        api_url=options.api_url,
    )


if __name__ == '__main__':
    main()
