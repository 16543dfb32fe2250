from __future__ import annotations

import time

from ansible_collections.laaffic.voice.plugins.module_utils._signing import CONTENT_TYPE, sign, signed_headers

DOC_KEY, DOC_SECRET, DOC_TS, DOC_SIGN = 'bDqJFiq9', '7bz1lzh9', 1630468800, '05d7a50893e22a5c4bb3216ae3396c7c'


def test_documented_vector():
    assert sign(DOC_KEY, DOC_SECRET, DOC_TS) == DOC_SIGN


def test_timestamp_as_string_and_lowercase_hex():
    value = sign(DOC_KEY, DOC_SECRET, '1630468800')
    assert value == DOC_SIGN and value == value.lower() and len(value) == 32


def test_every_input_matters():
    assert sign(DOC_KEY, DOC_SECRET, DOC_TS + 1) != DOC_SIGN
    assert sign(DOC_KEY + 'x', DOC_SECRET, DOC_TS) != DOC_SIGN
    assert sign(DOC_KEY, DOC_SECRET + 'x', DOC_TS) != DOC_SIGN


def test_signed_headers_for_given_time():
    headers = signed_headers(DOC_KEY, DOC_SECRET, DOC_TS)
    assert headers == {'Content-Type': CONTENT_TYPE, 'Api-Key': DOC_KEY, 'Sign': DOC_SIGN, 'Timestamp': '1630468800'}
    assert DOC_SECRET not in repr(headers)


def test_signed_headers_default_to_now():
    before = int(time.time())
    headers = signed_headers(DOC_KEY, DOC_SECRET)
    assert before <= int(headers['Timestamp']) <= int(time.time())
    assert headers['Sign'] == sign(DOC_KEY, DOC_SECRET, headers['Timestamp'])
