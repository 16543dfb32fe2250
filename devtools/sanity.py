# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-test sanity on one ansible-core: what the ``sanity-core-<core>`` rules of mk/matrix.mk run.

Run with the Python of the core's virtual environment (it imports that core's ``ansible_test``), from the
checkout, with the sanity arguments after ``--``:

    .venv-2.21/bin/python devtools/sanity.py --core 2.21 --python 3.13 \
        --root .build/sanity-2.21/ansible_collections/laaffic/voice -- --test pep8

1. The offline get-pip stand-in. ansible-test bootstraps pip in its virtual environments with a get-pip script
   it downloads from a host this machine cannot reach, and caches it as
   ``~/.ansible/test/cache/get_pip_<version>.py`` (``<version>`` = the pip version this ansible-test pins, dots
   as underscores). When no script for that version is cached yet, ``tests/utils/get_pip_substitute.py`` is
   put there. A cached script is never replaced: the copy is written under a temporary name and linked into
   place, which fails when another process got there first.
2. A copy of the tree. ansible-test runs on a copy of the files git knows about (tracked or not, minus the
   ignored ones), made a git repository of its own (otherwise ansible-test lists the files with the
   checkout's git, which ignores ``.build/``). Files that git lists but that are gone are left out.
3. ``ansible-test sanity --venv --python <python> --color no <arguments>`` in the copy, with this virtual
   environment's ``bin`` first on PATH; its exit status is this script's.

Standard library only (and this core's ``ansible_test``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

SUBSTITUTE = os.path.join('tests', 'utils', 'get_pip_substitute.py')
CACHE = os.path.join('~', '.ansible', 'test', 'cache')


def pinned_pip_version() -> str:
    """The pip version this ansible-test installs in its virtual environments (its python_requirements.py)."""
    import ansible_test  # pylint: disable=import-outside-toplevel

    path = os.path.join(os.path.dirname(ansible_test.__file__), '_internal', 'python_requirements.py')
    with open(path, encoding='utf-8') as source:
        match = re.search(r"pip='([0-9.]+)'", source.read())
    if not match:
        raise SystemExit('%s: no pinned pip version found in %s' % (sys.argv[0], path))
    return match.group(1)


def install_get_pip_substitute(label: str) -> None:
    """Cache the offline stand-in as the get-pip script of the pinned pip version, unless one is cached."""
    version = pinned_pip_version()
    cache = os.path.expanduser(CACHE)
    script = os.path.join(cache, 'get_pip_%s.py' % version.replace('.', '_'))
    if os.path.exists(script):
        return
    os.makedirs(cache, exist_ok=True)
    temporary = '%s.%d' % (script, os.getpid())
    shutil.copyfile(SUBSTITUTE, temporary)
    try:
        os.link(temporary, script)
    except FileExistsError:
        return
    finally:
        os.unlink(temporary)
    print('%s: offline get-pip stand-in for pip %s in %s' % (label, version, script), flush=True)


def copy_tree(root: str) -> None:
    """Copy the files git knows about (tracked or not, minus the ignored ones) to root, a new git repository."""
    listed = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard', '-z'],
                            check=True, stdout=subprocess.PIPE).stdout.decode('utf-8', 'surrogateescape')
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    for name in listed.split('\0'):
        if not name or not os.path.exists(name):
            continue
        target = os.path.join(root, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(name, target)
    subprocess.run(['git', '-C', root, 'init', '-q'], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--core', required=True, help='the ansible-core version, for messages')
    parser.add_argument('--python', required=True, help='the Python version ansible-test sanity runs on')
    parser.add_argument('--root', required=True, help='where to copy the tree (.../ansible_collections/laaffic/voice)')
    parser.add_argument('sanity_args', nargs=argparse.REMAINDER, help='arguments for ansible-test sanity, after --')
    args = parser.parse_args()
    sanity_args = args.sanity_args[1:] if args.sanity_args[:1] == ['--'] else args.sanity_args

    install_get_pip_substitute('sanity-core-%s' % args.core)
    root = os.path.abspath(args.root)
    copy_tree(root)

    bin_dir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get('PATH', ''))
    command = [os.path.join(bin_dir, 'ansible-test'), 'sanity', '--venv', '--python', args.python, '--color', 'no']
    command += sanity_args
    print('cd %s && %s' % (root, ' '.join(command)), flush=True)
    return subprocess.call(command, cwd=root, env=env)


if __name__ == '__main__':
    sys.exit(main())
