"""The platform's input rules in one place (module_utils/_rules), and errors built with their remedy."""

from __future__ import annotations

import os

import pytest
import yaml

from ansible_collections.laaffic.voice.plugins.filter import desk_phone_config
from ansible_collections.laaffic.voice.plugins.module_utils import _phones, _rules
from ansible_collections.laaffic.voice.plugins.module_utils._errors import ApiStatusError, HttpError, OptionError, RedirectError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


@pytest.mark.parametrize('account', ['test_001', '1653C690ab_006', 'abcd', 'a' * 32])
def test_accounts_the_platform_makes_are_accepted(account):
    assert _rules.account_problem(account) is None and _rules.check_account('account', account) == account


@pytest.mark.parametrize('account, words', [('abc', 'must be 4-32'), ('a' * 33, 'must be 4-32'), ('desk 1', 'without spaces'),
                                            ('Étage-3', 'printable ASCII'), ('desk\u200b1', 'found U'), ('', 'is required')])
def test_one_account_rule_for_modules_and_filters(account, words):
    with pytest.raises(OptionError, match=words) as info:
        _rules.check_account('accounts[0]', account)
    assert info.value.field == 'accounts[0]'
    with pytest.raises(OptionError, match=words):
        _phones.check_accounts([account])
    problems = desk_phone_config._phone_problems(dict(raw_mac='02:00:00:00:00:01', mac='020000000001', account=account, name='Desk',
                                                      family='yealink', password='pw-1'), False)
    assert any(words in problem or (not account and 'no SIP account' in problem) for problem in problems), problems


def test_expect_choices_are_listed_once_and_the_roles_agree():
    with open(os.path.join(ROOT, 'roles', 'desk_phone_smoke_test', 'meta', 'argument_specs.yml')) as handle:
        text = handle.read()
    assert yaml.safe_load(text)  # a valid spec
    assert text.count('choices: [%s]' % ', '.join(_rules.EXPECTATIONS)) == 2
    assert _rules.expect_problem('rings') == "must be one of accepted, ringing, answered, got 'rings'"


def test_phone_endpoint_errors_are_built_with_their_remedy():
    raw = ApiStatusError('-22', 'bad password Pw-secret', 'POST', 'u')
    clean = _phones.scrubbed(raw, _phones.SIP_RESET_REMEDIES)
    assert clean.remedy == _phones.SIP_RESET_REMEDIES['-22'] and clean.message.endswith(clean.remedy)
    assert clean.args == (clean.message,) and 'Pw-secret' not in clean.message and clean.details['remedy'] == clean.remedy
    redirect = _phones.scrubbed(RedirectError('POST', 'u', 302, 'http://x/?password=Pw-secret', 'api_url'))
    assert redirect.location is None and redirect.details['location'] is None and 'Pw-secret' not in redirect.message
    http = _phones.scrubbed(HttpError('POST', 'u', 500, body='Pw-secret'))
    assert http.args == (http.message,) and 'Pw-secret' not in http.message and 'not shown' in http.message


def test_an_http_error_carries_its_remedy_in_message_and_args():
    error = HttpError('GET', 'u', 401, body='no', remedy='check receiver_token')
    assert error.message == 'GET u answered HTTP 401: no (check receiver_token)' and error.args == (error.message,)
