#!/usr/bin/env bash
# Runs every benchmark and its side-by-side comparison in one go, on a release build.
# Usage: bench/run.sh [SECONDS]. Figures are measured on the machine that runs this.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-0.5}
scripts/install-deps.sh
scripts/build.sh build-bench -DCMAKE_BUILD_TYPE=Release -DKETA_BENCH=ON >/dev/null
echo "== scoring: the whole keta score path (parse, validate, score, encode), one core"
build-bench/bench/bench_score "$seconds"
if [ -x /usr/bin/python3 ]; then
    echo "-- the same PHQ-9 request in plain Python (Debian's python3):"
    /usr/bin/python3 bench/peers/score_phq9.py "$seconds"
fi
