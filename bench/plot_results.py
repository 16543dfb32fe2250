# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn the JSON files written by the benchmark scripts into docs/benchmarks.md and docs/benchmarks.png.

Run by ``make bench-plot`` (the last of BENCH_TARGETS), after the benchmarks have written their results.

Result format
-------------
Every benchmark writes one file ``bench/results/<name>.json`` holding one JSON object::

    {
      "benchmark": "scaling",                  # optional, defaults to the file name without .json
      "title": "Test calls: collection vs uri", # optional, heading used in docs/benchmarks.md
      "description": "free text, Markdown",    # optional, printed under the heading
      "generated_at": "2026-11-26T15:40:00Z",  # optional, when the measurement ran (UTC, ISO 8601)
      "machine": {                             # free-form facts about where it ran, printed as a list
        "cpu": "AMD EPYC", "cores": 2, "python": "3.11.7", "ansible_core": "2.19.14", "os": "Linux 6.1"
      },
      "columns": {"collection_s": "laaffic_call (s)"},   # optional, header text per row key
      "rows": [                                 # one object per measurement, same keys in every row
        {"phones": 50, "collection_s": 1.9, "uri_s": 14.2, "speedup": 7.5},
        {"phones": 1000, "collection_s": 21.0, "uri_s": 281.5, "speedup": 13.4}
      ]
    }

``bench/results/scaling.json`` is the laaffic_call scaling benchmark (``bench/bench_call.py``). Its rows
carry ``phones`` (number of desk phones called in one run) and, per way of calling, the playbook's wall
time in seconds and the verification requests the emulator served (recordSip and recordSipQuery):
``collection_s``/``collection_verify`` for ``laaffic.voice.laaffic_call`` with a ``calls`` list (bulk
verification), ``per_call_s``/``per_call_verify`` for laaffic_call before bulk verification (one recordSip
per waiting call and round), ``uri_s``/``uri_verify`` for the ``ansible.builtin.uri`` way (a loop that
places each call, then a loop that polls each call's record until it rang). Any of them may be missing.
``speedup`` (``uri_s / collection_s``) is optional: when the rows lack it, the table computes it.
Extra keys are shown in the table too. Rows may set a value to null when a run was skipped.
The machine's core count is read from ``cores``, ``nproc`` or ``cpu_count`` (first found).

Every results file becomes a Markdown table in docs/benchmarks.md (a file in another format is left out
with a warning; a malformed scaling.json is an error). The scaling file also becomes
docs/benchmarks.png: two panels against the number of phones, wall time and verification requests, one
line per way of calling, both on logarithmic axes so that lines a hundredfold apart can all be read.
Nothing here measures anything: the numbers are copied from the results files as they are.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

SCALING = 'scaling'
# Ways of calling in the scaling benchmark -> (legend text, line style, time key, requests key)
SCALING_SERIES = (
    ('laaffic_call, bulk verification (one task, calls list)', '-o', 'collection_s', 'collection_verify'),
    ('laaffic_call, per-call polling (before bulk verification)', '-^', 'per_call_s', 'per_call_verify'),
    ('ansible.builtin.uri loops (place each call, then poll each record)', '--s', 'uri_s', 'uri_verify'),
)
DEFAULT_HEADERS = {
    'phones': 'Phones',
    'collection_s': 'laaffic_call (s)',
    'per_call_s': 'per-call (s)',
    'uri_s': 'uri loop (s)',
    'collection_verify': 'bulk requests',
    'per_call_verify': 'per-call requests',
    'uri_verify': 'uri requests',
    'speedup': 'uri / collection',
}


class ResultsError(Exception):
    """A results file is missing or does not follow the format described above."""


def load_file(path):
    """One results file, checked against the format above."""
    try:
        with open(path, encoding='utf-8') as handle:
            data = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ResultsError('%s: cannot read JSON (%s)' % (path, exc)) from exc
    if not isinstance(data, dict) or not isinstance(data.get('rows'), list):
        raise ResultsError('%s: expected an object with a "rows" list' % path)
    if not all(isinstance(row, dict) for row in data['rows']):
        raise ResultsError('%s: every entry of "rows" must be an object' % path)
    return data


def load_results(results_dir, warn=None):
    """Return ``[(name, data), ...]`` for every usable ``*.json`` in ``results_dir``, scaling first.

    A file in another format is reported through ``warn`` and left out, except scaling.json, which must be right."""
    found = []
    for path in sorted(glob.glob(os.path.join(results_dir, '*.json'))):
        stem = os.path.splitext(os.path.basename(path))[0]
        try:
            data = load_file(path)
        except ResultsError as exc:
            if stem == SCALING or warn is None:
                raise
            warn('%s (left out)' % exc)
            continue
        found.append((str(data.get('benchmark') or stem), data))
    found.sort(key=lambda item: (item[0] != SCALING, item[0]))
    return found


def format_value(value):
    """Render one table cell."""
    if value is None:
        return '-'
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, float):
        if value >= 100:
            return '%.0f' % value
        if value >= 10:
            return '%.1f' % value
        return '%.2f' % value
    return str(value).replace('|', '\\|')


