#!/usr/bin/env bash
# The main job: installs what keta needs, builds it, creates a fresh demo clinic on embedded
# SQLite (demo/keta-demo.db, removed and made again at every start) and serves it with the
# web app on http://127.0.0.1:8080/, printing the demo logins. Ctrl-C stops the server.
# KETA_LISTEN changes the address (e.g. KETA_LISTEN=127.0.0.1:8090).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build >/dev/null
keta=build/keta
listen=${KETA_LISTEN:-127.0.0.1:8080}
db=demo/keta-demo.db

mkdir -p demo
rm -f "$db" "$db-wal" "$db-shm"
$keta demo --db "$db" > demo/logins.json
chmod 600 demo/logins.json

printf '\n\033[1mketa demo clinic\033[0m (DEMO data and DEMO logins: never for real patients)\n'
printf 'Database: %s (made fresh at every start)\n\n' "$db"
printf 'Logins (random passwords, also in demo/logins.json):\n'
jq -r '.logins[] | "  \(.username | . + " " * (12 - length)) \(.role | . + " " * (12 - length)) \(.password)"' demo/logins.json
printf '\nOpen http://%s/ (API description: http://%s/api/v1/openapi.yaml).\n' "$listen" "$listen"
printf 'Try: curl -c /tmp/keta.cookies -H "Content-Type: application/json" \\\n'
printf '       -d %s http://%s/api/v1/login\n\n' "'{\"username\":\"nurse\",\"password\":\"...\"}'" "$listen"
exec $keta serve --db "$db" --web web --listen "$listen"
