# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet history: bound, flapping rule, bad files, concurrent writers."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils import _history


def entries(verdicts, group='sales'):
    """(verdict, ok, account, name, group) for phones desk-0, desk-1, ... with the given verdicts."""
    return [(verdict, verdict == 'answered', 'acct-%d' % index, 'desk-%d' % index, group) for index, verdict in enumerate(verdicts)]


def run_ids(path):
    with open(path, encoding='utf-8') as handle:
        return [line.split('\t')[1] for line in handle if line.startswith('R\t')]


def test_missing_file_starts_a_new_history(tmp_path):
    path = str(tmp_path / 'h.history')
    state = _history.add_run(path, 'run-1', '2026-11-26T07:00:00Z', entries(['answered', 'failed']))
    assert state.started_new and state.updated and state.problem is None and state.runs == 1
    with open(path, encoding='utf-8') as handle:
        assert handle.read() == ('# laaffic.voice smoke-test history v1\nR\trun-1\t2026-11-26T07:00:00Z\t2\n'
                                 'P\tanswered\t1\tacct-0\tdesk-0\tsales\nP\tfailed\t0\tacct-1\tdesk-1\tsales\n')
    assert state.trends[('acct-1', 'desk-1')] == [('failed', False)]


def test_keeps_the_last_n_runs(tmp_path):
    path = str(tmp_path / 'h.history')
    for run in range(1, 8):
        state = _history.add_run(path, 'run-%d' % run, '2026-11-26T07:00:00Z', entries(['answered'] * 3), keep=5)
    assert state.runs == 5 and not state.started_new and state.problem is None
    assert run_ids(path) == ['run-3', 'run-4', 'run-5', 'run-6', 'run-7']
    assert _history.read(path).runs == 5


def test_flapping_rule():
    assert _history.changes(['answered', 'failed', 'answered', 'failed']) == 3
    assert _history.flaps(['answered', 'failed', 'answered', 'failed'])
    assert not _history.flaps(['answered', 'failed', 'failed', 'answered'])  # two changes
    assert not _history.flaps(['answered'] * 10)
    # Changes older than the last 10 runs do not count.
    assert not _history.flaps(['failed', 'answered', 'failed', 'answered'] + ['answered'] * 9)
    assert _history.flaps(['failed', 'answered', 'failed', 'answered'] + ['answered'] * 6)
    # Runs that did not test the phone are skipped.
    assert _history.trend_flaps([('answered', True), _history.ABSENT, ('rang', False), ('answered', True), _history.ABSENT, ('rang', False)])


def test_flapping_from_runs(tmp_path):
    path = str(tmp_path / 'h.history')
    for verdict in ('answered', 'failed', 'answered', 'failed'):
        state = _history.add_run(path, 'run-' + verdict, '2026-11-26T07:00:00Z', entries(['answered', verdict]))
    assert not _history.trend_flaps(state.trends[('acct-0', 'desk-0')])
    assert _history.trend_flaps(state.trends[('acct-1', 'desk-1')])
    assert [verdict for verdict, _ok in state.trends[('acct-1', 'desk-1')]] == ['answered', 'failed', 'answered', 'failed']
    assert len(state.run_ids) == 4


def test_window_is_ten_runs(tmp_path):
    path = str(tmp_path / 'h.history')
    for run in range(12):
        state = _history.add_run(path, 'run-%d' % run, 'now', entries(['answered' if run % 2 else 'failed']))
    assert len(state.trends[('acct-0', 'desk-0')]) == 10 and state.run_ids[-1] == 'run-11' and state.runs == 12


