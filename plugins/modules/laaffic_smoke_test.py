#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: laaffic_smoke_test
short_description: Smoke-test desk phones in one task - call each, follow it to a verdict, write the reports
version_added: 1.2.0
author:
  - laaffic.voice maintainers (@laaffic-voice)
description:
  - The engine of the R(desk_phone_smoke_test role,ansible_collections.laaffic.voice.desk_phone_smoke_test_role), for a
    fleet in one task on the controller. It takes the phones from O(phones) or from the inventory hosts O(hosts) (their
    host variables C(laaffic_account), C(laaffic_callee), C(laaffic_expect), C(laaffic_display_num), C(laaffic_called_info),
    C(laaffic_phone_name) and C(laaffic_phone_group)), checks them against the rules of M(laaffic.voice.laaffic_call) before
    anything is sent, runs M(laaffic.voice.laaffic_call) once with every call, writes the JUnit and HTML reports and adds
    the run to the fleet history (M(laaffic.voice.laaffic_smoke_report)), and returns everything in RV(run).
  - B(Why one task.) At 10,000 phones every Ansible task that carries the phones costs seconds (templating, results
    sent between processes, the callback's copy). Here the phones, the calls, the verdicts and the reports pass between
    Python functions; only the call module's run and the one result cross a process boundary, so a fleet run costs what
    the inventory and the calls cost.
  - It runs as an action plugin on the controller; the call itself is M(laaffic.voice.laaffic_call), run by the plugin on
    the task's host (use C(delegate_to) V(localhost)), with every option the task gives it and the LAAFFIC_* environment
    variables for the rest.
  - Every phone keeps its place in the result; nothing is lost when the reports cannot be written (the task then fails
    with RV(run) set).
options:
  phones:
    description:
      - The phones, each a dictionary with C(account) and optionally C(name), C(callee), C(expect), C(display_num),
        C(called_info), C(phone_name) and C(group). When set, O(hosts) is ignored.
    type: list
    elements: dict
    default: []
  hosts:
    description:
      - Inventory host names whose host variables describe the phones, when O(phones) is empty.
    type: list
    elements: str
    default: []
  defaults:
    description:
      - Values for phones that do not set their own - C(callee), C(expect), C(display_num) and C(called_info).
    type: dict
    default: {}
  concurrency:
    description: Calls placed at the same time (M(laaffic.voice.laaffic_call) option C(concurrency)).
    type: int
    default: 10
  rate_limit:
    description: Calls placed per second at most, V(0) for no limit.
    type: float
    default: 0
  verify_rate_limit:
    description: Verification requests per second at most, V(0) for no limit.
    type: float
    default: 20
  wait_timeout:
    description: Seconds to wait for every call to reach a conclusive verdict.
    type: float
    default: 120
  poll_interval:
    description: Seconds between looks at the calls' outcomes.
    type: float
    default: 1
  preflight:
    description: List the application's SIP accounts first and do not call a phone whose account is missing. Check mode always does.
    type: bool
    default: false
  run_id:
    description: Tag of this run in the calls' called info. Generated when not set.
    type: str
  receiver_url:
    description: Base URL of the report receiver, to verify the calls through their pushed reports.
    type: str
  receiver_token:
    description: Read token of the report receiver.
    type: str
  report_dir:
    description: Directory on the controller the reports are written to (created when missing).
    type: path
    required: true
  report_name:
    description: File name stem of the reports, C(<name>.junit.xml), C(<name>.html) and C(<name>.history).
    type: str
    default: desk-phone-smoke-test
  history:
    description: The fleet history file. Default C(<report_dir>/<report_name>.history).
    type: path
  history_keep:
    description: Runs the history keeps, 1-1000.
    type: int
    default: 30
  write_in_check_mode:
    description: Write the reports in check mode too (test cases skipped). The history is never updated in check mode.
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
      - M(laaffic.voice.laaffic_call)'s check mode - nothing is called; each phone gets its predicted verdict.
      - The reports are written only with O(write_in_check_mode=true); the history is never updated.
  diff_mode:
    support: none
  idempotent:
    description: Whether running the module twice changes nothing the second time.
    support: none
    details:
      - Every run places new calls, which ring phones and cost money.
notes:
  - 'Run it once, on the controller: C(run_once: true), C(delegate_to: localhost).'
  - The result holds every phone; it is not printed (it would cost seconds at 10,000 phones) - RV(summary_lines) is,
    by the role's next task.
seealso:
  - module: laaffic.voice.laaffic_call
  - module: laaffic.voice.laaffic_smoke_report
  - plugin: laaffic.voice.smoke_test_phones
    plugin_type: filter
'''

EXAMPLES = r'''
- name: Smoke-test every phone of the group laaffic_phones
  laaffic.voice.laaffic_smoke_test:
    hosts: "{{ query('ansible.builtin.inventory_hostnames', 'laaffic_phones') }}"
    defaults:
      callee: "493012345678"
      expect: ringing
    report_dir: "{{ playbook_dir }}/reports"
  run_once: true
  delegate_to: localhost
  register: run

- name: Show the summary
  ansible.builtin.debug:
    msg: "{{ run.summary_lines }}"
  run_once: true
'''

RETURN = r'''
summary_lines:
  description: The console summary (every phone up to 50 phones, else those that fell short or flap).
  returned: always
  type: list
  elements: str
error:
  description: Why the run failed, when it did (also in C(msg)); kept in its own key so that a caller with C(failed_when) can show it.
  returned: on failure
  type: str
run:
  description: Everything about the run; the role exposes it as C(desk_phone_smoke_test_result).
  returned: when the phones could be checked and called
  type: dict
  contains:
    run_id:
      description: The run's identifier.
      type: str
    check_mode:
      description: Whether it ran in check mode.
      type: bool
    passed:
      description: Whether no phone fell short (in check mode - no phone is predicted to fall short).
      type: bool
    summary:
      description: M(laaffic.voice.laaffic_call)'s summary (verdict counts, requests).
      type: dict
    phones:
      description: Every phone with its call's result (see M(laaffic.voice.laaffic_call)'s RV(laaffic.voice.laaffic_call#module:calls)).
      type: list
      elements: dict
    short:
      description: Names of the phones that fell short.
      type: list
      elements: str
    short_lines:
      description: One sentence per phone that fell short.
      type: list
      elements: str
    flapping:
      description: Names of the phones whose verdict changed at least 3 times in the last 10 runs.
      type: list
      elements: str
    history:
      description: The fleet history's state (see M(laaffic.voice.laaffic_smoke_report)).
      type: dict
    junit_report:
      description: Path of the JUnit XML report.
      type: str
    html_report:
      description: Path of the HTML report.
      type: str
    reports_written:
      description: Whether the reports were written.
      type: bool
    finished:
      description: When the run finished, UTC.
      type: str
'''

from ansible_collections.laaffic.voice.plugins.module_utils._module import LaafficModule, argument_spec


def spec():
    """The argument spec, shared with the action plugin (plugins/action/laaffic_smoke_test.py)."""
    return argument_spec(
        phones=dict(type='list', elements='dict', default=[]),
        hosts=dict(type='list', elements='str', default=[]),
        defaults=dict(type='dict', default={}),
        concurrency=dict(type='int', default=10),
        rate_limit=dict(type='float', default=0),
        verify_rate_limit=dict(type='float', default=20),
        wait_timeout=dict(type='float', default=120),
        poll_interval=dict(type='float', default=1),
        preflight=dict(type='bool', default=False),
        run_id=dict(type='str'),
        receiver_url=dict(type='str'),
        receiver_token=dict(type='str', no_log=True),
        report_dir=dict(type='path', required=True),
        report_name=dict(type='str', default='desk-phone-smoke-test'),
        history=dict(type='path'),
        history_keep=dict(type='int', default=30),
        write_in_check_mode=dict(type='bool', default=False),
    )


def main():
    module = LaafficModule(argument_spec=spec(), supports_check_mode=True)
    # The work needs the controller: the inventory's host variables and the report files. The action plugin of the
    # same name does it; this file is what runs only when that plugin is bypassed (a copy of the module elsewhere).
    module.fail_json(msg='laaffic.voice.laaffic_smoke_test runs on the controller through its action plugin, which was not used: '
                         'run it from the laaffic.voice collection (FQCN laaffic.voice.laaffic_smoke_test), not as a copied module')


if __name__ == '__main__':
    main()
