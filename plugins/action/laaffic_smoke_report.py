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


SMALL_SPEC = dict((key, value) for key, value in ARGUMENT_SPEC.items() if key != 'rows')


class ActionModule(ActionBase):
    """Write the smoke test's reports and update the fleet history on the controller."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        rows = args.pop('rows', None)
        if rows is None:
            raise AnsibleActionFail('rows: required, a list of dicts (one per phone)')
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
        try:
            result.update(produce(params, bool(self._play_context.check_mode)))
        except ReportError as exc:
            result.update(exc.result, failed=True, msg=exc.message)
        return result
