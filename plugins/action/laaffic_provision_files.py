# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of laaffic.voice.laaffic_provision_files: renders files[].template on the controller, runs the
module where the task runs (delegate_to), and never returns the files' contents.

Rendering uses Jinja2 alone, each template compiled once: at 2,000 files that is a few tenths of a second, where
Ansible's templating of each file took milliseconds per file. The module then writes every file in one run."""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

try:  # Jinja2 is a requirement of ansible-core
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:  # pragma: no cover
    jinja2 = None


def plain(value):
    """``value`` as plain Python containers and text (Ansible's tagged or lazy containers and unsafe strings included)."""
    if isinstance(value, str):
        return str.__str__(value) if type(value) is not str else value  # pylint: disable=unidiomatic-typecheck
    if isinstance(value, dict) or hasattr(value, 'items'):
        return {plain(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class ActionModule(ActionBase):
    """Render templated items, then run the module on the task's host."""

    TRANSFERS_FILES = True
    _VALID_ARGS = frozenset(('path', 'files', 'vars', 'mask', 'mode', 'owner', 'group'))

    def _environment(self):
        # Autoescape off, trim_blocks on, trailing newline kept: the settings of ansible.builtin.template's defaults.
        # Sandboxed and immutable: a template sees only the variables given, with no access to Python internals.
        return ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=False, keep_trailing_newline=True,
                                             undefined=jinja2.StrictUndefined, autoescape=False)

    def _load(self, env, cache, source):
        if source not in cache:
            try:
                path = self._find_needle('templates', source)
            except Exception as exc:  # AnsibleError subclasses differ across ansible-core releases
                raise AnsibleActionFail('files[].template: cannot find %s (%s)' % (source, to_text(exc))) from None
            with open(path, encoding='utf-8') as handle:
                text = handle.read()
            try:
                cache[source] = env.from_string(text)
            except jinja2.TemplateSyntaxError as exc:
                raise AnsibleActionFail('files[].template: %s line %s: %s' % (source, exc.lineno, exc.message)) from None
        return cache[source]

    def render(self, args):
        """The module's arguments: every templated item given its ``content``; template and vars removed."""
        files = args.get('files')
        if not isinstance(files, list):
            raise AnsibleActionFail('files: a list of files (name, content or template) is required')
        common = plain(args.get('vars') or {})
        if not isinstance(common, dict):
            raise AnsibleActionFail('vars: a dictionary is required')
        env, cache, out = self._environment(), {}, []
        for index, item in enumerate(plain(files)):
            if not isinstance(item, dict):
                raise AnsibleActionFail('files[%d]: a dictionary (name, content or template) is required, got %s'
                                        % (index, type(item).__name__))
            item = dict(item)
            source, variables = item.pop('template', None), item.pop('vars', None)
            if source is not None:
                if item.get('content') is not None:
                    raise AnsibleActionFail('files[%d]: give content or template, not both' % index)
                if variables is not None and not isinstance(variables, dict):
                    raise AnsibleActionFail('files[%d].vars: a dictionary is required' % index)
                context = dict(common)
                context.update(variables or {})
                try:
                    item['content'] = self._load(env, cache, str(source)).render(context)
                except jinja2.TemplateError as exc:
                    # names the template and the error only: the variables may hold secrets
                    raise AnsibleActionFail('files[%d].template %s: %s' % (index, source, type(exc).__name__)) from None
            elif item.get('content') is None:
                raise AnsibleActionFail('files[%d]: content or template is required' % index)
            out.append(item)
        module_args = {key: value for key, value in args.items() if key not in ('files', 'vars', 'src')}
        module_args['files'] = out
        return module_args

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        del tmp
        if jinja2 is None:  # pragma: no cover
            raise AnsibleActionFail('Jinja2 is required on the controller')
        module_args = self.render(self._task.args)
        # The contents (passwords included) travel as a file in the task's temporary directory on the target, not as
        # module arguments: arguments are logged by the target's journal and would be masked one secret at a time.
        tmpdir = self._connection._shell.tmpdir
        try:
            src = self._connection._shell.join_path(tmpdir, 'laaffic_provision_files.json')
            self._transfer_data(src, json.dumps({'files': module_args.pop('files')}))
            self._fixup_perms2((tmpdir, src))
            module_args['src'] = src
            outcome = self._execute_module(module_name='laaffic.voice.laaffic_provision_files', module_args=module_args,
                                           task_vars=task_vars)
        finally:
            self._remove_tmp_path(tmpdir)
        outcome.pop('invocation', None)
        result.update(outcome)
        return result
