# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: laaffic_phones
short_description: The SIP desk phones of a LAAFFIC voice application as inventory hosts
version_added: 1.1.0
author:
  - laaffic.voice maintainers (@laaffic-voice)
description:
  - Lists the phones of the voice application (C(POST voice/sipQuery), every page) and makes each one an inventory host,
    in a group per phone group and in the group O(parent_group).
  - 'Host variables: C(laaffic_account) (the SIP account, which the R(desk_phone_smoke_test role,ansible_collections.laaffic.voice.desk_phone_smoke_test_role)
    calls through), C(laaffic_display_num), C(laaffic_phone_group), C(laaffic_phone_name), and C(laaffic_sip_password) only
    with O(include_passwords=true).'
  - The configuration file must end with C(laaffic_phones.yml) or C(laaffic_phones.yaml), for example
    C(inventory/laaffic_phones.yml); the plugin does not read other files.
  - "The phones have no SSH. Run plays over them with C(gather_facts: false) and delegate tasks to C(localhost),
    as the collection's roles do."
  - Read-only; it never changes anything on the platform.
options:
  plugin:
    description: The name of this plugin, so that Ansible picks it for the file.
    type: str
    required: true
    choices: [laaffic.voice.laaffic_phones, laaffic_phones]
  phone_groups:
    description:
      - Only the phones of these phone groups (exact names as on the platform). Empty means every phone of the application.
    type: list
    elements: str
    default: []
  include_passwords:
    description:
      - Whether each host gets its SIP password in the host variable C(laaffic_sip_password), for example to render the
        phones' provisioning files with the R(desk_phone_config role,ansible_collections.laaffic.voice.desk_phone_config_role).
      - B(Off by default), so that listing, grouping and smoke-testing phones never loads SIP credentials into host variables,
        where C(ansible-inventory --list), C(debug) tasks and fact caches would show them.
      - B(Not with O(cache=true)). The plugin refuses the combination with an error, because a cache (the C(jsonfile) one
        writes a world-readable file) would store the passwords in clear. Keep the provisioning inventory that has the
        passwords uncached, and cache a separate inventory without them if listing is slow.
    type: bool
    default: false
    env:
      - name: LAAFFIC_INCLUDE_PASSWORDS
  hostname:
    description:
      - A Jinja2 expression, evaluated with the host variables above, that gives each host its inventory name.
      - The SIP account (the default) is unique in the application; any other expression must give unique names too.
      - 'Host names come from platform data, so each character of the Unicode categories Cc, Cf, Zl and Zp (control and
        format characters such as ESC, BEL, U+0085, U+200B, U+202E, U+2028) is replaced by C(_) in the name: such a
        character would otherwise reach the terminal in Ansible''s output and error lines. The host variables keep the
        values as the platform sent them.'
    type: str
    default: laaffic_account
  parent_group:
    description:
      - Every phone is also put in this group. An empty string puts the phones in their phone groups only.
    type: str
    default: laaffic_phones
  group_prefix:
    description:
      - Text put before each phone group's name to make the inventory group's name.
      - Characters that are not allowed in group names (anything but letters, digits and C(_), and a leading digit) become C(_),
        so phone group V(floor-3) is the inventory group C(floor_3).
    type: str
    default: ''
  max_phones:
    description:
      - A safety cap on how many phones are read. The plugin reads every page of the application up to the platform's
        own total, so an application of any size is listed whole; one larger than this cap is listed up to it, with a
        warning.
      - A whole number from 1 to 10,000,000.
    type: int
    default: 100000
    env:
      - name: LAAFFIC_MAX_PHONES
