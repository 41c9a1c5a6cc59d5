#!/usr/bin/env bash
# Runs an integration test program against PostgreSQL:
#   - inside a throw-away cluster made by pg_virtualenv (postgresql-common), the default;
#   - or against the server the PG* environment names, when KETA_TEST_PG_EXISTING=1.
# Never skips: without pg_virtualenv (and without KETA_TEST_PG_EXISTING=1) it fails.
# Usage: pg_run.sh PROGRAM [ARGS...]
set -euo pipefail
program=$1
shift
export KETA_TEST_STORE=postgresql
if [ "${KETA_TEST_PG_EXISTING:-0}" = 1 ]; then
    exec "$program" "$@"
fi
if ! command -v pg_virtualenv >/dev/null; then
    echo "pg_run: pg_virtualenv not found (Debian packages postgresql and postgresql-common;" \
         "scripts/install-deps.sh installs them): the PostgreSQL tests cannot run" >&2
    exit 1
fi
# -t: a temporary cluster directory even as root (CI runs as root).
exec pg_virtualenv -t -- "$program" "$@"
