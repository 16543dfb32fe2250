#!/usr/bin/env bash
# Make sure the SIP tests' packages are installed: Kamailio (registrar and proxy of the emulator's SIP side),
# SIPp (Debian sip-tester: the platform's call leg and the phone farm) and baresip (a second, independent user
# agent). Installs the missing ones with apt-get when running as root (as CI does); otherwise says exactly what
# to install and exits 0 (the SIP tests then skip with the same message; under CI=true they fail instead).
set -euo pipefail
missing=()
command -v kamailio >/dev/null 2>&1 || [ -x /usr/sbin/kamailio ] || missing+=(kamailio)
command -v sipp >/dev/null 2>&1 || missing+=(sip-tester)
command -v baresip >/dev/null 2>&1 || missing+=(baresip)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure_sip: installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the kamailio service on install; the tests start their own Kamailio on other ports
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now kamailio >/dev/null 2>&1 || true; fi
  exit 0
fi
echo "ensure_sip: the SIP tests need: sudo apt-get install ${missing[*]} (not root: not installed; tests/sip will skip)" >&2
exit 0
