#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: laaffic_call
short_description: Place test calls through LAAFFIC SIP desk phones and verify each outcome
version_added: 1.0.0
description:
  - Makes one or many SIP desk phones place a call (C(POST voice/sendSip)) and tells, phone by phone, whether the call
    was accepted, rang, was answered, or failed and why.
  - Many calls are placed concurrently in one task over one pooled HTTP session (O(concurrency), O(rate_limit)),
    so smoke-testing hundreds of phones takes one task.
  - With O(expect=ringing) or O(expect=answered) the module waits for each call's outcome, reading the platform's
    call records or, when O(receiver_url) is set, the reports that the platform pushed to the collection's report
    receiver (see the R(report_receiver role,ansible_collections.laaffic.voice.report_receiver_role)).
  - B(Records are read in bulk.) While several calls wait, their records are read a page of 100 at a time
    (C(POST voice/recordSipQuery)) over the run's time window, from a minute before the first call was placed to a
    minute after the last (the minute covers clocks that differ), and matched to the calls by voice ID (the pages after
    the first are asked for at once, within O(concurrency) and O(verify_rate_limit)); with
    O(preflight=true), when every phone belongs to one SIP group, the query is narrowed to that group. A call's own
    record (C(GET voice/recordSip/{voiceId})) is read only for a single call, for calls the pages did not show, and,
    for the rest of the run, when the window holds more than three records per call of the run plus one page (a busy
    application, whose history is never paged through), when the bulk read fails, or after two bulk reads in a row
    that saved no request. Verifying 1,000 calls to V(ringing) then takes about ten requests a round instead of
    1,000. RV(summary.requests) tells how many requests the run made.
  - B(No duplicate calls.) A call request is sent again only when it provably never reached the platform (connection
    refused, name resolution failure, connect timeout) or when a read-back proves that it placed nothing. Any other
    answer - HTTP 429 or 503 with C(Retry-After), any other HTTP error, an unreadable body, status C(-18), a read
    timeout, a connection lost after sending - may come after the call was placed, so the module then looks for the call
    in the records (C(POST voice/recordSipQuery), matched by callee and O(called_info) since the first request). Found,
    the call goes on with that voice ID; not found after an HTTP 429, 500 or 503 answer, the request is sent again
    (after C(Retry-After)); not found after another answer, the verdict is V(rejected); when the records cannot tell
    (a timeout or a lost connection, the read failing), V(unknown). Reads (records, reports, balance) are retried
    with backoff. See R(Which requests are sent again,ansible_collections.laaffic.voice.docsite.guide_troubleshooting.resend).
  - B(No lost calls.) Once any call may have been placed, every way out of the module, an unexpected error included,
    returns C(changed=true) and every call with its index, account, voice ID and a verdict (V(unknown), with the
    reason, for a call whose follow-up broke). A value the platform sends that cannot be read, such as an answer
    time out of range, is kept as the text received.
  - B(Credentials go only where you sent them.) Redirects are never followed; a 3xx answer fails the request with
    the C(Location) it pointed to (a call gets the verdict V(rejected)); set O(api_url) (or O(receiver_url)) to the
    final address. The API secret, every C(Sign) sent and the receiver token are removed, in any letter case, from
    everything a server answers (status line, headers shown, body, every field of the data) before it is used.
author:
  - laaffic.voice maintainers (@laaffic-voice)
