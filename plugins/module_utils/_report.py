# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The reports of the desk phone smoke test: JUnit XML, a self-contained HTML page and the console summary.

Rows (one per phone: the phone's fields plus laaffic_call's ``calls[]`` entry) are shown phones that fell short
first, then by verdict, then in natural order of the name shown (``desk-2`` before ``desk-10``). Every time is
shown in UTC (``2026-11-26 07:30:02``); a time that cannot be read, or that carries no zone, is shown as given.
"""

from __future__ import annotations

import os
import re
import typing as t
from datetime import datetime, timezone

from ansible_collections.laaffic.voice.plugins.module_utils import _history
from ansible_collections.laaffic.voice.plugins.module_utils._report_page import HTML_HEAD, HTML_SCRIPT
from ansible_collections.laaffic.voice.plugins.module_utils._time import parse_platform_time

VERDICT_ORDER = ('failed', 'rejected', 'timeout', 'unknown', 'accepted', 'rang', 'answered')
_VERDICT_RANK: dict[str | None, int] = {verdict: rank for rank, verdict in enumerate(VERDICT_ORDER)}
TREND_LETTERS = {'answered': 'A', 'rang': 'R', 'accepted': 'C', 'failed': 'F', 'rejected': 'X', 'timeout': 'T', 'unknown': 'U', '-': '·'}
# Characters XML 1.0 cannot carry (dropped): C0 controls but tab, line feed and carriage return; DEL; surrogates; U+FFFE/U+FFFF.
_XML_BAD = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]')
_BODY_SPECIAL = re.compile('[&<>\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]')
_ATTR_SPECIAL = re.compile('[&<>"\'\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]')
_DIGITS = re.compile(r'(\d+)')
# The verdict's own time, for the JUnit test case's time (seconds from submit_time to it).
VERDICT_TIME: dict[str | None, str] = {'answered': 'answer_time', 'rang': 'ringing_time', 'failed': 'hangup_time'}
CHUNK = 100  # rows per table of the HTML report
_COLGROUP = ('<colgroup><col class="c-phone"><col class="c-account"><col class="c-group"><col class="c-callee"><col class="c-expect">'
             '<col class="c-verdict"><col class="c-trend"><col class="c-time"><col class="c-time"><col class="c-time"><col class="c-voice">'
             '<col class="c-reason"></colgroup>')
LIST_ALL_UP_TO = 50  # the console summary lists every phone up to this many phones, else the short and flapping ones
LIST_AT_MOST = 100


_BAD_CHARS: dict[int, str | None] = dict.fromkeys(list(range(0x00, 0x09)) + [0x0b, 0x0c] + list(range(0x0e, 0x20)) + [0x7f]
                                                  + list(range(0xd800, 0xe000)) + [0xfffe, 0xffff])
# str.translate tables (code point -> replacement); '&', '<' and '>' come as text first, then as code points.
_BODY: dict[t.Any, str | None] = dict(_BAD_CHARS, **{'&': '&amp;', '<': '&lt;', '>': '&gt;'})
_BODY = {ord(key) if isinstance(key, str) else key: value for key, value in _BODY.items()}
_ATTR = dict(_BODY)
_ATTR.update({ord('"'): '&#34;', ord("'"): '&#39;', ord('\n'): '&#10;', ord('\r'): '&#13;', ord('\t'): '&#9;'})


def text(value: object) -> str:
    """A value as text for a report, without the characters XML 1.0 cannot carry ('' for None)."""
    if value is None:
        return ''
    value = value if isinstance(value, str) else str(value)
    return value.translate(_BAD_CHARS) if _XML_BAD.search(value) else value


def escape(value: object) -> str:
    """Text escaped for XML and HTML element content and double- or single-quoted attributes."""
    if value is None:
        return ''
    value = value if isinstance(value, str) else str(value)
    return value.translate(_ATTR) if _ATTR_SPECIAL.search(value) else value


def escape_body(value: object) -> str:
    """Text escaped for element content (line breaks kept)."""
    if value is None:
        return ''
    value = value if isinstance(value, str) else str(value)
    return value.translate(_BODY) if _BODY_SPECIAL.search(value) else value


def natural_key(value: object) -> tuple[tuple[int, int, str], ...]:
    """Sort key of natural order: digit runs compare as numbers, the rest without case."""
    parts = _DIGITS.split(text(value).casefold())
    return tuple((0, int(part), '') if index % 2 else (1, 0, part) for index, part in enumerate(parts) if part != '' or index == 0)


def parse_time(value: object) -> datetime | None:
    """An aware datetime from ISO-8601 text (``Z`` or an offset) or the platform's ``%Y-%m-%d %H:%M:%S``; text without
    an offset is in the platform's zone (UTC+8, see _time). None when absent or unreadable."""
    if value is None or value == '':
        return None
    try:
        return parse_platform_time(str(value))
    except ValueError:
        return None


