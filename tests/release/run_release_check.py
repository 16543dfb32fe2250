# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Release check: use the collection as installed from its tarball, and nothing from the checkout.

Run by ``make test-release`` after it built the tarball and installed it into a fresh collections path:

    python tests/release/run_release_check.py --tarball <tarball> --collections <fresh path>

1. Checks the tarball's file list: no virtual environments, build trees, test output, caches or tarballs,
   and the files a user needs (plugins, roles, the emulator, the EE metadata, the docs) are there.
2. Checks that ansible, with ANSIBLE_COLLECTIONS_PATH set to the fresh path only, finds laaffic.voice there.
3. Starts the emulator from the installed copy (``<fresh>/ansible_collections/laaffic/voice/servers``) on
   127.0.0.1 with a free port through the development harness (devtools/emulator.py), which proves the
   emulator ships in the tarball.
4. Runs tests/release/playbook.yml against it (laaffic_sign, laaffic_call expecting answered, the
   laaffic_record lookup) with a clean PYTHONPATH, then stops the emulator.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

from devtools.emulator import Emulator, EmulatorError

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOK = os.path.join(HERE, 'playbook.yml')

# Paths (inside the tarball, relative to the collection root) that must never be packaged.
FORBIDDEN = (
    (re.compile(r'(^|/)\.venv[^/]*(/|$)'), 'a virtual environment'),
    (re.compile(r'(^|/)\.build(/|$)'), 'the build tree'),
    (re.compile(r'(^|/)\.git(/|$)'), 'git metadata'),
    (re.compile(r'^tests/output(/|$)'), 'ansible-test output'),
    (re.compile(r'(^|/)(\.pytest_cache|__pycache__)(/|$)'), 'a cache'),
    (re.compile(r'\.pyc$'), 'compiled Python'),
    (re.compile(r'\.tar\.gz$'), 'a tarball'),
    (re.compile(r'^bench/results(/|$)'), 'benchmark results'),
    (re.compile(r'^docs/build(/|$)'), 'the built documentation site'),
    (re.compile(r'(^|/)smoke-test-reports(/|$)'), 'smoke test reports'),
)
# Files a user of the tarball needs.
REQUIRED = (
    'MANIFEST.json',
    'FILES.json',
    'meta/runtime.yml',
    'meta/execution-environment.yml',
    'meta/ee-requirements.txt',
    'meta/ee-bindep.txt',
    'plugins/modules/laaffic_call.py',
    'plugins/modules/laaffic_sign.py',
    'plugins/lookup/laaffic_record.py',
    'servers/laaffic_emulator/__main__.py',
    'docs/docsite/extra-docs.yml',
    'changelogs/changelog.yaml',
)


def check_tarball(path):
    """Return the tarball's member names, or raise SystemExit listing what is wrong."""
    with tarfile.open(path, 'r:gz') as tar:
        names = [name[2:] if name.startswith('./') else name for name in tar.getnames()]
    problems = []
    for name in names:
        for pattern, what in FORBIDDEN:
            if pattern.search(name):
                problems.append('%s is %s' % (name, what))
    present = set(names)
    problems.extend('%s is missing' % name for name in REQUIRED if name not in present)
    if problems:
        raise SystemExit('release check: the tarball %s is wrong:\n  %s' % (path, '\n  '.join(problems)))
    print('release check: tarball has %d entries, none unwanted, all %d required present' % (len(names), len(REQUIRED)))
    return names


def clean_env(collections):
    """The environment for ansible and the emulator: the fresh collections path and nothing from the checkout."""
    env = dict(os.environ)
    for name in list(env):
        if name.startswith('ANSIBLE_') or name in ('PYTHONPATH', 'LAAFFIC_API_URL', 'LAAFFIC_API_KEY',
                                                   'LAAFFIC_API_SECRET', 'LAAFFIC_APP_ID'):
            del env[name]
    env['ANSIBLE_COLLECTIONS_PATH'] = collections
    env['ANSIBLE_COLLECTIONS_SCAN_SYS_PATH'] = 'false'
    env['ANSIBLE_NOCOLOR'] = '1'
    env['ANSIBLE_RETRY_FILES_ENABLED'] = 'false'
    env['ANSIBLE_LOCAL_TEMP'] = tempfile.mkdtemp(prefix='release-ansible-tmp-')
    return env


def check_installed(collections, env, bindir):
    """ansible must resolve laaffic.voice to the fresh path, and only there."""
    out = subprocess.run([os.path.join(bindir, 'ansible-galaxy'), 'collection', 'list', 'laaffic.voice', '--format', 'json'],
                         env=env, check=True, capture_output=True, text=True).stdout
    found = json.loads(out)
    paths = [os.path.realpath(os.path.dirname(path)) for path, cols in found.items() if 'laaffic.voice' in cols]
    expected = os.path.realpath(collections)
    if paths != [expected]:
        raise SystemExit('release check: laaffic.voice found in %r, expected only in %s' % (paths, expected))
    print('release check: ansible finds laaffic.voice only in %s' % expected)


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--tarball', required=True)
    parser.add_argument('--collections', required=True, help='fresh collections path the tarball was installed into')
    parser.add_argument('--bindir', default=os.path.dirname(sys.executable), help='where ansible-playbook lives')
    args = parser.parse_args(argv)

    collections = os.path.abspath(args.collections)
    check_tarball(args.tarball)
    env = clean_env(collections)
    check_installed(collections, env, args.bindir)

    installed = os.path.join(collections, 'ansible_collections', 'laaffic', 'voice')
    workdir = tempfile.mkdtemp(prefix='laaffic-release-')
    # The emulator from the installed copy, with the same clean environment (its PYTHONPATH is that copy's servers/ only).
    emulator = Emulator('default', servers=os.path.join(installed, 'servers'), env=env, isolated=True)
    try:
        emulator.start()
    except EmulatorError as exc:
        raise SystemExit('release check: the installed emulator did not start: %s' % exc) from exc
    with emulator:
        print('release check: installed emulator listening on %s' % emulator.base)
        cmd = [os.path.join(args.bindir, 'ansible-playbook'), '-i', 'localhost,', PLAYBOOK,
               '-e', 'release_api_url=%s' % emulator.api_url, '-e', 'release_collection_path=%s' % installed]
        result = subprocess.run(cmd, env=env, cwd=workdir, check=False)
        if result.returncode:
            sys.stderr.write('--- emulator log ---\n%s' % emulator.log()[-4000:])
            raise SystemExit('release check: the playbook failed (rc=%d)' % result.returncode)
    print('release check: the installed collection works against its own emulator')
    return 0


if __name__ == '__main__':
    sys.exit(main())
