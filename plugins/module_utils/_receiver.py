# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""Client of the collection's report receiver read API (bearer token), on the shared core (``_transport``):
the same session, retry rule, redirect refusal and redaction as the LAAFFIC client; the token is added to
the redactor, so an echo of the Authorization header never leaves."""

from __future__ import annotations

import time
import typing as t
from urllib.parse import quote

from ansible_collections.laaffic.voice.plugins.module_utils._errors import OptionError
from ansible_collections.laaffic.voice.plugins.module_utils._paging import MAX_PAGES, walk
from ansible_collections.laaffic.voice.plugins.module_utils._transport import Redactor, Transport

if t.TYPE_CHECKING:
    import requests

    from ansible_collections.laaffic.voice.plugins.module_utils._paging import Records
    from ansible_collections.laaffic.voice.plugins.module_utils._polling import Deadline

PAGE_SIZE = 1000
TOKEN_REMEDIES = {401: 'check receiver_token', 403: 'check receiver_token'}


class ReceiverClient:
    """Reads stored push reports: ``GET /reports/<voiceId>`` and ``GET /reports?calledInfoPrefix=...``."""

    def __init__(self, session: requests.Session, base_url: str | None, token: str | None, timeout: float, verify: bool | str = True,
                 attempts: int = 4, log: t.Callable[[str], None] | None = None, sleep: t.Callable[[float], None] = time.sleep,
                 redactor: Redactor | None = None) -> None:
        url = (base_url or '').strip().rstrip('/')
        if not url.lower().startswith(('http://', 'https://')):
            raise OptionError('receiver_url', 'must be the http(s) base URL of the report receiver, such as http://127.0.0.1:8098, got %r' % (base_url,))
        if not token:
            raise OptionError('receiver_token', 'is required with receiver_url (the receiver read token)')
        self.base_url = url
        self.redactor = redactor if redactor is not None else Redactor()
        self.redactor.add(token)
        self.transport = Transport(session, timeout, verify, self.redactor, log, attempts, sleep=sleep, url_option='receiver_url')
        self._headers = {'Authorization': 'Bearer %s' % token, 'Accept': 'application/json'}

    def _get(self, path: str, params: dict[str, t.Any] | None = None, deadline: Deadline | None = None) -> dict[str, t.Any] | None:
        """GET a JSON object; None on 404."""
        return self.transport.send('GET', self.base_url + path, self._headers, params=params, deadline=deadline, missing_ok=True,
                                   remedies=TOKEN_REMEDIES)

    def report(self, voice_id: object, deadline: Deadline | None = None) -> dict[str, t.Any] | None:
        """The receiver's call object for one voice ID, or None when it has heard nothing of it."""
        return self._get('/reports/%s' % quote(str(voice_id), safe=''), deadline=deadline)

    def reports(self, after: object = None, deadline: Deadline | None = None, max_pages: int = MAX_PAGES,
                **filters: object) -> tuple[Records, object]:
        """Every call object matching the filters (``calledInfoPrefix``, ``calledInfo``, ``since``) updated
        after the cursor, over the pages (bounded, see _paging). Returns ``(objects, cursor)``: pass the cursor
        back to read only what changed. ``objects.truncated`` tells that the page bound stopped the walk."""
        cursor = [after]

        def fetch(position: object) -> tuple[list[t.Any], object]:
            params = {key: value for key, value in filters.items() if value is not None}
            params['limit'] = PAGE_SIZE
            if position is not None:
                params['after'] = position
            page = self._get('/reports', params=params, deadline=deadline) or {}
            batch = page.get('reports')
            batch = batch if isinstance(batch, list) else []
            last = batch[-1] if batch and isinstance(batch[-1], dict) else {}
            if last.get('seq') is not None:
                cursor[0] = last['seq']
            following = page.get('next')
            if following is not None:
                cursor[0] = following
            return batch, following
        objects = walk(fetch, after, max_pages)
        return objects, cursor[0]
