# -*- coding: utf-8 -*-
# Copyright (c) 2026, laaffic.voice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by every module and plugin, as module_utils/_options.CONNECTION_OPTIONS defines them (names, types,
    # defaults, LAAFFIC_<NAME> environment variables; tests/unit/plugins/doc_fragments compares the two).
    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - Base URL of the LAAFFIC API.
      - Both the reference form with C(/v3) and the form without it are accepted by the platform.
      - Point it at the bundled emulator (for example V(http://127.0.0.1:8099/v3)) to try playbooks with no account.
      - Redirects are never followed, so that signed requests go only to this address; a 3xx answer is an error naming the
        C(Location); set this option to the final address if it is the LAAFFIC API.
      - If not set, the value of the E(LAAFFIC_API_URL) environment variable is used.
    type: str
    default: https://api.laaffic.com/v3
  api_key:
    description:
      - The API key (LAAFFIC console, Home > Developer options), sent as the C(Api-Key) header.
      - If not set, the value of the E(LAAFFIC_API_KEY) environment variable is used. Required one way or the other.
    type: str
  api_secret:
    description:
      - The API secret. It is only used to compute the C(Sign) header and is never sent, logged or returned.
      - If not set, the value of the E(LAAFFIC_API_SECRET) environment variable is used. Required one way or the other.
    type: str
  app_id:
    description:
      - The voice application ID (C(appId)) that owns the SIP desk phones.
      - If not set, the value of the E(LAAFFIC_APP_ID) environment variable is used.
      - Required by the operations that name an application, such as placing calls.
    type: str
  timeout:
    description:
      - Seconds to wait for each HTTP request (connect and read). This is not an overall deadline.
      - From 0.1 to 600.
      - If not set, the value of the E(LAAFFIC_TIMEOUT) environment variable is used.
    type: float
    default: 15
  validate_certs:
    description:
      - Whether to verify the platform's TLS certificate. Only set V(false) against a test server.
      - If not set, the value of the E(LAAFFIC_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  ca_path:
    description:
      - Path to a CA bundle used to verify the platform's certificate, for example behind a TLS-inspecting proxy.
      - Proxies are taken from the E(HTTPS_PROXY), E(HTTP_PROXY) and E(NO_PROXY) environment variables.
      - If not set, the value of the E(LAAFFIC_CA_PATH) environment variable is used.
    type: path
requirements:
  - requests >= 2.28 on the host that runs the module (the controller or an execution environment)
notes:
  - Requests are signed as documented by LAAFFIC, C(Sign = md5(api_key + api_secret + Timestamp)), with a fresh
    timestamp for every request, so the controller's clock must be right (status C(-16) otherwise).
'''

    # Extra configuration sources for lookup plugins (modules cannot read them).
    PLUGINS = r'''
options:
  api_url:
    env:
      - name: LAAFFIC_API_URL
    ini:
      - section: laaffic_voice
        key: api_url
    vars:
      - name: laaffic_api_url
  api_key:
    env:
      - name: LAAFFIC_API_KEY
    ini:
      - section: laaffic_voice
        key: api_key
    vars:
      - name: laaffic_api_key
  api_secret:
    env:
      - name: LAAFFIC_API_SECRET
    ini:
      - section: laaffic_voice
        key: api_secret
    vars:
      - name: laaffic_api_secret
  app_id:
    env:
      - name: LAAFFIC_APP_ID
    ini:
      - section: laaffic_voice
        key: app_id
    vars:
      - name: laaffic_app_id
  timeout:
    env:
      - name: LAAFFIC_TIMEOUT
    ini:
      - section: laaffic_voice
        key: timeout
    vars:
      - name: laaffic_timeout
  validate_certs:
    env:
      - name: LAAFFIC_VALIDATE_CERTS
    ini:
      - section: laaffic_voice
        key: validate_certs
    vars:
      - name: laaffic_validate_certs
  ca_path:
    env:
      - name: LAAFFIC_CA_PATH
    ini:
      - section: laaffic_voice
        key: ca_path
    vars:
      - name: laaffic_ca_path
'''
