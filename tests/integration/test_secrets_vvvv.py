"""Issue 18: no module shows a secret at -vvv, whatever its other arguments are. A malformed list argument (an item
that is not what the option's elements are) fails argument validation; the failure's ``invocation.module_args``,
shown at -vvv, must still mask ``api_secret`` and ``receiver_token``. No server is needed: nothing is sent."""

from __future__ import annotations

import pytest

from support.credentials import CREDENTIALS
from support.playbook import run_playbook

SECRET = 'Zq7-secret-never-shown'
TOKEN = 'Tk9-token-never-shown'
AUTH = dict(CREDENTIALS, api_secret=SECRET, api_url='http://127.0.0.1:9/v3', timeout=1)

MALFORMED = [
    ('laaffic_call', dict(AUTH, callee='4930123456', receiver_token=TOKEN, receiver_url='http://127.0.0.1:9',
                          calls=['not a dictionary', {'account': 'desk-01'}, ['nested', 'list']])),
    ('laaffic_call', dict(AUTH, callee='4930123456', calls=[{'account': 'desk-01', 'expect': ['ringing']}, 7])),
    ('laaffic_sign', dict(AUTH, timestamp=[['1700000000'], {'x': 1}], unexpected=['a', {'b': 2}])),
    ('laaffic_phone_group', dict(AUTH, name=['floor-3', {'x': 1}], phone_name='desk', quantity=[2])),
    ('laaffic_phone_info', dict(AUTH, accounts=[{'a': 1}, ['b'], None], group=['x'])),
    ('laaffic_phone_password', dict(AUTH, accounts=[['lobby_001'], {'account': 'x'}])),
]


@pytest.mark.parametrize('module, args', MALFORMED, ids=['call-items', 'call-mixed', 'sign', 'phone_group', 'phone_info', 'phone_password'])
def test_no_secret_at_vvv_with_a_malformed_list_argument(tmp_path, module, args):
    task = {'name': module, 'laaffic.voice.%s' % module: args, 'register': 'r', 'ignore_errors': True}
    run = run_playbook(tmp_path, [task], verbosity=3)
    assert run.rc == 0, run.output
    assert run.results['r']['failed'] and 'module_args' in run.output  # the invocation is really shown
    assert SECRET not in run.output and TOKEN not in run.output, run.output