extends_documentation_fragment:
  - laaffic.voice.connection
  - laaffic.voice.connection.plugins
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
notes:
  - The connection options are read from the configuration file (values may be templates, such as a vaulted variable
    given with C(-e)), from the environment variables E(LAAFFIC_API_URL), E(LAAFFIC_API_KEY), E(LAAFFIC_API_SECRET) and
    E(LAAFFIC_APP_ID) (the same the modules read), from the C([laaffic_voice]) section of C(ansible.cfg), or from extra
    variables (C(-e laaffic_api_url=...)). O(app_id) is required.
  - The plugin logs one line per request with C(-vvv) (method, URL, status, milliseconds); never a header, body or password.
  - Values from the platform that hold C({) or C(}) (every Jinja2 delimiter does) are marked unsafe, so they are never
    templated; every other value is a plain string, as C(ansible-inventory --list) and an AWX inventory import show it.
  - Errors of C(sipQuery) never quote the platform's reason, body or redirect target (they may carry SIP passwords); the
    status code and the collection's own text are shown.
seealso:
  - module: laaffic.voice.laaffic_phone_info
  - module: laaffic.voice.laaffic_phone_group
  - name: From zero to a tested fleet
    description: The collection's provisioning guide.
    link: https://github.com/laaffic-voice/laaffic.voice/blob/main/docs/docsite/rst/guide_provisioning.rst
'''

EXAMPLES = r'''
# inventory/laaffic_phones.yml - every phone of the application, credentials from LAAFFIC_* environment variables
plugin: laaffic.voice.laaffic_phones

---
# inventory/prod.laaffic_phones.yml - the third floor only, with the credentials from a vault
# (ansible-inventory -i inventory/prod.laaffic_phones.yml --list -e @vault.yml --ask-vault-pass)
plugin: laaffic.voice.laaffic_phones
api_key: "{{ vault_laaffic_api_key }}"
api_secret: "{{ vault_laaffic_api_secret }}"
app_id: 4luaKsL2
phone_groups: [floor-3]
# Each phone's MAC address from an asset list (account,mac lines) for the desk_phone_config role
compose:
  laaffic_mac: lookup('ansible.builtin.csvfile', laaffic_account, file='phones.csv', delimiter=',')
keyed_groups:
  - key: laaffic_display_num
    prefix: caller_id
groups:
  reception: laaffic_phone_name.startswith('reception')

---
# inventory/provisioning.laaffic_phones.yml - with the SIP passwords, to render the phones' configuration files
# (never cached: the plugin refuses include_passwords with cache, so that no password is written to disk)
plugin: laaffic.voice.laaffic_phones
include_passwords: true
hostname: laaffic_phone_group ~ '-' ~ laaffic_phone_name

