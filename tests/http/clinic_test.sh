#!/usr/bin/env bash
# The clinic routes of keta serve over real HTTP on loopback, on a demo clinic (`keta demo`):
# login and logout, the session cookie's attributes, a wrong password (401, no hash in the
# answer), CSRF refused, the role-by-route matrix (every clinic route x every role and no
# session: 2xx / 401 / 403, and an audit entry for each refusal), the restricted note class,
# session expiry (idle timeout) and login rate limiting per username and per address.
# SQLite by default; PostgreSQL when KETA_TEST_STORE=postgresql (run through
# tests/integration/pg_run.sh, inside pg_virtualenv: a new database on the PG* server).
# Usage: clinic_test.sh KETA_BINARY SOURCE_DIR
set -u
keta=$1
dbprefix=keta_http
source "$(dirname "$0")/clinic_lib.sh"

"$keta" demo --db "$DB" > "$tmp/demo.json"
check "keta demo" $?  "$(cat "$tmp/demo.json")"
check "demo logins marked DEMO, one per role" $(jq -e '.demo == "DEMO" and ([.logins[].role] | sort) == ["admin","front_desk","nurse","patient","prescriber","therapist"] and all(.logins[]; .password | length >= 16)' "$tmp/demo.json" >/dev/null; echo $?) "$(cat "$tmp/demo.json")"
check "demo on the store under test" $(jq -e --arg k "${KETA_TEST_STORE:-sqlite}" '.database == $k' "$tmp/demo.json" >/dev/null; echo $?) "$(jq -c .database "$tmp/demo.json")"
"$keta" demo --db "$DB" > /dev/null 2>&1
check "keta demo refuses a database in use" $([ $? = 1 ]; echo $?) ""
refusals() { q "SELECT count(*) FROM audit_entry WHERE outcome = 'failure' AND action LIKE 'http.%'"; }

start_server
check "server starts with --db" $([ -n "${port:-}" ]; echo $?) "$(cat "$tmp/out" "$tmp/log")"

# ---- login, cookie, me ---------------------------------------------------------------------------
users="admin frontdesk nurse prescriber therapist patient"
for u in $users; do
    login "$u" "$(pw "$u")"
    check "login $u" $([ "$code" = 200 ] && [ "$(json '.username == "'"$u"'" and (.csrf_token | test("^[0-9a-f]{64}$"))')" = 0 ]; echo $?) "$code $body"
done
login nurse "$(pw nurse)"
cookie=$(header Set-Cookie)
check "cookie HttpOnly SameSite=Strict Path=/" $([[ $cookie =~ ^keta_session=[0-9a-f]{64}\;\ HttpOnly\;\ SameSite=Strict\;\ Path=/$ ]]; echo $?) "$cookie"
check "no Secure without --secure-cookie" $([[ $cookie != *Secure* ]]; echo $?) "$cookie"
check "login answers no-store" $([ "$(header Cache-Control)" = no-store ]; echo $?) "$(header Cache-Control)"
check "login answers the role" $([ "$(json '.role == "nurse"')" = 0 ]; echo $?) "$body"
req -b "$tmp/jar.nurse" "$U/api/v1/me"
check "me" $([ "$code" = 200 ] && [ "$(json '.username == "nurse" and .role == "nurse"')" = 0 ]; echo $?) "$code $body"
check "me gives the same CSRF token" $([ "$(json '.csrf_token == "'"$(cat "$tmp/csrf.nurse")"'"')" = 0 ]; echo $?) "$body"

# ---- wrong password, unknown user ---------------------------------------------------------------
login nurse "not-the-password-at-all"
wrong=$body
check "wrong password 401" $([ "$code" = 401 ] && [ "$(json '.error.code == "KETA_EAUTH"')" = 0 ]; echo $?) "$code $body"
check "no session cookie on failure" $([ -z "$(header Set-Cookie)" ]; echo $?) "$(header Set-Cookie)"
check "no hash leaked" $([[ $body != *argon2* ]] && [[ $body != *'$'* ]]; echo $?) "$body"
login nobody-here "not-the-password-at-all"
check "unknown user: the same answer" $([ "$code" = 401 ] && [ "$(jq -c .error.message <<<"$body")" = "$(jq -c .error.message <<<"$wrong")" ]; echo $?) "$body vs $wrong"
req -H 'Content-Type: application/json' -d '{"username":"nurse"}' "$U/api/v1/login"
check "login without password 422" $([ "$code" = 422 ] && [ "$(json '.error.field == "/password"')" = 0 ]; echo $?) "$code $body"
req -H 'Content-Type: application/json' -d '{"username":"nurse","password":"x","extra":1}' "$U/api/v1/login"
check "login unknown key 422" $([ "$code" = 422 ] && [ "$(json '.error.field == "/extra"')" = 0 ]; echo $?) "$code $body"
req -H 'Content-Type: application/json' -d '{"username":"nurse",' "$U/api/v1/login"
check "login malformed 400" $([ "$code" = 400 ]; echo $?) "$code $body"
check "no hash in the log" $(! grep -q 'argon2' "$tmp/log"; echo $?) "$(grep argon2 "$tmp/log" | head -1)"

