# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The laaffic.voice.desk_phone_smoke_test role with a list of phones, against the local emulator.

Each test runs a small playbook on localhost (desk_phone_smoke_test_phones, no receiver) and checks the
JUnit XML and HTML reports, the result fact, the failure naming the short phones, and check mode.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from devtools.emulator import Emulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')

# A name that needs escaping in XML and HTML.
ODD_NAME = 'Desk <A&B> "1"'
PHONES = [
    {'name': ODD_NAME, 'account': 'desk-answer-01', 'expect': 'answered'},      # answered: ok
    {'name': 'front-desk', 'account': 'desk-answer-02', 'expect': 'accepted'},  # accepted: ok
    {'name': 'helpdesk', 'account': 'desk-reject-01', 'expect': 'answered'},    # failed (486): short
    {'name': 'storeroom', 'account': 'desk-offline-01', 'expect': 'ringing'},   # rejected (-68): short
]
EXPECTED = {ODD_NAME: ('answered', True), 'front-desk': ('accepted', True), 'helpdesk': ('failed', False), 'storeroom': ('rejected', False)}


def ansible_playbook():
    path = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    assert os.access(path, os.X_OK), 'ansible-playbook not found next to %s; run `make venv collection`' % sys.executable
    return path


def run_playbook(tmp_path, emu, role_vars, check=False, name='play', phones=None):
    """Write and run a playbook applying the role to ``phones`` (PHONES); returns (CompletedProcess, fact dump or None)."""
    fact_file = tmp_path / (name + '-result.json')
    role_vars = dict(role_vars)
    role_vars.update({
        'desk_phone_smoke_test_phones': PHONES if phones is None else phones,
        'desk_phone_smoke_test_callee': '+91 98765-43210',
        'desk_phone_smoke_test_api_url': emu.api_url,
        'desk_phone_smoke_test_api_key': emu.api_key,
        'desk_phone_smoke_test_api_secret': emu.api_secret,
        'desk_phone_smoke_test_app_id': emu.app_id,
        'desk_phone_smoke_test_wait_timeout': 60,
        'desk_phone_smoke_test_poll_interval': 0.2,
        'desk_phone_smoke_test_report_dir': str(tmp_path / (name + '-reports')),
    })
    play = [{
        'name': 'Smoke-test a list of phones',
        'hosts': 'localhost',
        'gather_facts': False,
        'roles': [{'role': 'laaffic.voice.desk_phone_smoke_test', 'vars': role_vars}],
        'post_tasks': [{
            'name': 'Dump the result fact',
            'ansible.builtin.copy': {'content': '{{ desk_phone_smoke_test_result | to_json }}', 'dest': str(fact_file), 'mode': '0600'},
            'check_mode': False,
        }],
    }]
    playbook = tmp_path / (name + '.yml')
    playbook.write_text(yaml.safe_dump(play, sort_keys=False), encoding='utf-8')
    env = dict(os.environ)
    env.setdefault('ANSIBLE_COLLECTIONS_PATH', COLLECTIONS)
    env['ANSIBLE_NOCOLOR'] = '1'
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(yaml.safe_dump({'all': {'hosts': {'localhost': {
        'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}}), encoding='utf-8')
    cmd = [ansible_playbook(), '-i', str(inventory), str(playbook)] + (['--check'] if check else [])
    proc = subprocess.run(cmd, env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    fact = json.loads(fact_file.read_text(encoding='utf-8')) if fact_file.exists() else None
    return proc, fact


@pytest.fixture(scope='module')
def emu():
    with Emulator('default', quiet=True) as emulator:
        yield emulator


@pytest.fixture()
def fresh(emu):
    """Every test starts with idle phones and no calls."""
    emu.reset()
    return emu


@pytest.mark.emulator_timing
def test_reports_and_fact(tmp_path, fresh):
    proc, fact = run_playbook(tmp_path, fresh, {'desk_phone_smoke_test_fail_on_shortfall': False})
    assert proc.returncode == 0, proc.stdout + proc.stderr

    # One call per phone, placed through the emulator.
    assert sorted(call['account'] for call in fresh.calls()) == sorted(p['account'] for p in PHONES if p['account'] != 'desk-offline-01')

    # The result fact.
    assert fact['passed'] is False and fact['check_mode'] is False
    assert fact['short'] == ['helpdesk', 'storeroom']
    assert [(p['name'], p['verdict'], p['ok']) for p in fact['phones']] == [(n,) + EXPECTED[n] for n in EXPECTED]
    assert fact['summary']['total'] == 4 and fact['summary']['short'] == 2
    assert fact['phones'][0]['callee'] == '919876543210'
    assert fact['phones'][0]['answer_time']
    rejected = fact['phones'][3]
    assert rejected['api_status'] == '-68' and rejected['remedy']

    # JUnit XML: well-formed, one testcase per phone, failures for the short ones only.
    root = ET.parse(fact['junit_report']).getroot()
    suite = root.find('testsuite')
    assert suite.get('tests') == '4' and suite.get('failures') == '2'
    cases = list(root.iter('testcase'))
    # Phones that fell short first (laaffic_smoke_report orders failures first, then natural order).
    assert [c.get('name') for c in cases][:2] == ['helpdesk [desk-reject-01]', 'storeroom [desk-offline-01]']
    assert sorted(c.get('name') for c in cases) == sorted('%s [%s]' % (p['name'], p['account']) for p in PHONES)
    assert {c.get('classname') for c in cases} == {'desk_phone_smoke_test'}
    failures = {c.get('name').split(' [')[0]: c.find('failure') for c in cases}
    assert failures[ODD_NAME] is None and failures['front-desk'] is None
    assert failures['helpdesk'].get('message').startswith('verdict failed, expected answered: ')
    assert failures['storeroom'].get('message').startswith('verdict rejected, expected ringing: ')
    assert '-68' in failures['storeroom'].text

    # HTML: escaped, one row per phone, coloured by outcome.
    html = open(fact['html_report'], encoding='utf-8').read()
    assert ODD_NAME not in html and 'Desk &lt;A&amp;B&gt;' in html
    assert html.count('<tr class="ok"') == 2 and html.count('<tr class="bad"') == 2
    assert '<link' not in html and 'src=' not in html  # self-contained: its one script is inline

    # Summary table in the play output.
    assert 'FAIL helpdesk' in proc.stdout and 'FAIL storeroom' in proc.stdout
    assert fact['junit_report'] in proc.stdout and fact['html_report'] in proc.stdout


@pytest.mark.emulator_timing
def test_fails_naming_short_phones(tmp_path, fresh):
    proc, fact = run_playbook(tmp_path, fresh, {})
    assert proc.returncode != 0
    assert fact is None  # the play stopped at the role's failure
    out = proc.stdout + proc.stderr
    failure = [line for line in out.splitlines() if 'phone(s) fell short' in line]
    assert failure, out
    assert '2 of 4 phone(s) fell short' in failure[0]
    assert 'helpdesk (account desk-reject-01): failed, expected answered' in failure[0]
    assert 'storeroom (account desk-offline-01): rejected, expected ringing' in failure[0]
    assert 'front-desk' not in failure[0] and 'desk-answer-01' not in failure[0]
    # The reports are written before the play fails.
    assert (tmp_path / 'play-reports' / 'desk-phone-smoke-test.junit.xml').exists()
    assert (tmp_path / 'play-reports' / 'desk-phone-smoke-test.html').exists()


def test_check_mode_places_no_call(tmp_path, fresh):
    proc, fact = run_playbook(tmp_path, fresh, {}, check=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert fresh.calls() == []
    assert fact['check_mode'] is True and fact['passed'] is True and fact['short'] == []
    assert [p['verdict'] for p in fact['phones']] == [None] * 4
    assert not (tmp_path / 'play-reports').exists()
    assert 'check mode: no call placed' in proc.stdout


def test_missing_account_is_refused_before_calling(tmp_path, fresh):
    proc, _fact = run_playbook(tmp_path, fresh, {}, phones=PHONES + [{'name': 'nameless', 'callee': '919876543210'}])
    assert proc.returncode != 0
    assert fresh.calls() == []
    assert 'account' in proc.stdout + proc.stderr


def test_echoed_signs_reach_no_report_summary_or_failure(tmp_path):
    """A hostile platform echoing the Sign (reason phrase, upper case, success data): none of it in any output."""
    from types import SimpleNamespace

    from support.hostile import Hostile, answer, envelope

    def platform(req):
        sign = req.header('Sign') or ''
        if req.path.endswith('/voice/sendSip'):
            if req.json()['account'] == 'desk-answer-01':
                return answer(envelope('VID-%s' % sign.upper()))
            return answer('SIGN %s' % sign.upper(), status=500, reason='Bad sign %s' % sign)
        if '/voice/recordSip/' in req.path:
            return answer(envelope({'voiceId': '1', 'ringingTime': 1670939570000, 'hangupTime': 1670939575000,
                                    'terminationReason': 'refused, sign %s' % sign.upper(), 'answerTime': 99999999999999999999}))
        return answer(envelope(status='-1', reason=sign))

    with Hostile(platform) as api:
        target = SimpleNamespace(api_url=api.url + '/v3', api_key='bDqJFiq9', api_secret='7bz1lzh9', app_id='4luaKsL2')
        phones = [{'name': 'one', 'account': 'desk-answer-01', 'expect': 'ringing'}, {'name': 'two', 'account': 'desk-answer-02'}]
        proc, _fact = run_playbook(tmp_path, target, {'desk_phone_smoke_test_wait_timeout': 3, 'desk_phone_smoke_test_api_timeout': 2,
                                                      'desk_phone_smoke_test_secure_logging': False}, phones=phones)
        assert proc.returncode != 0 and 'phone(s) fell short' in proc.stdout + proc.stderr
        reports = tmp_path / 'play-reports'
        texts = [proc.stdout, proc.stderr] + [path.read_text(encoding='utf-8') for path in sorted(reports.iterdir())]
        # JUnit, HTML, the fleet history (and its lock file): every file the role wrote is searched.
        assert len(texts) >= 5 and 'two [desk-answer-02]' in ''.join(texts[2:])
        signs = [r.header('Sign').lower() for r in api.requests if r.header('Sign')]
        assert len(signs) >= 2
        for text in texts:
            lowered = text.lower()
            assert '7bz1lzh9' not in lowered
            assert not any(sign in lowered for sign in signs)
