# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""LAAFFIC voice status report receiver (Python >= 3.9 with aiohttp >= 3.8; SQLite from the standard library).

LAAFFIC pushes voice status reports (one JSON object with ``voiceId``), their batch form
(``{"array": [...]}``) and ringing notifications (a bare JSON array of events with ``callId``)
to an HTTP address, unsigned. This service accepts them at ``POST /push/<secret>``, stores them
durably in SQLite (WAL, synchronous=FULL) and answers HTTP 200 only once the transaction holding
the report has been committed. The event loop does group commit: the reports of every request pending
at that moment go into one transaction and one fsync, then each of those requests is answered. A batch
waits at most GATHER_TURNS non-blocking turns of the loop while another open connection could still add
to it; the loop's thread waits for the fsync itself (cheaper than a writer thread and two thread hops per
batch). A database write-locked by another process fails a commit after WRITE_BUSY_TIMEOUT (answer 503).

Read API (``Authorization: Bearer <token>``):

* ``GET /reports/<voiceId>`` -> one call object, 404 when unknown.
* ``GET /reports?since=&calledInfo=&calledInfoPrefix=&limit=&after=`` -> ``{"reports": [...], "next": cursor|null}``
  ordered by update sequence (``seq``); ``after`` takes the ``next`` cursor or any ``seq`` value.
* ``GET /healthz`` -> ``{"ok": true}`` (no authentication).

HEAD is answered like GET, without a body. Every request gets an answer with a JSON body
(``{"error": "..."}`` for 4xx/5xx) unless the connection itself breaks.

HTTP is aiohttp's (its parser, writer, ``Application``, router and middleware); this package holds the routes, the
validation and the storage, in modules along these lines: ``config`` (options and limits), ``times``, ``push``
(push body validation), ``store`` (SQLite), ``logs``, ``app`` (the application: middleware and handlers),
``connections`` (the one low-level part: accepting and bounding connections), ``server`` (lifecycle),
``process`` (--daemon, --stop, --status) and ``__main__`` (the command line).
Resources are bounded: open connections (at most ``max_connections``, and never more than the open-files
limit allows: when the cap is reached the connection idle the longest is closed to make room, or the new one
is closed at once when every connection has a request in progress), a deadline for a request's headers and
body (``request_timeout``), an idle keep-alive timeout (``idle_timeout``), the body size (``max_body``).

Run ``python3 -m laaffic_receiver --help`` (with this package's parent directory on ``sys.path``) for the configuration (flags, RECEIVER_* environment
variables, ``--config`` file).
"""

VERSION = '1.2.0'
