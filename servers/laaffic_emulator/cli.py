# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line: start the emulator in the foreground; SIGINT/SIGTERM stop it cleanly (exit 0)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Optional, Sequence

from laaffic_emulator import __version__
from laaffic_emulator.core import Platform
from laaffic_emulator.push import shown_url
from laaffic_emulator.scenario import MAX_PHONES, ScenarioError, bundled, load
from laaffic_emulator.server import start

if TYPE_CHECKING:
    from types import FrameType

    from laaffic_emulator.scenario import Scenario


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """Flags; each falls back to an EMULATOR_* environment variable."""
    env = os.environ.get
    parser = argparse.ArgumentParser(prog='python -m laaffic_emulator',
                                     description='Local emulator of the LAAFFIC voice API (sendSip and friends).')
    parser.add_argument('--host', default=env('EMULATOR_HOST', '127.0.0.1'), help='address to bind (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=int(env('EMULATOR_PORT', '8099')), help='port; 0 = ephemeral (default 8099)')
    parser.add_argument('--port-file', default=env('EMULATOR_PORT_FILE'), help='write the bound port to this file once listening')
    parser.add_argument('--scenario', default=env('EMULATOR_SCENARIO', 'default'),
                        help='bundled scenario name (%s) or a YAML/JSON file path' % ', '.join(bundled()))
    parser.add_argument('--fleet-size', default=env('EMULATOR_FLEET_SIZE') or None, metavar='N',
                        help='serve N generated fleet phones besides the scenario\'s (fleet-00001 ..., groups of 50; 0-%d)' % MAX_PHONES)
    parser.add_argument('--push-url', default=env('EMULATOR_PUSH_URL') or None, help='POST push reports here')
    parser.add_argument('--time-scale', type=float, default=None, help='multiply every simulated delay (e.g. 0.01)')
    parser.add_argument('--quiet', action='store_true', default=env('EMULATOR_QUIET', '') not in ('', '0'),
                        help='no per-request log lines')
    parser.add_argument('--sip-port', type=int, default=int(env('EMULATOR_SIP_PORT') or -1),
                        help='serve SIP (registrar and call leg, Kamailio and SIPp) on this UDP and TCP port; 0 = a free one; off by default')
    parser.add_argument('--sip-host', default=env('EMULATOR_SIP_HOST', '127.0.0.1'),
                        help='address the SIP side binds (default 127.0.0.1; a LAN address exposes the registrar to the LAN)')
    parser.add_argument('--sip-port-file', default=env('EMULATOR_SIP_PORT_FILE'), help='write the SIP port to this file once serving')
    parser.add_argument('--version', action='version', version=__version__)
    return parser.parse_args(argv)


# After SIGTERM or SIGINT the emulator exits within this many seconds whatever it is doing: the orderly stop
# (pending pushes cancelled, connections closed, answers in progress dropped) normally takes a fraction of it.
STOP_DEADLINE = 1.5


def stopper(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> Callable[[int, Optional[FrameType]], None]:
    """The SIGTERM/SIGINT handler. A Python-level handler (not loop.add_signal_handler) runs even while the
    event loop is stuck, e.g. in a write to a stderr pipe nobody reads; it asks the loop to stop and starts a
    watchdog that ends the process at STOP_DEADLINE if the orderly stop has not finished by then."""
    started: list[bool] = []

    def handler(_signum: int, _frame: Optional[FrameType]) -> None:
        if not started:
            started.append(True)
            threading.Thread(target=deadline, name='stop-deadline', daemon=True).start()
        loop.call_soon_threadsafe(stop.set)

    def deadline() -> None:
        time.sleep(STOP_DEADLINE)
        os._exit(0)  # pylint: disable=protected-access  # nothing left worth waiting for

    return handler


async def serve(args: argparse.Namespace, scenario: Scenario) -> int:
    """Run until a stop signal."""
    loop = asyncio.get_running_loop()
    overrides: dict[str, Any] = {}
    if args.push_url:
        overrides['push_url'] = args.push_url
    if args.time_scale is not None:
        overrides['time_scale'] = args.time_scale
    platform = Platform(scenario, loop, overrides=overrides, quiet=args.quiet)
    runner, port = await start(platform, args.host, args.port)
    if args.sip_port >= 0:
        from laaffic_emulator.sip import SipSide  # pylint: disable=import-outside-toplevel
        platform.sip = SipSide(platform, args.sip_host, args.sip_port)
        try:
            await platform.sip.start()
        except BaseException:
            await platform.sip.stop()
            await runner.cleanup()
            raise
        if args.sip_port_file:
            with open(args.sip_port_file + '.tmp', 'w', encoding='ascii') as handle:
                handle.write('%d\n' % platform.sip.port)
            os.replace(args.sip_port_file + '.tmp', args.sip_port_file)
    if args.port_file:
        tmp = args.port_file + '.tmp'
        with open(tmp, 'w', encoding='ascii') as handle:
            handle.write('%d\n' % port)
        os.replace(tmp, args.port_file)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stopper(loop, stop))
    # no secret here: the push URL's path (the receiver's secret) is hidden, the API secret never shown
    sys.stderr.write('laaffic emulator %s listening on http://%s:%d (scenario %s, %d phones, push %s)\n' % (
        __version__, args.host, port, scenario.name, len(platform.phones), shown_url(platform.settings['push_url']) or 'off'))
    sys.stderr.flush()
    if platform.sip is not None:
        sys.stderr.write('laaffic emulator SIP side on sip:%s:%d (UDP and TCP; Kamailio registrar, SIPp call leg)\n' % (
            platform.sip.host, platform.sip.port))
        sys.stderr.flush()
    try:
        await stop.wait()
    finally:
        if platform.sip is not None:
            await platform.sip.stop()
        await platform.pusher.close()
        await runner.cleanup()
    sys.stderr.write('laaffic emulator stopped\n')
    return 0


def die_with_parent() -> None:
    """With EMULATOR_PARENT_PID=<pid> in the environment (devtools/emulator.py sets it), ask Linux to send this
    process SIGTERM when that parent ends (PR_SET_PDEATHSIG), and end at once if it already has: a harness
    killed with SIGKILL (no finally, no atexit) leaves no emulator behind. Elsewhere, or without it, nothing."""
    wanted = os.environ.get('EMULATOR_PARENT_PID', '')
    if not wanted.isdigit() or not sys.platform.startswith('linux'):
        return
    try:
        import ctypes  # pylint: disable=import-outside-toplevel
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        return
    if os.getppid() != int(wanted):  # the parent ended before the request was made
        sys.exit(0)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Console entry point; returns the exit status."""
    die_with_parent()
    args = parse_args(argv)
    try:
        scenario = load(args.scenario)
        if args.fleet_size is not None:
            scenario.set_fleet_size(args.fleet_size)
    except ScenarioError as exc:
        sys.stderr.write('laaffic emulator: %s\n' % exc)
        return 2
    try:
        return asyncio.run(serve(args, scenario))
    except ScenarioError as exc:
        sys.stderr.write('laaffic emulator: %s\n' % exc)
        return 2
    except RuntimeError as exc:  # sip.SipUnavailable: Kamailio or SIPp missing, or Kamailio did not start
        sys.stderr.write('laaffic emulator: %s\n' % exc)
        return 1
    except OSError as exc:
        sys.stderr.write('laaffic emulator: cannot listen on %s:%s: %s\n' % (args.host, args.port, exc))
        return 1
    except KeyboardInterrupt:
        return 0
