#!/usr/bin/env bash
# keta serve under concurrent clinic traffic on a demo database, for ThreadSanitizer (the
# KETA_TSAN build runs it; so do the others): parallel logins of every role, vitals written
# and read, charts read, 401s with and without a forged cookie (the audit quota), failed
# logins (the rate limiter), all at once from 8 clients on 4 worker threads. Checks every
# status, that every vitals write is stored once, and that the audit chain verifies.
# Usage: concurrency_test.sh KETA_BINARY SOURCE_DIR
set -u
keta=$1
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
check() { # name, condition result (0 = ok), detail
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL $1: $3"; fi
}
DB=$tmp/clinic.db
"$keta" demo --db "$DB" > "$tmp/demo.json" || { echo "keta demo failed"; exit 1; }
pw() { jq -r --arg u "$1" '.logins[] | select(.username == $u) | .password' "$tmp/demo.json"; }
"$keta" serve --listen 127.0.0.1:0 --db "$DB" --threads 4 > "$tmp/out" 2> "$tmp/log" &
pid=$!
for _ in $(seq 100); do grep -q 'serving on' "$tmp/out" && break; sleep 0.1; done
U=$(sed -n 's|.*\(http://[^ ]*\)/ .*|\1|p' "$tmp/out")
[ -n "$U" ] || { echo "keta serve did not start: $(cat "$tmp/log")"; exit 1; }
export U tmp

# Every role logs in, twice each, in parallel (argon2id in several workers at once).
for u in admin frontdesk nurse prescriber therapist patient; do
    for i in 1 2; do
        echo "$u $i $(pw "$u")"
    done
done | xargs -P 8 -L 1 sh -c 'curl -s -o "$tmp/login.$0.$1" -c "$tmp/jar.$0.$1" -w "%{http_code}\n" \
    -H "Content-Type: application/json" -d "{\"username\":\"$0\",\"password\":\"$2\"}" "$U/api/v1/login"' \
    > "$tmp/login.codes"
check "12 parallel logins" $([ "$(grep -c '^200$' "$tmp/login.codes")" = 12 ]; echo $?) "$(sort "$tmp/login.codes" | uniq -c)"
csrf=$(jq -r .csrf_token "$tmp/login.nurse.1")
export csrf

# 8 clients, 200 requests of six kinds, interleaved.
worker() { # KIND N
    case $1 in
        vitals) curl -s -o /dev/null -w '%{http_code}\n' -b "$tmp/jar.nurse.1" -H "X-CSRF-Token: $csrf" \
                    -H 'Content-Type: application/json' -d '{"systolic_mmhg":121,"diastolic_mmhg":79}' \
                    "$U/api/v1/sessions/1/vitals" | sed 's/^/vitals /' ;;
        flowsheet) curl -s -o /dev/null -w 'flowsheet %{http_code}\n' -b "$tmp/jar.prescriber.2" "$U/api/v1/sessions/1/vitals" ;;
        chart) curl -s -o /dev/null -w 'chart %{http_code}\n' -b "$tmp/jar.frontdesk.1" "$U/api/v1/patients/1" ;;
        forged) curl -s -o /dev/null -w 'forged %{http_code}\n' \
                    -H "Cookie: keta_session=$(printf '%064d' "$2")" "$U/api/v1/me" ;;
        anonymous) curl -s -o /dev/null -w 'anonymous %{http_code}\n' "$U/api/v1/patients/1" ;;
        badlogin) curl -s -o /dev/null -w 'badlogin %{http_code}\n' -H 'Content-Type: application/json' \
                    -d "{\"username\":\"nobody$2\",\"password\":\"not-the-password\"}" "$U/api/v1/login" ;;
    esac
}
export -f worker
for n in $(seq 200); do
    case $((n % 8)) in
        0 | 1 | 2) echo "vitals $n" ;; 3) echo "flowsheet $n" ;; 4) echo "chart $n" ;;
        5) echo "forged $n" ;; 6) echo "anonymous $n" ;; 7) echo "badlogin $n" ;;
    esac
done | xargs -P 8 -L 1 bash -c 'worker "$0" "$1"' > "$tmp/codes"
count() { grep -c "^$1 $2\$" "$tmp/codes"; }
check "vitals 201" $([ "$(count vitals 201)" = 75 ]; echo $?) "$(sort "$tmp/codes" | uniq -c)"
check "flowsheet 200" $([ "$(count flowsheet 200)" = 25 ]; echo $?) "$(sort "$tmp/codes" | uniq -c)"
check "chart 200" $([ "$(count chart 200)" = 25 ]; echo $?) "$(sort "$tmp/codes" | uniq -c)"
check "forged cookie 401" $([ "$(count forged 401)" = 25 ]; echo $?) "$(sort "$tmp/codes" | uniq -c)"
check "anonymous 401" $([ "$(count anonymous 401)" = 25 ]; echo $?) "$(sort "$tmp/codes" | uniq -c)"
check "failed logins 401, then 429" $([ "$(( $(count badlogin 401) + $(count badlogin 429) ))" = 25 ] && [ "$(count badlogin 401)" -ge 5 ]; echo $?) "$(sort "$tmp/codes" | uniq -c)"

kill -TERM "$pid"
wait "$pid"
status=$?
pid=
check "server exits 0, no sanitizer report" $([ "$status" = 0 ] && ! grep -q Sanitizer "$tmp/log"; echo $?) "$status $(grep -A20 Sanitizer "$tmp/log" | head -40)"
rows=$(sqlite3 "$DB" "SELECT count(*) FROM vital_sign WHERE systolic_mmhg = 121 AND diastolic_mmhg = 79")
check "each vitals write stored once" $([ "$rows" = 75 ]; echo $?) "$rows"
unauth=$(sqlite3 "$DB" "SELECT count(*) FROM audit_entry WHERE action = 'http.route' AND actor_id IS NULL")
check "forged-cookie 401s audited up to the quota, anonymous ones not" $([ "$unauth" = 10 ]; echo $?) "$unauth"
"$keta" audit verify --db "$DB" > "$tmp/verify" 2>&1
check "audit chain intact" $(jq -e '.ok == true' "$tmp/verify" >/dev/null; echo $?) "$(head -c 400 "$tmp/verify")"

echo "concurrency: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
