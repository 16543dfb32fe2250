
# Added by mk/docs.mk from docs/site/conf_offline.py: the site builds offline.
# Links to the Ansible documentation (labels outside this collection, and ansible-core's own environment
# variables such as ANSIBLE_CACHE_PLUGIN_CONNECTION of the inventory plugin's cache options) cannot be
# resolved without its inventory, which would be read from the network: they are left as plain text.
# Every reference to this collection's own labels and environment variables must resolve.
intersphinx_mapping = {}
nitpick_ignore_regex = [
    (r'(std:)?ref', r'(?!ansible_collections\.laaffic\.voice\.).*'),
    (r'(std:)?envvar', r'ANSIBLE_.*'),
]
