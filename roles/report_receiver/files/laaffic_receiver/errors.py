# -*- coding: utf-8 -*-
# Copyright: laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The receiver's exceptions: a bad configuration, a bad push body, an HTTP error answer."""

from __future__ import annotations


class ConfigError(Exception):
    """Invalid configuration."""


class BadRequest(Exception):
    """The push body (or a query parameter) is not JSON or does not have an accepted shape."""


class HttpError(Exception):
    """An error answer: its status, the message of its JSON body, and whether the connection closes after it."""

    def __init__(self, status: int, message: str, close: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.close = close
