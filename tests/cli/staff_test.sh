#!/usr/bin/env bash
# The staff commands (`keta GROUP VERB`, one per use case) on a demo clinic in a SQLite file:
# acting as a named user who authenticates, JSON in and out as the API takes and gives it, a
# refused role (exit 1, audited), a wrong password, a field out of range (named, nothing
# written), usage errors, and `keta help` listing them.
# Usage: staff_test.sh KETA_BINARY SOURCE_DIR
set -u
keta=$1
src=$2
passed=0
failed=0
dir=$(mktemp -d "${TMPDIR:-/tmp}/keta-staff-test-XXXXXX")
trap 'rm -rf "$dir"' EXIT
unset KETA_DB KETA_PASSWORD KETA_USER

check() { # name, condition result (0 = ok), detail
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL $1: $3"; fi
}
# run STDIN ARGS... -> out, err, code (no terminal: the password only from KETA_PASSWORD)
run() {
    local input=$1
    shift
    out=$(setsid -w "$keta" "$@" <<<"$input" 2>"$dir/err")
    code=$?
    err=$(cat "$dir/err")
}
db=$dir/clinic.db
"$keta" demo --db "$db" > "$dir/demo.json"
pw() { jq -r --arg r "$1" '.logins[] | select(.role == $r) | .password' "$dir/demo.json"; }
user() { jq -r --arg r "$1" '.logins[] | select(.role == $r) | .username' "$dir/demo.json"; }
count() { sqlite3 "$db" "$1"; }
export KETA_DB=$db

KETA_PASSWORD=$(pw nurse) run '{"systolic_mmhg":131,"diastolic_mmhg":79,"heart_rate_bpm":71}' \
    vitals record --session-id 1 --user "$(user nurse)"
check "nurse records vitals: the new id" $([ $code = 0 ] && jq -e '.id > 0' <<<"$out" >/dev/null; echo $?) "$code $out $err"
id=$(jq -r .id <<<"$out")
KETA_PASSWORD=$(pw nurse) run '' vitals list --session-id 1 --user "$(user nurse)"
check "the flowsheet holds it" $([ $code = 0 ] && jq -e --argjson id "$id" '.vitals | map(select(.id == $id and .systolic_mmhg == 131)) | length == 1' <<<"$out" >/dev/null; echo $?) "$code ${out:0:200} $err"
check "the write and the read are audited as the nurse" $([ "$(count "SELECT count(*) FROM audit_entry WHERE actor = '$(user nurse)' AND action LIKE 'vitals.%'")" -ge 2 ]; echo $?) "$(count "SELECT action FROM audit_entry ORDER BY seq DESC LIMIT 3")"

before=$(count "SELECT count(*) FROM vital_sign")
KETA_PASSWORD=$(pw nurse) run '{"systolic_mmhg":400}' vitals record --session-id 1 --user "$(user nurse)"
check "out of range: exit 1 naming the field" $([ $code = 1 ] && [[ $err == *systolic_mmhg* ]] && [ -z "$out" ]; echo $?) "$code $err"
check "nothing written" $([ "$(count "SELECT count(*) FROM vital_sign")" = "$before" ]; echo $?) ""

KETA_PASSWORD=$(pw front_desk) run '' integration-note list --patient-id 1 --user "$(user front_desk)"
check "front desk refused integration notes: exit 1" $([ $code = 1 ] && [[ $err == *KETA_EDENIED* ]] && [ -z "$out" ]; echo $?) "$code $out $err"
check "the refusal is audited as a failure" $([ "$(count "SELECT outcome FROM audit_entry WHERE actor = '$(user front_desk)' ORDER BY seq DESC LIMIT 1")" = failure ]; echo $?) "$(count "SELECT actor, action, outcome FROM audit_entry ORDER BY seq DESC LIMIT 1")"

KETA_PASSWORD='not the password at all' run '' patient get --patient-id 1 --user "$(user nurse)"
check "wrong password: exit 1, KETA_EAUTH" $([ $code = 1 ] && [[ $err == *KETA_EAUTH* ]]; echo $?) "$code $err"
run '' patient get --patient-id 1 --user "$(user nurse)"
check "no password and no terminal: exit 1 saying KETA_PASSWORD" $([ $code = 1 ] && [[ $err == *KETA_PASSWORD* ]]; echo $?) "$code $err"
KETA_PASSWORD=$(pw nurse) run '' patient get --patient-id 1
check "no user: usage error" $([ $code = 2 ] && [[ $err == *--user* ]]; echo $?) "$code $err"
KETA_PASSWORD=$(pw nurse) run '' patient get --user "$(user nurse)"
check "missing --patient-id: usage error" $([ $code = 2 ] && [[ $err == *--patient-id* ]]; echo $?) "$code $err"
KETA_PASSWORD=$(pw nurse) run '' patient get --patient-id 0x1 --user "$(user nurse)"
check "a bad id: usage error" $([ $code = 2 ]; echo $?) "$code $err"
KETA_PASSWORD=$(pw nurse) run '' patient get --patient-id 1 --user "$(user nurse)" --pretty
check "patient get --pretty" $([ $code = 0 ] && jq -e '.id == 1 and (.mrn | length > 0)' <<<"$out" >/dev/null && [[ $out == *$'\n'* ]]; echo $?) "$code $out $err"
KETA_PASSWORD=$(pw prescriber) run '{"instrument":"phq9","items":[2,2,2,2,2,2,2,2,1]}' \
    assessment record --patient-id 2 --user "$(user prescriber)"
check "PHQ-9 item 9 > 0: C-SSRS queued and the crisis text" $([ $code = 0 ] && jq -e '.total == 17 and .cssrs_screen_queued == true and (.crisis_text | length > 0)' <<<"$out" >/dev/null; echo $?) "$code $out $err"

run '' help
check "keta help lists the staff groups" $([ $code = 0 ] && [[ $out == *"staff commands"*vitals*integration-note* ]]; echo $?) "$code ${out: -300}"
run '' help vitals
check "keta help vitals: the pure check and the staff verbs" $([ $code = 0 ] && [[ $out == *"keta vitals check"* ]] && [[ $out == *"keta vitals record --session-id N"* ]]; echo $?) "$code ${out: -400}"
run '' patient
check "a group without a verb: its synopses, exit 2" $([ $code = 2 ] && [[ $err == *"keta patient register"* ]]; echo $?) "$code $err"
run '' audit verify --db "$db"
check "keta audit verify is still the operator's check" $([ $code = 0 ] && jq -e '.ok == true' <<<"$out" >/dev/null; echo $?) "$code ${out:0:200} $err"

# Every staff command is in the manual, with its route.
undocumented=
while read -r name method route; do
    cmd="${name/./ }"
    cmd="${cmd//_/-}"
    grep -qF "*$cmd" "$src/docs/keta.1.scd" && grep -qF "[$method $route]" "$src/docs/keta.1.scd" ||
        undocumented="$undocumented $name"
done < <("$keta" help --usecases)
check "every staff command is in docs/keta.1.scd" $([ -z "$undocumented" ] && [ "$("$keta" help --usecases | wc -l)" -ge 18 ]; echo $?) "missing:$undocumented"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
