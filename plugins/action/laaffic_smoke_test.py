# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of laaffic.voice.laaffic_smoke_test: a fleet's smoke test in one task on the controller.

Every step is a function the collection already has and tests on its own: the phones and their checks are the
smoke_test_* filters (plugins/filter/smoke_test.py, host variables through plugin_utils/_hostvars), the calls are the
laaffic_call module (run here with _execute_module, so its check mode, no_log and environment fallbacks are its
own), the reports and the history are laaffic_smoke_report's produce(). This plugin only passes their results
along, in Python: at 10,000 phones each Ansible task that carried them cost seconds.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from ansible.errors import AnsibleFilterError
from ansible.plugins.action import ActionBase

from ansible_collections.laaffic.voice.plugins.filter.smoke_test import (
    smoke_test_calls, smoke_test_phones, smoke_test_problems, smoke_test_rows, smoke_test_short)
from ansible_collections.laaffic.voice.plugins.module_utils._options import CONNECTION_ARGSPEC
from ansible_collections.laaffic.voice.plugins.module_utils._report import ReportError, produce
from ansible_collections.laaffic.voice.plugins.modules.laaffic_smoke_test import spec

CALL_OPTIONS = tuple(CONNECTION_ARGSPEC) + ('concurrency', 'rate_limit', 'verify_rate_limit', 'wait_timeout', 'poll_interval',
                                            'preflight', 'run_id', 'receiver_url', 'receiver_token')
SPEC = spec()


class ActionModule(ActionBase):
    """Check the phones, call them through laaffic_call, write the reports, set the result fact."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(SPEC)

    def _fail(self, result, message):
        result.update(failed=True, msg=message, error=message)
        return result

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        try:
            dummy, params = self.validate_argument_spec(argument_spec=SPEC)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # ansible-core's own message (names the option and the type wanted, never a no_log value)
            return self._fail(result, 'laaffic_smoke_test: %s' % (getattr(exc, 'message', None) or exc))
        check_mode = bool(self._play_context.check_mode)

        try:
            if params['phones']:
                phones = smoke_test_phones(params['phones'], params['defaults'])
            else:
                phones = smoke_test_phones(params['hosts'], params['defaults'], hostvars=task_vars.get('hostvars', {}))
        except AnsibleFilterError as exc:
            return self._fail(result, str(exc))
        problems = smoke_test_problems(phones)
        if problems:
            if not phones:
                return self._fail(result, problems[0])
            return self._fail(result, 'Phones that cannot be called, nothing was called: %s' % '; '.join(problems))

        module_args = {name: params[name] for name in CALL_OPTIONS if params.get(name) is not None}
        module_args.update(calls=smoke_test_calls(phones), fail_on='none')
        call = self._execute_module(module_name='laaffic.voice.laaffic_call', module_args=module_args, task_vars=task_vars)
        result['changed'] = bool(call.get('changed'))
        calls = call.get('calls') or []
        if len(calls) != len(phones):
            # The module stopped before it had a call for every phone (bad credentials, the preflight refused): nothing
            # to report phone by phone, and its message says why.
            return self._fail(result, call.get('msg') or 'laaffic_call returned %d results for %d phones' % (len(calls), len(phones)))

        rows = smoke_test_rows(phones, calls)
        short = smoke_test_short(rows, check_mode=check_mode)
        finished = datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
        fact = dict(run_id=call.get('run_id'), check_mode=check_mode, passed=not short, summary=call.get('summary') or {},
                    phones=rows, short=[item['name'] for item in short], short_lines=[item['line'] for item in short],
                    flapping=[], history=None, reports_written=False, finished=finished,
                    junit_report=os.path.join(params['report_dir'], params['report_name'] + '.junit.xml'),
                    html_report=os.path.join(params['report_dir'], params['report_name'] + '.html'))
        report_error = None
        try:
            report = produce(dict(rows=rows, run_id=call.get('run_id'), check_mode=check_mode, summary=fact['summary'], finished=finished,
                                  report_dir=params['report_dir'], report_name=params['report_name'], history=params['history'],
                                  history_keep=params['history_keep'], write_in_check_mode=params['write_in_check_mode']), check_mode)
        except ReportError as exc:
            report_error, report = exc.message, dict(exc.result)
        fact.update(flapping=report.get('flapping', []), history=report.get('history'), reports_written=bool(report.get('written')))
        result['run'] = fact
        result['summary_lines'] = report.get('summary_lines') or []
        if call.get('failed'):
            # Calls may have been placed (changed), and each one is in the fact; the module's message says what broke.
            return self._fail(result, call.get('msg') or 'laaffic_call failed')
        if report_error:
            return self._fail(result, '%s (every phone is in the result, run.phones)' % report_error)
        return result
