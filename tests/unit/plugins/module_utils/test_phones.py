from __future__ import annotations

import pytest

from ansible_collections.laaffic.voice.plugins.module_utils import _phones
from ansible_collections.laaffic.voice.plugins.module_utils._errors import ApiStatusError, HttpError, LaafficError, OptionError, TransportError
from support.fake_http import FakeResponse, ok, read_timeout, refused, reset_after_send, status
from support.fake_phones import FakePhones, phone

APP = '4luaKsL2'


def lobby(count=2, display_num=None):
    return [phone('lobby', 'lobby-desk-%d' % i, 'lobby_%03d' % i, display_num=display_num) for i in range(1, count + 1)]


# validation -------------------------------------------------------------------------------------
@pytest.mark.parametrize('value', ['abcd', 'a' * 32, 'floor 3', 'Étage-3'])
def test_names_accepted(value):
    assert _phones.check_name('name', value, 'x') == value


@pytest.mark.parametrize('value, words', [
    (None, 'is required'), ('   ', 'is required'), ('abc', '4-32 characters'), ('a' * 33, '4-32 characters'),
    (' abcd', 'must not start or end with spaces'), ('ab\ncd', 'control characters'), ('ab\x00cd', 'control characters'),
])
def test_names_refused_naming_the_field(value, words):
    with pytest.raises(OptionError, match=words) as info:
        _phones.check_name('phone_name', value, 'the name of the phones')
    assert info.value.field == 'phone_name' and info.value.message.startswith('phone_name: ')


@pytest.mark.parametrize('value, expected', [(None, None), ('', None), ('+49 30-1234567', '49301234567'), ('1234567', '1234567'),
                                             ('1234567890123', '1234567890123')])
def test_display_num(value, expected):
    assert _phones.check_display_num(value) == expected


@pytest.mark.parametrize('value', ['123456', '12345678901234', '4930abc4567'])
def test_display_num_refused(value):
    with pytest.raises(OptionError, match='display_num: must be 7-13 digits'):
        _phones.check_display_num(value)


def test_quantity_over_the_cap_says_why_and_what_to_do():
    with pytest.raises(OptionError) as info:
        _phones.check_quantity(51)
    message = info.value.message
    assert message.startswith('quantity: ') and '-23' in message and '-20' in message and 'several groups of at most 50' in message


@pytest.mark.parametrize('value', [0, -1, True, 2.5, '3'])
def test_quantity_refused(value):
    with pytest.raises(OptionError, match='quantity: must be a whole number'):
        _phones.check_quantity(value)


def test_accounts_deduplicated_in_order_and_each_checked():
    assert _phones.check_accounts(['desk_002', 'desk_001', 'desk_002']) == ['desk_002', 'desk_001']
    with pytest.raises(OptionError, match=r'accounts\[1\]: must be 4-32'):
        _phones.check_accounts(['desk_001', 'abc'])
    with pytest.raises(OptionError, match='at least one'):
        _phones.check_accounts([])


# records from the network -----------------------------------------------------------------------
@pytest.mark.parametrize('record', [None, 'text', 42, [], {'groupName': 'g'}, {'account': ''}, {'account': None}, {'account': {'x': 1}}])
def test_records_without_account_are_dropped(record):
    assert _phones.phone_from_record(record) is None


def test_record_fields_of_any_type_become_text():
    got = _phones.phone_from_record({'account': 1001, 'phoneName': ['x'], 'groupName': True, 'displayNum': 8613800000001, 'password': None})
    assert got == {'account': '1001', 'phone_name': None, 'group_name': 'true', 'display_num': '8613800000001', 'password': None}


def test_public_view_hides_the_password_unless_asked():
    record = _phones.phone_from_record(phone('lobby', 'lobby-desk-1', 'lobby_001', 'S3cret99'))
    assert 'password' not in _phones.public(record)
    assert _phones.public(record, with_password=True)['password'] == 'S3cret99'


