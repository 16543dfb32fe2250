# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""The fixed parts of the smoke test's HTML report: its head (title, style) and its inline script (filters and
search). _report.py writes the rows between them."""

from __future__ import annotations

HTML_HEAD = '''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%(title)s</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.2em; color: #222; }
  h1 { font-size: 1.4em; margin: 0 0 0.2em; }
  p.meta, p.history, p.legend { color: #555; margin: 0.3em 0; }
  p.warn { background: #fde9b8; border: 1px solid #d9a400; padding: 0.4em 0.6em; }
  code { font-size: 0.95em; }
  .totals span { display: inline-block; margin-right: 1em; }
  .pass { color: #1a7f1a; font-weight: bold; }
  .fail { color: #b00020; font-weight: bold; }
  details.groups { margin: 0.5em 0; }
  table.groups { width: auto; max-height: 20em; }
  .top { position: sticky; top: 0; background: #fff; z-index: 2; }
  .filters { padding: 0.5em 0; }
  .filters label { margin-right: 1em; }
  #f-count { color: #555; }
  table { border-collapse: collapse; width: 100%%; font-size: 0.82em; }
  table.phones { table-layout: fixed; }
  table.head { border-bottom: 2px solid #888; }
  .chunk { content-visibility: auto; contain-intrinsic-size: auto 2600px; }
  .chunk[hidden] { display: none; }
  .chunk table { margin-top: -1px; }
  th, td { border: 1px solid #bbb; padding: 0.25em 0.4em; text-align: left; vertical-align: top; overflow-wrap: break-word; }
  th { background: #eee; }
  col.c-phone { width: 11%%; } col.c-account { width: 8%%; } col.c-group { width: 7%%; } col.c-callee { width: 8.5%%; }
  col.c-expect { width: 6.5%%; } col.c-verdict { width: 6.5%%; } col.c-trend { width: 7.5%%; } col.c-time { width: 7.5%%; }
  col.c-voice { width: 11%%; } col.c-reason { width: 11.5%%; }
  tr.ok td { background: #d9f2d9; }
  tr.amber td { background: #fde9b8; }
  tr.bad td { background: #f6cccc; }
  tr.none td { background: #eeeeee; }
  td.verdict { font-weight: bold; }
  td.trend, td.voice { font-family: ui-monospace, monospace; }
  td.trend { white-space: nowrap; overflow: hidden; }
  .badge { background: #7a1fa2; color: #fff; border-radius: 0.6em; padding: 0 0.45em; font-size: 0.8em; white-space: nowrap; }
  tr[hidden] { display: none; }
</style>
</head>
<body>
'''

# Filter by kind or verdict, by group, and search by name or account; the state lives in the URL fragment
# (#verdict=short&group=sales&q=desk-1), so a filtered view can be linked to and opened from a file.
HTML_SCRIPT = '''<script>
(function () {
  var rows = document.querySelectorAll('#phones tr'), chunks = document.querySelectorAll('#phones .chunk');
  var verdict = document.getElementById('f-verdict'), group = document.getElementById('f-group'), query = document.getElementById('f-q');
  var count = document.getElementById('f-count');
  function apply() {
    var v = verdict.value, g = group.value, q = query.value.trim().toLowerCase(), shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], d = r.dataset;
      var ok = (v === '' || (v === 'short' || v === 'ok' ? d.k === v : v === 'flapping' ? r.classList.contains('flap') : d.v === v))
        && (g === '*' || d.g === g) && (q === '' || d.s.indexOf(q) !== -1);
      if (r.hidden === ok) { r.hidden = !ok; }
      if (ok) { shown++; }
    }
    for (var c = 0; c < chunks.length; c++) {
      var empty = chunks[c].querySelector('tr:not([hidden])') === null;
      if (chunks[c].hidden !== empty) { chunks[c].hidden = empty; }
    }
    count.textContent = shown + ' of ' + rows.length + ' phones';
    document.body.setAttribute('data-shown', String(shown));
  }
  function fromHash() {
    var p = new URLSearchParams(location.hash.replace(/^#/, ''));
    verdict.value = p.get('verdict') || '';
    if (verdict.selectedIndex < 0) { verdict.value = ''; }
    group.value = p.has('group') ? p.get('group') : '*';
    if (group.selectedIndex < 0) { group.value = '*'; }
    query.value = p.get('q') || '';
    apply();
  }
  function toHash() {
    var p = new URLSearchParams();
    if (verdict.value) { p.set('verdict', verdict.value); }
    if (group.value !== '*') { p.set('group', group.value); }
    if (query.value) { p.set('q', query.value); }
    history.replaceState(null, '', '#' + p.toString());
    apply();
  }
  verdict.addEventListener('change', toHash);
  group.addEventListener('change', toHash);
  query.addEventListener('input', toHash);
  window.addEventListener('hashchange', fromHash);
  fromHash();
})();
</script>
'''