def row_keys(rows):
    """Column order: keys in order of first appearance over all rows."""
    keys = []
    for row in rows:
        for key in row:
            if key not in keys:
                keys.append(key)
    return keys


def markdown_table(data):
    """A Markdown table of ``data['rows']``; scaling rows gain a speed-up column."""
    rows = data['rows']
    if not rows:
        return '_No rows in this results file._\n'
    keys = row_keys(rows)
    headers = dict(DEFAULT_HEADERS)
    headers.update(data.get('columns') or {})
    speedup = 'collection_s' in keys and 'uri_s' in keys and 'speedup' not in keys
    head = [headers.get(key, key) for key in keys] + (['uri / collection'] if speedup else [])
    lines = ['| ' + ' | '.join(head) + ' |', '|' + '|'.join(['---:'] * len(head)) + '|']
    for row in rows:
        cells = ['%.1fx' % row[key] if key == 'speedup' and isinstance(row.get(key), (int, float)) else format_value(row.get(key))
                 for key in keys]
        if speedup:
            col, uri = row.get('collection_s'), row.get('uri_s')
            cells.append('%.1fx' % (uri / col) if isinstance(col, (int, float)) and isinstance(uri, (int, float)) and col > 0 else '-')
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def machine_list(data):
    """The ``machine`` object as a Markdown list."""
    machine = data.get('machine') or {}
    if not machine:
        return '_The results file does not describe the machine._\n'
    return ''.join('- %s: %s\n' % (key, format_value(value)) for key, value in machine.items())


def render_markdown(results, image_name):
    """The whole docs/benchmarks.md text."""
    out = [
        '# Benchmarks\n',
        'Generated by `make bench` (`bench/plot_results.py`) from the JSON files in `bench/results/`.',
        'Do not edit by hand: run `make bench` again. The numbers are wall-clock times measured against',
        'the local LAAFFIC emulator on loopback, so they show the cost of the client side (Ansible, signing,',
        'HTTP) and not the latency of the real platform or of the phones.\n',
    ]
    for name, data in results:
        out.append('## %s\n' % (data.get('title') or name))
        if data.get('description'):
            out.append('%s\n' % data['description'])
        if data.get('generated_at'):
            out.append('Measured at %s.\n' % data['generated_at'])
        if name == SCALING and image_name:
            out.append('![Wall time and verification requests against the number of phones](%s)\n' % image_name)
        out.append(markdown_table(data))
        if any(value is None for row in data['rows'] for value in row.values()):
            out.append('A dash marks a value this run did not measure.\n')
        out.append('Machine:\n')
        out.append(machine_list(data))
    return '\n'.join(out)


