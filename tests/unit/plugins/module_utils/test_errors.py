from __future__ import annotations

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils._errors import (
    STATUS_CODES, ApiStatusError, HttpError, OptionError, TransportError, describe, excerpt, status_text,
)

DOCUMENTED = ['0', '-1', '-2', '-10', '-13', '-16', '-18', '-22', '-26', '-68'] + [str(-n) for n in range(1, 33)]


@pytest.mark.parametrize('code', DOCUMENTED)
def test_every_documented_code_has_meaning_and_remedy(code):
    meaning, remedy = status_text(code)
    assert meaning and remedy and remedy.endswith('.')


@pytest.mark.parametrize('code', [c for c in DOCUMENTED if c != '0'])
def test_error_carries_code_reason_and_remedy(code):
    exc = ApiStatusError(code, 'vendor words', 'POST', 'https://api.example/v3/voice/sendSip')
    assert exc.code == code
    assert exc.reason == 'vendor words'
    assert exc.remedy == STATUS_CODES[code][1]
    assert 'status %s (vendor words)' % code in exc.message
    assert 'POST https://api.example/v3/voice/sendSip' in exc.message
    assert exc.remedy in exc.message
    assert exc.to_dict()['code'] == code


def test_numeric_code_is_compared_as_string():
    assert ApiStatusError(-68, None, 'POST', 'u').code == '-68'
    assert 'not in the idle state' in ApiStatusError(-68, None, 'POST', 'u').message


@pytest.mark.parametrize('code, words', [
    ('-1', 'api_key, api_secret and app_id'),
    ('-16', 'clock'),
    ('-18', 'not the JSON'),
    ('-68', 'busy'),
    ('-10', 'Top up'),
    ('-2', 'IP'),
])
def test_specific_remedies(code, words):
    assert words in STATUS_CODES[code][1]


def test_clock_error_shows_signed_utc_time():
    exc = ApiStatusError('-16', 'timestamp expires', 'GET', 'u', signed_at='2026-11-26T10:00:00Z')
    assert 'Local UTC time signed: 2026-11-26T10:00:00Z' in exc.message


def test_unknown_code():
    exc = ApiStatusError('-99', 'strange', 'GET', 'u')
    assert 'undocumented status code' in exc.message


def test_http_error_shows_method_url_status_and_excerpt():
    exc = HttpError('GET', 'https://h/v3/getBalance', 502, b'<html>' + b'x' * 500, 'Bad Gateway')
    assert exc.message.startswith('GET https://h/v3/getBalance answered HTTP 502 Bad Gateway: <html>')
    assert exc.message.endswith('...') and len(exc.to_dict()['body_excerpt']) <= 203


def test_non_json_200():
    assert 'not a JSON object' in HttpError('GET', 'u', 200, 'oops').message


def test_transport_error_says_whether_sent():
    assert 'may have reached' in TransportError('POST', 'u', 'reset', True).message
    assert 'could not be sent' in TransportError('POST', 'u', 'refused', False).message


def test_option_error_names_field():
    assert OptionError('api_url', 'must be http').message == 'api_url: must be http'


def test_excerpt_single_line():
    assert excerpt('a\n  b\tc') == 'a b c'
    assert excerpt(None) == ''


def test_describe_gives_our_message_or_the_redacted_type_and_text():
    error = TransportError('GET', 'u', 'reset', sent=True)
    assert describe(error, lambda text: 'never used') == error.message
    assert describe(OverflowError('sign 0123abcd in here'), lambda text: text.replace('0123abcd', '********')) == \
        'unexpected OverflowError: sign ******** in here'