# listing ----------------------------------------------------------------------------------------
def test_list_reads_every_page_filters_and_sorts():
    records = [phone('zeta', 'z-%d' % i, 'z_%03d' % i) for i in range(150)] + lobby(3)
    platform = FakePhones(records[::-1])
    phones = _phones.list_phones(platform.client(), APP)
    assert len(phones) == 153 and phones.pages == 2 and phones.truncated is False
    assert [p['account'] for p in phones[:3]] == ['lobby_001', 'lobby_002', 'lobby_003']
    assert [p['size'] for p in (s['body'] for s in platform.sent('voice/sipQuery'))] == [100, 100]
    assert platform.sent('voice/sipQuery')[0]['body']['params'] == {'appId': APP}
    assert [p['account'] for p in _phones.list_phones(platform.client(), APP, group_name='lobby', phone_name='lobby-desk-2')] == ['lobby_002']
    assert [p['account'] for p in _phones.list_phones(platform.client(), APP, accounts={'z_007', 'nope'})] == ['z_007']


def test_duplicate_accounts_listed_once():
    # the platform lists each account once (its phone table is keyed by account); a listing that shows one twice
    # (pages read while the table changes, a broken gateway) is scripted
    platform = FakePhones(lobby(2))
    records = lobby(2) + [phone('other', 'other-1', 'lobby_001')]
    platform.script['voice/sipQuery'] = [ok({'total': 3, 'size': 100, 'current': 1, 'pages': 1, 'records': records})]
    assert len(_phones.list_phones(platform.client(), APP)) == 2


def test_truncated_listing_is_flagged():
    platform = FakePhones()
    platform.script['voice/sipQuery'] = [
        (lambda body: ok({'total': 100000, 'pages': 1000, 'current': body['current'], 'size': 100,
                          'records': [phone('g%d' % body['current'], 'p-%d' % i, 'a%d_%d' % (body['current'], i)) for i in range(100)]}))
    ] * 200
    warnings = []
    phones = _phones.list_phones(platform.client(), APP, warn=warnings.append, max_phones=10000)
    assert phones.truncated and phones.pages == 100 and len(phones) == 10000
    assert 'phones beyond them are not listed' in _phones.truncation_warning(phones)
    assert 'a total of 100000' in warnings[0] and 'max_phones is 10000' in warnings[0]
    assert warnings == [_phones.truncation_warning(phones)]  # the caller's warn gets it, once
    assert _phones.truncation_warning(_phones.list_phones(FakePhones(lobby()).client(), APP, warn=warnings.append)) is None
    assert len(warnings) == 1


def test_a_truncated_body_with_passwords_is_never_quoted():
    platform = FakePhones()
    body = b'{"status":"0","data":{"records":[{"account":"lobby_001","password":"S3cretPw"'
    platform.script['voice/sipQuery'] = [FakeResponse(200, body)] * 4
    with pytest.raises(HttpError) as info:
        _phones.list_phones(platform.client(), APP)
    assert 'S3cretPw' not in str(info.value) and 'S3cretPw' not in repr(info.value.to_dict())
    assert 'response body not shown' in info.value.message


def test_http_error_bodies_of_resets_are_never_quoted():
    platform = FakePhones(lobby(1))
    platform.script['voice/sipReset'] = [FakeResponse(500, '{"password":"S3cretPw"}', reason='Server Error')]
    with pytest.raises(HttpError) as info:
        _phones.reset_password(platform.client(), APP, 'lobby_001')
    assert 'S3cretPw' not in info.value.message and info.value.status == 500


# group plans ------------------------------------------------------------------------------------
def listed(records):
    return [_phones.phone_from_record(r) for r in records]


def test_plan_creates_a_missing_group():
    plan = _phones.plan_group(listed(lobby(2)), 'floor-3', 'floor3-desk', 5, '+86 138 0000 0001')
    assert plan.create and plan.reachable and plan.display_num == '8613800000001'
    assert plan.diff() == {'before': {}, 'after': {'name': 'floor-3', 'phones': 5}}
    assert _phones.sip_add_body(APP, plan) == {'groupName': 'floor-3', 'phoneName': 'floor3-desk', 'quantity': 5,
                                               'displayNum': '8613800000001', 'appId': APP}


def test_plan_without_display_num_sends_none():
    plan = _phones.plan_group([], 'floor-3', 'floor3-desk', 5, None)
    assert 'displayNum' not in _phones.sip_add_body(APP, plan)


def test_plan_keeps_a_matching_group():
    plan = _phones.plan_group(listed(lobby(2, '8613800000001')), 'lobby', 'lobby-desk', 2, '8613800000001')
    assert not plan.create and plan.reachable and len(plan.existing) == 2
    assert plan.diff() == {'before': {'name': 'lobby', 'phones': 2}, 'after': {'name': 'lobby', 'phones': 2}}


