#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: laaffic_phone_group
short_description: Ensure a LAAFFIC phone group with its SIP desk phones exists
version_added: 1.1.0
description:
  - Makes sure that the voice application has the phone group O(name) with O(quantity) SIP desk phones, each with
    its own SIP account and password (step 01 of LAAFFIC's desk-phone quick start, as code).
  - The module first reads the application's phones (C(POST voice/sipQuery), all pages). When the group exists as
    requested it changes nothing; when it does not exist it creates it with one C(POST voice/sipAdd) request.
  - B(The platform cannot add phones to an existing group) (C(sipAdd) answers status C(-20) for an existing group name),
    B(nor create more than 50 phones in one request) (status C(-23)), and the API cannot delete, rename or renumber
    phones. When the requested group cannot be reached through the API, the module fails B(before sending anything),
    saying why and what to do (for example, put the extra phones in a new group).
  - C(sipAdd) is never sent again once it may have created phones. Unless its answer proves that nothing was done (a
    refusal status, a request that never left), the module reads the phones back (C(sipQuery)). The group listed is
    reported created (C(changed=true), with a warning); not listed after an HTTP 429, 500 or 503 answer, it is sent again
    (after C(Retry-After)); not listed after another answer, nothing was created; after a timeout, a lost connection or
    a read-back that fails, the task fails with C(changed=true) and RV(may_have_created), saying the phones may have been
    created. See R(Which requests are sent again,ansible_collections.laaffic.voice.docsite.guide_troubleshooting.resend).
author:
  - laaffic.voice maintainers (@laaffic-voice)
options:
  name:
    description:
      - The phone group (C(groupName)), 4 to 32 characters, unique in the application.
    type: str
    required: true
    aliases: [group]
  phone_name:
    description:
      - The name of the group's phones (C(phoneName)), 4 to 32 characters.
      - When the group already exists, its phones must carry this name (or a name that starts with it, as the platform
        numbers the phones of a group); the API cannot rename phones.
    type: str
    required: true
  quantity:
    description:
      - How many phones the group has, 1 to 50.
    type: int
    required: true
  display_num:
    description:
      - Caller ID of the new phones (C(displayNum)), 7 to 13 digits; a leading C(+), spaces and dashes are removed.
      - Omit it to let the platform choose. When the group already exists and O(display_num) is set, its phones must
        display that number; the API cannot change it.
    type: str
  state:
    description:
      - V(present) makes sure the group exists with O(quantity) phones. The API has no call to delete phones.
    type: str
    choices: [present]
    default: present
  return_passwords:
    description:
      - Whether RV(phones[].password) holds each phone's SIP password.
      - Off by default because the passwords stay readable from the platform at any time (M(laaffic.voice.laaffic_phone_info)
        with O(laaffic.voice.laaffic_phone_info#module:return_passwords=true), or the
        P(laaffic.voice.laaffic_phones#inventory) inventory), so a task that only makes sure the group exists does not
        need to put them into a registered variable. Turn it on to hand the new accounts straight to the phones or to a vault,
        and put C(no_log) on the task.
    type: bool
    default: false
extends_documentation_fragment:
  - laaffic.voice.connection
  - laaffic.voice.attributes
  - laaffic.voice.attributes.action_group
attributes:
  check_mode:
    support: full
    details:
      - In check mode the module reads the phones (C(sipQuery)), validates everything, and reports what it would create
        (RV(created)) without sending C(sipAdd).
  diff_mode:
    support: full
    details:
      - The diff shows the group's name and number of phones before and after.
  idempotent:
    description: Whether running the module twice changes nothing the second time.
    support: full
notes:
  - >-
    Run the module on the controller (C(delegate_to: localhost)) or in an execution environment, with
    C(ansible_python_interpreter: "{{ ansible_playbook_python }}") for localhost so that C(requests) is found.
  - The module needs O(app_id).
  - How the platform names the phones of a group of several is not documented (its sample record shows C(sip-1)); the
    module accepts phone names equal to O(phone_name) or starting with it.
seealso:
  - module: laaffic.voice.laaffic_phone_info
  - module: laaffic.voice.laaffic_phone_password
  - plugin: laaffic.voice.laaffic_phones
    plugin_type: inventory
  - name: From zero to a tested fleet
    description: The collection's provisioning guide.
    link: https://github.com/laaffic-voice/laaffic.voice/blob/main/docs/docsite/rst/guide_provisioning.rst
'''

EXAMPLES = r'''
- name: Make sure the third floor has its 24 desk phones
  laaffic.voice.laaffic_phone_group:
    api_key: "{{ vault_laaffic_api_key }}"
    api_secret: "{{ vault_laaffic_api_secret }}"
    app_id: 4luaKsL2
    name: floor-3
    phone_name: floor3-desk
    quantity: 24
    display_num: "+49 30 1234567"
  delegate_to: localhost

- name: More than 50 phones - one group per 50 (the platform caps a request at 50 and cannot grow a group)
  laaffic.voice.laaffic_phone_group:
    name: "hq-{{ item }}"
    phone_name: "hq{{ item }}-desk"
    quantity: 50
  loop: [a, b, c]
  delegate_to: localhost

- name: Create the group and keep the new accounts in a vault file
  module_defaults:
    group/laaffic.voice.laaffic:
      api_key: "{{ vault_laaffic_api_key }}"
      api_secret: "{{ vault_laaffic_api_secret }}"
      app_id: "{{ laaffic_app_id }}"
  block:
    - name: Create the phones, passwords included
      laaffic.voice.laaffic_phone_group:
        name: lobby
        phone_name: lobby-desk
        quantity: 2
        return_passwords: true
      register: lobby
      no_log: true
      delegate_to: localhost

    - name: Write the accounts to a file and encrypt it with ansible-vault
      ansible.builtin.copy:
        content: "{{ {'lobby_sip_accounts': lobby.phones | items2dict(key_name='account', value_name='password')} | to_nice_yaml }}"
        dest: group_vars/all/lobby_sip_accounts.yml
        mode: "0600"
      no_log: true
      delegate_to: localhost

    - name: Encrypt it
      ansible.builtin.command: ansible-vault encrypt group_vars/all/lobby_sip_accounts.yml
      changed_when: true
      delegate_to: localhost

- name: What would be created (check mode sends nothing)
  laaffic.voice.laaffic_phone_group:
    name: floor-4
    phone_name: floor4-desk
    quantity: 12
  check_mode: true
  register: plan
  delegate_to: localhost
'''

RETURN = r'''
group:
  description: The phone group after the task.
  returned: success
  type: dict
  contains:
    name:
      description: The group's name.
      type: str
      sample: floor-3
    phone_count:
      description: How many phones the group has (in check mode, how many it would have).
      type: int
      sample: 24
  sample: {name: floor-3, phone_count: 24}
created:
  description: How many phones this task created (in check mode, would create).
  returned: always
  type: int
  sample: 0
may_have_created:
  description:
    - How many phones this task may have created when the answer to C(sipAdd) was lost and reading the phones back could
      not tell (the task then fails with C(changed=true)). Run the task again later; it creates the group only if it is not there.
  returned: when it is not known whether the group was created
  type: int
  sample: 24
phones:
  description:
    - The group's phones, sorted by phone name and account, as the platform lists them (C(sipQuery)).
    - Empty in check mode when the group does not exist yet.
  returned: success
  type: list
  elements: dict
  contains:
    account:
      description: The SIP account the phone registers with, and the one M(laaffic.voice.laaffic_call) calls through.
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
'''

from ansible_collections.laaffic.voice.plugins.module_utils._errors import ApiStatusError, LaafficError
from ansible_collections.laaffic.voice.plugins.module_utils._module import LaafficModule, argument_spec, client as make_client, connection_options, fail
from ansible_collections.laaffic.voice.plugins.module_utils._phones import create_group, list_phones, plan_group, public


def main():
    module = LaafficModule(
        argument_spec=argument_spec(
            name=dict(type='str', required=True, aliases=['group']),
            phone_name=dict(type='str', required=True),
            quantity=dict(type='int', required=True),
            display_num=dict(type='str'),
            state=dict(type='str', choices=['present'], default='present'),
            return_passwords=dict(type='bool', default=False, no_log=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, created=0)
    try:
        # Validate the request on its own first, so that bad input fails before any request.
        plan_group([], params['name'], params['phone_name'], params['quantity'], params['display_num'])
    except LaafficError as exc:
        fail(module, exc, **result)
    options = connection_options(module, require_app_id=True)
    client = make_client(module, options, pool_size=2)
    try:
        phones = list_phones(client, options.app_id, warn=module.warn)
        plan = plan_group(phones, params['name'], params['phone_name'], params['quantity'], params['display_num'])
        if not plan.reachable:
            module.fail_json(msg='Nothing was sent: %s' % ' '.join(plan.problems), problems=plan.problems,
                             group=dict(name=plan.name, phone_count=len(plan.existing)),
                             phones=[public(p) for p in plan.existing], **result)
        if plan.create:
            result.update(changed=True, created=plan.quantity)
            if module._diff:
                result['diff'] = plan.diff()
            if module.check_mode:
                module.exit_json(group=dict(name=plan.name, phone_count=plan.quantity), phones=[],
                                 msg='check mode: would create phone group %s with %d phone(s)' % (plan.name, plan.quantity), **result)
            phones = _create(module, client, options.app_id, plan, result)
        else:
            phones = plan.existing
        module.exit_json(group=dict(name=plan.name, phone_count=len(phones)),
                         phones=[public(p, params['return_passwords']) for p in phones], **result)
    except LaafficError as exc:
        fail(module, exc, **result)
    finally:
        client.close()


def _create(module, client, app_id, plan, result):
    """Create the group by the rule for creating requests (``create_group``) and return its phones as sipQuery lists them."""
    try:
        creation = create_group(client, app_id, plan)
    except LaafficError as exc:
        result.update(changed=False, created=0)
        if isinstance(exc, ApiStatusError) and exc.code == '-20':
            # Someone created the group between our read and our request.
            again = plan_group(list_phones(client, app_id), plan.name, plan.phone_name, plan.quantity, plan.display_num)
            if again.existing and again.reachable:
                module.warn('Phone group %s was created by someone else while this task ran (sipAdd answered -20); '
                            'it matches the request.' % plan.name)
                return again.existing
        raise
    phones = creation.phones
    if creation.created is None:
        result['created'] = 0
        module.fail_json(msg='%s; %s. The phones may have been created: sipAdd was not sent again, so that no phones are created '
                             'twice. Run the task again later: it reads the groups first and creates the group only if it is not '
                             'there.' % (creation.error.message, creation.note),
                         error=creation.error.to_dict(), may_have_created=plan.quantity,
                         phones=[public(p) for p in phones], **result)
    if creation.created is False:
        result.update(changed=False, created=0)
        module.fail_json(msg='%s; %s. Nothing was created: run the task again.' % (creation.error.message, creation.note),
                         error=creation.error.to_dict(), phones=[], **result)
    result['created'] = len(phones)
    if creation.error is not None:
        module.warn('The answer to sipAdd was lost or refused (%s), but %s: it was created.' % (creation.error.message, creation.note))
    if len(phones) != plan.quantity:
        module.warn('sipAdd accepted %d phone(s) for group %s, but sipQuery lists %d of them so far.' % (plan.quantity, plan.name, len(phones)))
    return phones


if __name__ == '__main__':
    main()
