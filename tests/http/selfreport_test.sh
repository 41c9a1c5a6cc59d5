#!/usr/bin/env bash
# Patient self-report links over real HTTP on loopback (reference clinic.md §6 scenario 11),
# on a demo clinic: a therapist makes a PHQ-9 link; the public GET shows the form (first name
# only); the public POST with item 9 = 1 answers the score and the clinic's crisis text, and
# the clinicians see the alerts; a second use is 409, an expired link 403, an unknown 404, all
# audited; a bad answer is 422 and leaves the link usable. Then staff administration and
# break-glass (scenario 18) through their routes, and the pure engine routes' bounds.
# SQLite by default; PostgreSQL when KETA_TEST_STORE=postgresql (through pg_run.sh).
# Usage: selfreport_test.sh KETA_BINARY SOURCE_DIR
set -u
keta=$1
dbprefix=keta_selfreport
source "$(dirname "$0")/clinic_lib.sh"

"$keta" demo --db "$DB" > "$tmp/demo.json" || { echo "keta demo failed"; exit 1; }
start_server
check "server starts" $([ -n "$port" ]; echo $?) "$(cat "$tmp/out" "$tmp/log")"
login_as() { login "$1" "$(pw "$1")"; } # USER
public() { # METHOD PATH [BODY]: no cookie, no CSRF token
    local m=$1 path=$2 data=${3:-}
    local args=(-X "$m")
    [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
    req "${args[@]}" "$U$path"
}
failures() { q "SELECT count(*) FROM audit_entry WHERE action = '$1' AND outcome = 'failure'"; }
for u in admin frontdesk nurse therapist; do login_as "$u"; done

# ---- scenario 11 from home -----------------------------------------------------------------------
as therapist POST /api/v1/patients/1/self-report-links '{"instrument":"phq9"}'
check "link made 201" $([ "$code" = 201 ] && [ "$(json '(.token | test("^[0-9a-f]{64}$")) and .instrument == "phq9" and .id > 0')" = 0 ]; echo $?) "$code $body"
token=$(jq -r .token <<<"$body")
check "only the token's hash is stored" $([ "$(q "SELECT count(*) FROM self_report_link WHERE token_hash = '$token'")" = 0 ] && [ "$(q "SELECT count(*) FROM self_report_link")" = 1 ]; echo $?) ""
as frontdesk POST /api/v1/patients/1/self-report-links '{"instrument":"phq9"}'
check "front desk may not make a link" $([ "$code" = 403 ]; echo $?) "$code $body"
as nurse POST /api/v1/patients/1/self-report-links '{"instrument":"madrs"}'
check "a clinician-rated scale is refused 422" $([ "$code" = 422 ] && [ "$(json '.error.field == "/instrument"')" = 0 ]; echo $?) "$code $body"

public GET "/api/v1/self-report/$token"
check "the form, public" $([ "$code" = 200 ] && [ "$(json '.instrument == "phq9" and .items == 10 and (.options[8] | length) == 4 and .options[8][1].label == "several days" and (.given_name | length) > 0')" = 0 ]; echo $?) "$code $body"
given=$(q "SELECT given_name FROM patient WHERE id = 1")
family=$(q "SELECT family_name FROM patient WHERE id = 1")
check "first name only" $(jq -e --arg g "$given" '.given_name == $g' <<<"$body" >/dev/null && [[ $body != *"$family"* ]]; echo $?) "$given: $body"

public POST "/api/v1/self-report/$token" '{"items":[2,2,2,2,2,1,1,1,9]}'
check "an answer out of range 422" $([ "$code" = 422 ] && [ "$(json '.error.field == "/items/9"')" = 0 ]; echo $?) "$code $body"
public POST "/api/v1/self-report/$token" '{"items":[2,2,2,2,2,1,1,1,1],"options":{"pcl5_cutoff":1}}'
check "no scoring options from a patient 422" $([ "$code" = 422 ]; echo $?) "$code $body"
alerts_before=$(q "SELECT count(*) FROM alert WHERE resolved_at IS NULL AND patient_id = 1")
public POST "/api/v1/self-report/$token" '{"items":[2,2,2,2,2,1,1,1,1]}'
check "answers 201: 14 moderate, crisis text" $([ "$code" = 201 ] && [ "$(json '.total == 14 and .band == "moderate" and (.crisis_text | test("988"))')" = 0 ]; echo $?) "$code $body"
check "no alert detail to the patient" $([ "$(json 'has("alerts") or has("cssrs_screen_queued")')" != 0 ]; echo $?) "$body"
check "stored as self_report" $([ "$(q "SELECT count(*) FROM assessment WHERE source = 'self_report' AND total = 14 AND recorded_by IS NULL")" = 1 ]; echo $?) ""
as nurse GET /api/v1/patients/1/alerts
check "the clinicians see the alert and the queued C-SSRS" $([ "$code" = 200 ] && [ "$(json '[.alerts[].kind] | index("suicidal_ideation") != null and index("cssrs_screen_due") != null')" = 0 ] && [ "$(q "SELECT count(*) FROM alert WHERE resolved_at IS NULL AND patient_id = 1")" = $((alerts_before + 2)) ]; echo $?) "$code ${body:0:400}"

before=$(failures selfreport.submit)
public POST "/api/v1/self-report/$token" '{"items":[0,0,0,0,0,0,0,0,0]}'
check "a second use 409" $([ "$code" = 409 ]; echo $?) "$code $body"
check "the second use audited" $([ "$(failures selfreport.submit)" = $((before + 1)) ]; echo $?) "$before -> $(failures selfreport.submit)"
public GET "/api/v1/self-report/$token"
check "a used link does not open 409" $([ "$code" = 409 ]; echo $?) "$code $body"
public GET "/api/v1/self-report/0000000000000000000000000000000000000000000000000000000000000000"
check "an unknown link 404" $([ "$code" = 404 ]; echo $?) "$code $body"

# Expiry: a link whose time has passed (moved back in the database, as after 72 h).
as nurse POST /api/v1/patients/1/self-report-links '{"instrument":"gad7"}'
old=$(jq -r .token <<<"$body")
id=$(jq -r .id <<<"$body")
q "UPDATE self_report_link SET created_at = '2020-01-01T00:00:00.000Z', expires_at = '2020-01-04T00:00:00.000Z' WHERE id = $id" >/dev/null
before=$(failures selfreport.submit)
public POST "/api/v1/self-report/$old" '{"items":[1,1,1,1,1,1,1]}'
check "an expired link 403" $([ "$code" = 403 ] && [ "$(json '.error.message | test("expired")')" = 0 ]; echo $?) "$code $body"
check "the expired use audited, nothing written" $([ "$(failures selfreport.submit)" = $((before + 1)) ] && [ "$(q "SELECT count(*) FROM assessment WHERE instrument = 'gad7' AND source = 'self_report'")" = 0 ]; echo $?) ""

# ---- staff administration --------------------------------------------------------------------------
as admin GET /api/v1/staff
check "staff list, no hashes" $([ "$code" = 200 ] && [ "$(json '(.staff | length) >= 6 and all(.staff[]; has("password_hash") | not)')" = 0 ] && [[ $body != *argon2* ]]; echo $?) "$code ${body:0:300}"
as admin POST /api/v1/staff '{"username":"sam.nurse","display_name":"Sam","role":"nurse","password":"a long enough password"}'
check "staff create 201" $([ "$code" = 201 ]; echo $?) "$code $body"
sam=$(jq -r .id <<<"$body")
as admin POST "/api/v1/staff/$sam" '{"role":"therapist","disabled":true}'
check "role and disable together" $([ "$code" = 200 ] && [ "$(q "SELECT role || ' ' || active FROM staff_user WHERE id = $sam")" = "therapist 0" ]; echo $?) "$code $body"
as admin POST "/api/v1/staff/$sam/password" '{"password":"another long password"}'
check "admin resets a password" $([ "$code" = 200 ]; echo $?) "$code $body"
nurse_id=$(q "SELECT id FROM staff_user WHERE username = 'nurse'")
as nurse POST "/api/v1/staff/$nurse_id/password" '{"old_password":"wrong wrong wrong","new_password":"a fresh nurse password"}'
check "own change, wrong current password 401" $([ "$code" = 401 ]; echo $?) "$code $body"
as nurse POST "/api/v1/staff/$nurse_id/password" '{"password":"a fresh nurse password"}'
check "a nurse cannot reset 403" $([ "$code" = 403 ]; echo $?) "$code $body"

# ---- break-glass (scenario 18) ---------------------------------------------------------------------
as frontdesk GET /api/v1/patients/1/notes
check "front desk: no clinical notes" $([ "$code" = 403 ]; echo $?) "$code $body"
as frontdesk POST /api/v1/patients/1/break-glass '{"reason":"patient unresponsive in waiting room","minutes":15}'
check "break-glass declared 201" $([ "$code" = 201 ] && [ "$(json '.id > 0 and .patient_id == 1')" = 0 ]; echo $?) "$code $body"
as frontdesk GET /api/v1/patients/1/notes
check "then the clinical notes" $([ "$code" = 200 ]; echo $?) "$code ${body:0:200}"
as frontdesk GET /api/v1/patients/1/integration-notes
check "never the integration notes" $([ "$code" = 403 ]; echo $?) "$code $body"
check "access marked break_glass" $([ "$(q "SELECT count(*) FROM audit_entry WHERE action = 'break_glass.access' AND actor = 'frontdesk'")" = 1 ]; echo $?) ""
as admin GET /api/v1/break-glass
check "admins list declarations" $([ "$code" = 200 ] && [ "$(json '.break_glass | length == 1')" = 0 ]; echo $?) "$code $body"
as nurse GET /api/v1/policy
check "policy for clinicians" $([ "$code" = 200 ] && [ "$(json '.rules | map(.id) | index("break_glass.max_min") != null')" = 0 ]; echo $?) "$code ${body:0:200}"
as frontdesk GET /api/v1/policy
check "policy not for front desk" $([ "$code" = 403 ]; echo $?) "$code $body"

# ---- the pure engine routes --------------------------------------------------------------------------
as nurse POST /api/v1/popsim '{"model":"clements","patient":{"weight_kg":70},"n":5001,"arms":[]}'
check "popsim over the web cap 422" $([ "$code" = 422 ]; echo $?) "$code $body"
public POST /api/v1/pd/acute '{}'
check "pd acute refuses an empty request 422" $([ "$code" = 422 ]; echo $?) "$code $body"

stop_server
check "never a 500" $(! grep -q '"status":5' "$tmp/log"; echo $?) "$(grep '"status":5' "$tmp/log" | head -2)"
check "no token in the server log" $(! grep -q "$token" "$tmp/log"; echo $?) "the log holds a self-report token"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
