# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logging: JSON lines on stderr (or the log file), repeated events throttled, aiohttp's and asyncio's own records."""

from __future__ import annotations

import json
import logging
import time
from typing import IO, Any, Callable, Optional

from .times import iso_us, now_us

LogFunction = Callable[..., None]
# a str as a JSON string, ASCII only (json.dumps' own C encoder for strings)
_json_text: Callable[[str], str] = json.encoder.encode_basestring_ascii


class JsonLog:
    """The receiver's log: one JSON object per line; secrets (push secret, read token) removed from free text."""

    def __init__(self, stream: IO[str], secrets: tuple[str, ...]) -> None:
        self.stream = stream
        self.secrets = secrets

    def __call__(self, **record: Any) -> None:
        record = dict({'ts': iso_us(now_us())}, **record)
        try:
            self.stream.write(json.dumps(record, ensure_ascii=True, separators=(',', ':')) + '\n')
        except (OSError, ValueError):
            pass

    def access(self, method: str, path: str, status: int, nbytes: int, req_bytes: int, ms: float, ip: str) -> None:
        """One access log line: the same JSON as a call gives, formatted without building a dict (one per request)."""
        try:
            self.stream.write('{"ts":"%s","method":%s,"path":%s,"status":%d,"bytes":%d,"req_bytes":%d,"ms":%.3f,"ip":%s}\n' % (
                iso_us(now_us()), _json_text(method), _json_text(path), status, nbytes, req_bytes, ms, _json_text(ip)))
        except (OSError, ValueError):
            pass

    def redact_text(self, text: str) -> str:
        """``text`` with the push secret and the read token replaced."""
        for value in self.secrets:
            text = text.replace(value, '<redacted>')
        return text

    def redact(self, target: str) -> str:
        """A request target as logged: a push path never shows its secret."""
        path = target.split('?', 1)[0]
        if path == '/push' or path.startswith('/push/'):
            return '/push/<redacted>'
        return self.redact_text(target[:512])


class Throttled:
    """Log a repeated event at most once per ``interval`` seconds, with how often it happened since the last line."""

    def __init__(self, log: LogFunction, event: str, interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.log = log
        self.event = event
        self.interval = interval
        self.clock = clock
        self.count = 0
        self.last: Optional[float] = None
        self.fields: dict[str, Any] = {}

    def hit(self, **fields: Any) -> None:
        """One more occurrence (its fields replace the previous ones)."""
        self.count += 1
        self.fields = fields
        now = self.clock()
        if self.last is None or now - self.last >= self.interval:
            self._emit(now)

    def flush(self) -> None:
        """Write the count still pending once the interval has passed (called by the receiver's timer)."""
        if self.count:
            now = self.clock()
            if self.last is None or now - self.last >= self.interval:
                self._emit(now)

    def _emit(self, now: float) -> None:
        self.log(event=self.event, count=self.count, **self.fields)
        self.count = 0
        self.last = now


class LibraryLog(logging.Handler):
    """aiohttp's and asyncio's own log records as throttled JSON lines (message text only, secrets removed)."""

    def __init__(self, log: JsonLog) -> None:
        super().__init__(logging.WARNING)
        self.log = log
        self.throttles: dict[str, Throttled] = {}

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.log.redact_text(record.getMessage())[:300]
        except Exception:  # pylint: disable=broad-except
            message = '(unprintable)'
        exc = record.exc_info[1] if record.exc_info else None
        throttle = self.throttles.get(record.name)
        if throttle is None:
            throttle = self.throttles[record.name] = Throttled(self.log, 'library_log')
        throttle.hit(logger=record.name, level=record.levelname, message=message,
                     error=type(exc).__name__ if exc is not None else None)
