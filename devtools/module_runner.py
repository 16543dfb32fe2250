# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in this process with given arguments and capture what it exits with
(the unit tests and bench/bench_phones.py). Needs ansible-core, unlike the rest of devtools."""

from __future__ import annotations

import contextlib
import json
import typing as t

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

if t.TYPE_CHECKING:
    import pytest

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None  # type: ignore[assignment]  # checked before use


class ModuleExit(SystemExit):
    """Raised where exit_json and fail_json exit, a SystemExit as theirs."""

    def __init__(self, result: dict[str, t.Any], failed: bool) -> None:
        super().__init__(result.get('msg'))
        self.result = result
        self.failed = failed


@contextlib.contextmanager
def module_args(args: dict[str, t.Any]) -> t.Iterator[None]:
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


def run_module(monkeypatch: pytest.MonkeyPatch, main: t.Callable[[], object], args: dict[str, t.Any]) -> tuple[dict[str, t.Any], bool]:
    """Return ``(result, failed)``; the result has no-log values masked as ansible would."""
    def exit_json(self: basic.AnsibleModule, **kwargs: t.Any) -> t.NoReturn:
        raise ModuleExit(basic.remove_values(kwargs, self.no_log_values), False)

    def fail_json(self: basic.AnsibleModule, msg: str, **kwargs: t.Any) -> t.NoReturn:
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
