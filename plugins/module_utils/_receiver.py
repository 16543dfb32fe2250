# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""Client of the collection's report receiver read API (bearer token), on the shared session."""

from __future__ import annotations

import time
from urllib.parse import quote

from ansible_collections.laaffic.voice.plugins.module_utils._client import HAS_REQUESTS, RETRYABLE_READ_STATUS, classify_exception
from ansible_collections.laaffic.voice.plugins.module_utils._errors import HttpError, OptionError, TransportError
from ansible_collections.laaffic.voice.plugins.module_utils._polling import Deadline, backoff

if HAS_REQUESTS:
    from requests.exceptions import RequestException
else:
    RequestException = OSError

PAGE_SIZE = 1000


class ReceiverClient(object):
    """Reads stored push reports: ``GET /reports/<voiceId>`` and ``GET /reports?calledInfoPrefix=...``."""

    def __init__(self, session, base_url, token, timeout, verify=True, attempts=3, log=None, sleep=time.sleep):
        url = (base_url or '').strip().rstrip('/')
        if not url.lower().startswith(('http://', 'https://')):
            raise OptionError('receiver_url', 'must be the http(s) base URL of the report receiver, such as http://127.0.0.1:8098, got %r' % (base_url,))
        if not token:
            raise OptionError('receiver_token', 'is required with receiver_url (the receiver read token)')
        self.base_url = url
        self.session = session
        self.timeout = timeout
        self.verify = verify
        self.attempts = attempts
        self.log = log or (lambda line: None)
        self._sleep = sleep
        self._headers = {'Authorization': 'Bearer %s' % token, 'Accept': 'application/json'}

    def _get(self, path, params=None, deadline=None):
        """GET a JSON document; None on 404. Retries transport errors and 429/5xx with backoff."""
        url = self.base_url + path
        deadline = deadline or Deadline(None)
        delays = backoff(0.3, factor=2.0, maximum=3.0)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.session.get(url, params=params, headers=self._headers, timeout=self.timeout, verify=self.verify)
            except RequestException as exc:
                sent, cause, remedy = classify_exception(exc, self.timeout)
                error = TransportError('GET', url, cause, sent, remedy)
            else:
                self.log('GET %s -> HTTP %s' % (url, response.status_code))
                if response.status_code == 404:
                    return None
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError:
                        error = HttpError('GET', url, 200, response.content)
                else:
                    error = HttpError('GET', url, response.status_code, response.content, response.reason)
                    if response.status_code == 401:
                        error.message += ' (check receiver_token)'
                        raise error
                    if response.status_code not in RETRYABLE_READ_STATUS:
                        raise error
            wait = next(delays)
            if attempt >= self.attempts or deadline.remaining() <= wait:
                raise error
            self._sleep(wait)

    def report(self, voice_id, deadline=None):
        """The receiver's call object for one voice ID, or None when it has heard nothing of it."""
        return self._get('/reports/%s' % quote(str(voice_id), safe=''), deadline=deadline)

    def reports(self, after=None, deadline=None, **filters):
        """Every call object matching the filters (``calledInfoPrefix``, ``calledInfo``, ``since``) updated
        after the cursor, all pages. Returns ``(objects, cursor)``: pass the cursor back to read only what changed."""
        objects = []
        while True:
            params = dict((key, value) for key, value in filters.items() if value is not None)
            params['limit'] = PAGE_SIZE
            if after is not None:
                params['after'] = after
            page = self._get('/reports', params=params, deadline=deadline) or {}
            batch = page.get('reports') or []
            objects.extend(batch)
            if batch and batch[-1].get('seq') is not None:
                after = batch[-1]['seq']
            if page.get('next') is None or not batch:
                return objects, after
            after = page['next']