def scaling_points(data, key):
    """``(phones, value)`` pairs of one series, skipping rows without a positive number (a log axis cannot show the rest)."""
    points = []
    for row in data['rows']:
        phones, value = row.get('phones'), row.get(key)
        if isinstance(phones, (int, float)) and isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            points.append((phones, value))
    return sorted(points)


def plot_scaling(data, path):
    """Write the chart (wall time and verification requests against phones, log axes); return False if there is nothing to draw."""
    panels = [('seconds', 2), ('recordSip + recordSipQuery requests', 3)]
    drawn = [[(series[0], series[1], scaling_points(data, series[index])) for series in SCALING_SERIES] for dummy, index in panels]
    if not any(points for panel in drawn for dummy, dummy2, points in panel):
        return False
    import matplotlib  # pylint: disable=import-outside-toplevel
    matplotlib.use('Agg')
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel
    from matplotlib.ticker import ScalarFormatter  # pylint: disable=import-outside-toplevel

    fig, axes = pyplot.subplots(1, 2, figsize=(12, 5), dpi=100)
    phones = sorted(set(p for panel in drawn for dummy, dummy2, points in panel for p, dummy3 in points))
    for axis, (ylabel, dummy), series in zip(axes, panels, drawn):
        for label, style, points in series:
            if points:
                axis.plot([p[0] for p in points], [p[1] for p in points], style, label=label)
                axis.annotate(format_value(points[-1][1]), points[-1], textcoords='offset points', xytext=(4, 0), fontsize=8, va='center')
        axis.set_xscale('log')
        axis.set_yscale('log')
        axis.set_xticks(phones)
        axis.get_xaxis().set_major_formatter(ScalarFormatter())
        axis.minorticks_off()
        axis.set_xlabel('desk phones called in one run')
        axis.set_ylabel(ylabel + ', log scale')
        axis.grid(True, which='major', alpha=0.3)
    axes[0].set_title('Wall time of the playbook')
    axes[1].set_title('Verification requests the emulator served')
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc='lower center', ncol=len(labels), fontsize=8, frameon=False)
    machine = data.get('machine') or {}
    cores = machine.get('cores') or machine.get('nproc') or machine.get('cpu_count')
    facts = ', '.join(str(value) for value in (machine.get('cpu_model'), '%s cores' % cores if cores else None,
                                               machine.get('python') and 'Python %s' % machine['python'], machine.get('ansible_core'))
                      if value)
    fig.suptitle('%s%s' % (data.get('title') or 'Test calls against the emulator', ('\n' + facts) if facts else ''), fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, metadata={'Software': None})
    pyplot.close(fig)
    return True


def main(argv=None):
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--results', default=os.path.join(HERE, 'results'), help='folder of *.json results')
    parser.add_argument('--markdown', default=os.path.join(ROOT, 'docs', 'benchmarks.md'))
    parser.add_argument('--image', default=os.path.join(ROOT, 'docs', 'benchmarks.png'))
    args = parser.parse_args(argv)

    try:
        results = load_results(args.results, warn=lambda text: print('plot_results: warning: %s' % text, file=sys.stderr))
    except ResultsError as exc:
        print('plot_results: %s' % exc, file=sys.stderr)
        return 1
    if not results:
        print('plot_results: no *.json in %s: run the benchmarks first (make bench)' % args.results, file=sys.stderr)
        return 1

    image_name = None
    scaling = dict(results).get(SCALING)
    if scaling is not None and plot_scaling(scaling, args.image):
        image_name = os.path.relpath(args.image, os.path.dirname(os.path.abspath(args.markdown)))
        print('plot_results: wrote %s' % args.image)
    with open(args.markdown, 'w', encoding='utf-8') as handle:
        handle.write(render_markdown(results, image_name))
    print('plot_results: wrote %s from %d results file(s)' % (args.markdown, len(results)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