def test_plan_refuses_growing_a_group():
    plan = _phones.plan_group(listed(lobby(2)), 'lobby', 'lobby-desk', 5, None)
    assert not plan.reachable and not plan.create
    text = plan.problems[0]
    assert "already has 2 phone(s) and 5 are requested" in text and '-20' in text and 'Set quantity to 2' in text and 'new group' in text


def test_plan_refuses_shrinking_a_group():
    plan = _phones.plan_group(listed(lobby(3)), 'lobby', 'lobby-desk', 1, None)
    assert 'more than the 1 requested' in plan.problems[0] and 'cannot delete' in plan.problems[0]


def test_plan_refuses_other_names_and_numbers():
    plan = _phones.plan_group(listed(lobby(2, '8613800000001')), 'lobby', 'front-desk', 2, '8613899999999')
    assert len(plan.problems) == 2
    assert "named lobby-desk-1, lobby-desk-2, not 'front-desk'" in plan.problems[0]
    assert 'display 8613800000001, not 8613899999999' in plan.problems[1]


def test_plan_validates_before_comparing():
    with pytest.raises(OptionError, match='name: must be 4-32'):
        _phones.plan_group([], 'abc', 'floor3-desk', 1, None)


# sipAdd -----------------------------------------------------------------------------------------
def test_add_group_sends_once_even_when_the_answer_is_lost():
    platform = FakePhones()
    platform.script['voice/sipAdd'] = [reset_after_send()]
    with pytest.raises(TransportError) as info:
        _phones.add_group(platform.client(), APP, _phones.plan_group([], 'floor-3', 'floor3-desk', 2, None))
    assert info.value.sent and len(platform.sent('voice/sipAdd')) == 1


def test_add_group_is_retried_when_it_never_left():
    platform = FakePhones()
    platform.script['voice/sipAdd'] = [refused()]
    _phones.add_group(platform.client(), APP, _phones.plan_group([], 'floor-3', 'floor3-desk', 2, None))
    assert len(platform.sent('voice/sipAdd')) == 2 and len(platform.phones) == 2


@pytest.mark.parametrize('code, words', [('-20', 'cannot add phones to an existing group'), ('-22', 'quantity 1-50'),
                                         ('-23', 'at most 50 phones per request')])
def test_add_group_explains_each_status(code, words):
    platform = FakePhones()
    platform.script['voice/sipAdd'] = [status(code, 'reason %s' % code)]
    with pytest.raises(ApiStatusError) as info:
        _phones.add_group(platform.client(), APP, _phones.plan_group([], 'floor-3', 'floor3-desk', 2, None))
    exc = info.value
    assert exc.code == code and words in exc.message and exc.remedy in exc.message and exc.to_dict()['remedy'] == exc.remedy
    assert exc.message.startswith('LAAFFIC answered status %s (' % code) and 'reason %s' % code not in repr(exc.to_dict())
    assert "the platform's reason is not shown" in exc.message


def test_other_statuses_keep_the_generic_remedy():
    platform = FakePhones()
    platform.script['voice/sipAdd'] = [status(-16)]
    with pytest.raises(ApiStatusError, match='synchronise it with NTP'):
        _phones.add_group(platform.client(), APP, _phones.plan_group([], 'floor-3', 'floor3-desk', 2, None))


# sipReset ---------------------------------------------------------------------------------------
def test_reset_returns_the_new_password():
    platform = FakePhones(lobby(1))
    password = _phones.reset_password(platform.client(), APP, 'lobby_001')
    assert password == platform.phones[0]['password'] and password != 'pw-lobby_001'  # the platform chose a new one
    assert platform.sent('voice/sipReset')[0]['body'] == {'account': 'lobby_001', 'appId': APP}


@pytest.mark.parametrize('data', [None, {}, {'password': ''}, {'password': None}, 'x', ['S3cret']])
def test_reset_without_a_password_fails_without_quoting(data):
    platform = FakePhones(lobby(1))
    platform.script['voice/sipReset'] = [ok(data)]
    with pytest.raises(LaafficError, match='without a new password for lobby_001') as info:
        _phones.reset_password(platform.client(), APP, 'lobby_001')
    assert 'S3cret' not in info.value.message


