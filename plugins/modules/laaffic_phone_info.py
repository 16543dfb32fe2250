#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: laaffic_phone_info
short_description: List the SIP desk phones of a LAAFFIC voice application
version_added: 1.1.0
description:
  - Returns the phones of the voice application (C(POST voice/sipQuery), every page), optionally only those of one
    phone group, with one phone name, or with given SIP accounts.
  - Read-only; it runs the same way in check mode.
author:
  - laaffic.voice maintainers (@laaffic-voice)
options:
  group:
    description:
      - Only the phones of this phone group (exact match).
    type: str
    aliases: [name]
  phone_name:
    description:
      - Only the phones with this name (exact match).
    type: str
  accounts:
    description:
      - Only these SIP accounts. An account that the application does not have is simply not listed.
    type: list
    elements: str
  return_passwords:
    description:
      - Whether RV(phones[].password) holds each phone's SIP password.
      - B(Off by default), so that listing phones, which playbooks do often (to count them, to build the list of phones to call),
        never puts SIP credentials into registered variables, fact caches or task output. Turn it on only in the task that
        hands the passwords to the phones' configuration or to a vault, and put C(no_log) on that task.
    type: bool
    default: false
  max_phones:
    description:
      - A safety cap on how many phones are read. The listing reads every page of the application up to the
        platform's own total; an application larger than this cap is listed up to it, with a warning.
      - A whole number from 1 to 10,000,000. Without it, the environment variable E(LAAFFIC_MAX_PHONES), else 100,000.
    type: int
extends_documentation_fragment:
  - laaffic.voice.connection
  - laaffic.voice.attributes
  - laaffic.voice.attributes.action_group
  - laaffic.voice.attributes.info_module
attributes:
  idempotent:
    description: Whether running the module twice changes nothing the second time.
    support: full
notes:
  - >-
    Run the module on the controller (C(delegate_to: localhost)) or in an execution environment, with
    C(ansible_python_interpreter: "{{ ansible_playbook_python }}") for localhost so that C(requests) is found.
  - The module needs O(app_id). sipQuery is read-only, so its pages are retried with backoff on network errors.
  - To use the phones as inventory hosts, see the P(laaffic.voice.laaffic_phones#inventory) inventory plugin.
seealso:
  - module: laaffic.voice.laaffic_phone_group
  - module: laaffic.voice.laaffic_phone_password
  - plugin: laaffic.voice.laaffic_phones
    plugin_type: inventory
'''

EXAMPLES = r'''
- name: Every phone of the application
  laaffic.voice.laaffic_phone_info:
  register: all_phones
  delegate_to: localhost

- name: Count the phones per group
  ansible.builtin.debug:
    msg: "{{ all_phones.groups }}"

- name: The third floor's phones, to smoke-test them
  laaffic.voice.laaffic_phone_info:
    group: floor-3
  register: floor3
  delegate_to: localhost

- name: Call through each of them (one call per phone, each with its own caller ID)
  laaffic.voice.laaffic_call:
    callee: "493012345678"
    expect: ringing
    calls: >-
      {{ floor3.phones | items2dict(key_name='account', value_name='display_num')
         | dict2items(key_name='account', value_name='display_num') }}
  delegate_to: localhost

- name: Write one phone's provisioning file with its password (the password never shows in the output)
  block:
    - name: Read the phone with its password
      laaffic.voice.laaffic_phone_info:
        accounts: [floor3_001]
        return_passwords: true
      register: phone
      no_log: true
      delegate_to: localhost

    - name: Render the Yealink file for it
      ansible.builtin.copy:
        content: |
          #!version:1.0.0.1
          account.1.enable = 1
          account.1.user_name = {{ phone.phones[0].account }}
          account.1.auth_name = {{ phone.phones[0].account }}
          account.1.password = {{ phone.phones[0].password }}
          account.1.sip_server.1.address = {{ laaffic_sip_server }}
        dest: /srv/tftp/001565aabb01.cfg
        mode: "0640"
      no_log: true
      delegate_to: localhost
'''

RETURN = r'''
phones:
  description: The phones, sorted by group, phone name and account.
  returned: success
  type: list
  elements: dict
  contains:
    account:
      description: The SIP account of the phone.
      type: str
      sample: floor3_001
    phone_name:
      description: The phone's name.
      type: str
      sample: floor3-desk-1
    group_name:
      description: The phone group.
      type: str
      sample: floor-3
    display_num:
      description: The phone's caller ID, or null.
      type: str
      sample: '49301234567'
    password:
      description:
        - B(Secret.) The SIP password the phone registers with. Only when O(return_passwords=true); put C(no_log) on the task.
      type: str
      returned: when O(return_passwords=true)
      sample: LX9FZdF2
count:
  description: How many phones are listed.
  returned: success
  type: int
  sample: 24
groups:
  description: How many of the listed phones each group has.
  returned: success
  type: dict
  sample: {floor-3: 24, lobby: 2}
'''


from ansible.module_utils.basic import env_fallback

from ansible_collections.laaffic.voice.plugins.module_utils._errors import LaafficError
from ansible_collections.laaffic.voice.plugins.module_utils._module import LaafficModule, argument_spec, client as make_client, connection_options, fail
from ansible_collections.laaffic.voice.plugins.module_utils._phones import list_phones, public


def main():
    module = LaafficModule(
        argument_spec=argument_spec(
            group=dict(type='str', aliases=['name']),
            phone_name=dict(type='str'),
            accounts=dict(type='list', elements='str'),
            return_passwords=dict(type='bool', default=False, no_log=False),
            max_phones=dict(type='int', fallback=(env_fallback, ['LAAFFIC_MAX_PHONES'])),
        ),
        supports_check_mode=True,
    )
    params = module.params
    options = connection_options(module, require_app_id=True)
    client = make_client(module, options, pool_size=2)
    try:
        phones = list_phones(client, options.app_id, group_name=params['group'], phone_name=params['phone_name'],
                             accounts=None if params['accounts'] is None else set(params['accounts']), warn=module.warn,
                             max_phones=params['max_phones'])
    except LaafficError as exc:
        fail(module, exc, changed=False)
    finally:
        client.close()
    groups = {}
    for phone in phones:
        key = phone['group_name'] or ''
        groups[key] = groups.get(key, 0) + 1
    module.exit_json(changed=False, phones=[public(p, params['return_passwords']) for p in phones], count=len(phones), groups=groups)


if __name__ == '__main__':
    main()