_SHOWN: dict[str | None, tuple[str, str]] = {}


def _utc(value: object) -> tuple[str, str]:
    """(shown text, ISO UTC text) of a time, remembered: the times of a run repeat."""
    key = value if isinstance(value, str) or value is None else str(value)
    known = _SHOWN.get(key)
    if known is None:
        moment = parse_time(key)
        if moment is None:
            shown = text(key).strip()
            known = (shown, shown)
        else:
            moment = moment.astimezone(timezone.utc)
            shown = '%04d-%02d-%02d %02d:%02d:%02d' % (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
            known = (shown, shown.replace(' ', 'T') + 'Z')
        if len(_SHOWN) > 100000:
            _SHOWN.clear()
        _SHOWN[key] = known
    return known


def utc_text(value: object) -> str:
    """A time as shown in the reports: UTC without the zone (the header names it), or the text as given."""
    return _utc(value)[0]


def utc_iso(value: object) -> str:
    """A time as ISO-8601 UTC with Z, or the text as given."""
    return _utc(value)[1]


_ISO_IN_TEXT = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)')


def zoned(value: object) -> str:
    """Free text (a reason) with the ISO-8601 times in it given in UTC, as everywhere in the reports."""
    value = text(value)
    if 'T' not in value or not _ISO_IN_TEXT.search(value):
        return value
    return _ISO_IN_TEXT.sub(lambda match: utc_text(match.group(0)) + ' UTC', value)


def case_seconds(row: dict[str, t.Any]) -> float:
    """The JUnit time of a phone: seconds from submit_time to the verdict's time (answer_time for answered,
    ringing_time for rang, hangup_time for failed); 0 for other verdicts and when a time is missing or unreadable."""
    field = VERDICT_TIME.get(row.get('verdict'))
    if field is None:
        return 0.0
    start, end = parse_time(row.get('submit_time')), parse_time(row.get(field))
    if start is None or end is None:
        return 0.0
    return max(0.0, (end - start).total_seconds())


