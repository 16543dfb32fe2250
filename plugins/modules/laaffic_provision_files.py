#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: laaffic_provision_files
short_description: Write many provisioning files in one task, with masked diffs
version_added: 1.2.0
description:
  - Writes every file of O(files) into the directory O(path) in one task, for example the auto-provisioning files of
    a whole fleet of desk phones (the R(desk_phone_config role,ansible_collections.laaffic.voice.desk_phone_config_role)
    uses it). One task instead of one per file is what makes a fleet of 1,000 phones take seconds.
  - Each file is written atomically (a temporary file in O(path) with the final mode, then a rename, as
    M(ansible.builtin.copy) does) and only when its content, mode, owner or group differs; the others are left alone.
  - With C(--diff), returns one diff per changed file in which every value of O(files[].secrets) and every text
    matched by O(mask) is replaced by C(********), in the file on disk as in the new content, so that a change
    (of SIP server, say) can be reviewed without showing a password. A value of the new content that the file on
    disk does not hold (a new password) shows as C(******** (new)).
  - The action plugin of the same name renders O(files[].template) items on the controller, with Jinja2 alone,
    before the module runs on the target host, and never returns the files' contents (no C(invocation)).
  - Does not talk to the LAAFFIC API, and is not in the C(laaffic.voice.laaffic) action group.
author:
  - laaffic.voice maintainers (@laaffic-voice)
