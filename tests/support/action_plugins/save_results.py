# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only action ``save_results``: write ``content`` to the controller file ``dest`` (mode 0600).

tests/support/playbook.py ends every test play with it to hand the registered results to the test. It does
what ``ansible.builtin.copy`` with ``content`` did there, in the controller process: copy runs two modules
(stat and copy), which cost more CPU than the rest of a short test play.
"""

from __future__ import annotations

import json
import os

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        content = self._task.args['content']
        if not isinstance(content, str):  # as ansible.builtin.copy: a templated dict or list is written as JSON
            content = json.dumps(content)
        fd = os.open(self._task.args['dest'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write(content)
        result['changed'] = False
        return result
