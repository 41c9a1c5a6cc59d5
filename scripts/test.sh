#!/usr/bin/env bash
# Runs every test keta has, on a fresh Debian 12 machine too: installs what it needs,
# then style checks (banned functions, clang-format, clang-tidy), the release build's suite, the whole suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer (with LeakSanitizer), the threaded parts under
# ThreadSanitizer, the web app in chromium, the man page lint,
# and a bounded libFuzzer run of every decoder. Exits non-zero if any step fails.
# KETA_FUZZ_SECONDS sets the fuzzing time per target (default 20; 0 skips fuzzing).
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh || { echo "test: cannot install dependencies"; exit 1; }

passed=0
failed=0
failures=()
step() { # name, command...
    local name=$1; shift
    printf '\n== %s\n' "$name"
    local t0=$SECONDS
    if "$@"; then
        passed=$((passed + 1)); printf -- '-- %s: ok (%ds)\n' "$name" $((SECONDS - t0))
    else
        failed=$((failed + 1)); failures+=("$name"); printf -- '-- %s: FAILED\n' "$name"
    fi
}

ctest_in() { (cd "$1" && shift && ctest --output-on-failure -j2 "$@"); }
ctest_sanitized() {
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest_in build-asan "$@"
}

# ThreadSanitizer on what runs threads: keta serve (tests/http), the service and the store
# from several threads (integration, crash). About 45 s on 2 cores (build 20 s, tests 25 s).
build_tsan() {
    cmake -S . -B build-tsan -G Ninja -DKETA_WERROR=ON -DKETA_TSAN=ON \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang >/dev/null &&
        ninja -C build-tsan keta_cli crash_writer test_integration test_patient_care
}
ctest_tsan() {
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        ctest_in build-tsan -LE pg -R '^(http|crash|integration)/'
}

step "banned functions" scripts/check-banned.sh
step "format" scripts/check-format.sh
step "build (release, -Werror)" scripts/build.sh build
step "tests (release)" ctest_in build -LE 'pg|browser'
step "integration on PostgreSQL (pg_virtualenv, release)" ctest_in build -L pg --no-tests=error
step "web app in chromium (release; screenshots in build/browser-artifacts)" ctest_in build -L browser --no-tests=error
step "clang-tidy" scripts/lint.sh build
step "build (ASan+UBSan)" scripts/build.sh build-asan -DKETA_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
step "tests (ASan+UBSan)" ctest_sanitized -LE 'pg|browser'
step "integration on PostgreSQL (pg_virtualenv, ASan+UBSan)" ctest_sanitized -L pg --no-tests=error
step "build (ThreadSanitizer: server, store, crash driver)" build_tsan
step "server, integration and crash tests (ThreadSanitizer)" ctest_tsan
step "man page lint" mandoc -Tlint -W error build/keta.1
if [ "${KETA_FUZZ_SECONDS:-20}" != 0 ]; then
    step "fuzz (${KETA_FUZZ_SECONDS:-20}s per target)" scripts/fuzz.sh "${KETA_FUZZ_SECONDS:-20}"
fi

printf '\n'
[ $failed -eq 0 ] || printf 'failed steps: %s\n' "${failures[*]}"
echo "steps: $passed passed, $failed failed"
[ $failed -eq 0 ]