def flatten(prefix: str, value: object) -> list[tuple[str, str]]:
    """(name, text) pairs of a nested dict, names joined with dots: summary.requests.place."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key in sorted(value, key=str):
            pairs.extend(flatten('%s.%s' % (prefix, key), value[key]))
        return pairs
    if isinstance(value, (list, tuple)):
        return [(prefix, ', '.join(text(item) for item in value))]
    if isinstance(value, bool):
        return [(prefix, 'true' if value else 'false')]
    return [(prefix, text(value))]


class Phone:
    """One row of the reports."""

    __slots__ = ('row', 'name', 'shown', 'account', 'group', 'verdict', 'ok', 'kind', 'css', 'trend', 'flapping', 'key')

    def __init__(self, row: dict[str, t.Any], check_mode: bool) -> None:
        self.row = row
        self.name = text(row.get('name'))
        self.account = text(row.get('account'))
        phone_name = text(row.get('phone_name'))
        self.shown = phone_name if phone_name and (self.name == self.account or not self.name) else (self.name or self.account)
        self.group = text(row.get('group'))
        verdict = row.get('verdict')
        self.verdict: str | None = None if check_mode or verdict is None else text(verdict)
        self.ok = bool(row.get('ok')) and self.verdict is not None
        if self.verdict is None:
            self.kind, self.css = 'none', 'none'
        elif self.ok:
            self.kind, self.css = 'ok', 'ok'
        else:
            self.kind = 'short'
            self.css = 'amber' if self.verdict in ('accepted', 'rang') else 'bad'
        self.trend: list[_history.Verdict] = []
        self.flapping = False
        self.key = _history.phone_key(self.account, self.name)

    def sort_key(self) -> tuple[int, int, tuple[tuple[int, int, str], ...], tuple[tuple[int, int, str], ...]]:
        rank = {'short': 0, 'ok': 1, 'none': 2}[self.kind]
        return (rank, _VERDICT_RANK.get(self.verdict, len(VERDICT_ORDER)), natural_key(self.shown), natural_key(self.account))


class Report:
    """The rows of a run, sorted, with their trends; renders the three reports."""

    def __init__(self, rows: t.Iterable[object], run_id: object = None, check_mode: bool = False, summary: object = None,
                 finished: object = None, history: _history.HistoryState | None = None) -> None:
        self.run_id = text(run_id)
        self.check_mode = bool(check_mode)
        self.summary: dict[str, t.Any] = summary if isinstance(summary, dict) else {}
        self.finished = utc_iso(finished)
        self.history = history
        phones = [Phone(row if isinstance(row, dict) else {}, self.check_mode) for row in rows]
        phones.sort(key=Phone.sort_key)
        self.phones = phones
        self.short = [phone for phone in phones if phone.kind == 'short']
        self.flapping: list[Phone] = []
        if history is not None:
            self.set_history(history)
        self.passed = self.check_mode or not self.short
        groups: dict[str, list[Phone]] = {}
        for phone in phones:
            groups.setdefault(phone.group, []).append(phone)
        self.groups = [(name, groups[name]) for name in sorted(groups, key=natural_key)]

    def set_history(self, history: _history.HistoryState) -> None:
        """Take each phone's trend from a HistoryState and mark the phones that flap."""
        self.history = history
        for phone in self.phones:
            phone.trend = history.trends.get(phone.key, [])
            phone.flapping = _history.trend_flaps(phone.trend)
        self.flapping = [phone for phone in self.phones if phone.flapping]

    def counts(self) -> dict[str, int]:
        counts = {verdict: 0 for verdict in VERDICT_ORDER}
        for phone in self.phones:
            if phone.verdict in counts:
                counts[phone.verdict] += 1
        return counts

    # JUnit XML -------------------------------------------------------------------------------------------------

    def junit(self) -> str:
        """JUnit XML: one testsuite per phone group (name = the group, ``(no group)`` for phones without one)."""
        out: list[str] = []
        failures = 0 if self.check_mode else len(self.short)
        skipped = len(self.phones) if self.check_mode else 0
        total_time = sum(case_seconds(phone.row) for phone in self.phones if phone.verdict is not None)
        out.append('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.append('<testsuites name="desk_phone_smoke_test" tests="%d" failures="%d" errors="0" skipped="%d" time="%.3f">\n'
                   % (len(self.phones), failures, skipped, total_time))
        properties = [('run_id', self.run_id), ('finished', self.finished), ('check_mode', 'true' if self.check_mode else 'false')]
        properties.extend(flatten('summary', self.summary))
        property_xml = ''.join('      <property name="%s" value="%s"/>\n' % (escape(name), escape(value)) for name, value in properties)
        for group, phones in self.groups:
            suite = group or '(no group)'
            classname = 'desk_phone_smoke_test.%s' % suite if group else 'desk_phone_smoke_test'
            short = 0 if self.check_mode else sum(1 for phone in phones if phone.kind == 'short')
            times = [0.0 if self.check_mode else case_seconds(phone.row) for phone in phones]
            out.append('  <testsuite name="%s" tests="%d" failures="%d" errors="0" skipped="%d" time="%.3f" timestamp="%s" hostname="localhost">\n'
                       % (escape(suite), len(phones), short, len(phones) if self.check_mode else 0, sum(times), escape(self.finished)))
            out.append('    <properties>\n')
            out.append(property_xml)
            out.append('    </properties>\n')
            for phone, seconds in zip(phones, times):
                self._junit_case(out, phone, classname, seconds)
            out.append('  </testsuite>\n')
        out.append('</testsuites>\n')
        return ''.join(out)

    def _junit_case(self, out: list[str], phone: Phone, classname: str, seconds: float) -> None:
        row = phone.row
        out.append('    <testcase classname="%s" name="%s" time="%.3f">\n' % (escape(classname), escape('%s [%s]' % (phone.name, phone.account)), seconds))
        out.append('      <properties>\n        <property name="voice_id" value="%s"/>\n        <property name="group" value="%s"/>\n'
                   '      </properties>\n' % (escape(row.get('voice_id')), escape(phone.group)))
        verdict = phone.verdict or 'none'
        if self.check_mode:
            out.append('      <skipped message="check mode: no call placed"/>\n')
        elif phone.kind == 'short':
            reason = zoned(row.get('reason'))
            message = 'verdict %s, expected %s%s' % (verdict, text(row.get('expect')), (': ' + reason) if reason else '')
            detail = '\n'.join((
                'phone: %s' % phone.name,
                'phone name: %s' % text(row.get('phone_name')),
                'account: %s' % phone.account,
                'group: %s' % phone.group,
                'callee: %s' % text(row.get('callee')),
                'expect: %s' % text(row.get('expect')),
                'verdict: %s' % verdict,
                'voice_id: %s' % text(row.get('voice_id')),
                'reason: %s' % reason,
                'remedy: %s' % text(row.get('remedy')),
                'api_status: %s' % text(row.get('api_status')),
                'termination: %s %s' % (text(row.get('termination_code')), text(row.get('termination_reason'))),
                'sip_code: %s' % text(row.get('sip_code')),
            ))
            out.append('      <failure type="%s" message="%s">%s</failure>\n' % (escape(verdict), escape(message), escape_body(detail)))
        out.append('      <system-out>%s</system-out>\n    </testcase>\n' % escape_body(
            'voice_id=%s verdict=%s submit=%s ringing=%s answer=%s hangup=%s (UTC)' % (
                text(row.get('voice_id')), phone.verdict or '', utc_iso(row.get('submit_time')), utc_iso(row.get('ringing_time')),
                utc_iso(row.get('answer_time')), utc_iso(row.get('hangup_time')))))

    # HTML ------------------------------------------------------------------------------------------------------

    def html(self, history_state: _history.HistoryState | None = None) -> str:
        """The self-contained HTML report (inline style and script, nothing fetched)."""
        counts = self.counts()
        state = history_state or self.history
        out = [HTML_HEAD % {'title': escape('Desk phone smoke test %s' % self.run_id)}]
        check = ' &middot; check mode: no call placed' if self.check_mode else ''
        out.append('<h1>Desk phone smoke test</h1>\n<p class="meta">Run <code>%s</code> &middot; finished %s UTC%s &middot; '
                   '<b>all times in UTC</b></p>\n' % (escape(self.run_id), escape(utc_text(self.finished)), check))
        out.append('<p class="totals">')
        if not self.check_mode:
            out.append('<span class="%s">%s</span>' % (('pass', 'PASSED') if self.passed else ('fail', 'FAILED')))
        out.append('<span>%d phone(s)</span><span>%d ok</span><span>%d short</span><span>%d flapping</span>'
                   % (len(self.phones), sum(1 for phone in self.phones if phone.kind == 'ok'), len(self.short), len(self.flapping)))
        verdicts = ('accepted', 'rang', 'answered', 'failed', 'rejected', 'timeout', 'unknown')
        out.append(''.join('<span>%s: %d</span>' % (verdict, counts[verdict]) for verdict in verdicts))
        out.append('</p>\n')
        out.append(self._history_note(state))
        out.append(self._group_table())
        out.append('<div class="top">\n<form id="filters" class="filters" onsubmit="return false">\n<label>Show <select id="f-verdict">'
                   '<option value="">all phones</option><option value="short">fell short</option><option value="ok">ok</option>'
                   '<option value="flapping">flapping</option>')
        out.append(''.join('<option value="%s">%s</option>' % (verdict, verdict) for verdict in VERDICT_ORDER))
        out.append('</select></label>\n<label>Group <select id="f-group"><option value="*">all groups</option>')
        out.append(''.join('<option value="%s">%s</option>' % (escape(group), escape(group) if group else '(no group)')
                           for group, _phones in self.groups))
        out.append('</select></label>\n<label>Search <input id="f-q" type="search" placeholder="name or account" size="24"></label>\n'
                   '<span id="f-count">%d of %d phones</span>\n</form>\n' % (len(self.phones), len(self.phones)))
        # The header is a table of its own, and the rows come in tables of CHUNK rows with the same fixed column widths:
        # the browser lays out and paints only the chunks near the screen (content-visibility), which keeps 10,000 rows quick.
        out.append('<table class="phones head">%s<thead><tr><th>Phone</th><th>Account</th>'
                   '<th>Group</th><th>Callee</th><th>Expect</th><th>Verdict</th><th title="oldest first">Last %d runs</th>'
                   '<th>Submitted (UTC)</th><th>Rang (UTC)</th><th>Answered (UTC)</th><th>Voice ID</th><th>Reason</th></tr></thead></table>\n'
                   '</div>\n<div id="phones">\n' % (_COLGROUP, _history.WINDOW))
        for first in range(0, len(self.phones), CHUNK):
            out.append('<div class="chunk"><table class="phones">%s<tbody>\n' % _COLGROUP)
            out.extend(self._html_row(phone) for phone in self.phones[first:first + CHUNK])
            out.append('</tbody></table></div>\n')
        out.append('</div>\n<p class="legend">Last runs: A answered, R rang, C accepted, F failed, X rejected, T timeout, '
                   'U unknown, &middot; not tested; lower case = fell short of its expectation, oldest first. A phone <b>flaps</b> when its '
                   'verdict changed at least %d times in the last %d runs.</p>\n' % (_history.FLAP_CHANGES, _history.WINDOW))
        out.append(HTML_SCRIPT)
        out.append('</body>\n</html>\n')
        return ''.join(out)

    def _history_note(self, state: _history.HistoryState | None) -> str:
        if state is None:
            return ''
        words = ['History: %d run(s) kept in <code>%s</code>' % (state.runs, escape_body(state.path))]
        if state.started_new:
            words.append('this run starts a new history' if state.updated else 'no history yet')
        if not state.updated:
            words.append('this run was not added (check mode)' if self.check_mode else 'this run was not added')
        note = '<p class="history">%s.</p>\n' % '; '.join(words)
        if state.problem:
            note += '<p class="warn">History problem: %s.</p>\n' % escape_body(state.problem)
        return note

    def _group_table(self) -> str:
        if len(self.groups) < 2:
            return ''
        out = ['<details class="groups" open><summary>%d phone groups</summary>\n<table class="groups"><thead><tr><th>Group</th>'
               '<th>Phones</th><th>ok</th><th>short</th><th>flapping</th></tr></thead><tbody>\n' % len(self.groups)]
        for group, phones in self.groups:
            short = sum(1 for phone in phones if phone.kind == 'short')
            out.append('<tr%s><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td></tr>\n' % (
                ' class="bad"' if short else '', escape_body(group) if group else '(no group)', len(phones),
                sum(1 for phone in phones if phone.kind == 'ok'), short, sum(1 for phone in phones if phone.flapping)))
        out.append('</tbody></table></details>\n')
        return ''.join(out)

    def _html_row(self, phone: Phone) -> str:
        row = phone.row
        trend = ''.join(TREND_LETTERS.get(verdict, '?') if ok else TREND_LETTERS.get(verdict, '?').lower() for verdict, ok in phone.trend)
        search = ' '.join(value for value in (phone.name, phone.account, text(row.get('phone_name'))) if value).casefold()
        trend_title = ', '.join(verdict if ok else verdict + ' (short)' for verdict, ok in phone.trend)
        reason = escape_body(zoned(row.get('reason')))
        if row.get('remedy'):
            reason += '<br><small>%s</small>' % escape_body(row.get('remedy'))
        return ('<tr class="%s%s" data-k="%s" data-v="%s" data-g="%s" data-s="%s"><td>%s%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>'
                '<td class="verdict">%s</td><td class="trend" title="%s">%s</td><td>%s</td><td>%s</td><td>%s</td><td class="voice">%s</td>'
                '<td>%s</td></tr>\n' % (
                    phone.css, ' flap' if phone.flapping else '', phone.kind, escape(phone.verdict or ''), escape(phone.group), escape(search),
                    escape_body(phone.shown), ' <span class="badge">flapping</span>' if phone.flapping else '',
                    escape_body(phone.account), escape_body(phone.group), escape_body(row.get('callee')), escape_body(row.get('expect')),
                    escape_body(phone.verdict or '-'), escape(trend_title), escape_body(trend),
                    escape_body(utc_text(row.get('submit_time'))), escape_body(utc_text(row.get('ringing_time'))),
                    escape_body(utc_text(row.get('answer_time'))), escape_body(row.get('voice_id')), reason))

    # Console ---------------------------------------------------------------------------------------------------

    def summary_lines(self, junit_path: str | None = None, html_path: str | None = None, written: bool = True,
                      history_state: _history.HistoryState | None = None) -> list[str]:
        """The console summary: every phone up to LIST_ALL_UP_TO phones, else the short and flapping ones."""
        state = history_state or self.history
        listed = self.phones if len(self.phones) <= LIST_ALL_UP_TO else [phone for phone in self.phones if phone.kind == 'short' or phone.flapping]
        more = max(0, len(listed) - LIST_AT_MOST)
        listed = listed[:LIST_AT_MOST]
        w_name = max([5] + [len(phone.name) for phone in listed])
        w_acct = max([7] + [len(phone.account) for phone in listed])
        fmt = '%-4s %-' + str(w_name) + 's %-' + str(w_acct) + 's %-9s %-9s %s'
        lines = ['Desk phone smoke test, run %s%s' % (self.run_id or '-', ' (check mode: no call placed)' if self.check_mode else '')]
        if len(self.phones) > LIST_ALL_UP_TO:
            lines.append('Phones that fell short or flap (%d phones in all; every phone is in the reports):' % len(self.phones))
        lines.append(fmt % ('', 'PHONE', 'ACCOUNT', 'EXPECT', 'VERDICT', 'REASON'))
        for phone in listed:
            status = '-' if self.check_mode else ('OK' if phone.ok else 'FAIL')
            reason = zoned(phone.row.get('reason')) + (' [flapping]' if phone.flapping else '')
            lines.append((fmt % (status, phone.name, phone.account, text(phone.row.get('expect')), phone.verdict or '-', reason)).rstrip())
        if more:
            lines.append('... and %d more' % more)
        counts = self.counts()
        summary = self.summary
        lines.append('%d phone(s): %d ok, %d short, %d flapping, %s' % (
            len(self.phones), sum(1 for phone in self.phones if phone.kind == 'ok'), len(self.short), len(self.flapping),
            ', '.join('%s %s' % (verdict, text(summary.get(verdict, counts[verdict]))) for verdict in
                      ('accepted', 'rang', 'answered', 'failed', 'rejected', 'timeout', 'unknown'))))
        if state is not None:
            lines.append('History: %d run(s) in %s%s' % (state.runs, state.path, '' if state.updated else ' (this run not added)'))
            if state.problem:
                lines.append('History problem: %s' % state.problem)
        if written:
            lines.append('JUnit report: %s' % junit_path)
            lines.append('HTML report:  %s' % html_path)
        else:
            lines.append('Reports are not written in check mode.')
        return lines


