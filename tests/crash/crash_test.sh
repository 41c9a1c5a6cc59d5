#!/usr/bin/env bash
# Crash safety (issue 4): a process killed with SIGKILL in the middle of a burst of writes
# leaves a database that opens, passes `keta audit verify`, and holds every write that was
# acknowledged. Several rounds on one database: crash_writer records vital signs from two
# threads and prints each acknowledged id; after a random delay it is killed with SIGKILL;
# then `keta audit verify` and `crash_writer check` (every acknowledged id present, each
# row with its audit entry and no entry without its row) run on what is left, and the next
# round writes on top of it.
# SQLite by default; PostgreSQL when KETA_TEST_STORE=postgresql (through
# tests/integration/pg_run.sh, inside pg_virtualenv: a new database on the PG* server).
# Usage: crash_test.sh KETA_BINARY CRASH_WRITER [ROUNDS]
set -u
keta=$1
writer=$2
rounds=${3:-6}
tmp=$(mktemp -d)
pid=
dbname=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    [ -n "$dbname" ] && dropdb --if-exists "$dbname" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
check() { # name, condition result (0 = ok), detail
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL $1: $3"; fi
}

if [ "${KETA_TEST_STORE:-sqlite}" = postgresql ]; then
    dbname=keta_crash_$$
    createdb "$dbname" || { echo "cannot create database $dbname"; exit 1; }
    DB=postgresql:///$dbname
else
    DB=$tmp/crash.db
fi

session=$("$writer" setup "$DB" 2> "$tmp/err")
check "setup" $([ -n "$session" ]; echo $?) "$(cat "$tmp/err")"
[ -n "$session" ] || exit 1

total=0
for round in $(seq "$rounds"); do
    "$writer" write "$DB" "$session" 2 > "$tmp/acked.$round" 2> "$tmp/err.$round" &
    pid=$!
    # Wait for the burst to be under way, then kill it at a random moment 50-550 ms later.
    for _ in $(seq 200); do
        [ -s "$tmp/acked.$round" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
    done
    sleep "0.$(printf '%03d' $((50 + RANDOM % 500)))"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    status=$?
    pid=
    n=$(wc -l < "$tmp/acked.$round")
    total=$((total + n))
    check "round $round: killed by SIGKILL while writing ($n acknowledged)" \
        $([ "$status" = 137 ] && [ "$n" -gt 0 ]; echo $?) "exit $status: $(head -3 "$tmp/err.$round")"
    "$keta" audit verify --db "$DB" > "$tmp/verify" 2>&1
    vstatus=$?
    check "round $round: keta audit verify" \
        $([ "$vstatus" = 0 ] && jq -e '.ok == true and .protected == true' "$tmp/verify" >/dev/null; echo $?) \
        "exit $vstatus: $(head -c 600 "$tmp/verify")"
    cat "$tmp"/acked.* | "$writer" check "$DB" "$session" > "$tmp/check" 2> "$tmp/err"
    cstatus=$?
    check "round $round: every acknowledged write present, each with its audit entry" \
        $([ "$cstatus" = 0 ]; echo $?) "exit $cstatus: $(cat "$tmp/check" "$tmp/err")"
    echo "round $round: $(cat "$tmp/check")"
done
check "writes acknowledged over all rounds" $([ "$total" -gt "$rounds" ]; echo $?) "$total"

echo "crash ${KETA_TEST_STORE:-sqlite}: $passed passed, $failed failed ($total writes acknowledged in $rounds rounds)"
[ "$failed" -eq 0 ]
