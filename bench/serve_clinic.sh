#!/usr/bin/env bash
# The clinic routes of keta serve under load on loopback (not CI), on SQLite (WAL,
# synchronous=FULL, a file on disk) and on PostgreSQL (a throw-away pg_virtualenv cluster):
#   chart      GET  /api/v1/patients/{id}                  (nurse session)
#   vitals     POST /api/v1/sessions/{id}/vitals           (nurse session + CSRF; a write
#                                                           and its audit entry, one transaction)
#   assessment POST /api/v1/patients/{id}/assessments      (PHQ-9; skipped when the route
#                                                           answers 404: not in this build)
# each at a fixed 500 requests/s (wrk with a per-connection delay: bench/wrk/clinic.lua; no
# wrk2 in Debian) and unbounded. Prints p50/p99 latency, throughput, errors and the server's
# RSS under load (sampled mid-run) and its peak. Release build; every write lands in the
# database, so a run leaves thousands of rows (the database is thrown away).
# Usage: bench/serve_clinic.sh [SECONDS_PER_RUN] [CONNECTIONS] [sqlite|postgresql|both]
# KETA_BIN=path uses that keta instead of building one; KETA_THREADS=N gives keta serve
# --threads N (default one worker per core).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
conns=${2:-16}
stores=${3:-both}
rate=500

if [ "${KETA_BENCH_INNER:-}" = "" ]; then
    command -v wrk >/dev/null || scripts/install-deps.sh
    if [ -z "${KETA_BIN:-}" ]; then
        cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DKETA_BENCH=ON >/dev/null
        nice ninja -C build-bench keta_cli >/dev/null
        KETA_BIN=$PWD/build-bench/keta
    fi
    export KETA_BIN
    echo "keta serve under wrk -t2 -c$conns, ${seconds}s per run, on loopback; $(nproc) cores shared by wrk, keta and the database"
    if [ "$stores" = sqlite ] || [ "$stores" = both ]; then
        KETA_BENCH_INNER=sqlite bash "$0" "$seconds" "$conns"
    fi
    if [ "$stores" = postgresql ] || [ "$stores" = both ]; then
        KETA_BENCH_INNER=postgresql pg_virtualenv -t -- bash "$0" "$seconds" "$conns" 2>&1 |
            grep -v -e '^Creating new PostgreSQL cluster' -e '^Dropping cluster'
    fi
    exit 0
fi