def test_reset_unknown_account_explains_minus_24():
    platform = FakePhones(lobby(1))
    with pytest.raises(ApiStatusError, match='knows no such SIP account') as info:
        _phones.reset_password(platform.client(), APP, 'nobody_01')
    assert info.value.code == '-24'


def test_resets_settle_a_lost_answer_from_the_listing():
    platform = FakePhones(lobby(3))
    before = dict((p['account'], p) for p in _phones.list_phones(platform.client(), APP))

    def lost_after_reset(body):
        platform.sip_reset(body)
        raise reset_after_send()
    platform.script['voice/sipReset'] = [lost_after_reset, reset_after_send()]
    outcomes = _phones.reset_passwords(platform.client(), APP, ['lobby_001', 'lobby_002', 'lobby_003'], before)
    first, second, third = outcomes
    assert first.reset is True and first.confirmed_by == 'sipQuery' and first.password == platform.phones[0]['password']
    assert second.reset is None and second.changed and 'still shows the old password' in second.error and second.password is None
    assert third.reset is True and third.password == platform.phones[2]['password'] and third.confirmed_by is None
    assert len(platform.sent('voice/sipReset')) == 3


def test_resets_when_reading_back_fails_too():
    platform = FakePhones(lobby(1))
    before = dict((p['account'], p) for p in _phones.list_phones(platform.client(), APP))
    platform.script['voice/sipReset'] = [read_timeout()]
    platform.script['voice/sipQuery'] = [status(-18)]
    [outcome] = _phones.reset_passwords(platform.client(), APP, ['lobby_001'], before)
    assert outcome.reset is None and 'reading the phones back failed too' in outcome.error and 'run the reset again' in outcome.error
    assert outcome.to_dict(before['lobby_001'])['reset'] is None and 'password' not in outcome.to_dict(before['lobby_001'])


def test_resets_that_never_left_are_not_sent():
    platform = FakePhones(lobby(1))
    platform.script['voice/sipReset'] = [refused()] * 4
    [outcome] = _phones.reset_passwords(platform.client(), APP, ['lobby_001'], {})
    assert outcome.reset is False and outcome.changed is False and 'could not be sent' in outcome.error
    assert platform.sent('voice/sipQuery') == []


def test_a_reset_without_a_usable_answer_is_read_back():
    platform = FakePhones(lobby(2))
    before = dict((p['account'], p) for p in _phones.list_phones(platform.client(), APP))

    def reset_but_no_password(body):
        platform.sip_reset(body)
        return ok(None)
    platform.script['voice/sipReset'] = [reset_but_no_password, FakeResponse(502, 'Bad Gateway')]
    first, second = _phones.reset_passwords(platform.client(), APP, ['lobby_001', 'lobby_002'], before)
    assert first.reset is True and first.confirmed_by == 'sipQuery' and first.password == platform.phones[0]['password']
    assert second.reset is None and second.changed is True and 'HTTP 502' in second.error  # a gateway error proves nothing
    assert len(platform.sent('voice/sipReset')) == 2


def test_refused_resets_change_nothing():
    platform = FakePhones(lobby(1))
    platform.script['voice/sipReset'] = [status(-22)]
    [outcome] = _phones.reset_passwords(platform.client(), APP, ['lobby_001'], {})
    assert outcome.reset is False and not outcome.changed and 'parameter was refused' in outcome.error


