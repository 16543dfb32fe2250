# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of laaffic.voice.laaffic_smoke_report: writes the reports and the history on the controller,
in the controller's process, instead of shipping the rows to the module and back.

The reports belong on the controller whatever host the task runs for, and at 10,000 phones the round trip through
the module costs far more than the reports: the rows go out as megabytes of module arguments, are validated and
deep-copied there, and come back echoed in the result. Here the rows are read as they are; the other options go
through the module's argument spec. The module (plugins/modules/laaffic_smoke_report.py) does the same work when
it is run without this plugin (the unit tests, a copy of the module elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.laaffic.voice.plugins.module_utils._report import ARGUMENT_SPEC, ReportError, produce


def kind(value):
    """The kind of a value in words (Ansible's tagged strings are strings)."""
    for base, name in ((str, 'str'), (bytes, 'bytes'), (Mapping, 'dict'), (bool, 'bool'), (int, 'int'), (float, 'float'), (Sequence, 'list')):
        if isinstance(value, base):
            return name
    return type(value).__name__


SMALL_SPEC = {key: value for key, value in ARGUMENT_SPEC.items() if key not in ('rows', 'rows_var')}


class ActionModule(ActionBase):
    """Write the smoke test's reports and update the fleet history on the controller."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _requires_connection = False

    def _rows_from(self, name, task_vars):
        """The rows held by the variable ``name``, as stored: facts set by set_fact or register are final values, and not
        templating 10,000 rows again saves the playbook seconds. A value that is still a template is templated."""
        if not isinstance(name, str) or name not in task_vars:
            raise AnsibleActionFail('rows_var: no variable named %r' % (name,))
        value = task_vars[name]
        if isinstance(value, str):
            value = self._templar.template(value)
        return value

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        rows = args.pop('rows', None)
        rows_var = args.pop('rows_var', None)
        if (rows is None) == (rows_var is None):
            raise AnsibleActionFail('give rows (a list of dicts, one per phone) or rows_var (the name of a variable that holds them), not both')
        if rows_var is not None:
            rows = self._rows_from(rows_var, task_vars or {})
        if isinstance(rows, (str, bytes, Mapping)) or not isinstance(rows, Sequence):
            raise AnsibleActionFail('rows: must be a list of dicts (one per phone), got %s' % kind(rows))
        for index, row in enumerate(rows):
            if not isinstance(row, Mapping):
                raise AnsibleActionFail('rows[%d]: must be a dict, got %s' % (index, kind(row)))
        self._task.args = args
        try:
            _validation, params = self.validate_argument_spec(argument_spec=SMALL_SPEC)
        finally:
            self._task.args = dict(args, rows=rows)
        params['rows'] = rows
        params['rows_var'] = None
        try:
            result.update(produce(params, bool(self._play_context.check_mode)))
        except ReportError as exc:
            result.update(exc.result, failed=True, msg=exc.message)
        return result