options:
  path:
    description:
      - Directory the files are written into. It must exist, except in check mode (then every file would be created).
    type: path
    required: true
  files:
    description:
      - The files. Their names must be unique. Required unless O(src) is given.
    type: list
    elements: dict
    suboptions:
      name:
        description:
          - File name inside O(path), without C(/); not V(.) or V(..).
        type: str
        required: true
      content:
        description:
          - The whole content of the file (UTF-8). Required unless the action plugin renders O(files[].template).
        type: str
      template:
        description:
          - A Jinja2 template, found like the one of M(ansible.builtin.template) (the role's C(templates/) first),
            rendered on the controller by the action plugin with O(vars) and O(files[].vars) as its only variables
            (no Ansible filters, tests or lookups), with C(trim_blocks) and the trailing newline kept, as
            M(ansible.builtin.template) does. Each template is read and compiled once per task.
        type: str
      vars:
        description:
          - Variables of O(files[].template) for this file, on top of O(vars).
        type: dict
      secrets:
        description:
          - Values masked as C(********) in the diffs and in every other output of the module (SIP passwords, for example).
        type: list
        elements: str
      host:
        description:
          - The inventory host the file belongs to, returned in RV(files[].host).
        type: str
  vars:
    description:
      - Variables of every O(files[].template).
    type: dict
    default: {}
  src:
    description:
      - Set by the action plugin, not by hand. A JSON file on the target host holding O(files) (contents rendered,
        secrets included), which the action plugin transfers into its temporary directory and removes after the run,
        so that the contents are neither module arguments (logged by the target's journal) nor ever returned.
      - Mutually exclusive with O(files).
    type: path
  mask:
    description:
      - Regular expressions (Python) whose matches are replaced by C(********) in the diffs; when the expression has
        a group, only the text of the first group is. For secrets that are in the files on disk but not in
        O(files[].secrets), such as a password the new content replaces.
    type: list
    elements: str
    default: []
  mode:
    description:
      - Mode of every file, octal, as a string such as V('0640').
      - The files are created with mode C(0600) and get this mode before they are renamed into place, so they are never
        readable by others for a moment.
    type: str
    default: '0600'
  owner:
    description: Owner (name or number) of every file; empty or omitted keeps the default.
    type: str
  group:
    description: Group (name or number) of every file; empty or omitted keeps the default.
    type: str
attributes:
  check_mode:
    support: full
    details:
      - Reports which files would be created or changed, with their diffs, and writes nothing.
  diff_mode:
    support: full
    details:
      - One diff per changed file, secrets masked.
  idempotent:
    description: Whether the module returns the same result when run twice with the same arguments.
    support: full
extends_documentation_fragment:
  - laaffic.voice.attributes
notes:
  - O(files[].content) is not returned and is not shown in C(invocation), not even with C(-vvvv); the action plugin
    removes C(invocation) from the result.
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.copy
'''

EXAMPLES = r'''
- name: Two Yealink files in one task, passwords masked in --diff
  laaffic.voice.laaffic_provision_files:
    path: /srv/tftp
    mode: '0640'
    group: tftp
    mask:
      - '(?m)^account\.\d+\.password = (.*)$'
    files:
      - name: 001565aabb01.cfg
        content: "{{ lookup('ansible.builtin.template', 'front-desk.cfg.j2') }}"
        secrets: ["{{ front_desk_password }}"]
      - name: 001565aabb02.cfg
        template: yealink.cfg.j2
        vars:
          account: acct_002
          password: "{{ lab_password }}"
        secrets: ["{{ lab_password }}"]
'''

RETURN = r'''
files:
  description: Every file of O(files), in their order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The file name.
      type: str
      sample: 001565aabb01.cfg
    path:
      description: The file's path.
      type: str
      sample: /srv/tftp/001565aabb01.cfg
    host:
      description: O(files[].host), when given.
      type: str
      sample: front-desk
    changed:
      description: Whether the file was (in check mode, would be) created or changed.
      type: bool
      sample: true
    state:
      description: V(created), V(changed) (content), V(attributes) (mode, owner or group only) or V(unchanged).
      type: str
      sample: unchanged
changed_count:
  description: How many files were (would be) created or changed.
  returned: always
  type: int
  sample: 1
diff:
  description: With C(--diff), one entry per changed file (C(before), C(after), C(before_header), C(after_header)), secrets masked.
  returned: when diff mode is on and a file changed
  type: list
  elements: dict
'''

import json
import os
import re
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

MASK = '********'


def parse_mode(text):
    """The mode as an int from an octal string ('0640', '640'); ValueError otherwise."""
    value = str(text).strip()
    if not re.match(r'^0?[0-7]{3,4}$', value):
        raise ValueError(value)
    return int(value, 8)


def resolve_owner(module, owner, group):
    """(uid, gid), -1 for what is not given; fails naming the field for an unknown user or group."""
    import grp  # pylint: disable=import-outside-toplevel
    import pwd  # pylint: disable=import-outside-toplevel
    uid = gid = -1
    if owner:
        try:
            uid = int(owner) if owner.isdigit() else pwd.getpwnam(owner).pw_uid
        except KeyError:
            module.fail_json(msg='owner: no user %r on this host' % owner)
    if group:
        try:
            gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
        except KeyError:
            module.fail_json(msg='group: no group %r on this host' % group)
    return uid, gid


def masked_values(text, secrets, patterns):
    """The secret values of ``text``: the ``secrets`` it holds and the texts ``patterns`` match (their first group)."""
    found = set(secret for secret in secrets if secret and secret in text)
    for pattern in patterns:
        for match in pattern.finditer(text):
            found.add(match.group(1) if pattern.groups else match.group(0))
    return found


def masker(secrets, patterns, known=None):
    """A function that masks ``secrets`` (longest first) and the matches of ``patterns`` in a text.

    With ``known`` (the secret values of the file before), a value that is not among them is masked as
    ``******** (new)``, so that a diff shows that a password changed without showing either."""
    secrets = sorted(set(s for s in secrets if s), key=len, reverse=True)

    def label(value):
        return MASK if known is None or value in known else MASK + ' (new)'

    def replace(match):
        if not match.re.groups:
            return label(match.group(0))
        if match.group(1) is None:
            return match.group(0)
        start, end = match.start(1) - match.start(), match.end(1) - match.start()
        return match.group(0)[:start] + label(match.group(1)) + match.group(0)[end:]

    def mask(text):
        for pattern in patterns:
            text = pattern.sub(replace, text)
        for secret in secrets:
            text = text.replace(secret, label(secret))
        return text
    return mask


def load_src(module, src):
    """The files list of the JSON file ``src`` (written by the action plugin), each item checked like O(files)."""
    try:
        with open(src, encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        module.fail_json(msg='src: cannot read the files list (%s)' % to_native(exc))
    files = data.get('files') if isinstance(data, dict) else None
    if not isinstance(files, list):
        module.fail_json(msg='src: expected a JSON object with a "files" list')
    for index, item in enumerate(files):
        if not isinstance(item, dict):
            module.fail_json(msg='files[%d]: a dictionary is required' % index)
        unknown = sorted(set(item) - set(('name', 'content', 'secrets', 'host')))
        if unknown:
            module.fail_json(msg='files[%d]: unknown keys %s (allowed: name, content, secrets, host)' % (index, ', '.join(unknown)))
        for key in ('name', 'content', 'host'):
            if item.get(key) is not None and not isinstance(item[key], str):
                module.fail_json(msg='files[%d].%s: a string is required' % (index, key))
        secrets = item.get('secrets')
        if secrets is not None and not (isinstance(secrets, list) and all(isinstance(v, str) for v in secrets)):
            module.fail_json(msg='files[%d].secrets: a list of strings is required' % index)
    return files


def check_files(module, files):
    seen = set()
    for index, item in enumerate(files):
        name = item.get('name') or ''
        if '/' in name or name in ('', '.', '..') or '\0' in name:
            module.fail_json(msg='files[%d].name: a file name without "/" (not "", "." or "..") is required, got %r' % (index, name))
        if name in seen:
            module.fail_json(msg='files[%d].name: %r is given twice; file names must be unique' % (index, name))
        seen.add(name)
        if item.get('content') is None:
            module.fail_json(msg='files[%d].content: required (files[].template is rendered by the action plugin only)' % index)


def write_file(path, data, mode, uid, gid):
    """Write ``data`` to ``path`` atomically: a 0600 temporary file beside it, mode and owner set, then a rename."""
    directory, name = os.path.split(path)
    handle, tmp = tempfile.mkstemp(prefix='.%s.' % name, suffix='.tmp', dir=directory)
    try:
        with os.fdopen(handle, 'wb') as out:
            out.write(data)
            os.fchmod(out.fileno(), mode)
            if uid != -1 or gid != -1:
                os.fchown(out.fileno(), uid, gid)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            files=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                content=dict(type='str'),
                template=dict(type='str'),
                vars=dict(type='dict'),
                secrets=dict(type='list', elements='str', no_log=True),
                host=dict(type='str'),
            )),
            vars=dict(type='dict', default={}),
            src=dict(type='path'),
            mask=dict(type='list', elements='str', default=[]),
            mode=dict(type='str', default='0600'),
            owner=dict(type='str'),
            group=dict(type='str'),
        ),
        supports_check_mode=True,
        mutually_exclusive=[('files', 'src')],
        required_one_of=[('files', 'src')],
    )
    params = module.params
    try:
        mode = parse_mode(params['mode'])
    except ValueError:
        module.fail_json(msg='mode: an octal mode such as 0640 is required, got %r' % params['mode'])
    if mode & 0o7000:
        module.fail_json(msg='mode: setuid, setgid and sticky bits are not allowed for provisioning files, got %s' % params['mode'])
    patterns = []
    for index, text in enumerate(params['mask']):
        try:
            patterns.append(re.compile(text))
        except re.error as exc:
            module.fail_json(msg='mask[%d]: not a regular expression (%s)' % (index, exc))
    files = params['files'] if params['src'] is None else load_src(module, params['src'])
    check_files(module, files)
    uid, gid = resolve_owner(module, params['owner'] or '', params['group'] or '')
    directory = params['path']
    exists = os.path.isdir(directory)
    if not exists and not module.check_mode:
        module.fail_json(msg='path: %s is not a directory' % directory)

    results, diffs, changed_count = [], [], 0
    for item in files:
        path = os.path.join(directory, item['name'])
        data = to_bytes(item['content'], errors='surrogate_or_strict')
        state, before = 'unchanged', None
        try:
            info = os.lstat(path) if exists else None
        except FileNotFoundError:
            info = None
        if info is not None and not stat.S_ISREG(info.st_mode):
            module.fail_json(msg='files: %s exists and is not a regular file' % path)
        if info is None:
            state = 'created'
        else:
            with open(path, 'rb') as handle:
                before = handle.read()
            if before != data:
                state = 'changed'
            elif stat.S_IMODE(info.st_mode) != mode or (uid != -1 and info.st_uid != uid) or (gid != -1 and info.st_gid != gid):
                state = 'attributes'
        if state != 'unchanged':
            changed_count += 1
            if not module.check_mode:
                try:
                    if state == 'attributes':
                        os.chmod(path, mode)
                        if uid != -1 or gid != -1:
                            os.chown(path, uid, gid)
                    else:
                        write_file(path, data, mode, uid, gid)
                except OSError as exc:
                    module.fail_json(msg='%s: cannot write (%s)' % (path, to_native(exc.strerror or exc)),
                                     files=results, changed=changed_count > 1, changed_count=changed_count - 1)
            if module._diff and state != 'attributes':
                secrets = item.get('secrets') or []
                old = to_text(before, errors='surrogate_or_replace') if before is not None else ''
                diffs.append({'before_header': path, 'after_header': path, 'before': masker(secrets, patterns)(old),
                              'after': masker(secrets, patterns, masked_values(old, secrets, patterns))(item['content'])})
        result = {'name': item['name'], 'path': path, 'changed': state != 'unchanged', 'state': state}
        if item.get('host') is not None:
            result['host'] = item['host']
        results.append(result)
    out = {'changed': changed_count > 0, 'files': results, 'changed_count': changed_count}
    if diffs:
        out['diff'] = diffs
    module.exit_json(**out)


if __name__ == '__main__':
    main()
