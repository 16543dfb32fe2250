#!/bin/sh
# Make sure headless Chromium is installed, for the HTML report tests (tests/integration/test_smoke_report_chromium.py)
# and bench/bench_report.py. Installs Debian's `chromium` package when it is missing and this runs as root with
# apt-get; otherwise says what to install and exits 0 (the tests then skip cleanly).
#
#   devtools/ensure_chromium.sh          # exit 0 whether or not Chromium could be installed
#   devtools/ensure_chromium.sh --strict # exit 1 when Chromium is still missing
set -eu

strict=0
[ "${1:-}" = "--strict" ] && strict=1

find_chromium() {
    if [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then
        echo "$CHROMIUM"
        return 0
    fi
    for name in chromium chromium-browser google-chrome-stable google-chrome; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

if path=$(find_chromium); then
    echo "ensure_chromium: found $path"
    exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: installing Debian's chromium package (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; then
        if path=$(find_chromium); then
            echo "ensure_chromium: installed $path"
            exit 0
        fi
    fi
    echo "ensure_chromium: apt-get could not install chromium" >&2
else
    echo "ensure_chromium: Chromium is missing. Install it (Debian/Ubuntu: sudo apt-get install chromium," >&2
    echo "  Fedora: sudo dnf install chromium, macOS: brew install --cask chromium) or set CHROMIUM=/path/to/chrome." >&2
    echo "  The headless Chromium tests skip until then." >&2
fi
[ "$strict" = "1" ] && exit 1
exit 0