# ---- CSRF ------------------------------------------------------------------------------------------
before=$(refusals)
req -X POST -b "$tmp/jar.nurse" -H 'Content-Type: application/json' -d '{"weight_kg":70}' "$U/api/v1/patients/1/weights"
check "POST without CSRF token 403" $([ "$code" = 403 ] && [ "$(json '.error.code == "forbidden"')" = 0 ]; echo $?) "$code $body"
req -X POST -b "$tmp/jar.nurse" -H "X-CSRF-Token: $(cat "$tmp/csrf.admin")" -H 'Content-Type: application/json' -d '{"weight_kg":70}' "$U/api/v1/patients/1/weights"
check "POST with another session's token 403" $([ "$code" = 403 ]; echo $?) "$code $body"
check "CSRF refusals audited as the user" $([ "$(refusals)" = $((before + 2)) ] && [ "$(q "SELECT actor FROM audit_entry WHERE action = 'http.csrf' ORDER BY seq DESC LIMIT 1")" = nurse ]; echo $?) "$before -> $(refusals)"
as nurse POST /api/v1/patients/1/weights '{"weight_kg":70.5}'
check "POST with the token 201" $([ "$code" = 201 ] && [ "$(json '.id > 0')" = 0 ]; echo $?) "$code $body"
req -H 'Cookie: keta_session=0000000000000000000000000000000000000000000000000000000000000000' "$U/api/v1/me"
check "forged cookie 401" $([ "$code" = 401 ]; echo $?) "$code $body"
check "forged cookie 401 audited, no user" $([ "$(q "SELECT coalesce(actor_id, 0) || ' ' || action || ' ' || outcome FROM audit_entry ORDER BY seq DESC LIMIT 1")" = "0 http.route failure" ]; echo $?) "$(q "SELECT actor_id, action, detail FROM audit_entry ORDER BY seq DESC LIMIT 1")"
before=$(refusals)
for _ in $(seq 12); do
    req -H 'Cookie: keta_session=1111111111111111111111111111111111111111111111111111111111111111' "$U/api/v1/me"
done
check "forged-cookie 401s: audited at most 10 per address per window" $([ "$code" = 401 ] && [ "$(refusals)" = $((before + 9)) ]; echo $?) "$code $before -> $(refusals)"

