#!/usr/bin/env bash
# keta serve end to end over real HTTP on loopback: every engine route with reference numbers,
# the refusals at every door (400 404 405 411 413 415 422, never a 500), security headers,
# request ids and the access log, static files and path traversal, a slow client and the
# per-IP limit, and graceful shutdown with a request in flight.
# Usage: http_test.sh KETA_BINARY SOURCE_DIR
set -u
keta=$1
src=$2
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

# A web root with traps in it: a symlink to a file outside, a symlinked directory, a hidden
# file, a type keta does not serve, and a file beside the root that ../ would reach.
mkdir -p "$tmp/web/sub"
cp "$src/web/index.html" "$tmp/web/"
printf 'main{}\n' > "$tmp/web/sub/site.css"
printf 'outside\n' > "$tmp/outside.txt"
ln -s "$tmp/outside.txt" "$tmp/web/link.txt"
ln -s /etc "$tmp/web/etc"
printf 'secret\n' > "$tmp/web/.env"
printf 'echo\n' > "$tmp/web/run.sh"

# start_server ARGS...: sets pid and U (base URL); the log goes to $tmp/log
start_server() {
    : > "$tmp/out"
    "$keta" serve --listen 127.0.0.1:0 --web "$tmp/web" "$@" > "$tmp/out" 2> "$tmp/log" &
    pid=$!
    for _ in $(seq 100); do
        grep -q 'serving on' "$tmp/out" && break
        sleep 0.1
    done
    port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/out")
    U=http://127.0.0.1:$port
}