# ---- one store (inside pg_virtualenv for PostgreSQL) -------------------------------------------
store=$KETA_BENCH_INNER
work=$(mktemp -d "${TMPDIR:-/tmp}/keta-bench.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    [ "$store" = postgresql ] && dropdb --if-exists keta_bench 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
if [ "$store" = postgresql ]; then
    createdb keta_bench
    DB=postgresql:///keta_bench
else
    DB=$work/clinic.db
fi
"$KETA_BIN" demo --db "$DB" > "$work/demo.json"
pw() { jq -r --arg u "$1" '.logins[] | select(.username == $u) | .password' "$work/demo.json"; }
"$KETA_BIN" serve --listen 127.0.0.1:0 --db "$DB" --max-connections 1024 --per-ip 1024 ${KETA_THREADS:+--threads "$KETA_THREADS"} \
    > "$work/out" 2> "$work/log" &
pid=$!
for _ in $(seq 100); do grep -q 'serving on' "$work/out" && break; sleep 0.1; done
U=$(sed -n 's|.*\(http://[^ ]*\)/ .*|\1|p' "$work/out")
threads=$(sed -n 's/.*"threads":\([0-9]*\).*/\1/p' "$work/log" | head -1)
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
hwm() { awk '/^VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }

login=$(curl -s -c "$work/jar" -H 'Content-Type: application/json' \
    -d "$(jq -cn --arg p "$(pw nurse)" '{username: "nurse", password: $p}')" "$U/api/v1/login")
export KETA_CSRF KETA_COOKIE
KETA_CSRF=$(jq -r .csrf_token <<<"$login")
KETA_COOKIE="keta_session=$(awk '$6 == "keta_session" {print $7}' "$work/jar")"
patient=$(jq -r '.patients[0].id' "$work/demo.json")
[ "$patient" != null ] || patient=1

vitals='{"systolic_mmhg":124,"diastolic_mmhg":78,"heart_rate_bpm":72,"spo2_percent":98,"sedation_moaas":5}'
phq9='{"instrument":"phq9","items":[1,2,1,0,3,1,2,1,0]}'
probe() { # METHOD PATH BODY: the status of one request
    curl -s -o "$work/probe" -w '%{http_code}' -X "$1" -b "$KETA_COOKIE" -H "X-CSRF-Token: $KETA_CSRF" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$U$2"
}
# The vitals route needs a session in progress or completed; the demo's first patient has one.
session=1

echo
echo "== $store ($("$KETA_BIN" version), $threads worker threads; idle RSS $(rss) MB)"
[ "$store" = sqlite ] && echo "   SQLite file on $(df -T "$work" | awk 'NR == 2 {print $2}'), WAL, synchronous=FULL"
printf '%-44s %9s %9s %10s %9s %7s %12s\n' "route, rate" p50 p99 "req/s" requests non2xx "RSS mid MB"
run() { # NAME METHOD PATH BODY RATE
    local name=$1 method=$2 path=$3 body=$4 r=$5
    KETA_METHOD=$method KETA_BODY=$body KETA_RATE=$r KETA_CONNS=$conns \
        wrk -t2 -c"$conns" -d"${seconds}s" --latency -s bench/wrk/clinic.lua "$U$path" > "$work/wrk" 2>&1 &
    local w=$!
    sleep "$(awk -v s="$seconds" 'BEGIN {print s / 2}')"
    local mem
    mem=$(rss)
    wait "$w"
    awk -v name="$name" -v mem="$mem" '
        /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
        /^Requests\/sec/ { rps = $2 }
        /requests in/ { n = $1 }
        /Non-2xx/ { bad = $NF } /Socket errors/ { sock = $0 }
        END { printf "%-44s %9s %9s %10s %9s %7d %12s%s\n", name, p50, p99, rps, n, bad, mem,
                     sock ? "  (" sock ")" : "" }' "$work/wrk"
}
both() { # NAME METHOD PATH BODY
    run "$1 @${rate}/s" "$2" "$3" "$4" "$rate"
    run "$1 unbounded" "$2" "$3" "$4" 0
}
code=$(probe GET "/api/v1/patients/$patient")
[ "$code" = 200 ] || { echo "chart probe answered $code: $(cat "$work/probe")"; exit 1; }
both "GET /api/v1/patients/{id}" GET "/api/v1/patients/$patient" ""
code=$(probe POST "/api/v1/sessions/$session/vitals" "$vitals")
[ "$code" = 201 ] || { echo "vitals probe answered $code: $(cat "$work/probe")"; exit 1; }
both "POST /api/v1/sessions/{id}/vitals" POST "/api/v1/sessions/$session/vitals" "$vitals"
code=$(probe POST "/api/v1/patients/$patient/assessments" "$phq9")
case $code in
    201 | 200) both "POST /api/v1/patients/{id}/assessments" POST "/api/v1/patients/$patient/assessments" "$phq9" ;;
    404) echo "POST /api/v1/patients/{id}/assessments: 404, not in this build: skipped" ;;
    *) echo "POST /api/v1/patients/{id}/assessments: probe answered $code: $(head -c 300 "$work/probe"): skipped" ;;
esac
echo "peak RSS $(hwm) MB; access log $(grep -c '"msg":"request"' "$work/log" || true) records"
if [ "$store" = sqlite ]; then
    echo "database after the runs: $(du -h "$DB" | cut -f1) (+ WAL $(du -h "$DB-wal" 2>/dev/null | cut -f1))"
fi
kill -TERM "$pid"
wait "$pid" && echo "stopped cleanly (exit 0)"
pid=
