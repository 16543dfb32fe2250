# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From zero to a tested fleet on loopback: the job behind ``make demo-provision``.

1. start the LAAFFIC emulator (servers/laaffic_emulator, scenario ``default``) as a subprocess on 127.0.0.1
   with an ephemeral port, through the harness devtools/emulator.py, as demo/run_demo.py does; with its SIP side
   (Kamailio) on 127.0.0.1 and a SIPp phone farm (devtools/sip_phones.py) when Kamailio and SIPp are installed:
   the files then point at the emulator's SIP address, the phones register from them, one phone's password is
   reset after its file was rendered and it is refused, and the smoke test rings the others over SIP. Without
   those packages it says what to install and runs with the emulator's simulated phones (``--no-sip`` too);
2. run ``ansible-playbook -i demo/inventory/laaffic_phones.yml demo/provision.yml`` with the emulator's URL and
   credentials in the LAAFFIC_* environment variables, which the modules and the inventory plugin both read:
   the playbook creates a phone group, lists its phones through the inventory plugin, writes their
   provisioning files and smoke-tests every phone;
3. print where the provisioning files and the reports are;
4. stop the emulator, also when the playbook fails or on Ctrl-C / SIGTERM.

The exit code is the playbook's: 0 exactly when every new phone answered its test call. Standard library only.

    python demo/run_provision.py [--output-dir DIR] [--scenario NAME] [-- extra ansible-playbook arguments]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys

from run_demo import add_runner_args, find_ansible_playbook, interruptible, playbook_env
from devtools.emulator import Emulator
from devtools.sip_phones import PhoneFarm

DEMO_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(DEMO_DIR)

INVENTORY = os.path.join(DEMO_DIR, 'inventory', 'laaffic_phones.yml')
PLAYBOOK = os.path.join(DEMO_DIR, 'provision.yml')
DEFAULT_OUTPUT_DIR = os.path.join(DEMO_DIR, 'smoke-test-reports', 'provision')
SIP_PACKAGES = {'kamailio': 'kamailio', 'sipp': 'sip-tester'}


def missing_sip_packages():
    """The Debian packages the SIP level needs and this machine lacks."""
    return [package for tool, package in SIP_PACKAGES.items()
            if shutil.which(tool) is None and not os.path.exists('/usr/sbin/' + tool)]


def parse_args(argv):
    parser = argparse.ArgumentParser(description='Create desk phones on the local emulator, list them as inventory, '
                                                 'write their provisioning files and smoke-test them.')
    parser.add_argument('--output-dir', default=DEFAULT_OUTPUT_DIR,
                        help='directory for the provisioning files and the reports (default: %(default)s)')
    parser.add_argument('--no-sip', action='store_true',
                        help="the emulator's simulated phones only (no Kamailio, no SIPp; files point at sip.example.net)")
    add_runner_args(parser)
    return parser.parse_args(argv)


def run(args):
    """Start the emulator, run the playbook, stop the emulator; return the playbook's exit code."""
    ansible_playbook = find_ansible_playbook(args.ansible_playbook)
    if not ansible_playbook:
        print('run_provision: ansible-playbook not found; run `make demo-provision` (it creates .venv)', file=sys.stderr)
        return 2
    output = os.path.abspath(args.output_dir)
    files = os.path.join(output, 'provisioning')
    sip = not args.no_sip
    absent = missing_sip_packages() if sip else []
    if absent:
        print('run_provision: the SIP level needs Debian packages that are missing: %s. Install them with '
              '`sudo apt-get install %s` (or `make sip-deps` as root); running with the emulator\'s simulated phones '
              'now (files point at sip.example.net)' % (', '.join(absent), ' '.join(absent)), file=sys.stderr, flush=True)
        sip = False
    emulator = Emulator(scenario=args.scenario, quiet=True, sip_port=0 if sip else None)
    farm = None
    try:
        emulator.start()
        extra = []
        if sip:
            farm = PhoneFarm('answer', ring_ms=300)
            extra = ['-e', 'demo_provision_sip_server=127.0.0.1', '-e', 'demo_provision_sip_port=%d' % emulator.sip_port,
                     '-e', 'demo_provision_phone_farm_port=%d' % farm.port]
            print('run_provision: emulator on %s with its SIP side on sip:127.0.0.1:%d, phone farm (SIPp) on 127.0.0.1:%d '
                  '(scenario %s)' % (emulator.base, emulator.sip_port, farm.port, args.scenario), flush=True)
        else:
            print('run_provision: emulator on %s (scenario %s; simulated phones)' % (emulator.base, args.scenario), flush=True)
        env = playbook_env()
        env.update(LAAFFIC_API_URL=emulator.api_url, LAAFFIC_API_KEY=emulator.api_key, LAAFFIC_API_SECRET=emulator.api_secret,
                   LAAFFIC_APP_ID=emulator.app_id)
        cmd = [ansible_playbook, '-i', INVENTORY, PLAYBOOK, '-e', 'demo_provision_dir=%s' % files,
               '-e', 'desk_phone_smoke_test_report_dir=%s' % output] + extra + list(args.playbook_args)
        rc = subprocess.call(cmd, env=env, cwd=ROOT)
        print('run_provision: ansible-playbook exited with %d' % rc, flush=True)
        written = sorted(os.listdir(files)) if os.path.isdir(files) else []
        print('run_provision: %d provisioning file(s) in %s' % (len(written), files), flush=True)
        names = ('desk-phone-provision.junit.xml', 'desk-phone-provision.html') + (('sip-registration.txt',) if sip else ())
        for name in names:
            path = os.path.join(output, name)
            print('run_provision: report %s%s' % (path, '' if os.path.exists(path) else ' (not written)'), flush=True)
        return rc
    finally:
        if farm is not None:
            farm.stop()
        try:
            emulator.stop()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            print('run_provision: stopping the emulator: %s' % exc, file=sys.stderr)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    return interruptible(lambda: run(args), 'run_provision', 'emulator stopped')


if __name__ == '__main__':
    sys.exit(main())
