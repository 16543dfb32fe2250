# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# FOR INTERNAL COLLECTION USE ONLY. This module may change without notice.

"""Base class of the collection's lookups: options through set_options/get_option, the shared client."""

from __future__ import annotations

import contextlib
import typing as t

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
from ansible_collections.laaffic.voice.plugins.module_utils._errors import LaafficError, describe
from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
from ansible_collections.laaffic.voice.plugins.plugin_utils._requests import require_requests

if t.TYPE_CHECKING:
    import requests

    from ansible_collections.laaffic.voice.plugins.module_utils._paging import Records
    from ansible_collections.laaffic.voice.plugins.module_utils._transport import Redactor

display = Display()


class LaafficLookupBase(LookupBase):
    """Reads every option with get_option, so env, ini, vars and direct keyword sources all work."""

    def load_options(self, variables: dict[str, t.Any] | None, kwargs: dict[str, t.Any]) -> None:
        self.set_options(var_options=variables, direct=kwargs)

    def connection_options(self, require_app_id: bool = False) -> ConnectionOptions:
        try:
            return ConnectionOptions.from_getter(self.get_option, require_app_id=require_app_id)
        except LaafficError as exc:
            raise AnsibleLookupError(exc.message)

    @contextlib.contextmanager
    def lookup_errors(self, resource: requests.Session, redactor: Redactor) -> t.Iterator[None]:
        """Turn the collection's errors, and any unexpected one (redacted), into lookup errors named after
        the plugin, and close ``resource``."""
        name = self._load_name.split('.')[-1]
        try:
            yield
        except AnsibleLookupError:
            raise
        except Exception as exc:  # pylint: disable=broad-except  # nothing received may crash a lookup with its text unredacted
            raise AnsibleLookupError('%s: %s' % (name, describe(exc, redactor.redact)))
        finally:
            resource.close()

    def max_pages(self) -> int:
        """The max_pages option, checked: a whole number from 1 to 1000."""
        value = self.get_option('max_pages')
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
            raise AnsibleLookupError('%s: max_pages must be a whole number from 1 to 1000, got %r' % (self._load_name.split('.')[-1], value))
        return value

    def warn_truncated(self, records: Records, what: str) -> None:
        """Say so when a paged read stopped at its bound (see the max_pages option)."""
        if getattr(records, 'truncated', False):
            display.warning('%s: stopped after %d pages of %s (the max_pages bound) although the server offered more; '
                            'narrow the query or raise max_pages' % (self._load_name.split('.')[-1], records.pages, what))

    def missing(self, message: str) -> None:
        """Apply the on_missing option to a term the server knows nothing of: fail, warn or stay silent."""
        on_missing = self.get_option('on_missing')
        if on_missing == 'error':
            raise AnsibleLookupError(message)
        if on_missing == 'warn':
            display.warning(message)

    def client(self, options: ConnectionOptions) -> LaafficClient:
        require_requests('the %s lookup' % self._load_name, AnsibleLookupError)
        return LaafficClient(options, log=lambda line: display.vvv('laaffic: %s' % line))