@pytest.mark.parametrize('content, words', [
    (b'', 'empty'),
    (b'{"runs": []}\n', 'not a laaffic.voice smoke-test history'),
    (b'\x89PNG\r\n\x1a\n\x00\x00', 'not a laaffic.voice smoke-test history'),
    (b'# laaffic.voice smoke-test history v1\nP\tanswered\t1\ta\tb\tc\n', 'line 2'),
    (b'# laaffic.voice smoke-test history v1\nR\tr1\tt\t1\nP\tfailed\t0\ta\tb\t\nP\tfailed\t0\tc\td\t\nR\tr2\tt\t0\n', 'not the 1'),
    (b'# laaffic.voice smoke-test history v1\nR\tr1\tt\tmany\n', 'line 2'),
])
def test_corrupt_or_foreign_file_starts_a_new_history(tmp_path, content, words):
    path = tmp_path / 'h.history'
    path.write_bytes(content)
    state = _history.add_run(str(path), 'run-new', 'now', entries(['answered']))
    assert state.started_new and state.updated and state.runs == 1
    assert words in state.problem and 'a new history was started' in state.problem
    assert run_ids(str(path)) == ['run-new']
    if content:
        assert (tmp_path / 'h.history.unreadable').read_bytes() == content  # kept aside, never echoed
        assert 'PNG' not in state.problem and 'runs' not in state.problem


def test_read_only_leaves_a_bad_file_alone(tmp_path):
    path = tmp_path / 'h.history'
    path.write_bytes(b'garbage\n')
    state = _history.read(str(path))
    assert state.started_new and not state.updated and 'not a laaffic.voice' in state.problem
    assert path.read_bytes() == b'garbage\n' and not (tmp_path / 'h.history.unreadable').exists()
    missing = _history.read(str(tmp_path / 'none.history'))
    assert missing.started_new and missing.problem is None and missing.runs == 0


@pytest.mark.parametrize('cut', ['mid-line', 'line-boundary'])
def test_truncated_last_run_is_dropped_and_earlier_runs_kept(tmp_path, cut):
    path = str(tmp_path / 'h.history')
    for run in range(3):
        _history.add_run(path, 'run-%d' % run, 'now', entries(['answered', 'failed', 'rang']))
    with open(path, 'rb') as handle:
        data = handle.read()
    data = data[:-7] if cut == 'mid-line' else data[:data.rindex(b'\n', 0, len(data) - 1) + 1]
    with open(path, 'wb') as handle:
        handle.write(data)
    state = _history.add_run(path, 'run-3', 'now', entries(['answered', 'failed', 'rang']))
    assert 'cut short' in state.problem and not state.started_new
    assert run_ids(path) == ['run-0', 'run-1', 'run-3'] and state.runs == 3
    assert _history.read(path).problem is None


def test_fields_cannot_break_lines(tmp_path):
    path = str(tmp_path / 'h.history')
    _history.add_run(path, 'run\n1', 'now', [('answered', True, 'acct\t1', 'desk\n1', 'sales\r')])
    state = _history.add_run(path, 'run-2', 'now', [('failed', False, 'acct\t1', 'desk\n1', 'sales\r')])
    assert state.problem is None and state.trends[('acct 1', 'desk 1')] == [('answered', True), ('failed', False)]


def _writer(path, tag, runs):
    for run in range(runs):
        _history.add_run(path, '%s-%d' % (tag, run), 'now', entries(['answered', 'failed'] * 150), keep=1000)


def test_two_runs_writing_at_once(tmp_path):
    path = str(tmp_path / 'h.history')
    context = multiprocessing.get_context('fork')
    writers = [context.Process(target=_writer, args=(path, tag, 12)) for tag in ('a', 'b')]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(60)
        assert writer.exitcode == 0
    state = _history.read(path)
    assert state.problem is None and state.runs == 24  # no run lost, no line interleaved
    ids = run_ids(path)
    assert sorted(ids) == sorted(['a-%d' % run for run in range(12)] + ['b-%d' % run for run in range(12)])
    assert [i for i in ids if i.startswith('a')] == ['a-%d' % run for run in range(12)]
    assert not [name for name in os.listdir(str(tmp_path)) if name.endswith('.tmp')]


def test_keep_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        _history.add_run(str(tmp_path / 'h'), 'r', 'now', [], keep=0)
