#!/usr/bin/env bash
# Runs the web app's tests: `npm ci` from package-lock.json when node_modules is missing or
# older than the lock file (mode deps), the vendored-file hash check (mode vendor), or the
# browser tests on Debian's chromium against a demo clinic (mode browser; screenshots to
# ARTIFACTS). A missing node or chromium fails: scripts/install-deps.sh installs both.
# Usage: run.sh deps|vendor|browser KETA_BINARY SOURCE_DIR [ARTIFACTS]
set -euo pipefail
mode=$1 keta=$2 src=$3 artifacts=${4:-$PWD/browser-artifacts}
dir=$src/tests/browser
command -v node >/dev/null || { echo "run.sh: node is missing (scripts/install-deps.sh installs nodejs)"; exit 1; }
case $mode in
deps)
    if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
        command -v npm >/dev/null || { echo "run.sh: npm is missing (scripts/install-deps.sh installs it)"; exit 1; }
        (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    fi
    ;;
vendor)
    node --test "$dir/vendor.test.mjs"
    ;;
browser)
    chromium=${KETA_CHROMIUM:-/usr/lib/chromium/chromium}
    [ -x "$chromium" ] || { echo "run.sh: no chromium at $chromium (scripts/install-deps.sh installs chromium)"; exit 1; }
    rm -rf "$artifacts"
    mkdir -p "$artifacts"
    start=$SECONDS
    KETA_BIN=$keta KETA_ARTIFACTS=$artifacts KETA_CHROMIUM=$chromium node --test "$dir/app.test.mjs"
    echo "browser tests: $((SECONDS - start)) s; screenshots in $artifacts"
    ;;
*)
    echo "usage: run.sh deps|vendor|browser KETA_BINARY SOURCE_DIR [ARTIFACTS]"
    exit 2
    ;;
esac