options:
  account:
    description:
      - SIP account of the desk phone that places the call (as listed by the platform's C(sipQuery)).
      - 1 to 64 printable ASCII characters, without spaces or control characters.
      - Used for a single call, and as the default of O(calls[].account).
    type: str
  callee:
    description:
      - Number to call, country code first, 7 to 15 ASCII digits (C(0)-C(9); other scripts' digits are refused).
      - A leading C(+) and spaces, dashes, dots, slashes and parentheses are removed before validation,
        so V(+49 30 1234-5678) is sent as V(493012345678).
    type: str
  display_num:
    description:
      - Caller ID to display, 7 to 15 digits (normalised like O(callee)). Empty or omitted lets the platform choose.
    type: str
  called_info:
    description:
      - Free text (at most 1000 characters) that the platform stores with the call and echoes in pushed reports.
      - Defaults to a tag identifying this run and this phone, C(laaffic-voice:<run_id>:<index>:<account>), which is
        how reports pushed to the receiver are matched to the calls of this task.
    type: str
  calls:
    description:
      - Place many calls in one task. Each item may set the keys below; a key not set in an item takes the task-level
        value of the option with the same name.
      - Every item is validated before anything is sent; when any item is invalid, no call is placed and the error
        names each bad item by index and field.
    type: list
    elements: dict
    suboptions:
      account:
        description: SIP account of the desk phone.
        type: str
      callee:
        description: Number to call, 7 to 15 digits.
        type: str
      display_num:
        description: Caller ID to display.
        type: str
      called_info:
        description: Free text stored with the call.
        type: str
      expect:
        description: The outcome this call must reach, see O(expect).
        type: str
        choices: [accepted, ringing, answered]
  expect:
    description:
      - The outcome each call must reach.
      - V(accepted) - the platform accepted the call request; the module does not wait.
      - V(ringing) - the desk phone rang; satisfied as soon as the call's record (or the receiver) shows the ringing,
        without waiting for the end of the call. An answered call also satisfies it.
      - V(answered) - the call was answered.
    type: str
    choices: [accepted, ringing, answered]
    default: accepted
  wait_timeout:
    description:
      - Seconds to wait for the outcomes of all calls together, counted from when the last call was placed. It is one
        deadline for the whole batch, whether outcomes are read from the records, the receiver, or both; no read runs past it.
      - A call whose outcome is not known by then gets the verdict V(timeout) (or V(rang) if it rang but was not answered).
      - Outcomes are checked at least once, however little time is left (with V(0), right after the last call is placed).
      - From 0 to 86400.
    type: float
    default: 120
  poll_interval:
    description:
      - Seconds between the first checks of the calls' outcomes. The interval grows by a factor of 1.3 per round up to 5 seconds
        (or this value, if larger), and a wait never runs past O(wait_timeout).
      - While calls are settling (a check found some outcomes and others are still missing) and the next check reads the
        records in bulk, that check comes after a quarter of this interval (calls placed one after the other ring one
        after the other, so the last ones are due at once; a bulk check costs a few requests whatever the number of calls).
      - From 0.05 to 300.
    type: float
    default: 1
  concurrency:
    description:
      - How many requests run at the same time, both when placing calls and when checking them.
    type: int
    default: 10
  rate_limit:
    description:
      - At most this many calls placed per second. V(0) means no limit; otherwise from 0.01 to 1000.
    type: float
    default: 0
  verify_rate_limit:
    description:
      - At most this many verification requests in any one second (record pages and call records; every attempt,
        retries included), independently of O(rate_limit) for placing calls; below 1, one request every 1/V(verify_rate_limit)
        seconds. V(0) means no limit; otherwise from 0.01 to 1000.
      - The platform documents no rate limit but answers status C(-15) (Frequent query) to clients that query too often;
        the default of 20 requests per second keeps a run far below what verifying a thousand calls one record at a
        time would send. A request whose turn would come after O(wait_timeout) is not sent.
    type: float
    default: 20
    version_added: 1.1.0
  receiver_url:
    description:
      - Base URL of the collection's report receiver (for example V(https://reports.example.com)). When set, outcomes are read
        from the status reports and ringing notifications that the platform pushed to it, instead of the call records.
      - With O(expect=answered), a call that rang but has no final report yet (a long call that was answered only shows as
        answered in the report pushed at its end) also has its record (C(GET voice/recordSip/{voiceId})) read for the
        answer time, within the same O(wait_timeout).
    type: str
  receiver_token:
    description:
      - Read token of the report receiver. Required with O(receiver_url).
    type: str
  fail_on:
    description:
      - V(shortfall) - the task fails when any call falls short of its expectation; the result still lists every call.
      - V(none) - the task never fails because of a call's verdict; inspect RV(calls) and RV(summary).
    type: str
    choices: [shortfall, none]
    default: shortfall
  run_id:
    description:
      - Identifier of this run, used in the default O(called_info) tags. Generated (UTC time plus random characters) when omitted.
    type: str
  preflight:
    description:
      - Before placing any call, list the SIP accounts of the application O(app_id) (C(POST voice/sipQuery), read-only,
        paged, at most 100 pages) and do not place a call whose account the application does not have; that call gets
        the verdict V(rejected) with the reason. When the platform refuses to list the accounts (a wrong O(app_id), or an
        API key without access to it), the task fails before any call is placed.
      - Check mode always does this.
      - Only the account names are used; the SIP passwords that C(sipQuery) returns are never returned or logged.
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
      - In check mode every parameter is validated, the credentials are checked with read-only requests (C(getBalance)), and
        the application's SIP accounts are listed (C(sipQuery), as with O(preflight)); no call is placed.
      - Each call gets its predicted verdict, V(rejected) with the reason for an account the application does not have,
        RV(calls[].verdict=null) for a call that would be placed. C(changed) is V(true) when at least one call would be
        placed, and with O(fail_on=shortfall) the task fails when a call would be rejected.
  diff_mode:
    support: none
  idempotent:
    description: Whether running the module twice changes nothing the second time.
    support: none
    details:
      - Every run places new calls, which ring phones and cost money.
notes:
  - >-
    Run the module on the controller (C(delegate_to: localhost)) or in an execution environment, with
    C(ansible_python_interpreter: "{{ ansible_playbook_python }}") for localhost so that C(requests) is found.
  - The module supports C(async) and C(poll) for long waits.
  - C(changed) is V(true) whenever a call was, or may have been, placed.
seealso:
  - module: laaffic.voice.laaffic_sign
  - plugin: laaffic.voice.laaffic_record
    plugin_type: lookup
'''

EXAMPLES = r'''
- name: Ring one desk phone and wait until it rings
  laaffic.voice.laaffic_call:
    api_key: "{{ vault_laaffic_api_key }}"
    api_secret: "{{ vault_laaffic_api_secret }}"
    app_id: 4luaKsL2
    account: desk-101
    callee: "+49 30 1234 5678"
    expect: ringing
  delegate_to: localhost

- name: Smoke-test every phone of the inventory in one task (credentials from module_defaults)
  module_defaults:
    group/laaffic.voice.laaffic:
      api_key: "{{ vault_laaffic_api_key }}"
      api_secret: "{{ vault_laaffic_api_secret }}"
      app_id: "{{ laaffic_app_id }}"
  block:
    - name: Collect the phones of the play (host var laaffic_account)
      ansible.builtin.set_fact:
        phone_calls: "{{ phone_calls | default([]) + [{'account': hostvars[item].laaffic_account}] }}"
      loop: "{{ ansible_play_hosts }}"
      run_once: true

    - name: Call through all phones
      laaffic.voice.laaffic_call:
        callee: "{{ smoke_test_number }}"
        expect: ringing
        concurrency: 20
        rate_limit: 50
        wait_timeout: 90
        fail_on: none
        calls: "{{ phone_calls }}"
      run_once: true
      delegate_to: localhost
      register: smoke

    - name: Show the phones that fell short
      ansible.builtin.debug:
        msg: "{{ smoke.calls | rejectattr('ok') | map(attribute='account') | list }}"
      run_once: true

- name: Several phones with their own expectations, verified through the report receiver
  laaffic.voice.laaffic_call:
    callee: "493012345678"
    receiver_url: https://laaffic-reports.example.com
    receiver_token: "{{ vault_receiver_token }}"
    calls:
      - account: reception-01
        expect: answered
      - account: lobby-01
        expect: ringing
      - account: warehouse-07
        callee: "4940987654321"
  delegate_to: localhost

- name: Check mode validates everything and the credentials, and places no call
  laaffic.voice.laaffic_call:
    account: desk-101
    callee: "493012345678"
  check_mode: true
  delegate_to: localhost

- name: Long waits in the background
  laaffic.voice.laaffic_call:
    account: desk-101
    callee: "493012345678"
    expect: answered
    wait_timeout: 600
  async: 700
  poll: 15
  delegate_to: localhost
'''

RETURN = r'''
run_id:
  description: Identifier of this run, as used in the default called_info tags.
  returned: always
  type: str
  sample: 20261126T153000Z-1a2b3c4d
calls:
  description: Every call, in the order of O(calls) (or the single call).
  returned: always
  type: list
  elements: dict
  contains:
    index:
      description: Position of the call in O(calls).
      type: int
      sample: 0
    account:
      description: SIP account of the desk phone.
      type: str
      sample: desk-101
    callee:
      description: Number called, as sent.
      type: str
      sample: '493012345678'
    display_num:
      description: Caller ID sent, or null.
      type: str
      sample: null
    called_info:
      description: The called_info sent with the call.
      type: str
      sample: laaffic-voice:20261126T153000Z-1a2b3c4d:0:desk-101
    expect:
      description: The outcome the call had to reach.
      type: str
      sample: ringing
    voice_id:
      description: The platform's ID of the call, null when no call was accepted.
      type: str
      sample: '2611261530001000001'
    verdict:
      description:
        - V(accepted) - accepted by the platform, not waited for.
        - V(rang) - the phone rang and the call was not answered.
        - V(answered) - the call was answered.
        - V(failed) - the record says the call was not established (see RV(calls[].termination_reason), RV(calls[].sip_code)).
        - V(rejected) - the platform refused the call (see RV(calls[].api_status) and RV(calls[].remedy)), or it could not be sent.
        - V(timeout) - no conclusive record within O(wait_timeout).
        - V(unknown) - the request may have reached the platform, no usable answer came back and the records could not
          tell whether the call was placed (it was not sent again), or the run broke while following the call up.
        - V(null) in check mode for a call that would be placed.
      type: str
      sample: rang
    ok:
      description: Whether the verdict meets the expectation.
      type: bool
      sample: true
    reason:
      description: Why the call got its verdict, in words.
      type: str
      sample: rang at 2026-11-26T15:30:02+08:00
    remedy:
      description: What to do about a call that fell short, when known.
      type: str
      sample: null
    api_status:
      description: The platform's status code for a rejected call, such as V(-68).
      type: str
      sample: null
    submit_time:
      description: When the platform accepted the call (ISO-8601), from the record or report.
      type: str
    ringing_time:
      description: When the phone started ringing (ISO-8601), or null.
      type: str
    answer_time:
      description: When the call was answered (ISO-8601), or null.
      type: str
    hangup_time:
      description: When the call ended (ISO-8601), or null.
      type: str
    termination_code:
      description: The platform's termination code, or null.
      type: str
    termination_reason:
      description: The platform's termination reason, or null.
      type: str
    sip_code:
      description: The SIP code of the call's end, or null.
      type: str
    call_status:
      description: The platform's callStatus (50 connected, 20 not picked up, 10 busy, ...), or null.
      type: int
summary:
  description:
    - How many calls got each verdict, how many met their expectation (C(ok)) and how many fell short (C(short)),
      and how many API requests the run made (C(requests)).
  returned: always
  type: dict
  sample: {total: 3, ok: 2, short: 1, accepted: 0, rang: 1, answered: 1, failed: 0, rejected: 1, timeout: 0, unknown: 0,
           requests: {place: 3, verify: 2, preflight: 0}}
  contains:
    requests:
      description:
        - The requests this run sent to the LAAFFIC API, counting every attempt that went on the wire (retries included).
        - C(place) - call requests (C(voice/sendSip)).
        - C(verify) - record reads (C(voice/recordSipQuery) pages and C(voice/recordSip)), see O(verify_rate_limit).
        - C(preflight) - account listing and balance reads (C(voice/sipQuery), C(getBalance)) of check mode and O(preflight).
        - Requests to the report receiver are not counted (they do not go to the platform).
      type: dict
      returned: always
      sample: {place: 1000, verify: 10, preflight: 0}
      version_added: 1.1.0
balance:
  description: The account balance read in check mode to validate the credentials.
  returned: check mode
  type: dict
  sample: {balance: '99.990000', gift: '50.00000', credit: '0'}
'''

from ansible_collections.laaffic.voice.plugins.module_utils._calls import CallRunner, build_calls, new_run_id, predict, shortfall, summarize
from ansible_collections.laaffic.voice.plugins.module_utils._errors import LaafficError, OptionError, describe
from ansible_collections.laaffic.voice.plugins.module_utils._module import LaafficModule, argument_spec, client as make_client, connection_options, fail
from ansible_collections.laaffic.voice.plugins.module_utils._options import bounded
from ansible_collections.laaffic.voice.plugins.module_utils._phones import sip_accounts
from ansible_collections.laaffic.voice.plugins.module_utils._receiver import ReceiverClient
from ansible_collections.laaffic.voice.plugins.module_utils._rules import EXPECTATIONS

EXPECT = list(EXPECTATIONS)


def option_errors(params):
    """Every bad task-level option, before anything is sent."""
    errors = []
    for name in ('wait_timeout', 'poll_interval', 'rate_limit', 'verify_rate_limit'):
        try:
            params[name] = bounded(name, params[name])
        except OptionError as exc:
            errors.append(exc.message)
    if not 1 <= params['concurrency'] <= 100:
        errors.append('concurrency: must be between 1 and 100, got %r' % params['concurrency'])
    return errors


def call_dict(call):
    """A call's result entry; the identifying fields even when the full entry cannot be built."""
    try:
        return call.to_dict()
    except Exception:  # pylint: disable=broad-except  # the call must be listed whatever broke
        return dict(index=call.index, account=call.account, callee=call.callee, voice_id=call.voice_id, verdict=call.verdict,
                    ok=False, reason=call.reason, remedy=call.remedy)


def preflight(module, client, app_id, calls, result):
    """List the application's SIP accounts (sipQuery, read-only) and predict the verdict of each call.
    Only the account names and their SIP groups are kept (returned as account -> group, for narrowing the
    record reads): the passwords that sipQuery returns go nowhere."""
    try:
        records = sip_accounts(client, app_id)  # no free text of the server in its errors, passwords join the redaction set
    except LaafficError as exc:
        result['summary'] = summarize([], requests=client.requests.as_dict())
        module.fail_json(msg='Preflight: the platform refused to list the SIP accounts of application %s, no call was placed: %s '
                             'Check app_id (Voice application management in the LAAFFIC console) and the API key.' % (app_id, exc.message),
                         error=exc.to_dict(), **result)
    groups = {str(record['account']): str(record['groupName']) if record.get('groupName') else None
              for record in records if record.get('account') is not None}
    if records.truncated:
        module.warn('Preflight read %d pages of SIP accounts and stopped there (the bound); calls whose account is not among '
                    'them were not checked.' % records.pages)
        return groups
    predict(calls, set(groups), app_id)
    return groups


def main():
    module = LaafficModule(
        argument_spec=argument_spec(
            account=dict(type='str'),
            callee=dict(type='str'),
            display_num=dict(type='str'),
            called_info=dict(type='str'),
            calls=dict(type='list', elements='dict', options=dict(
                account=dict(type='str'),
                callee=dict(type='str'),
                display_num=dict(type='str'),
                called_info=dict(type='str'),
                expect=dict(type='str', choices=EXPECT),
            )),
            expect=dict(type='str', choices=EXPECT, default='accepted'),
            wait_timeout=dict(type='float', default=120),
            poll_interval=dict(type='float', default=1),
            concurrency=dict(type='int', default=10),
            rate_limit=dict(type='float', default=0),
            verify_rate_limit=dict(type='float', default=20),
            receiver_url=dict(type='str'),
            receiver_token=dict(type='str', no_log=True),
            fail_on=dict(type='str', choices=['shortfall', 'none'], default='shortfall'),
            run_id=dict(type='str'),
            preflight=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    run_id = params['run_id'] or new_run_id()
    result = dict(changed=False, run_id=run_id, calls=[], summary=summarize([]))

    errors = option_errors(params)
    calls, call_errors = build_calls(params, run_id)
    errors.extend(call_errors)
    if errors:
        module.fail_json(msg='Invalid parameters, no call was placed: %s' % '; '.join(errors), errors=errors, **result)

    options = connection_options(module, require_app_id=True)
    client = make_client(module, options, pool_size=params['concurrency'])
    try:
        run(module, params, options, client, calls, result)
    except Exception as exc:  # pylint: disable=broad-except  # every way out lists every call that may exist
        error = describe(exc, client.redactor.redact)
        for call in calls:
            call.broke(error)
        result.update(changed=any(call.may_exist for call in calls), calls=[call_dict(call) for call in calls],
                      summary=summarize(calls, requests=client.requests.as_dict()))
        module.fail_json(msg='The run stopped on an error: %s. Every call is listed with its verdict; do not run the task again before '
                             'looking up the calls with verdict unknown.' % error, **result)
    finally:
        client.close()


def run(module, params, options, client, calls, result):
    receiver = None
    if params['receiver_url'] or params['receiver_token']:
        try:
            receiver = ReceiverClient(client.session, params['receiver_url'], params['receiver_token'], options.timeout,
                                      client.verify, log=module.debug, redactor=client.redactor)
        except OptionError as exc:
            fail(module, exc, **result)

    result['calls'] = [call.to_dict() for call in calls]
    groups = None
    if module.check_mode or params['preflight']:
        groups = preflight(module, client, options.app_id, calls, result)
    if module.check_mode:
        try:
            result['balance'] = client.get_balance()
        except LaafficError as exc:
            result['summary'] = summarize([], requests=client.requests.as_dict())
            fail(module, exc, **result)
        for call in calls:
            if call.verdict is None:
                call.reason = 'check mode: not placed'
        finish(module, params, calls, result, client, check_mode=True)

    runner = CallRunner(client, options.app_id, concurrency=params['concurrency'], rate_limit=params['rate_limit'],
                        poll_interval=params['poll_interval'], receiver=receiver, run_id=result['run_id'],
                        verify_rate_limit=params['verify_rate_limit'], groups=groups)
    runner.run([call for call in calls if call.verdict is None], params['wait_timeout'])
    if runner.pages is not None and runner.pages.failed:
        module.warn('%s; each waiting call\'s own record was read instead.' % runner.pages.failed)
    finish(module, params, calls, result, client)


def finish(module, params, calls, result, client, check_mode=False):
    """Exit with every call; fail when one fell (or, in check mode, would fall) short and fail_on says so."""
    changed = any(call.verdict is None for call in calls) if check_mode else any(call.may_exist for call in calls)
    result.update(changed=changed, calls=[call_dict(call) for call in calls],
                  summary=summarize(calls, check_mode, requests=client.requests.as_dict()))
    short = shortfall(calls, check_mode)
    if short:
        names = ', '.join('%s (%s: %s)' % (call.account, call.verdict, call.reason) for call in short[:10])
        more = ' and %d more' % (len(short) - 10) if len(short) > 10 else ''
        result['msg'] = '%d of %d calls %s short of their expectation: %s%s' % (
            len(short), len(calls), 'would fall' if check_mode else 'fell', names, more)
        if params['fail_on'] == 'shortfall':
            module.fail_json(**result)
    else:
        result['msg'] = ('check mode: %d calls would be placed' % len(calls)) if check_mode else 'all %d calls met their expectation' % len(calls)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
