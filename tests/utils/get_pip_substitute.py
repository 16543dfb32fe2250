"""Offline stand-in for the get-pip bootstrap script that ansible-test downloads.

ansible-test runs ``python get_pip_<version>.py [pip options] pip==<version> --no-setuptools --no-wheel``
inside each virtual environment it creates. This machine cannot reach the host that serves the
real script, so this one bootstraps pip with ``ensurepip`` and then lets pip install what was asked.
"""

from __future__ import annotations

import os
import subprocess
import sys

GET_PIP_ONLY = ('--no-setuptools', '--no-wheel', '--no-pip')


def main() -> None:
    """Bootstrap pip, then install the requested packages with this machine's pip settings."""
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    env = dict(os.environ)
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'], env=env)
    # ensurepip points PIP_CONFIG_FILE at os.devnull; pip would then ignore this machine's
    # configuration (certificates, package indexes).
    env.pop('PIP_CONFIG_FILE', None)
    os.environ.pop('PIP_CONFIG_FILE', None)
    subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args, env=env)


if __name__ == '__main__':
    main()