ARGUMENT_SPEC = dict(
    rows=dict(type='list', elements='dict'),
    rows_var=dict(type='str'),
    run_id=dict(type='str'),
    check_mode=dict(type='bool', default=False),
    summary=dict(type='dict', default={}),
    finished=dict(type='str'),
    report_dir=dict(type='path', required=True),
    report_name=dict(type='str', default='desk-phone-smoke-test'),
    history=dict(type='path'),
    history_keep=dict(type='int', default=30),
    write_in_check_mode=dict(type='bool', default=False),
)


class ReportError(Exception):
    """The reports could not be written: ``message`` and the result to fail with."""

    def __init__(self, message: str, **result: t.Any) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


def history_entries(report: Report) -> list[tuple[str | None, bool, str, str, str]]:
    """(verdict, ok, account, name, group) per phone: all the history keeps."""
    return [(phone.verdict, phone.ok, phone.account, phone.name, phone.group) for phone in report.phones]


def history_state(path: str, report: Report, add: bool, keep: int) -> _history.HistoryState:
    """The history's state; adds the run when ``add``. Never raises: what went wrong is the state's problem."""
    try:
        if add:
            return _history.add_run(path, report.run_id, report.finished, history_entries(report), keep=keep)
        return _history.read(path)
    except (OSError, ValueError) as exc:
        state = _history.HistoryState(path)
        state.problem = 'the history could not be %s (%s)' % ('updated' if add else 'read', getattr(exc, 'strerror', None) or exc.__class__.__name__)
        return state


