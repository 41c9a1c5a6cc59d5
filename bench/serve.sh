#!/usr/bin/env bash
# The clinic server under load on loopback (not CI): wrk drives POST /api/v1/score/phq9 and
# GET /api/v1/health for a bounded time each and this prints p50/p99 latency, throughput,
# errors and the server's resident memory (now and peak). Release build, access log on (to a
# file), one worker per core. On a machine that also runs the load generator the figures are
# relative: wrk and the server share the cores.
# Usage: bench/serve.sh [SECONDS_PER_RUN] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
conns=${2:-32}
command -v wrk >/dev/null || scripts/install-deps.sh
scripts/build.sh build-bench -DCMAKE_BUILD_TYPE=Release -DKETA_BENCH=ON >/dev/null
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; rm -rf "$work"' EXIT

build-bench/keta serve --listen 127.0.0.1:0 --max-connections 1024 --per-ip 1024 \
    > "$work/out" 2> "$work/log" &
pid=$!
for _ in $(seq 100); do grep -q 'serving on' "$work/out" && break; sleep 0.1; done
url=$(sed -n 's|.*\(http://[^ ]*/\).*|\1|p' "$work/out")
threads=$(sed -n 's/.*"threads":\([0-9]*\).*/\1/p' "$work/log")
rss() { awk '/^VmRSS/ {r=$2} /^VmHWM/ {h=$2} END {printf "%.1f MB now, %.1f MB peak", r/1024, h/1024}' "/proc/$pid/status"; }

echo "keta serve ($threads worker threads), wrk -t2 -c$conns -d${seconds}s on loopback; $(nproc) cores shared with wrk"
echo "idle server: $(rss)"
run() { # NAME, wrk arguments...
    local name=$1; shift
    wrk -t2 -c"$conns" -d"${seconds}s" --latency "$@" > "$work/wrk" 2>&1
    awk -v name="$name" -v mem="$(rss)" '
        /^ +50%/ { p50 = $2 } /^ +99%/ { p99 = $2 }
        /^Requests\/sec/ { rps = $2 }
        /requests in/ { n = $1 }
        /Non-2xx/ { bad = $NF } /Socket errors/ { sock = $0 }
        END { printf "%-28s p50 %8s  p99 %8s  %10s req/s  (%s requests, non-2xx %d%s)  RSS %s\n",
                     name, p50, p99, rps, n, bad, sock ? "; " sock : "", mem }' "$work/wrk"
}
run "POST /api/v1/score/phq9" -s bench/wrk/score_phq9.lua "${url}api/v1/score/phq9"
run "GET /api/v1/health" "${url}api/v1/health"
lines=$(grep -c '"msg":"request"' "$work/log" || true)
echo "access log: $lines records, $(du -h "$work/log" | cut -f1)"
kill -TERM "$pid"
wait "$pid" && echo "stopped cleanly (exit 0)"
pid=
