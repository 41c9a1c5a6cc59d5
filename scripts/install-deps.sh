#!/usr/bin/env bash
# Installs every Debian 12 package that building, running and testing keta needs.
# Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(
    # build
    gcc make cmake ninja-build pkg-config
    # libraries
    libjansson-dev libsodium-dev
    libmicrohttpd-dev
    # the store: SQLite, libpq; PostgreSQL server, pg_virtualenv and pg_dump for its tests
    libsqlite3-dev sqlite3 libpq-dev postgresql postgresql-common postgresql-client
    # tests, sanitizers, fuzzing, style
    libcmocka-dev clang libclang-rt-14-dev clang-format clang-tidy
    libxml2-utils # xmllint: the CLI test checks that keta pk simulate --svg writes well-formed XML
    # jq: scripts/pk-validation.sh and tests/http read answers with it
    # HTTP tests (tests/http) and the server benchmark (bench/, not CI)
    curl jq wrk
    # tests/http/nginx_test.sh: keta behind nginx with TLS (docs/nginx.md)
    nginx openssl
    # documentation
    scdoc mandoc
    # the web app's browser tests (tests/browser): Debian's chromium, driven by playwright-core from npm
    chromium nodejs
)
# npm for `npm ci` in tests/browser, unless a node that ships its own npm is installed
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