def produce(params: dict[str, t.Any], check_mode: bool) -> dict[str, t.Any]:
    """Everything laaffic_smoke_report does, for its module and its action plugin: ``params`` are the validated
    options, ``check_mode`` Ansible's. Returns the result; raises ReportError when a report cannot be written."""
    if params.get('rows_var') is not None:
        raise ReportError('rows_var: only the action plugin can read a variable; give rows, or run the task through Ansible')
    if params.get('rows') is None:
        raise ReportError('rows: required, a list of dicts (one per phone)')
    name = params['report_name']
    if not name or '/' in name or name in ('.', '..') or '\x00' in name:
        raise ReportError('report_name: must be a file name without "/", got %r' % (name,))
    if not 1 <= params['history_keep'] <= 1000:
        raise ReportError('history_keep: must be between 1 and 1000, got %d' % params['history_keep'])
    report_dir = params['report_dir']
    junit_path = os.path.join(report_dir, name + '.junit.xml')
    html_path = os.path.join(report_dir, name + '.html')
    history_path = params['history'] or os.path.join(report_dir, name + '.history')
    finished = params['finished'] or datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    write = not check_mode or bool(params['write_in_check_mode'])
    add = not check_mode and not params['check_mode']

    report = Report(params['rows'], run_id=params['run_id'], check_mode=params['check_mode'], summary=params['summary'], finished=finished)
    if write or add:
        try:
            os.makedirs(report_dir, mode=0o755, exist_ok=True)
        except OSError as exc:
            raise ReportError('Cannot create the report directory %s: %s' % (report_dir, exc.strerror or exc)) from None
    state = history_state(history_path, report, add, params['history_keep'])
    report.set_history(state)
    if write:
        for path, content in ((junit_path, report.junit()), (html_path, report.html(state))):
            try:
                _history.write_atomic(path, content)
            except OSError as exc:
                raise ReportError('Cannot write the report %s: %s' % (path, exc.strerror or exc), history=state.to_dict()) from None
    return dict(
        changed=write or state.updated,
        junit_report=junit_path,
        html_report=html_path,
        written=write,
        flapping=[phone.name for phone in report.flapping],
        short=[phone.name for phone in report.short],
        history=state.to_dict(),
        summary_lines=report.summary_lines(junit_path, html_path, written=write, history_state=state),
    )
