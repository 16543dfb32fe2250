"""Run ansible-playbook from the test virtualenv and collect registered results."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
COLLECTIONS = os.path.join(ROOT, '.build', 'collections')
# save_results: writes the registered results on the controller, without running a module.
ACTION_PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'action_plugins')


def _registered(tasks):
    """Names registered by the tasks, in blocks too."""
    names = []
    for task in tasks:
        if 'register' in task:
            names.append(task['register'])
        for key in ('block', 'rescue', 'always'):
            names.extend(_registered(task.get(key) or []))
    return names


class PlaybookRun(object):
    def __init__(self, proc, results_path):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.results = {}
        if os.path.exists(results_path):
            with open(results_path) as handle:
                self.results = json.load(handle)


def run_playbook(tmp_path, tasks, extra_vars=None, env=None, verbosity=0, check=False, collections=COLLECTIONS, play_vars=None):
    """Run ``tasks`` on localhost. Each task that registers a variable gets it saved to results[name]."""
    results_path = str(tmp_path / 'results.json')
    registered = _registered(tasks)
    save = {
        'name': 'Save the registered results',
        'save_results': {
            'content': '{{ {%s} | to_json }}' % ', '.join("'%s': (%s | default(None))" % (name, name) for name in registered),
            'dest': results_path},
        'check_mode': False,
    }
    play = [{
        'name': 'test', 'hosts': 'localhost', 'gather_facts': False,
        'vars': dict({'ansible_python_interpreter': sys.executable}, **(play_vars or {})),
        'tasks': [{'name': 'Run', 'block': list(tasks), 'always': [save]}],
    }]
    playbook = tmp_path / 'playbook.yml'
    playbook.write_text(yaml.safe_dump(play, sort_keys=False))
    command = [os.path.join(BIN, 'ansible-playbook'), '-i', 'localhost,', '-c', 'local', str(playbook)]
    if verbosity:
        command.append('-' + 'v' * verbosity)
    if check:
        command.append('--check')
    for key, value in (extra_vars or {}).items():
        command.extend(['-e', json.dumps({key: value})])
    run_env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR='1', ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                   ANSIBLE_LOCALHOST_WARNING='false', ANSIBLE_INVENTORY_UNPARSED_WARNING='false', ANSIBLE_ACTION_PLUGINS=ACTION_PLUGINS)
    run_env.update(env or {})
    proc = subprocess.run(command, capture_output=True, text=True, env=run_env, cwd=str(tmp_path), check=False)
    return PlaybookRun(proc, results_path)
