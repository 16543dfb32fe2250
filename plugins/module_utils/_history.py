# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The fleet history of the desk phone smoke test: the verdict of every phone in the last N runs.

The file is UTF-8 text, one line per run and one line per phone of that run, fields separated by tabs::

    # laaffic.voice smoke-test history v1
    R<TAB>run id<TAB>finished (ISO UTC)<TAB>number of phone lines that follow
    P<TAB>verdict<TAB>ok (1 or 0)<TAB>account<TAB>name<TAB>group
    ...

It holds nothing else: no secret, no SIP password, no callee, no reason text. A run is added under an
exclusive ``fcntl`` lock on ``<history>.lock``, by writing the whole new history to a temporary file in the
same directory and renaming it over the old one, so two runs never interleave their lines and a reader never
sees half a run. A missing, empty, corrupt, truncated or foreign file never fails a run: it is reported in
``problem``, an unreadable file is moved aside to ``<history>.unreadable`` (never echoed: a foreign file may hold
anything), and a new history is started; a run cut short at the end of the file (a crash while copying it) is
dropped and the complete runs before it are kept.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import typing as t

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]  # checked before each use

if t.TYPE_CHECKING:
    PhoneKey = tuple[str, str]  # (account, name)
    Verdict = tuple[str, bool]  # (verdict, ok)

HEADER = '# laaffic.voice smoke-test history v1'
DEFAULT_KEEP = 30
WINDOW = 10          # runs shown per phone and used for the flapping rule
FLAP_CHANGES = 3     # a phone flaps when its verdict changed at least this often within WINDOW runs
MAX_BYTES = 1 << 30  # a larger file is not read (it is not one of ours, or something went badly wrong)
ABSENT = ('-', True)  # a run that did not test the phone
_CONTROL = re.compile(r'[\x00-\x1f\x7f]')


def clean(value: object) -> str:
    """A field as it goes into the history: text without tabs, line breaks or other control characters."""
    text = '' if value is None else str(value)
    return _CONTROL.sub(' ', text) if _CONTROL.search(text) else text


def phone_key(account: object, name: object) -> PhoneKey:
    """The identity of a phone across runs: its account and its inventory name."""
    return (clean(account), clean(name))


def changes(verdicts: t.Sequence[str]) -> int:
    """How often consecutive verdicts differ."""
    return sum(1 for before, after in zip(verdicts, verdicts[1:]) if before != after)


def flaps(verdicts: t.Iterable[str]) -> bool:
    """The flapping rule: the verdict changed at least FLAP_CHANGES times within the last WINDOW verdicts."""
    return changes(list(verdicts)[-WINDOW:]) >= FLAP_CHANGES


