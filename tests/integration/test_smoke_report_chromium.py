# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The HTML report's filters and search, run by headless Chromium (skipped where Chromium is absent;
devtools/ensure_chromium.sh installs it). The filter comes from the URL fragment, the DOM is dumped after the
inline script ran, and the rows left visible are read from it."""

from __future__ import annotations

import re

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils._report import Report
from devtools import chromium

pytestmark = pytest.mark.skipif(chromium.find() is None, reason='headless Chromium not installed (devtools/ensure_chromium.sh)')

VERDICTS = ['answered', 'answered', 'failed', 'rang', 'rejected', 'answered']
ROWS = [dict(name='desk-%d' % n, account='acct-%03d' % n, phone_name='Room %d' % n, group=('sales', 'support', '', 'sales', 'support')[n % 5],
             expect='answered', verdict=VERDICTS[n % len(VERDICTS)], ok=VERDICTS[n % len(VERDICTS)] == 'answered', voice_id='v%d' % n)
        for n in range(1, 25)]
ROW = re.compile(r'<tr( [^>]*data-k=[^>]*)><td>([^<]*)')


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp('chromium') / 'report.html'
    path.write_text(Report(ROWS, run_id='run-1').html(), encoding='utf-8')
    return str(path)


def visible(report, fragment):
    dom, _seconds = chromium.dump_dom(report, fragment)
    rows = ROW.findall(dom)
    assert len(rows) == len(ROWS), dom[:2000]
    shown = [name for attributes, name in rows if ' hidden=' not in attributes]
    assert re.search(r'id="f-count">%d of %d phones<' % (len(shown), len(ROWS)), dom)
    return shown


def expected(keep):
    return [phone.shown for phone in Report(ROWS).phones if keep(phone.row)]


# Each case starts Chromium once (about a second): three cover verdict, fell short, group, no group and search.
@pytest.mark.parametrize('fragment, keep', [
    ('verdict=failed&group=sales', lambda row: row['verdict'] == 'failed' and row['group'] == 'sales'),
    ('verdict=short&group=', lambda row: not row['ok'] and row['group'] == ''),
    ('q=ROOM%201&verdict=ok', lambda row: row['ok'] and row['phone_name'].lower().startswith('room 1')),
])
def test_filter_and_search_in_headless_chromium(report, fragment, keep):
    shown = visible(report, fragment)
    assert shown == expected(keep) and 0 < len(shown) < len(ROWS)
