"""Issue 18: one rule for names and text inputs (plugins/module_utils/_names.py): Unicode categories Cc, Cf, Zl and Zp
are refused before anything is sent, naming the field, and replaced where platform data must still be shown."""

from __future__ import annotations

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils._calls import build_calls
from ansible_collections.laaffic.voice.plugins.module_utils._errors import OptionError
from ansible_collections.laaffic.voice.plugins.module_utils._names import check_text, sanitized, unsafe_characters

UNSAFE = ['\x00', '\x07', '\x1b', '\x7f', '\u0085', '\u009b', '\u00ad', '\u200b', '\u200e', '\u202e', '\u2066', '\u2028', '\u2029',
          '\ufeff']


@pytest.mark.parametrize('char', UNSAFE)
def test_every_unsafe_character_is_refused_by_code_point_naming_the_field(char):
    with pytest.raises(OptionError) as info:
        check_text('calls[2].called_info', 'floor%s3' % char)
    assert info.value.field == 'calls[2].called_info' and 'U+%04X' % ord(char) in info.value.message
    assert char not in info.value.message  # never echoed raw
    assert sanitized('a%sb' % char) == 'a_b' and unsafe_characters('a%sb%s' % (char, char)) == ['U+%04X' % ord(char)]


@pytest.mark.parametrize('text', ['floor-3', 'Étage 3', '東京オフィス', 'desk ☎ 1', 'tab-free', ''])
def test_ordinary_text_passes(text):
    assert check_text('name', text) == text and sanitized(text) == text and unsafe_characters(text) == []


def test_none_stays_none():
    assert check_text('name', None) is None


PARAMS = dict(account='desk-01', callee='4930123456', display_num=None, called_info=None, expect=None, calls=None)


@pytest.mark.parametrize('char', ['\u2028', '\u202e', '\u0085', '\u200b'])
def test_called_info_with_unsafe_characters_is_refused_before_sending(char):
    calls, errors = build_calls(dict(PARAMS, called_info='smoke%stest' % char), 'RUN')
    assert errors == ['called_info: must not contain control, format or line/paragraph separator characters (Unicode categories '
                      'Cc, Cf, Zl, Zp); found U+%04X' % ord(char)]
    calls, errors = build_calls(dict(PARAMS, calls=[{}, {'called_info': 'x%sy' % char}]), 'RUN')
    assert len(errors) == 1 and errors[0].startswith('calls[1].called_info: must not contain')
