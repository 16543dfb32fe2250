#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: laaffic_phone_password
short_description: Reset the SIP passwords of LAAFFIC desk phones
version_added: 1.1.0
description:
  - Gives each of the SIP accounts in O(accounts) a new password (C(POST voice/sipReset), one request per account)
    and returns the new passwords. The platform chooses them.
  - A phone keeps using its old password until its configuration is updated, so it stops registering until then;
    render its new provisioning file in the same play (see the examples and the
    R(desk_phone_config role,ansible_collections.laaffic.voice.desk_phone_config_role)).
  - Before sending anything the module reads the application's phones (C(POST voice/sipQuery)) and fails, naming them,
    when an account does not exist (the platform would answer C(-24) for it), so that a typo never leaves half of the
    accounts reset.
  - B(A reset is never sent twice) once it may have reached the platform. Only an answer that proves nothing was done (a
    refusal status such as C(-24), a request that never left) leaves an account V(false); HTTP 429 or 503 with
    C(Retry-After), any other HTTP error, a timeout or a lost connection may come after the reset. The module then
    reads the phones again and returns the password it finds when it differs from the old one (RV(accounts[].confirmed_by));
    otherwise the account is unknown (RV(accounts[].reset=null), C(changed=true), the reason in RV(accounts[].error)),
    and the task fails; run it again for that account to get a password you know. See
    R(Which requests are sent again,ansible_collections.laaffic.voice.docsite.guide_troubleshooting.resend).
author:
  - laaffic.voice maintainers (@laaffic-voice)
options:
  accounts:
    description:
      - The SIP accounts to reset, each 4 to 32 characters. Duplicates are reset once.
    type: list
    elements: str
    required: true
    aliases: [account]
extends_documentation_fragment:
  - laaffic.voice.connection
  - laaffic.voice.attributes
  - laaffic.voice.attributes.action_group
attributes:
  check_mode:
    support: full
    details:
      - B(A password is never reset in check mode.) The module reads the phones, checks that every account exists,
        and returns C(changed=true) with the accounts it would reset (RV(accounts[].reset=false), no password).
  diff_mode:
    support: none
  idempotent:
    description: Whether running the module twice changes nothing the second time.
    support: none
    details:
      - Every run gives the accounts new passwords. C(changed) is V(true) whenever a password was, or may have been, reset.
notes:
  - >-
    Run the module on the controller (C(delegate_to: localhost)) or in an execution environment, with
    C(ansible_python_interpreter: "{{ ansible_playbook_python }}") for localhost so that C(requests) is found.
  - The module needs O(app_id).
  - >-
    The result holds the new passwords, also when the task fails after some accounts were reset (they would be lost
    otherwise). Always put C(no_log: true) on the task; the module never writes a password into a message, warning or log line.
seealso:
  - module: laaffic.voice.laaffic_phone_info
  - module: laaffic.voice.laaffic_phone_group
'''

EXAMPLES = r'''
- name: Give two lobby phones new passwords and store them in a vault file
  module_defaults:
    group/laaffic.voice.laaffic:
      api_key: "{{ vault_laaffic_api_key }}"
      api_secret: "{{ vault_laaffic_api_secret }}"
      app_id: "{{ laaffic_app_id }}"
  block:
    - name: Reset
      laaffic.voice.laaffic_phone_password:
        accounts: [lobby_001, lobby_002]
      register: reset
      no_log: true
      delegate_to: localhost

    - name: Keep them in a file, then encrypt it (ansible-vault encrypt)
      ansible.builtin.copy:
        content: "{{ {'laaffic_sip_passwords': reset.accounts | items2dict(key_name='account', value_name='password')} | to_nice_yaml }}"
        dest: group_vars/all/sip_passwords.yml
        mode: "0600"
      no_log: true
      delegate_to: localhost

# In a play over the phones (for example the laaffic.voice.laaffic_phones inventory), with gather_facts: false:
- name: Reset each phone's password
  laaffic.voice.laaffic_phone_password:
    account: "{{ laaffic_account }}"
  register: reset
  no_log: true
  delegate_to: localhost

