#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) and runs each for a bounded time,
# seeded with the golden cases' inputs. Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]
# Long runs (hours) are for on demand: scripts/fuzz.sh 3600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
if ! command -v clang >/dev/null; then
    echo "fuzz: clang not installed; skipped"
    exit 0
fi
CC=clang cmake -S . -B build-fuzz -G Ninja -DKETA_FUZZ=ON -DKETA_SANITIZE=ON -DKETA_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build-fuzz >/dev/null
mkdir -p build-fuzz/artifacts
status=0
for bin in build-fuzz/tests/fuzz/fuzz_*; do
    name=$(basename "$bin")
    corpus=build-fuzz/corpus-$name
    mkdir -p "$corpus"
    # Seeds: every golden input, behind two neighbouring selector bytes, so a target that picks
    # its decoder by the byte's parity (fuzz_pk: simulate or tci) gets each input on both.
    n=0
    for f in tests/golden/*/*.case; do
        input=$(sed -n 's/^input: //p' "$f")
        [ -n "$input" ] || continue
        n=$((n + 1))
        printf '%b%s' "\\0$(printf '%03o' $((n % 40)))" "$input" > "$corpus/seed-$n"
        printf '%b%s' "\\0$(printf '%03o' $(((n + 1) % 40)))" "$input" > "$corpus/seed-$n-b"
    done
    echo "fuzz: $name for ${seconds}s ($n seeds)"
    if ! "$bin" -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=build-fuzz/artifacts/ -print_final_stats=1 "$corpus" \
        > "build-fuzz/$name.log" 2>&1; then
        echo "fuzz: $name FAILED; see build-fuzz/$name.log and build-fuzz/artifacts/"
        tail -n 40 "build-fuzz/$name.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|Done" "build-fuzz/$name.log" | tr '\n' ' '; echo
    fi
done
exit $status
