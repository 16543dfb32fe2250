#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: laaffic_smoke_report
short_description: Write the desk phone smoke test's JUnit and HTML reports and keep the fleet history
version_added: 1.2.0
description:
  - Takes one row per tested phone (the phone's fields plus the M(laaffic.voice.laaffic_call) module's RV(laaffic.voice.laaffic_call#module:calls)
    entry) and, in one task, writes a JUnit XML report, a self-contained HTML report and adds the run to a bounded fleet history.
  - The module does not talk to the LAAFFIC API. Its action plugin runs it on the controller, in the controller's process, whatever
    host the task is for; the role C(laaffic.voice.desk_phone_smoke_test) calls it for you.
  - Both reports list the phones that fell short first, then by verdict (failed, rejected, timeout, unknown, accepted, rang, answered),
    then in natural order of the name shown (C(desk-2) before C(desk-10)). Every time is shown in UTC, the zone named in the headers;
    a time that cannot be read or that has no zone is shown as given.
  - The phone shown is the row's C(phone_name) when the inventory name is the account (host names made by the
    C(laaffic.voice.laaffic_phones) inventory plugin), else the inventory name.
  - B(JUnit XML). One C(testsuite) per phone group (named after the group, V((no group)) for phones without one), one C(testcase) per phone
    (classname C(desk_phone_smoke_test.<group>), name C(<name> [<account>])) with a C(failure) for a phone that fell short, the voice ID
    as a test case property and in C(system-out), and a C(time) in seconds from C(submit_time) to the verdict's time (C(answer_time)
    for answered, C(ringing_time) for rang, C(hangup_time) for failed; V(0) for other verdicts and when a time is missing).
    The run ID, the finish time and O(summary) are C(testsuite) properties, nested keys joined with dots (C(summary.requests.place)).
    Characters XML 1.0 cannot carry are dropped, the rest is escaped.
  - B(HTML). A colour-coded table with the phone, account, group, callee, expectation, verdict, the phone's verdicts in the last 10 runs,
    submit, ring and answer times, voice ID and reason; a count per phone group; filters by verdict (or fell short, ok, flapping) and group,
    and a search by name or account, done by a small inline script (no server, nothing fetched). The filter state is in the URL fragment,
    for example C(report.html#verdict=short&group=sales&q=desk-1), so a filtered view can be linked to.
  - B(History). Each run adds one line per phone (verdict, met the expectation or not, account, name, group) under a line with the run ID,
    finish time and phone count to O(history), and keeps the last O(history_keep) runs. Nothing else goes into it (no secret, no SIP
    password, no callee, no reason). A phone B(flaps) when its verdict changed at least 3 times in the last 10 runs of the history that
    tested it (this run included). RV(flapping) lists those phones.
  - A missing, empty, corrupt, truncated or foreign history never fails the task. RV(history.problem) and both reports say what was wrong;
    an unreadable file is moved to C(<history>.unreadable) and a new history is started; a last run cut short is dropped and the runs
    before it are kept. A history that cannot be written (a read-only directory, a full disk) is reported the same way.
  - Concurrent runs on the same history take turns under an exclusive C(fcntl) lock on C(<history>.lock), and the new history is
    written to a temporary file and renamed over the old one, so lines never interleave and a reader never sees half a run.
author:
  - laaffic.voice maintainers (@laaffic-voice)
options:
  rows:
    description:
      - One dict per phone, with C(name) (inventory host name), C(account), C(callee), C(expect), C(phone_name) (the platform's phone name,
        empty when unknown), C(group) (the phone group, empty when unknown) and every field of a
        M(laaffic.voice.laaffic_call) RV(laaffic.voice.laaffic_call#module:calls) entry (C(verdict), C(ok), C(reason), C(remedy), C(voice_id),
        C(api_status), C(submit_time), C(ringing_time), C(answer_time), C(hangup_time), C(termination_code), C(termination_reason),
        C(sip_code), ...). Missing fields are shown empty.
      - Give O(rows) or O(rows_var).
    type: list
    elements: dict
  rows_var:
    description:
      - The name of a variable that holds the rows, instead of O(rows). The action plugin reads its value as it is stored,
        without templating it again, which saves the playbook seconds at 10,000 phones (set the variable with
        M(ansible.builtin.set_fact) or C(register); a value that is still a template string is templated).
      - Only the action plugin can read variables, so running the module on its own with O(rows_var) fails.
    type: str
    version_added: 1.2.0
  run_id:
    description: The run ID (M(laaffic.voice.laaffic_call)'s RV(laaffic.voice.laaffic_call#module:run_id)).
    type: str
  check_mode:
    description:
      - Whether the run was in check mode (no call was placed, the rows have no verdict). Its test cases are C(skipped) and it is not added
        to the history.
    type: bool
    default: false
  summary:
    description: M(laaffic.voice.laaffic_call)'s RV(laaffic.voice.laaffic_call#module:summary), shown in the console summary and as JUnit properties.
    type: dict
    default: {}
  finished:
    description: When the run finished, ISO-8601 (shown in UTC). Defaults to now.
    type: str
  report_dir:
    description: Directory of the reports on the controller; created when missing.
    type: path
    required: true
  report_name:
    description: The reports are C(<report_dir>/<report_name>.junit.xml) and C(<report_dir>/<report_name>.html).
    type: str
    default: desk-phone-smoke-test
  history:
    description:
      - The fleet history file. Defaults to C(<report_dir>/<report_name>.history). Keep it between runs (a CI cache or artifact) to see
        trends and flapping phones; its lock file C(<history>.lock) need not be kept.
    type: path
  history_keep:
    description: How many runs the history keeps (the oldest are dropped), between 1 and 1000.
    type: int
    default: 30
  write_in_check_mode:
    description:
      - Write the reports when the task runs in check mode (the history is read for the trends but never updated in check mode).
      - When V(false), check mode writes nothing and returns the paths the reports would have.
    type: bool
    default: false
extends_documentation_fragment:
  - laaffic.voice.attributes
attributes:
  check_mode:
    support: full
    details:
      - Writes nothing unless O(write_in_check_mode=true); never adds the run to the history.
  diff_mode:
    support: none
  idempotent:
    description: Whether the module returns the same result when run twice.
    support: none
    details:
      - Every run rewrites the reports and adds a run to the history.
notes:
  - The history is text, one tab-separated line per phone and run (about 50 bytes), so 10,000 phones and 30 runs make about 15 MB.
seealso:
  - module: laaffic.voice.laaffic_call
'''

EXAMPLES = r'''
- name: Place the test calls
  laaffic.voice.laaffic_call:
    calls: "{{ phones | map(attribute='call') | list }}"
    fail_on: none
  register: smoke

- name: Combine the phones with their verdicts
  ansible.builtin.set_fact:
    smoke_rows: "{{ phones | zip(smoke.calls) | map('combine') | list }}"

- name: Write the reports and update the fleet history
  laaffic.voice.laaffic_smoke_report:
    rows_var: smoke_rows  # or rows: "{{ smoke_rows }}", slower for thousands of phones
    run_id: "{{ smoke.run_id }}"
    summary: "{{ smoke.summary }}"
    report_dir: "{{ playbook_dir }}/smoke-test-reports"
    history_keep: 60
  run_once: true
  register: report

- name: Show the summary
  ansible.builtin.debug:
    msg: "{{ report.summary_lines }}"

- name: Phones that flap are worth a ticket even when they passed tonight
  ansible.builtin.debug:
    msg: "Flapping: {{ report.flapping | join(', ') }}"
  when: report.flapping | length > 0
'''

RETURN = r'''
junit_report:
  description: Path of the JUnit XML report (written unless in check mode without O(write_in_check_mode)).
  returned: always
  type: str
  sample: /home/ci/smoke-test-reports/desk-phone-smoke-test.junit.xml
html_report:
  description: Path of the HTML report.
  returned: always
  type: str
  sample: /home/ci/smoke-test-reports/desk-phone-smoke-test.html
written:
  description: Whether the reports were written.
  returned: always
  type: bool
  sample: true
flapping:
  description: Names of the phones whose verdict changed at least 3 times in the last 10 runs, in report order.
  returned: always
  type: list
  elements: str
  sample: [desk-017, desk-203]
short:
  description: Names of the phones that fell short of their expectation, in report order (empty in check mode).
  returned: always
  type: list
  elements: str
  sample: [desk-003]
history:
  description: The state of the fleet history.
  returned: always
  type: dict
  contains:
    path:
      description: The history file.
      type: str
      sample: /home/ci/smoke-test-reports/desk-phone-smoke-test.history
    runs:
      description: Runs in the history (this run included when it was added).
      type: int
      sample: 30
    started_new:
      description: No usable history was found; this run starts (or, when not added, would start) a new one.
      type: bool
      sample: false
    updated:
      description: Whether this run was added (never in check mode).
      type: bool
      sample: true
    problem:
      description: What was wrong with the history file or its update, in words (never the file's content), or null.
      type: str
      sample: null
summary_lines:
  description:
    - The console summary, one line per item. Every phone up to 50 phones; beyond, the phones that fell short or flap (at most 100).
  returned: always
  type: list
  elements: str
  sample:
    - Desk phone smoke test, run 20261126T153000Z-1a2b3c4d
    - "     PHONE    ACCOUNT  EXPECT    VERDICT   REASON"
    - FAIL desk-003 desk-003 answered  failed    not established (486 Busy Here)
    - "OK   desk-001 desk-001 answered  answered"
    - "2 phone(s): 1 ok, 1 short, 0 flapping, accepted 0, rang 0, answered 1, failed 1, rejected 0, timeout 0, unknown 0"
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.laaffic.voice.plugins.module_utils._report import ARGUMENT_SPEC, ReportError, produce


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = produce(module.params, module.check_mode)
    except ReportError as exc:
        module.fail_json(msg=exc.message, **exc.result)
    # The rows are not echoed back (10,000 rows would be megabytes of output): the invocation shows how many there were.
    args = {key: value for key, value in module.params.items() if key != 'rows'}
    args['rows'] = '%d rows' % len(module.params['rows'])
    module.exit_json(invocation=dict(module_args=args), **result)


if __name__ == '__main__':
    main()