# issue 17: an application of any size is listed whole -------------------------------------------------------------------
def test_more_than_100_pages_are_listed_whole_up_to_the_total():
    platform = FakePhones([phone('g%03d' % (i // 100), 'p-%d' % i, 'a%05d' % i) for i in range(12345)])
    warnings = []
    phones = _phones.list_phones(platform.client(), APP, warn=warnings.append)
    assert len(phones) == 12345 and not phones.truncated and warnings == [] and phones.pages == 124


@pytest.mark.parametrize('value', [0, -1, True, 1.5, '100', 10 ** 8])
def test_max_phones_refused(value):
    with pytest.raises(OptionError, match='max_phones: must be a whole number of phones from 1 to') as info:
        _phones.list_phones(FakePhones().client(), APP, max_phones=value)
    assert info.value.field == 'max_phones'


# issue 18: names, and no free text of the server on the endpoints that carry passwords ---------------------------------
@pytest.mark.parametrize('char', ['\u0085', '\u009b', '\u200b', '\u202e', '\u2028', '\u2029', '\x1b', '\ufeff'])
def test_names_with_control_or_format_characters_refused(char):
    with pytest.raises(OptionError, match='U\\+%04X' % ord(char)) as info:
        _phones.plan_group([], 'floor%s3' % char, 'desk-phone', 2, None)
    assert info.value.field == 'name' and char not in info.value.message
    with pytest.raises(OptionError) as info:
        _phones.plan_group([], 'floor-3', 'desk%sphone' % char, 2, None)
    assert info.value.field == 'phone_name'


LEAKY = ['S3cretA1', 'S3cretA2']


def leaks(exc):
    text = exc.message + repr(exc.to_dict())
    return [password for password in LEAKY if password.lower() in text.lower()]


def test_sip_query_status_reason_quoting_passwords_is_not_shown():
    platform = FakePhones(lobby(2))
    platform.script['voice/sipQuery'] = [status(-22, 'bad size; accounts lobby_001/S3cretA1 lobby_002/S3cretA2')]
    with pytest.raises(ApiStatusError) as info:
        _phones.list_phones(platform.client(), APP)
    assert not leaks(info.value) and info.value.code == '-22' and 'Parameter exception' in info.value.message


def test_a_second_page_failing_after_the_first_is_not_shown_either():
    platform = FakePhones([phone('g', 'p-%d' % i, 'a%03d' % i, 'S3cretA%d' % i) for i in range(150)])
    first = platform.sip_query
    platform.script['voice/sipQuery'] = [first] + [lambda body: FakeResponse(500, 'page 2 broke near S3cretA1 and S3cretA2',
                                                                             reason='S3cretA1')] * 4
    with pytest.raises(HttpError) as info:
        _phones.list_phones(platform.client(), APP)
    assert not leaks(info.value) and info.value.status == 500


def test_a_redirect_whose_location_carries_a_password_is_not_shown():
    platform = FakePhones(lobby(2))
    platform.script['voice/sipQuery'] = [FakeResponse(302, b'', headers={'Location': 'https://evil.test/?pw=S3cretA1'})]
    with pytest.raises(HttpError) as info:
        _phones.list_phones(platform.client(), APP)
    assert not leaks(info.value) and info.value.status == 302 and 'evil.test' not in info.value.message
    assert 'redirects are not followed' in info.value.message


def test_sip_reset_minus_24_quoting_the_current_password_is_not_shown():
    platform = FakePhones(lobby(1))
    platform.script['voice/sipReset'] = [status(-24, 'no account; current password S3cretA1')]
    with pytest.raises(ApiStatusError, match='knows no such SIP account') as info:
        _phones.reset_password(platform.client(), APP, 'lobby_001')
    assert not leaks(info.value) and info.value.code == '-24'


def test_every_password_seen_joins_the_redaction_set():
    platform = FakePhones([phone('g', 'p-1', 'a001', 'S3cretA1')])
    client = platform.client()
    _phones.list_phones(client, APP)
    new = _phones.reset_password(client, APP, 'a001')
    text = client.redactor.redact('echo S3cretA1 and %s and %s' % (new, new.lower()))
    assert 'S3cretA1' not in text and new.lower() not in text.lower() and text.count('********') == 3
    # a sipQuery record still shows its own password (its purpose), while a reason quoting it does not
    again = _phones.list_phones(client, APP)
    assert again[0]['password'] == new
    assert client.redactor.redact_data({'reason': 'pw %s' % new, 'password': new}) == {'reason': 'pw ********', 'password': new}


# One rule for requests that create something (issue 18) -----------------------------------------------------------
def busy_answer(code, retry_after='0'):
    return FakeResponse(code, 'busy', headers={'Retry-After': retry_after})


def acted_then(platform, action, answer):
    """The platform does ``action`` with the request, then answers ``answer``."""
    def handle(body):
        action(body)
        return answer
    return handle


def plan(quantity=3):
    return _phones.plan_group([], 'floor-3', 'floor3-desk', quantity, None)


@pytest.mark.parametrize('code', [429, 503])
def test_a_group_created_then_answered_busy_is_reported_created_and_sent_once(code):
    platform = FakePhones(lobby(1))
    platform.script['voice/sipAdd'] = [acted_then(platform, platform.sip_add, busy_answer(code))] * 4
    sleeps = []
    outcome = _phones.create_group(platform.client(), APP, plan(), sleep=sleeps.append)
    assert len(platform.sent('voice/sipAdd')) == 1 and len(platform.phones) == 4
    assert outcome.created is True and len(outcome.phones) == 3 and outcome.error.status == code
    assert 'sipQuery lists phone group floor-3' in outcome.note and sleeps == [0.5]


def test_a_busy_sip_add_that_did_nothing_is_sent_again_once_proven():
    platform = FakePhones()
    platform.script['voice/sipAdd'] = [busy_answer(503, '2')]
    sleeps = []
    outcome = _phones.create_group(platform.client(), APP, plan(), sleep=sleeps.append)
    assert len(platform.sent('voice/sipAdd')) == 2 and len(platform.phones) == 3 and outcome.created is True and sleeps == [2]


def test_a_resend_answered_minus_20_means_the_first_request_created_the_group():
    platform = FakePhones()
    hidden = []

    def lagging_query(body):  # the first read-back does not show the group yet
        return ok({'total': 0, 'size': 100, 'current': 1, 'pages': 0, 'records': []})
    platform.script['voice/sipAdd'] = [acted_then(platform, platform.sip_add, busy_answer(503))]
    platform.script['voice/sipQuery'] = [lagging_query]
    outcome = _phones.create_group(platform.client(), APP, plan(), sleep=hidden.append)
    assert len(platform.sent('voice/sipAdd')) == 2 and len(platform.phones) == 3  # the second answered -20, created nothing
    assert outcome.created is True and len(outcome.phones) == 3


@pytest.mark.parametrize('failure, created', [(FakeResponse(404, 'x'), False), (FakeResponse(504, 'x'), None),
                                              (reset_after_send(), None), (read_timeout(), None)])
def test_a_sip_add_that_did_nothing_is_proven_only_by_a_finished_answer(failure, created):
    platform = FakePhones()
    platform.script['voice/sipAdd'] = [failure]
    outcome = _phones.create_group(platform.client(), APP, plan(), sleep=lambda seconds: None)
    assert outcome.created is created and outcome.phones == [] and len(platform.sent('voice/sipAdd')) == 1
    assert ('so it was not created' if created is False else 'may still be at work') in outcome.note


def test_a_sip_add_whose_read_back_fails_may_have_created_the_group():
    platform = FakePhones()
    platform.script['voice/sipAdd'] = [acted_then(platform, platform.sip_add, busy_answer(429))]
    platform.script['voice/sipQuery'] = [status(-18)]
    outcome = _phones.create_group(platform.client(), APP, plan(), sleep=lambda seconds: None)
    assert outcome.created is None and 'reading the phones back failed too' in outcome.note and len(platform.sent('voice/sipAdd')) == 1


def test_refused_sip_add_is_raised_unchanged():
    platform = FakePhones()
    platform.script['voice/sipAdd'] = [status(-23, 'Data caps')]
    with pytest.raises(ApiStatusError, match='-23'):
        _phones.create_group(platform.client(), APP, plan(), sleep=lambda seconds: None)
    assert len(platform.sent('voice/sipAdd')) == 1


@pytest.mark.parametrize('answer', [busy_answer(503), busy_answer(429), FakeResponse(400, 'x'), status(-18)])
def test_a_reset_answered_after_acting_is_sent_once_and_read_back(answer):
    platform = FakePhones(lobby(1))
    before = dict((p['account'], p) for p in _phones.list_phones(platform.client(), APP))
    platform.script['voice/sipReset'] = [acted_then(platform, platform.sip_reset, answer)] * 4
    [outcome] = _phones.reset_passwords(platform.client(), APP, ['lobby_001'], before)
    assert len(platform.sent('voice/sipReset')) == 1
    assert outcome.reset is True and outcome.password == platform.phones[0]['password'] and outcome.confirmed_by == 'sipQuery'


def test_a_reset_answered_busy_without_acting_is_unknown_and_not_resent():
    platform = FakePhones(lobby(1))
    before = dict((p['account'], p) for p in _phones.list_phones(platform.client(), APP))
    platform.script['voice/sipReset'] = [busy_answer(503)] * 4
    [outcome] = _phones.reset_passwords(platform.client(), APP, ['lobby_001'], before)
    assert len(platform.sent('voice/sipReset')) == 1 and outcome.reset is None and outcome.changed
    assert 'does not prove that it was not reset' in outcome.error and outcome.password is None