# ---- the role-by-route matrix -------------------------------------------------------------------------
# Every route that needs a login. An allowed role must get past the door (not 401/403, never
# 5xx); the routes whose request below is valid for the demo must answer 2xx.
"$keta" serve --routes | grep -v ' public ' > "$tmp/routes"
check "clinic routes listed" $([ "$(wc -l < "$tmp/routes")" -ge 20 ]; echo $?) "$(cat "$tmp/routes")"
# Reads open to more roles at the door for break-glass (the service decides: src/service/staff.c).
break_glass_reads=" GET:/api/v1/sessions/{session_id}/vitals GET:/api/v1/patients/{patient_id}/notes "
must_succeed=" /api/v1/me /api/v1/patients /api/v1/patients/{patient_id} /api/v1/patients/{patient_id}/weights /api/v1/sessions/{session_id}/vitals /api/v1/patients/{patient_id}/notes /api/v1/patients/{patient_id}/integration-notes /api/v1/audit/verify /api/v1/patients/{patient_id}/alerts /api/v1/patients/{patient_id}/hold /api/v1/sessions/{session_id} /api/v1/patients/{patient_id}/sessions /api/v1/schedule /api/v1/alerts /api/v1/sessions/{session_id}/events /api/v1/rems-forms "
body_for() { # METHOD PATTERN
    case "$2" in
        /api/v1/patients) echo '{"mrn":"T-'"$(date +%s%N)"'","given_name":"Test","family_name":"Person","birth_date":"1980-01-01","sex":"unknown","weight_kg":70}' ;;
        */weights) echo '{"weight_kg":71}' ;;
        */vitals) echo '{"systolic_mmhg":128,"diastolic_mmhg":80,"heart_rate_bpm":76,"sedation_moaas":5}' ;;
        */notes|*/integration-notes) echo '{"body":"matrix test note"}' ;;
        */events) echo '{"kind":"nausea","severity":"mild","description":"matrix test event"}' ;;
        */assessments) echo '{"instrument":"phq9","items":[1,1,1,1,1,1,1,1,0]}' ;;
        *) echo '{}' ;;
    esac
}
declare -A role_of=([admin]=admin [frontdesk]=front_desk [nurse]=nurse [prescriber]=prescriber [therapist]=therapist [patient]=patient)
while read -r method pattern access bodymax; do
    path=$(sed -E 's/\{[a-z_]*_id\}/1/g; s/\{[a-z_]*\}/x/g' <<<"$pattern")
    data=
    [ "$method" = POST ] && [ "$pattern" != /api/v1/logout ] && data=$(body_for "$method" "$pattern")
    # no session cookie: 401, left to the access log (no audit entry: no user, no patient)
    before=$(refusals)
    if [ -n "$data" ]; then
        req -X "$method" -H 'Content-Type: application/json' --data-binary "$data" "$U$path"
    else
        req -X "$method" "$U$path"
    fi
    check "$method $pattern without a session: 401" $([ "$code" = 401 ]; echo $?) "$code $body"
    check "$method $pattern 401 without a cookie: not audited" $([ "$(refusals)" = "$before" ]; echo $?) "$before -> $(refusals)"
    for u in $users; do
        [ "$pattern" = /api/v1/logout ] && [[ ,$access, == *,${role_of[$u]},* ]] && continue # tested below
        [ "$method" = POST ] && [ "$pattern" != /api/v1/logout ] && data=$(body_for "$method" "$pattern")
        before=$(refusals)
        as "$u" "$method" "$path" "$data"
        if [[ ,$access, == *,${role_of[$u]},* ]]; then
            if [[ $break_glass_reads == *" $method:$pattern "* ]] && [ "$code" = 403 ]; then
                # past the door; the service refuses (audited) without a break-glass declaration
                check "$method $pattern as $u: refused by the service, audited" $([[ $body == *"lacks permission"* ]] && [ "$(q "SELECT actor || ' ' || outcome FROM audit_entry ORDER BY seq DESC LIMIT 1")" = "$u failure" ]; echo $?) "$code $body"
            elif [[ $must_succeed == *" $pattern "* ]]; then
                check "$method $pattern as $u: 2xx" $([[ $code == 2?? ]]; echo $?) "$code $body"
            else
                check "$method $pattern as $u: past the door" $([[ $code != 401 && $code != 403 && $code != 5?? ]]; echo $?) "$code $body"
            fi
        else
            check "$method $pattern as $u: 403" $([ "$code" = 403 ]; echo $?) "$code $body"
            check "$method $pattern as $u: audited" $([ "$(refusals)" = $((before + 1)) ] && [ "$(q "SELECT actor || ' ' || action || ' ' || outcome FROM audit_entry ORDER BY seq DESC LIMIT 1")" = "$u http.route failure" ]; echo $?) "$before -> $(refusals) $(q "SELECT actor, action, detail FROM audit_entry ORDER BY seq DESC LIMIT 1")"
        fi
    done
done < "$tmp/routes"
check "never a 500" $(! jq -e 'select(.status != null and .status >= 500)' "$tmp/log" 2>/dev/null | grep -q .; echo $?) "$(grep '"status":5' "$tmp/log" | head -2)"