- name: Render each phone's provisioning file with its new password
  ansible.builtin.include_role:
    name: laaffic.voice.desk_phone_config
  vars:
    laaffic_sip_password: "{{ reset.accounts[0].password }}"
    desk_phone_config_dir: /srv/provisioning
    desk_phone_config_sip_server: sip.example.net

- name: What would be reset (nothing is sent)
  laaffic.voice.laaffic_phone_password:
    accounts: [lobby_001]
  check_mode: true
  delegate_to: localhost
'''

RETURN = r'''
accounts:
  description: One entry per account, in the order of O(accounts).
  returned: always
  type: list
  elements: dict
  contains:
    account:
      description: The SIP account.
      type: str
      sample: lobby_001
    reset:
      description:
        - V(true) when the account has a new password (in RV(accounts[].password)); V(false) when it was not reset
          (always in check mode); V(null) when it is unknown - it may have been reset but the new password could not be
          read back (the request is not sent again).
      type: bool
      sample: true
    password:
      description:
        - B(Secret.) The new SIP password. Only for accounts that were reset. Put C(no_log) on the task.
      type: str
      returned: when the account was reset
      sample: N3wPassw
    confirmed_by:
      description:
        - V(sipQuery) when the reset's answer was lost and the new password was read back from the phone list.
      type: str
      returned: when the answer was lost
      sample: sipQuery
    phone_name:
      description: The phone's name.
      type: str
      sample: lobby-desk-1
    group_name:
      description: The phone's group.
      type: str
      sample: lobby
    error:
      description: Why this account was not reset, or may have been; contains no password.
      type: str
      returned: when the account was not reset
      sample: LAAFFIC answered status -24 (Data unexisting) to POST https://api.laaffic.com/v3/voice/sipReset. ...
'''

from ansible_collections.laaffic.voice.plugins.module_utils._errors import LaafficError, OptionError
from ansible_collections.laaffic.voice.plugins.module_utils._module import LaafficModule, argument_spec, client as make_client, connection_options, fail
from ansible_collections.laaffic.voice.plugins.module_utils._phones import ResetOutcome, check_accounts, list_phones, reset_passwords


def main():
    module = LaafficModule(
        argument_spec=argument_spec(accounts=dict(type='list', elements='str', required=True, aliases=['account'], no_log=False)),
        supports_check_mode=True,
    )
    result = dict(changed=False, accounts=[])
    try:
        accounts = check_accounts(module.params['accounts'])
    except OptionError as exc:
        fail(module, exc, **result)
    options = connection_options(module, require_app_id=True)
    client = make_client(module, options, pool_size=2)
    try:
        listed = list_phones(client, options.app_id, accounts=set(accounts), warn=module.warn)
        before = {p['account']: p for p in listed}
        unknown = [account for account in accounts if account not in before]
        if unknown:
            module.fail_json(msg='Nothing was reset: the application has no SIP account %s (sipReset would answer -24). '
                                 'List the accounts with laaffic.voice.laaffic_phone_info.' % ', '.join(unknown),
                             unknown=unknown, **result)
        if module.check_mode:
            result['accounts'] = [ResetOutcome(account).to_dict(before[account]) for account in accounts]
            result['changed'] = True
            module.exit_json(msg='check mode: would reset %d password(s)' % len(accounts), **result)
        outcomes = reset_passwords(client, options.app_id, accounts, before)
    except LaafficError as exc:
        fail(module, exc, **result)
    finally:
        client.close()
    result['changed'] = any(outcome.changed for outcome in outcomes)
    result['accounts'] = [outcome.to_dict(before[outcome.account]) for outcome in outcomes]
    short = [outcome for outcome in outcomes if outcome.reset is not True]
    if short:
        module.fail_json(msg='%d of %d password(s) not reset: %s' % (len(short), len(outcomes), '; '.join(
            '%s: %s' % (outcome.account, outcome.error) for outcome in short)), **result)
    module.exit_json(msg='reset %d password(s)' % len(outcomes), **result)


if __name__ == '__main__':
    main()