class HistoryState:
    """What a run learnt from (and did to) the history."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.runs = 0              # runs in the history after this run (this run included when it was added)
        self.started_new = False   # no usable history was found: this run starts (or would start) a new one
        self.updated = False       # this run was added
        self.problem: str | None = None  # what was wrong with the file, in words (never its content)
        self.trends: dict[PhoneKey, list[Verdict]] = {}  # phone_key -> (verdict, ok) in the last WINDOW runs, oldest first (ABSENT when not tested)
        self.run_ids: list[str] = []  # run ids of those WINDOW runs, oldest first

    def to_dict(self) -> dict[str, t.Any]:
        return dict(path=self.path, runs=self.runs, started_new=self.started_new, updated=self.updated, problem=self.problem)


def _split_runs(text: str) -> tuple[list[str], list[tuple[int, int]], str | None, bool]:
    """The lines and the runs of a history's text: (lines, [(start, end)], problem, started_new).

    ``lines[start]`` is a run line and ``lines[start + 1:end]`` its phone lines. A run cut short at the very end (fewer
    phone lines than it announces, or a last line without its line break) is dropped with a problem and the runs
    before it are kept; anything else that is not a history gives no runs, a problem and started_new."""
    if text == '':
        return [], [], 'the history file was empty', True
    lines = text.split('\n')
    if lines[0] != HEADER:
        return [], [], 'the history file is not a laaffic.voice smoke-test history (unknown first line)', True
    cut = lines.pop() != ''  # text after the last line break: a line cut short
    runs: list[tuple[int, int]] = []
    start: int | None = None
    expected = 0
    for index in range(1, len(lines)):
        line = lines[index]
        if line.startswith('P\t') and start is not None:
            continue
        fields = line.split('\t') if line.startswith('R\t') else ()
        if len(fields) != 4 or not fields[3].isdigit():
            return [], [], 'line %d of the history file is neither a run line nor a phone line of a run' % (index + 1), True
        if start is not None:
            if index - start - 1 != expected:
                return [], [], 'the run at line %d of the history file has %d phone lines, not the %d it announces' % (
                    start + 1, index - start - 1, expected), True
            runs.append((start, index))
        start, expected = index, int(fields[3])
    if start is not None:
        found = len(lines) - start - 1
        if found > expected:
            return [], [], 'the run at line %d of the history file has %d phone lines, not the %d it announces' % (
                start + 1, found, expected), True
        if found < expected or cut:
            return lines, runs, ('the last run in the history file was cut short (%d of %d phone lines); it was dropped and the %d '
                                 'complete run(s) before it were kept' % (found, expected, len(runs))), not runs
        runs.append((start, len(lines)))
    elif cut:
        return lines, runs, 'the history file was cut short in its first run', True
    return lines, runs, None, False


def _run_verdicts(lines: list[str], start: int, end: int) -> dict[PhoneKey, Verdict]:
    """phone_key -> (verdict, ok) for the phone lines of one run."""
    verdicts: dict[PhoneKey, Verdict] = {}
    for index in range(start + 1, end):
        fields = lines[index].split('\t')
        if len(fields) >= 6:
            verdicts[(fields[3], fields[4])] = (fields[1], fields[2] == '1')
    return verdicts


def _read(path: str) -> tuple[str | None, str | None]:
    """(text or None when missing, problem or None). Never raises for a file that cannot be read."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None, None
        return None, 'the history file could not be read (%s)' % (exc.strerror or exc.__class__.__name__)
    if size > MAX_BYTES:
        return '', 'the history file is larger than %d bytes' % MAX_BYTES
    try:
        with open(path, 'rb') as handle:
            data = handle.read()
    except OSError as exc:
        return None, 'the history file could not be read (%s)' % (exc.strerror or exc.__class__.__name__)
    try:
        return data.decode('utf-8'), None
    except UnicodeDecodeError:
        return '\x00', None  # fails the header check below: treated as foreign


def _move_aside(path: str) -> str:
    """Keep an unreadable history as <path>.unreadable (replacing an older one); return the words saying so."""
    try:
        os.replace(path, path + '.unreadable')
        return 'it was moved to %s' % (path + '.unreadable')
    except OSError as exc:
        return 'it could not be moved aside (%s) and will be replaced' % (exc.strerror or exc.__class__.__name__)


class _Lock:
    """An fcntl lock on <path>.lock, exclusive for writers and shared for readers."""

    def __init__(self, path: str, exclusive: bool) -> None:
        self.path = path + '.lock'
        self.exclusive = exclusive
        self.handle: t.TextIO | None = None

    def __enter__(self) -> _Lock:
        try:
            # A reader never creates the lock file (check mode writes nothing): without one, no writer is running either.
            self.handle = open(self.path, 'a' if self.exclusive else 'r')
        except OSError:
            if self.exclusive:
                raise
            return self
        if fcntl is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.handle is not None:
            if fcntl is not None:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()