---
# inventory/fleet.laaffic_phones.yml - a large fleet, cached for five minutes (no passwords), listed up to 200,000 phones
plugin: laaffic.voice.laaffic_phones
max_phones: 200000
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/laaffic_phones
cache_timeout: 300
'''

from ansible.errors import AnsibleError
from ansible.inventory.group import to_safe_group_name
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display

from ansible_collections.laaffic.voice.plugins.module_utils._client import LaafficClient
from ansible_collections.laaffic.voice.plugins.module_utils._errors import LaafficError
from ansible_collections.laaffic.voice.plugins.module_utils._names import sanitized
from ansible_collections.laaffic.voice.plugins.module_utils._options import ConnectionOptions
from ansible_collections.laaffic.voice.plugins.module_utils._phones import check_max_phones, list_phones
from ansible_collections.laaffic.voice.plugins.plugin_utils._requests import require_requests
from ansible_collections.laaffic.voice.plugins.plugin_utils._unsafe import make_unsafe

display = Display()

DEFAULT_HOSTNAME = 'laaffic_account'
FILE_SUFFIXES = ('laaffic_phones.yml', 'laaffic_phones.yaml')


def host_vars(phone, with_password):
    """The host variables of one phone; those that hold a Jinja2 delimiter are marked unsafe (see _unsafe): they come
    from the network and are never templated, while plain values stay plain strings."""
    variables = {
        'laaffic_account': phone['account'],
        'laaffic_display_num': phone['display_num'],
        'laaffic_phone_group': phone['group_name'],
        'laaffic_phone_name': phone['phone_name'],
    }
    if with_password:
        variables['laaffic_sip_password'] = phone['password']
    return make_unsafe(variables)


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'laaffic.voice.laaffic_phones'

    def verify_file(self, path):
        """Only files whose names end with laaffic_phones.yml or .yaml, so the plugin never claims another YAML file."""
        return super().verify_file(path) and path.endswith(FILE_SUFFIXES)

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        if self.get_option('include_passwords') and self.get_option('cache'):
            raise AnsibleError('laaffic_phones: include_passwords and cache cannot be used together: the cache would store the '
                               'SIP passwords in clear (the jsonfile cache writes them to a world-readable file). Turn cache off in '
                               'this file (passwords are read fresh each run), or turn include_passwords off to cache the listing.')
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        update_cache = self.get_option('cache') and not cache
        phones = None
        if use_cache:
            try:
                phones = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if phones is None:
            phones = self._fetch()
        if update_cache:
            self._cache[cache_key] = phones
        self._populate(phones)

    def _option(self, name):
        """An option's value, templated when it is a template (for example a vaulted variable given with -e)."""
        value = self.get_option(name)
        if isinstance(value, str) and self.templar.is_template(value):
            self.templar.available_variables = self._vars or {}
            value = self.templar.template(value)
        return value

    def _fetch(self):
        """The phones of the application, passwords only when include_passwords is on."""
        try:
            options = ConnectionOptions.from_getter(self._option, require_app_id=True)
        except LaafficError as exc:
            raise AnsibleError('laaffic_phones: %s' % exc.message)
        require_requests('the %s inventory plugin' % self.NAME)
        client = LaafficClient(options, pool_size=2, log=lambda line: display.vvv('laaffic_phones: %s' % line))
        groups = self.get_option('phone_groups') or []
        try:
            phones = list_phones(client, options.app_id, warn=lambda text: display.warning('laaffic_phones: %s' % text),
                                 max_phones=check_max_phones(self.get_option('max_phones')))
        except LaafficError as exc:
            raise AnsibleError('laaffic_phones: %s' % exc.message)
        finally:
            client.close()
        keep_passwords = self.get_option('include_passwords')
        chosen = []
        for phone in phones:
            if groups and phone['group_name'] not in groups:
                continue
            if not keep_passwords:
                phone = dict(phone, password=None)
            chosen.append(phone)
        return chosen

    def _hostname(self, variables):
        """The host name of a phone, with every Unicode Cc, Cf, Zl and Zp character replaced by _ (see the hostname option)."""
        expression = self.get_option('hostname') or DEFAULT_HOSTNAME
        account = sanitized(variables['laaffic_account'])
        if expression == DEFAULT_HOSTNAME:
            return account
        try:
            name = self._compose(expression, variables)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            raise AnsibleError('laaffic_phones: hostname %r failed for account %s: %s' % (expression, account, sanitized(exc)))
        if name is None or not str(name).strip():
            raise AnsibleError('laaffic_phones: hostname %r gives an empty name for account %s' % (expression, account))
        return sanitized(name)

    def _populate(self, phones):
        strict = self.get_option('strict')
        parent = self.get_option('parent_group')
        prefix = self.get_option('group_prefix') or ''
        with_password = bool(self.get_option('include_passwords'))
        if parent:
            parent = self.inventory.add_group(to_safe_group_name(parent, force=True, silent=True))
        seen = {}
        for phone in phones:
            variables = host_vars(phone, with_password and phone.get('password') is not None)
            name = self._hostname(variables)
            if name in seen:
                raise AnsibleError('laaffic_phones: accounts %s and %s both get the host name %r: choose a hostname expression '
                                   'that gives unique names' % (seen[name], sanitized(phone['account']), name))
            seen[name] = sanitized(phone['account'])
            self.inventory.add_host(name)
            for key, value in variables.items():
                self.inventory.set_variable(name, key, value)
            if parent:
                self.inventory.add_child(parent, name)
            if phone['group_name']:
                group = self.inventory.add_group(to_safe_group_name(prefix + phone['group_name'], force=True, silent=True))
                self.inventory.add_child(group, name)
            all_vars = self.inventory.get_host(name).get_vars()
            self._set_composite_vars(self.get_option('compose'), all_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), all_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), all_vars, name, strict=strict)