# req ARGS... (curl arguments): sets code, body and the headers in $tmp/h
req() {
    code=$(curl -s -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' --max-time 20 "$@")
    body=$(cat "$tmp/b")
}
header() { sed -n "s/^$1: \(.*\)\r$/\1/Ip" "$tmp/h" | head -1; }
json() { jq -e "$1" <<<"$body" >/dev/null 2>&1; echo $?; } # condition on the JSON body
post() { # PATH BODY [more curl args]
    local path=$1 data=$2
    shift 2
    req -H 'Content-Type: application/json' --data-binary "$data" "$@" "$U$path"
}

start_server --timeout 2 --per-ip 8
check "server starts and prints its address" $([ -n "${port:-}" ]; echo $?) "$(cat "$tmp/out" "$tmp/log")"

# ---- the engine routes, with reference numbers ---------------------------------------------------
req "$U/api/v1/health"
check "health 200" $([ "$code" = 200 ] && [ "$(json '.status == "ok"')" = 0 ]; echo $?) "$code $body"
check "health CSP" $([[ $(header Content-Security-Policy) == *"default-src 'self'"*"script-src 'self'"*"frame-ancestors 'none'"* ]]; echo $?) "$(header Content-Security-Policy)"
check "health nosniff" $([ "$(header X-Content-Type-Options)" = nosniff ]; echo $?) "$(cat "$tmp/h")"
check "health referrer policy" $([ "$(header Referrer-Policy)" = no-referrer ]; echo $?) "$(cat "$tmp/h")"
check "health no-store" $([ "$(header Cache-Control)" = no-store ]; echo $?) "$(cat "$tmp/h")"
check "health request id" $([[ $(header X-Request-Id) =~ ^[0-9a-f]{16}$ ]]; echo $?) "$(header X-Request-Id)"
check "health JSON type" $([[ $(header Content-Type) == application/json* ]]; echo $?) "$(header Content-Type)"
first_id=$(header X-Request-Id)
req "$U/api/v1/health"
check "request ids differ" $([ "$(header X-Request-Id)" != "$first_id" ]; echo $?) "$first_id"

req "$U/api/v1/instruments"
check "instruments" $([ "$code" = 200 ] && [ "$(json 'map(select(.id == "phq9"))[0].scored_items == 9')" = 0 ]; echo $?) "$code ${body:0:200}"

# PHQ-9 1+2+1+0+3+1+2+1+1 = 12: moderate (10-14, Kroenke 2001), item 9 > 0 raises the alert.
post /api/v1/score/phq9 '{"items":[1,2,1,0,3,1,2,1,1]}'
score_id=$(header X-Request-Id)
check "score phq9 total 12 moderate" $([ "$code" = 200 ] && [ "$(json '.total == 12 and .severity == "moderate" and .complete')" = 0 ]; echo $?) "$code $body"
check "score phq9 item 9 alert" $([ "$(json '.alerts[0].code == "suicidal_ideation" and .alerts[0].item == 9')" = 0 ]; echo $?) "$body"
# GAD-7 all 3s = 21: severe (15-21, Spitzer 2006).
post /api/v1/score/gad7 '{"items":[3,3,3,3,3,3,3]}'
check "score gad7 21 severe" $([ "$code" = 200 ] && [ "$(json '.total == 21 and .severity == "severe"')" = 0 ]; echo $?) "$code $body"
cli=$(printf '%s' '{"items":[1,2,1,0,3,1,2,1,1]}' | "$keta" score phq9)
post /api/v1/score/phq9 '{"items":[1,2,1,0,3,1,2,1,1]}'
check "score answers as keta score" $([ "$body" = "$cli" ]; echo $?) "$body vs $cli"

# 21 -> 9: -57.1 %, a response (>= 50 %) but no remission (< 5) (clinic.md §2, NQF 0710).
post /api/v1/outcome/phq9 '{"baseline":21,"current":9}'
check "outcome" $([ "$code" = 200 ] && [ "$(json '.response == true and .remission == false and .change == -12 and .percent_change == -57.1')" = 0 ]; echo $?) "$code $body"

req "$U/api/v1/pk/models"
check "pk models" $([ "$code" = 200 ] && [ "$(json 'map(.id) | index("domino1984") != null')" = 0 ]; echo $?) "$code ${body:0:200}"

# pkpd.md §7 case 1: Domino, 70 kg, 35 mg over 40 min: Cp 240.4 ng/mL at 40 min, 55.1 at 60.
domino='{"model":"domino1984","patient":{"weight_kg":70,"age_y":45},"doses":[{"route":"iv","amount_mg":35,"start_min":0,"duration_min":40}],"times_min":[0,40,60,120,230]}'
post /api/v1/pk/simulate "$domino"
check "pk simulate domino case 1" $([ "$code" = 200 ] && [ "$(json '(.cp_ng_per_ml[1] - 240.4 | fabs) < 1.2 and (.cp_ng_per_ml[2] - 55.1 | fabs) < 0.28')" = 0 ]; echo $?) "$code ${body:0:300}"

# pkpd.md §7 case 5: TCI to 200 ng/mL on Kamp for 12 h: maintenance 0.2 mg/L x 84 L/h = 16.8 mg/h.
post /api/v1/pk/tci '{"model":"kamp2020","patient":{"weight_kg":70,"age_y":45},"target_ng_per_ml":200,"duration_min":720}'
check "pk tci kamp case 5" $([ "$code" = 200 ] && [ "$(json '(.maintenance_rate_mg_per_h - 16.8 | fabs) < 0.168 and (.cp_ng_per_ml[-1] - 200 | fabs) < 0.002')" = 0 ]; echo $?) "$code ${body:0:300}"

req "$U/api/v1/openapi.yaml"
check "openapi served" $([ "$code" = 200 ] && [[ $(header Content-Type) == application/yaml* ]] && [[ $body == "openapi: 3"* ]]; echo $?) "$code $(header Content-Type)"

# ---- refusals at every door ----------------------------------------------------------------------
head -c 20000 /dev/zero | tr '\0' ' ' > "$tmp/20k"
head -c 2000000 /dev/zero | tr '\0' ' ' > "$tmp/2m"
req -H 'Content-Type: application/json' --data-binary @"$tmp/20k" "$U/api/v1/score/phq9"
check "413 over the route's limit" $([ "$code" = 413 ] && [ "$(json '.error.code == "KETA_ETOOBIG"')" = 0 ]; echo $?) "$code $body"
req -H 'Content-Type: application/json' --data-binary @"$tmp/2m" "$U/api/v1/pk/simulate"
check "413 for 2 MB" $([ "$code" = 413 ]; echo $?) "$code $body"
req "$U/api/v1/health"
check "still answering after 413" $([ "$code" = 200 ]; echo $?) "$code"
req -X GET -H 'Content-Type: application/json' -d 'x' "$U/api/v1/health"
check "413 for a body on a route without one" $([ "$code" = 413 ]; echo $?) "$code $body"
req -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' -d '{"items":[1]}' "$U/api/v1/score/phq9"
check "411 without Content-Length" $([ "$code" = 411 ] && [ "$(json '.error.code == "length_required"')" = 0 ]; echo $?) "$code $body"
req -X POST -H 'Content-Type: application/json' "$U/api/v1/score/phq9"
check "411 for POST without a body" $([ "$code" = 411 ]; echo $?) "$code $body"
req -H 'Content-Type: text/plain' -d '{"items":[1]}' "$U/api/v1/score/phq9"
check "415 text/plain" $([ "$code" = 415 ]; echo $?) "$code $body"
req -H 'Content-Type: application/x-www-form-urlencoded' -d 'items=1' "$U/api/v1/score/phq9"
check "415 form" $([ "$code" = 415 ]; echo $?) "$code $body"
req -H 'Content-Type: application/json; charset=UTF-8' -d '{"baseline":21,"current":9}' "$U/api/v1/outcome/phq9"
check "charset=utf-8 accepted" $([ "$code" = 200 ]; echo $?) "$code $body"
req -H 'Content-Type: application/json; charset=latin1' -d '{"baseline":21,"current":9}' "$U/api/v1/outcome/phq9"
check "415 other charset" $([ "$code" = 415 ]; echo $?) "$code $body"
req "$U/api/v1/nosuch"
check "404 unknown route" $([ "$code" = 404 ] && [ "$(json '.error.code == "KETA_ENOTFOUND"')" = 0 ]; echo $?) "$code $body"
req "$U/api/v1/health/"
check "404 trailing slash" $([ "$code" = 404 ]; echo $?) "$code $body"
post /api/v1/score/nosuch '{"items":[1]}'
check "404 unknown instrument" $([ "$code" = 404 ] && [ "$(json '.error.field == "instrument"')" = 0 ]; echo $?) "$code $body"
req -X POST -H 'Content-Type: application/json' -d '{}' "$U/api/v1/score/%E7%92%FF"
check "404 for a name that is not UTF-8" $([ "$code" = 404 ] && [ "$(json '.error.code == "KETA_ENOTFOUND"')" = 0 ]; echo $?) "$code $body"
req -H 'Content-Type: application/json' --data-binary $'{"items":[1,\xe7\x92]}' "$U/api/v1/score/phq9"
check "400 for bytes that are not UTF-8" $([ "$code" = 400 ]; echo $?) "$code $body"
req -X DELETE "$U/api/v1/health"
check "405 with Allow" $([ "$code" = 405 ] && [ "$(header Allow)" = "GET, HEAD" ]; echo $?) "$code $(header Allow)"
req "$U/api/v1/pk/simulate"
check "405 GET on a POST route" $([ "$code" = 405 ] && [ "$(header Allow)" = POST ]; echo $?) "$code $(header Allow)"
req -X PUT "$U/index.html"
check "405 on static files" $([ "$code" = 405 ] && [ "$(header Allow)" = "GET, HEAD" ]; echo $?) "$code $(header Allow)"
post /api/v1/score/phq9 '{"items":[1,2,1,0,3,1'
check "400 malformed JSON" $([ "$code" = 400 ] && [ "$(json '.error.code == "KETA_EPARSE"')" = 0 ]; echo $?) "$code $body"
post /api/v1/score/phq9 '{"items":[1,2,1,0,3,1,2,1,1],"items":[0,0,0,0,0,0,0,0,0]}'
check "400 duplicate key" $([ "$code" = 400 ]; echo $?) "$code $body"
post /api/v1/score/phq9 '{"items":[1,2,1,0,3,1,2,1,1]} {}'
check "400 trailing data" $([ "$code" = 400 ]; echo $?) "$code $body"
post /api/v1/score/phq9 "$(printf '%0.s[' $(seq 40))"
check "deep nesting refused" $([ "$code" = 413 ]; echo $?) "$code $body"
post /api/v1/score/phq9 '{"items":[1,2,1,0,3,1,2,1,4]}'
check "422 names the field" $([ "$code" = 422 ] && [ "$(json '.error.code == "KETA_ERANGE" and .error.field == "/items/9" and (.error.message | test("0 to 3, got 4"))')" = 0 ]; echo $?) "$code $body"
check "422 error shape" $([ "$(json '(.error | keys) == ["code","field","message"] and (keys == ["error"])')" = 0 ]; echo $?) "$body"
post /api/v1/score/phq9 '{"items":[1,2,1,0,3,1,2,1,1],"extra":1}'
check "422 unknown key" $([ "$code" = 422 ] && [ "$(json '.error.field == "/extra"')" = 0 ]; echo $?) "$code $body"
post /api/v1/score/phq9 '[1,2]'
check "422 not an object" $([ "$code" = 422 ]; echo $?) "$code $body"
post /api/v1/pk/simulate '{"model":"domino1984","patient":{"weight_kg":1000,"age_y":45},"doses":[{"route":"iv","amount_mg":35,"start_min":0}],"times_min":[0,10]}'
check "422 weight out of range" $([ "$code" = 422 ] && [ "$(json '.error.field == "/patient/weight_kg"')" = 0 ]; echo $?) "$code $body"
post /api/v1/pk/simulate '{"model":"nosuch","patient":{"weight_kg":70,"age_y":45},"doses":[],"times_min":[0]}'
check "422 unknown model (a body field)" $([ "$code" = 422 ] && [ "$(json '.error.field == "/model"')" = 0 ]; echo $?) "$code $body"
req -H 'Content-Type: application/json' --data-binary $'{"items":[1,\x00]}' "$U/api/v1/score/phq9"
check "400 NUL byte" $([ "$code" = 400 ]; echo $?) "$code $body"
req -H 'Content-Type: application/json' -H 'Content-Length: abc' -X POST "$U/api/v1/score/phq9"
check "refused bad Content-Length" $([ "$code" -ge 400 ] && [ "$code" -lt 500 ]; echo $?) "$code $body"

# ---- static files ----------------------------------------------------------------------------------
req "$U/"
check "index page" $([ "$code" = 200 ] && [[ $(header Content-Type) == text/html* ]] && [[ $body == *openapi.yaml* ]]; echo $?) "$code $(header Content-Type)"
check "index page CSP" $([[ $(header Content-Security-Policy) == *"script-src 'self'"* ]] && [ "$(header X-Content-Type-Options)" = nosniff ]; echo $?) "$(cat "$tmp/h")"
req "$U/sub/site.css"
check "css by extension" $([ "$code" = 200 ] && [[ $(header Content-Type) == text/css* ]]; echo $?) "$code $(header Content-Type)"
head_out=$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$U/index.html")
check "HEAD" $([ "$head_out" = "200 0" ]; echo $?) "$head_out"
for p in /link.txt /etc/passwd /.env /run.sh /sub /nosuch.html; do
    req "$U$p"
    check "refused $p" $([ "$code" = 404 ] && [[ $body != *outside* ]] && [[ $body != *root:* ]]; echo $?) "$code $body"
done
for p in /../outside.txt /sub/../../outside.txt /%2e%2e/outside.txt /sub/%2e%2e/%2e%2e/outside.txt \
         /..%2foutside.txt /sub/..%2f..%2foutside.txt /%2e%2e%2f%2e%2e%2fetc%2fpasswd /index.html%00.css \
         '/sub/..\..\outside.txt'; do
    req --path-as-is "$U$p"
    check "traversal $p" $([ "$code" = 404 ] && [[ $body != *outside* ]] && [[ $body != *root:* ]]; echo $?) "$code $body"
done

# ---- the access log --------------------------------------------------------------------------------
check "log lines are JSON" $(jq -e . "$tmp/log" >/dev/null 2>&1; echo $?) "$(head -3 "$tmp/log")"
line=$(grep "\"req_id\":\"$score_id\"" "$tmp/log")
check "log has the route pattern" $([[ $line == *'"route":"/api/v1/score/{instrument}"'* ]] && [[ $line == *'"status":200'* ]] && [[ $line == *'"dur_ms":'* ]] && [[ $line == *'"bytes":'* ]]; echo $?) "$line"
check "log has no raw paths or bodies" $(! grep -qE 'score/phq9|outside|passwd|items|1,2,1,0' "$tmp/log"; echo $?) "$(grep -E 'score/phq9|outside|passwd|items|1,2,1,0' "$tmp/log" | head -2)"
check "never a 500" $(! jq -e 'select(.status != null and .status >= 500)' "$tmp/log" 2>/dev/null | grep -q .; echo $?) "$(grep '"status":5' "$tmp/log" | head -2)"

# ---- a slow client does not hold up the others; the per-IP limit -----------------------------------
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /api/v1/score/phq9 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' >&3
t0=$(date +%s%N)
req "$U/api/v1/health"
t1=$(date +%s%N)
check "answers while a client stalls" $([ "$code" = 200 ] && [ $(((t1 - t0) / 1000000)) -lt 1000 ]; echo $?) "$code $(((t1 - t0) / 1000000)) ms"
t0=$(date +%s)
timeout 10 cat <&3 >/dev/null
t1=$(date +%s)
exec 3<&-
check "stalled connection closed after the timeout" $([ $((t1 - t0)) -le 6 ]; echo $?) "$((t1 - t0)) s"

fds=()
for _ in $(seq 8); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$port"
    fds+=("$fd")
done
sleep 0.2
req "$U/api/v1/health"
check "per-IP limit refuses the 9th connection" $([ "$code" = 000 ]; echo $?) "$code"
for fd in "${fds[@]}"; do exec {fd}<&-; done
sleep 0.3
req "$U/api/v1/health"
check "answers again below the limit" $([ "$code" = 200 ]; echo $?) "$code"

# ---- graceful shutdown: an upload in flight completes, then exit 0 ---------------------------------
times=$(seq -s, 0 5 3000)
slow='{"model":"domino1984","patient":{"weight_kg":70,"age_y":45},"doses":[{"route":"iv","amount_mg":35,"start_min":0,"duration_min":40}],"times_min":['$times']}'
curl -s -o "$tmp/slow" -w '%{http_code}' --limit-rate 1500 -H 'Content-Type: application/json' \
    --data-binary "$slow" "$U/api/v1/pk/simulate" > "$tmp/slow_code" &
cpid=$!
sleep 1
kill -TERM "$pid"
sleep 0.3
refused=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$U/api/v1/health")
wait "$cpid"
wait "$pid"
status=$?
pid=
check "no new connections after SIGTERM" $([ "$refused" = 000 ]; echo $?) "$refused"
check "in-flight request completed" $([ "$(cat "$tmp/slow_code")" = 200 ] && jq -e '(.cp_ng_per_ml | length) == 601 and (.cp_ng_per_ml[8] - 240.4 | fabs) < 1.2' "$tmp/slow" >/dev/null; echo $?) "$(cat "$tmp/slow_code") $(head -c 200 "$tmp/slow")"
check "exit 0 after SIGTERM" $([ "$status" = 0 ]; echo $?) "$status $(tail -3 "$tmp/log")"
check "log: quiesced, then stopped with nothing cut off" $(grep -q '"msg":"quiesced"' "$tmp/log" && grep -q '"msg":"stopped","cut_off":0' "$tmp/log"; echo $?) "$(tail -3 "$tmp/log")"

# A second signal stops at once, non-zero.
start_server
curl -s -o /dev/null --limit-rate 1000 -H 'Content-Type: application/json' \
    --data-binary "$slow" "$U/api/v1/pk/simulate" &
cpid=$!
sleep 0.5
kill -TERM "$pid"
sleep 0.3
kill -INT "$pid"
t0=$(date +%s)
wait "$pid"
status=$?
t1=$(date +%s)
pid=
wait "$cpid" 2>/dev/null
check "second signal: stops at once, non-zero" $([ "$status" = 3 ] && [ $((t1 - t0)) -le 2 ]; echo $?) "$status $((t1 - t0)) s"

# ---- command line ----------------------------------------------------------------------------------
out=$("$keta" help serve)
check "help serve" $([[ $out == *'usage: keta serve'*'--routes'* ]]; echo $?) "$out"
"$keta" serve --listen nowhere:80 > /dev/null 2>&1
check "bad address is a usage error" $([ $? = 2 ]; echo $?) ""
"$keta" serve --threads 0 > /dev/null 2>&1
check "bad --threads" $([ $? = 2 ]; echo $?) ""
"$keta" serve --web "$tmp/nosuch" --listen 127.0.0.1:0 > /dev/null 2>&1
check "missing web directory" $([ $? = 2 ]; echo $?) ""

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