def _state(path: str, lines: list[str], window_runs: list[tuple[int, int]],
           current: tuple[str, dict[PhoneKey, Verdict]] | None = None) -> HistoryState:
    """A HistoryState with the trends of the last WINDOW runs (``current``: (run id, phone_key -> (verdict, ok)))."""
    state = HistoryState(path)
    tables = [(lines[start].split('\t')[1], _run_verdicts(lines, start, end)) for start, end in window_runs]
    if current is not None:
        tables.append(current)
    tables = tables[-WINDOW:]
    state.run_ids = [run_id for run_id, _verdicts in tables]
    keys: set[PhoneKey] = set()
    for _run_id, verdicts in tables:
        keys.update(verdicts)
    state.trends = {key: [verdicts.get(key, ABSENT) for _run_id, verdicts in tables] for key in keys}
    return state


def trend_flaps(trend: t.Iterable[Verdict]) -> bool:
    """The flapping rule on a trend from HistoryState.trends (runs without the phone are skipped)."""
    return flaps([verdict for verdict, _ok in trend if verdict != '-'])


def read(path: str) -> HistoryState:
    """The history as it is, without adding a run (check mode). Never raises; a bad file is left where it is."""
    with _Lock(path, exclusive=False):
        text, problem = _read(path)
    if text is None:
        state = HistoryState(path)
        state.started_new = True
        state.problem = problem
        return state
    lines, runs, problem, started_new = _split_runs(text)
    state = _state(path, lines, runs[-WINDOW:])
    state.runs, state.problem, state.started_new = len(runs), problem, started_new
    return state


def write_atomic(path: str, content: str, mode: int = 0o644) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same directory and a rename, so that a reader
    never sees half a file (the reports and the history both use it)."""
    directory = os.path.dirname(os.path.abspath(path))
    handle = tempfile.NamedTemporaryFile('w', encoding='utf-8', dir=directory, prefix='.' + os.path.basename(path) + '.',
                                         suffix='.tmp', delete=False)
    try:
        with handle:
            handle.write(content)
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        try:
            os.unlink(handle.name)
        except OSError:
            pass
        raise


def add_run(path: str, run_id: object, finished: object, entries: t.Sequence[t.Sequence[t.Any]], keep: int = DEFAULT_KEEP) -> HistoryState:
    """Add one run to the history at ``path`` and keep the last ``keep`` runs; return the HistoryState.

    ``entries``: (verdict, ok, account, name, group) per phone. Raises OSError only when the new history cannot be
    written (the directory is not writable, the disk is full); the caller reports that instead of failing the run."""
    if keep < 1:
        raise ValueError('keep must be at least 1')
    block = ['R\t%s\t%s\t%d' % (clean(run_id), clean(finished), len(entries))]
    current: dict[PhoneKey, Verdict] = {}
    for verdict, ok, account, name, group in entries:
        verdict = clean(verdict) or '-'
        key = phone_key(account, name)
        current[key] = (verdict, bool(ok))
        block.append('P\t%s\t%s\t%s\t%s\t%s' % (verdict, '1' if ok else '0', key[0], key[1], clean(group)))
    lines: list[str]
    runs: list[tuple[int, int]]
    with _Lock(path, exclusive=True):
        text, read_problem = _read(path)
        moved = None
        if text is None:
            lines, runs, problem, started_new = [], [], read_problem, True
        else:
            lines, runs, problem, started_new = _split_runs(text)
            if started_new and text != '':
                moved = _move_aside(path)
        if moved:
            problem = '%s; %s and a new history was started' % (problem, moved)
        elif started_new and problem and 'new history' not in problem:
            problem = '%s; a new history was started' % problem
        kept = runs[-(keep - 1):] if keep > 1 else []
        state = _state(path, lines, kept[-(WINDOW - 1):] if WINDOW > 1 else [], (clean(run_id), current))
        parts = [HEADER + '\n'] + ['\n'.join(lines[start:end]) + '\n' for start, end in kept] + ['\n'.join(block) + '\n']
        write_atomic(path, ''.join(parts))
    state.runs = len(kept) + 1
    state.started_new = started_new
    state.problem = problem
    state.updated = True
    return state