# ---- what came back -----------------------------------------------------------------------------------
as nurse GET /api/v1/sessions/1/vitals
check "vitals flowsheet: the demo's modelled infusion and the matrix's set" $([ "$code" = 200 ] && [ "$(json '.vitals | length >= 9 and (map(.systolic_mmhg) | max) > 122 and (map(.dissociation_cadss // 0) | max) > 0')" = 0 ]; echo $?) "$code ${body:0:300}"
as therapist POST /api/v1/patients/1/integration-notes '{"body":"restricted text 7f3a"}'
as therapist GET /api/v1/patients/1/integration-notes
check "therapist reads integration notes" $([ "$code" = 200 ] && [ "$(json '.notes | map(.body) | index("restricted text 7f3a") != null')" = 0 ]; echo $?) "$code ${body:0:300}"
as nurse GET /api/v1/patients/1/notes
check "clinical notes hold no integration note" $([ "$code" = 200 ] && [[ $body != *7f3a* ]]; echo $?) "$code ${body:0:300}"
as patient GET /api/v1/patients/2
check "a patient may not read another patient" $([ "$code" = 403 ]; echo $?) "$code $body"
as nurse GET /api/v1/patients/999999
check "unknown patient 404" $([ "$code" = 404 ]; echo $?) "$code $body"
as nurse GET /api/v1/patients/abc
check "bad id 404" $([ "$code" = 404 ]; echo $?) "$code $body"
as nurse POST /api/v1/sessions/1/vitals '{"systolic_mmhg":400}'
check "vitals out of range 422 naming the field" $([ "$code" = 422 ] && [ "$(json '.error.field == "/systolic_mmhg"')" = 0 ]; echo $?) "$code $body"
# The in-session routes (reference clinic.md §6 scenario 3: the monitoring answer).
planned=$(q "SELECT min(id) FROM treatment_session WHERE status = 'planned'")
as nurse POST "/api/v1/sessions/$planned/vitals" '{"systolic_mmhg":185,"diastolic_mmhg":105}'
check "vitals answer the monitoring policy: alerts named by rule, next BP due" $([ "$code" = 201 ] && [ "$(json '(.alerts | map(.rule) | index("bp.hold_systolic_mmhg") != null) and .hold == true and (.next_bp_due | type) == "string"')" = 0 ]; echo $?) "$code ${body:0:300}"
as nurse GET /api/v1/sessions/1
check "session get" $([ "$code" = 200 ] && [ "$(json '.id == 1 and (.drug | type) == "string" and (.status | type) == "string"')" = 0 ]; echo $?) "$code ${body:0:300}"
as frontdesk GET "/api/v1/schedule?date=2026-02-30"
check "schedule: a date that is not one 422" $([ "$code" = 422 ]; echo $?) "$code $body"
as nurse GET /api/v1/alerts
check "site open alerts hold the hold" $([ "$code" = 200 ] && [ "$(json '.alerts | map(.rule) | index("bp.hold_systolic_mmhg") != null')" = 0 ]; echo $?) "$code ${body:0:300}"
as nurse POST "/api/v1/sessions/$planned/decision" '{"decision":"resume","reason":"x"}'
check "a nurse cannot decide after a hold" $([ "$code" = 403 ]; echo $?) "$code $body"
as prescriber POST "/api/v1/sessions/$planned/decision" '{"decision":"treat","reason":"BP 185/105"}'
check "treat without the medication 422 naming it" $([ "$code" = 422 ] && [ "$(json '.error.field == "/medication"')" = 0 ]; echo $?) "$code $body"
as admin GET /api/v1/audit/verify
check "audit chain intact after all that" $([ "$code" = 200 ] && [ "$(json '.intact == true and .problems == 0')" = 0 ]; echo $?) "$code $body"

# ---- logout ---------------------------------------------------------------------------------------------
as nurse POST /api/v1/logout
check "logout" $([ "$code" = 200 ] && [[ $(header Set-Cookie) == *Max-Age=0* ]]; echo $?) "$code $(header Set-Cookie)"
req -b "$tmp/jar.nurse" "$U/api/v1/me"
check "session gone after logout" $([ "$code" = 401 ]; echo $?) "$code $body"
check "logout audited" $([ "$(q "SELECT count(*) FROM audit_entry WHERE action = 'auth.logout' AND actor = 'nurse'")" -ge 1 ]; echo $?) ""
stop_server

# ---- session expiry; login rate limiting ------------------------------------------------------------
start_server --idle-timeout 3
login prescriber "$(pw prescriber)"
req -b "$tmp/jar.prescriber" "$U/api/v1/me"
check "fresh session works" $([ "$code" = 200 ]; echo $?) "$code"
sleep 1.2
req -b "$tmp/jar.prescriber" "$U/api/v1/me"
check "use keeps it alive" $([ "$code" = 200 ]; echo $?) "$code"
sleep 1.2
req -b "$tmp/jar.prescriber" "$U/api/v1/me"
check "still alive within the idle time" $([ "$code" = 200 ]; echo $?) "$code"
sleep 3.6
req -b "$tmp/jar.prescriber" "$U/api/v1/me"
check "idle session logged off: 401" $([ "$code" = 401 ]; echo $?) "$code $body"
check "expiry audited" $([ "$(q "SELECT count(*) FROM audit_entry WHERE action = 'auth.session_expired' AND actor = 'prescriber'")" = 1 ]; echo $?) ""

for i in 1 2 3 4 5; do login therapist "wrong-password-$i"; done
check "5th failure still 401" $([ "$code" = 401 ]; echo $?) "$code $body"
login therapist "$(pw therapist)" --interface 127.0.0.3
check "username limit: 429 even with the right password from elsewhere" $([ "$code" = 429 ] && [ "$(json '.error.code == "rate_limited"')" = 0 ] && [ "$(header Retry-After)" -gt 0 ]; echo $?) "$code $body $(header Retry-After)"
login admin "$(pw admin)"
check "address limit: 429 for another user from the same address" $([ "$code" = 429 ]; echo $?) "$code $body"
login admin "$(pw admin)" --interface 127.0.0.4
check "another user from another address: 200" $([ "$code" = 200 ]; echo $?) "$code $body"
check "rate-limited logins audited" $([ "$(q "SELECT count(*) FROM audit_entry WHERE action = 'auth.login' AND outcome = 'failure' AND detail LIKE '%too many%'")" -ge 2 ]; echo $?) ""
stop_server

"$keta" serve --listen 127.0.0.1:0 --db "$tmp/nosuch.db" > /dev/null 2>&1
check "serve --db on a missing file: usage error" $([ $? = 2 ]; echo $?) ""

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
