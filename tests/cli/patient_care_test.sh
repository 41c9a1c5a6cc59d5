#!/usr/bin/env bash
# The patient-level staff commands (the JSON adapters of the use-case table, the same the API
# serves) on a demo clinic in a SQLite file: intake and signed eligibility (clinic.md §6
# scenarios 1 and 10), lists, review and escalation refusals, outcomes, at-home check-in
# (scenario 20), with refusals audited and bad input named.
# Usage: patient_care_test.sh KETA_BINARY
set -u
keta=$1
passed=0
failed=0
dir=$(mktemp -d "${TMPDIR:-/tmp}/keta-care-test-XXXXXX")
trap 'rm -rf "$dir"' EXIT
unset KETA_DB KETA_PASSWORD KETA_USER

check() { # name, condition result (0 = ok), detail
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL $1: $3"; fi
}
db=$dir/clinic.db
"$keta" demo --db "$db" > "$dir/demo.json"
pw() { jq -r --arg r "$1" '.logins[] | select(.role == $r) | .password' "$dir/demo.json"; }
user() { jq -r --arg r "$1" '.logins[] | select(.role == $r) | .username' "$dir/demo.json"; }
count() { sqlite3 "$db" "$1"; }
export KETA_DB=$db
# as ROLE STDIN ARGS... -> out, err, code
as() {
    local role=$1 input=$2
    shift 2
    out=$(KETA_PASSWORD=$(pw "$role") setsid -w "$keta" "$@" --user "$(user "$role")" \
        <<<"$input" 2>"$dir/err")
    code=$?
    err=$(cat "$dir/err")
}

as front_desk '' patient list --q demo-000 --limit 2
check "patient list: a bounded page by prefix" $([ $code = 0 ] && jq -e '.patients | length == 2' <<<"$out" >/dev/null; echo $?) "$code ${out:0:200} $err"
as front_desk '' patient list --limit 0
check "patient list: limit out of range is named" $([ $code = 1 ] && [[ $err == */limit* ]]; echo $?) "$code $err"

# The demo's patients all have a history: the intake scenarios run on a new one.
as front_desk '{"mrn":"T-CARE-1","given_name":"Casey","family_name":"New","birth_date":"1980-01-01","sex":"unknown","weight_kg":70}' patient register
np=$(jq -r '.id // empty' <<<"$out")
check "a new patient for the intake scenarios" $([ $code = 0 ] && [ -n "$np" ]; echo $?) "$code $out $err"
as nurse '{"instrument":"phq9","items":[3,3,3,3,3,2,2,2,0]}' assessment record --patient-id "$np"
check "baseline PHQ-9 21 severe (scenario 1)" $([ $code = 0 ] && jq -e '.total == 21 and .band == "severe"' <<<"$out" >/dev/null; echo $?) "$code $out $err"
intake='{"diagnoses":["mdd"],"antidepressant_trials":[{"adequate":true,"failed":true},{"adequate":true,"failed":true},{"adequate":true,"failed":true}],"history":{"aneurysmal_vascular_disease":true},"bp":{"systolic_mmhg":128,"diastolic_mmhg":82}}'
as front_desk "$intake" intake record --patient-id "$np"
check "front desk may not record an intake" $([ $code = 1 ] && [[ $err == *KETA_EDENIED* ]] && [ "$(count "SELECT outcome FROM audit_entry ORDER BY seq DESC LIMIT 1")" = failure ]; echo $?) "$code $err"
as nurse '{"diagnoses":["mdd"],"history":{"aneurysm":true}}' intake record --patient-id "$np"
check "an unknown history item is named; nothing written" $([ $code = 1 ] && [[ $err == */history/aneurysm* ]] && [ "$(count "SELECT count(*) FROM intake WHERE patient_id = $np")" = 0 ]; echo $?) "$code $err"
as nurse "$intake" intake record --patient-id "$np"
check "intake recorded as version 1" $([ $code = 0 ] && jq -e '.version == 1' <<<"$out" >/dev/null; echo $?) "$code $out $err"
as prescriber '{"route":"intranasal"}' eligibility sign --patient-id "$np"
check "scenario 10: esketamine ineligible with the label reason" $([ $code = 0 ] && jq -e '.decision == "ineligible" and (.reasons | map(select(.effect == "contraindicated" and .rule == "eligibility.aneurysmal_vascular_disease")) | length == 1)' <<<"$out" >/dev/null; echo $?) "$code ${out:0:300} $err"
as prescriber '{"route":"iv"}' eligibility sign --patient-id "$np"
check "scenario 10: racemic IV flagged for prescriber review" $([ $code = 0 ] && jq -e '.decision == "review" and .baseline.phq9_total == 21' <<<"$out" >/dev/null; echo $?) "$code ${out:0:300} $err"
as nurse '{"route":"iv"}' eligibility sign --patient-id "$np"
check "a nurse may not sign eligibility" $([ $code = 1 ] && [[ $err == *eligibility.sign* ]]; echo $?) "$code $err"
as nurse '' eligibility get --patient-id "$np"
check "decisions listed newest first" $([ $code = 0 ] && jq -e '.decisions | length == 2 and .[0].route == "iv"' <<<"$out" >/dev/null; echo $?) "$code ${out:0:200} $err"
as prescriber '{"protocol":"esketamine_trd","start_date":"2026-03-02","age_y":45}' course create --patient-id "$np"
check "the esketamine order is blocked (audited with the rule)" $([ $code = 1 ] && [[ $err == *KETA_EDENIED* ]] && [[ "$(count "SELECT detail FROM audit_entry ORDER BY seq DESC LIMIT 1")" == *eligibility.aneurysmal_vascular_disease* ]]; echo $?) "$code $err"

