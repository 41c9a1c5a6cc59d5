#!/usr/bin/env bash
# Runs every benchmark and its side-by-side comparison in one go, on a release build.
# Usage: bench/run.sh [SECONDS]. Figures are measured on the machine that runs this; the peers
# (Debian's python3-scipy, r-base-core, r-cran-desolve) are installed here, not by the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-0.5}
scripts/install-deps.sh
peers=(python3-scipy python3-numpy r-base-core r-cran-desolve)
missing=()
for p in "${peers[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
scripts/build.sh build-bench -DCMAKE_BUILD_TYPE=Release -DKETA_BENCH=ON >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== scoring: the whole keta score path (parse, validate, score, encode), one core"
build-bench/bench/bench_score "$seconds"
echo "-- the same PHQ-9 request and response fields in plain Python (Debian's python3):"
/usr/bin/python3 bench/peers/score_phq9.py "$seconds"

echo
echo "== PK reference course: Domino + effect site, 70 kg, six 0.5 mg/kg 40-min infusions,"
echo "   1-min output over 30 days (43,201 points of Cp and Ce), one subject, one core;"
echo "   then 100,000 virtual patients through it on every core (hourly summaries, with PD)"
patients=${PATIENTS:-100000}
keta_out=$(build-bench/bench/bench_pk_course 2000 "$work/grid.csv" "$patients")
echo "$keta_out"
keta_line=$(head -n 1 <<<"$keta_out")
pop_line=$(sed -n 2p <<<"$keta_out")
keta_ms=$(sed -E 's/.*: ([0-9.]+) ms per subject.*/\1/' <<<"$keta_line")
pop_s=$(sed -E 's/.* patients in ([0-9.]+) s wall.*/\1/' <<<"$pop_line")
pop_cpu_us=$(sed -E 's/.* ([0-9.]+) us of CPU per patient.*/\1/' <<<"$pop_line")
/usr/bin/python3 bench/peers/agree_scipy.py "$work/grid.csv"
cp ../shared/peers/* "$work/"
(cd "$work" && R CMD SHLIB desolve_model.c >/dev/null 2>&1)
ratio() {
    awk -v p="$2" -v k="$keta_ms" -v n="$1" -v ps="$pop_s" -v pc="$pop_cpu_us" -v np="$patients" 'BEGIN {
        printf "   %-34s %9.2f ms  keta is %.0fx faster per subject;", n, p, p / k
        printf " %d subjects would take it %.0f s on one core: the keta population (%.2f s wall)\n", np, p * np / 1000, ps
        printf "   %-34s %12s  is %.0fx faster in wall time, %.0fx per patient of CPU (hourly summaries with PD)\n", "", "", p * np / 1000 / ps, p * 1000 / pc }'
}
scipy=$(cd "$work" && /usr/bin/python3 scipy_course.py 3 | sed -E 's/.*: ([0-9.]+) ms per subject.*/\1/')
desolve=$(cd "$work" && Rscript desolve_course.R 2 | sed -E 's/.*: ([0-9.]+) ms per subject.*/\1/')
compiled=$(cd "$work" && Rscript desolve_compiled_course.R 5 | sed -E 's/.*: ([0-9.]+) ms per subject.*/\1/')
echo "-- peers, the same course in the same run (../shared/peers):"
ratio "scipy solve_ivp LSODA (rtol 1e-8)" "$scipy"
ratio "R deSolve lsoda, R derivative" "$desolve"
ratio "R deSolve lsoda, compiled C model" "$compiled"

echo
echo "== response model (src/pd): 100,000 patients, the reference course's six sessions, hourly"
echo "   over 30 days (721 points), one core"
build-bench/bench/bench_pd_response 100000
echo "== the clinic server under load (bench/serve.sh)"
bench/serve.sh 10
echo "== store: recording vital signs through the service layer vs raw prepared INSERTs,"
echo "   same database, same durability, one transaction per row"
build-bench/bench/bench_store 2000 "$work/bench.db"
# pg_virtualenv turns fsync off for speed; the comparison wants a durable server.
pg_virtualenv -t -o fsync=on -- build-bench/bench/bench_store 2000 postgresql:// 2>&1 |
    grep -v -i 'cluster'
