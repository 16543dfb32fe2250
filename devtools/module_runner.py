# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in this process with given arguments and capture what it exits with
(the unit tests and bench/bench_phones.py). Needs ansible-core, unlike the rest of devtools."""

from __future__ import annotations

import contextlib
import json

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None


class ModuleExit(SystemExit):
    """Raised where exit_json and fail_json exit, a SystemExit as theirs."""

    def __init__(self, result, failed):
        super(ModuleExit, self).__init__(result.get('msg'))
        self.result = result
        self.failed = failed


@contextlib.contextmanager
def module_args(args):
    """The module arguments ``main()`` reads while the block runs (what AnsiballZ hands a module)."""
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    old = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = old


def run_module(monkeypatch, main, args):
    """Return ``(result, failed)``; the result has no-log values masked as ansible would."""
    def exit_json(self, **kwargs):
        raise ModuleExit(basic.remove_values(kwargs, self.no_log_values), False)

    def fail_json(self, msg, **kwargs):
        kwargs['msg'] = msg
        raise ModuleExit(basic.remove_values(kwargs, self.no_log_values), True)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)
    with module_args(args):
        try:
            main()
        except ModuleExit as done:
            return done.result, done.failed
    raise AssertionError('the module did not exit')