as nurse '' assessment list --patient-id "$np"
check "assessment history with symptom domains" $([ $code = 0 ] && jq -e '.assessments[0].domains.suicidal_thoughts.value == 0 and .assessments[0].domains.low_mood.max == 3' <<<"$out" >/dev/null; echo $?) "$code ${out:0:300} $err"
as patient '' course list --patient-id 1
check "a patient lists their own courses" $([ $code = 0 ] && jq -e '.courses | length >= 1' <<<"$out" >/dev/null; echo $?) "$code ${out:0:200} $err"
as patient '' course list --patient-id 2
check "but not another patient's" $([ $code = 1 ] && [[ $err == *KETA_EDENIED* ]]; echo $?) "$code $err"
as nurse '' course get --course-id 1
check "a course with its sessions" $([ $code = 0 ] && jq -e '.sessions | length >= 1' <<<"$out" >/dev/null; echo $?) "$code ${out:0:200} $err"
as nurse '{}' course escalate --course-id 1
check "a nurse may not escalate" $([ $code = 1 ] && [[ $err == *KETA_EDENIED* ]]; echo $?) "$code $err"
as prescriber '{"mg_per_kg":1.0}' course escalate --course-id 1
check "escalate takes no dose from the caller" $([ $code = 1 ] && [[ $err == */mg_per_kg* ]]; echo $?) "$code $err"
as nurse '' outcome patient --patient-id "$np"
check "outcomes need a later score" $([ $code = 1 ] && [[ $err == */assessments* ]]; echo $?) "$code $err"
as nurse '{"instrument":"phq9","items":[2,1,1,1,1,1,1,1,0]}' assessment record --patient-id "$np"
as nurse '' outcome patient --patient-id "$np" --instrument phq9
check "scenario 15: 21 -> 9 responds, not remitted, definitions named" $([ $code = 0 ] && jq -e '.response == true and .remission == false and .definitions.remission.rule == "outcome.phq9_remission_max" and (.forecast | has("available"))' <<<"$out" >/dev/null; echo $?) "$code ${out:0:300} $err"
as nurse '' outcome summary
check "the site summary names no patient" $([ $code = 0 ] && jq -e 'has("by_protocol")' <<<"$out" >/dev/null && [[ $out != *DEMO-000* ]]; echo $?) "$code ${out:0:200} $err"

as patient '{"bp":{"systolic_mmhg":168,"diastolic_mmhg":100},"phq9_item9":2}' checkin record --patient-id 1
check "scenario 20: do not take pending clinician contact, same-day task" $([ $code = 0 ] && jq -e '.status == "do_not_take_pending_clinician_contact" and .clinician_task == "same_day" and .alert_id > 0' <<<"$out" >/dev/null; echo $?) "$code ${out:0:300} $err"
check "the task is an open alert naming its rule" $([ "$(count "SELECT count(*) FROM alert WHERE kind = 'clinician_task' AND rule = 'home.hold_systolic_mmhg' AND resolved_at IS NULL")" = 1 ]; echo $?) ""
as patient '{"bp":{"systolic_mmhg":168,"diastolic_mmhg":100},"checkin_time":"2026-01-01T08:00"}' checkin record --patient-id 1
check "the check-in time is the server's" $([ $code = 1 ] && [[ $err == */checkin_time* ]]; echo $?) "$code $err"
as nurse '' checkin list --patient-id 1 --limit 5
check "check-ins listed" $([ $code = 0 ] && jq -e '.checkins | length == 1' <<<"$out" >/dev/null; echo $?) "$code ${out:0:200} $err"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
