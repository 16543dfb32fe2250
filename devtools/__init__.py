# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Development harness: the bundled servers on free loopback ports, for tests, ``make demo``, benchmarks and the release check.

    from devtools.emulator import Emulator     # servers/laaffic_emulator as a subprocess
    from devtools.receiver import Receiver     # the package roles/report_receiver/files/laaffic_receiver/ as a subprocess

    with Receiver() as receiver, Emulator('default', push_url=receiver.push_url) as emulator:
        ...                                    # emulator.api_url, emulator.reset(), receiver.report(voice_id)

Both start their server with ``--port 0 --port-file FILE`` on 127.0.0.1, read the port the server chose,
wait until it answers its health check, and stop it with SIGTERM (SIGKILL after a grace period) when the
``with`` block ends. Standard library only.

How it is found: ``make venv`` writes a ``.pth`` file naming the checkout into every virtual environment it
creates (as ``pip install -e`` would), so ``import devtools`` works from any directory with that Python;
pytest also has the checkout on its ``pythonpath`` (pytest.ini). Nothing edits ``sys.path``.

Also here: ``devtools.stress`` (``make stress``): the timing-dependent tests and the demo, repeated beside a busy core;
``devtools.module_runner``: a module's ``main()`` run in this process (unit tests, bench/bench_phones.py; needs ansible-core).
"""
