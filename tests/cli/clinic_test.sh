#!/usr/bin/env bash
# The clinic commands end to end: the `keta dose` contract, exit codes, one-line errors naming
# the field, --policy files, and docs/policy.md listing every rule.
# Usage: clinic_test.sh KETA_BINARY SOURCE_DIR
set -u
keta=$1
src=$2
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # name, condition result (0 = ok), detail
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL $1: $3"; fi
}

# run STDIN ARGS... -> sets out, err, code
run() {
    local input=$1; shift
    out=$(printf '%s' "$input" | "$keta" "$@" 2>"$tmp/err")
    code=$?
    err=$(cat "$tmp/err")
}

# clinic.md §6 scenario 1: the contract of issue 4.
run '' dose --weight-kg 82 --mg-per-kg 0.5 --duration-min 40 --bag-ml 100 --json
check "dose contract" $([ $code -eq 0 ] && [[ $out == '{"dose_mg":41.0,"duration_min":40,"rate_ml_per_h":150.0,"rate_mg_per_min":1.025,'* ]]; echo $?) "$code $out"
check "dose check ok" $([[ $out == *'"check":{"result":"ok"'* ]]; echo $?) "$out"
run '' dose --weight-kg 82 --mg-per-kg 0.5 --duration-min 40 --bag-ml 100
check "dose plain text" $([ $code -eq 0 ] && [[ $out == *'41.0 mg (0.5 mg/kg x 82 kg)'*'150.0 mL/h'* ]]; echo $?) "$out"
run '{"weight_kg":78,"mg_per_kg":0.5,"duration_min":40}' dose --json
check "dose from stdin (scenario 4)" $([ $code -eq 0 ] && [[ $out == '{"dose_mg":39.0,'* ]]; echo $?) "$out"
run '' dose --weight-kg 400 --mg-per-kg 0.5 --duration-min 40
check "dose range refused" $([ $code -eq 1 ] && [ -z "$out" ] && [[ $err == *'/weight_kg'*'from 20 to 300, got 400'* ]] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ]; echo $?) "$code $err"
run '' dose --weight-kg abc --mg-per-kg 0.5 --duration-min 40
check "dose not a number" $([ $code -eq 1 ] && [[ $err == *'--weight-kg'*"got 'abc'"* ]]; echo $?) "$err"
run '' dose --weight-kg 82 --mg-per-kg 0.5 --duration-min 40.5 --json
check "dose integer minutes" $([ $code -eq 1 ] && [[ $err == *'/duration_min'* ]]; echo $?) "$err"
run '' dose --weight-kg 82 --mg-per-kg 1.0 --duration-min 40 --json
check "soft limit needs a reason" $([ $code -eq 1 ] && [[ $out == *'"result":"soft_limit"'* ]] && [[ $err == *'drug_library.ketamine_iv.soft_max_mg_per_kg'*'--reason'* ]]; echo $?) "$code $err"
run '' dose --weight-kg 82 --mg-per-kg 1.0 --duration-min 40 --reason "prescriber order" --json
check "soft limit with reason" $([ $code -eq 0 ] && [[ $out == *'"programmable":true'* ]]; echo $?) "$code $out"
run '' dose --weight-kg 82 --mg-per-kg 1.2 --duration-min 40
check "hard limit refused" $([ $code -eq 1 ] && [[ $out == *'hard_limit'* ]] && [[ $err == *'drug_library.ketamine_iv.hard_max_mg_per_kg'*'refused'* ]]; echo $?) "$code $err"
run '' dose --drug esketamine --dose-mg 84 --session 1 --age-y 45
check "esketamine day 1 84 mg refused (scenario 5)" $([ $code -eq 1 ] && [[ $err == *'label.esketamine.day1_dose'* ]]; echo $?) "$err"
run '' dose --frobnicate
check "dose usage" $([ $code -eq 2 ] && [[ $err == *'usage: keta dose'* ]]; echo $?) "$code $err"

# Policy files.
printf '{"bp":{"hold_systolic_mmhg":170}}' > "$tmp/p.json"
printf '{"bp":{"hold_systolic_mmhg":300}}' > "$tmp/bad.json"
vitals='{"drug":"ketamine","route":"iv","dosing_start":"2026-03-02T14:00","readings":[{"time":"2026-03-02T14:20","systolic_mmhg":175,"diastolic_mmhg":90}]}'
run "$vitals" vitals check
check "vitals default policy" $([ $code -eq 0 ] && [[ $out == *'"status":"dosing"'* ]]; echo $?) "$out"
run "$vitals" vitals check --policy "$tmp/p.json"
check "vitals clinic policy" $([ $code -eq 0 ] && [[ $out == *'"status":"paused_pending_decision"'* ]] && [[ $out == *'"rule":"bp.hold_systolic_mmhg"'* ]]; echo $?) "$out"
run "$vitals" vitals check --policy "$tmp/bad.json"
check "bad policy refused naming the field" $([ $code -eq 1 ] && [ -z "$out" ] && [[ $err == *"policy $tmp/bad.json /bp/hold_systolic_mmhg"*'from 120 to 250, got 300'* ]]; echo $?) "$code $err"
run "$vitals" vitals check --policy "$tmp/none.json"
check "missing policy file" $([ $code -eq 1 ] && [[ $err == *'cannot open'* ]]; echo $?) "$code $err"
run '' policy show --file "$tmp/p.json"
check "policy show file" $([ $code -eq 0 ] && [[ $out == *'bp.hold_systolic_mmhg'*'170'*'clinic policy file'* ]]; echo $?) "${out:0:300}"
run '' policy show --json
check "policy show json" $([ $code -eq 0 ] && [[ $out == *'"id": "drug_library.ketamine_iv.hard_max_mg_per_kg"'* ]]; echo $?) "${out:0:200}"
missing=""
for id in $(printf '%s' "$out" | sed -n 's/^ *"id": "\([^"]*\)",*$/\1/p'); do
    grep -q "\`$id\`" "$src/docs/policy.md" || missing="$missing $id"
done
check "docs/policy.md lists every rule" $([ -z "$missing" ]; echo $?) "missing:$missing"
run '' policy frobnicate
check "policy usage" $([ $code -eq 2 ]; echo $?) "$code"

# One call of each JSON command.
run '{"drug":"ketamine","route":"iv","age_y":45,"diagnoses":["mdd"],"antidepressant_trials":[{"adequate":true,"failed":true},{"adequate":true,"failed":true},{"adequate":true,"failed":true}]}' eligibility
check "eligibility" $([ $code -eq 0 ] && [[ $out == *'"decision":"eligible"'* ]]; echo $?) "$out"
run '{"protocol":"iv_induction","start_date":"2026-03-02","weight_kg":82}' course plan
check "course plan" $([ $code -eq 0 ] && [[ $out == *'"end_date":"2026-03-13"'* ]]; echo $?) "${out:0:200}"
run '{"protocol":"iv_induction","sessions_completed":3,"weight_kg":82,"baseline":21,"current":19}' course review
check "course review" $([ $code -eq 0 ] && [[ $out == *'"dose_mg":61.5'* ]]; echo $?) "$out"
run '{"instrument":"madrs","scores":[{"date":"2026-01-05","total":34},{"date":"2026-02-16","total":11}]}' course outcome
check "course outcome" $([ $code -eq 0 ] && [[ $out == *'"remission":true'* ]]; echo $?) "$out"
printf '{"outcome":{"madrs_remission_max":10}}' > "$tmp/m10.json"
run '{"instrument":"madrs","scores":[{"date":"2026-01-05","total":34},{"date":"2026-02-16","total":11}]}' course outcome --policy "$tmp/m10.json"
check "course outcome policy (scenario 14)" $([ $code -eq 0 ] && [[ $out == *'"remission":false'* ]] && [[ $out == *'madrs_le_10'* ]]; echo $?) "$out"
run '{}' course frobnicate
check "course unknown subcommand" $([ $code -eq 2 ]; echo $?) "$code"
run '{"checkin_time":"2026-03-10T08:00","dose_time":"2026-03-10T09:00","bp":{"systolic_mmhg":168,"diastolic_mmhg":100},"phq9_item9":2}' home check
check "home check (scenario 20)" $([ $code -eq 0 ] && [[ $out == *'"take_dose":false'* ]]; echo $?) "$out"
run '{"patient_enrolled":false,"now":"2026-03-06T09:55","vitals":[{"time":"2026-03-06T09:50","systolic_mmhg":132,"diastolic_mmhg":84}]}' rems check
check "rems check (scenario 5)" $([ $code -eq 0 ] && [[ $out == *'"allowed":false'* ]] && [[ $out == *'rems.patient_enrollment'* ]]; echo $?) "$out"
run '{"items":[1,1,1,2,2,2,2,2,1]}' assess phq9
check "assess (scenario 11)" $([ $code -eq 0 ] && [[ $out == *'"crisis_text":"If you are'* ]]; echo $?) "${out:0:200}"
run '{"drug":"ketamine","route":"iv","now":"2026-03-02T15:10","baseline":{"systolic_mmhg":128,"diastolic_mmhg":82},"last_vitals":{"time":"2026-03-02T15:05","systolic_mmhg":130,"diastolic_mmhg":80},"alert_oriented":true,"moaas":5,"nausea":"none","escort_present":true}' discharge check
check "discharge refused naming the field" $([ $code -eq 1 ] && [[ $err == *'/dosing_end'* ]]; echo $?) "$err"
run '{"drug":"ketamine","route":"iv","dosing_start":"2026-03-02T14:00","readings":[],"x":1}' vitals check --pretty
check "unknown key refused" $([ $code -eq 1 ] && [[ $err == *'/x'*'unknown field'* ]]; echo $?) "$err"
run '' vitals
check "vitals usage" $([ $code -eq 2 ]; echo $?) "$code"

for c in dose eligibility assess course vitals home discharge rems policy; do
    run '' help $c
    check "help $c" $([ $code -eq 0 ] && [[ $out == *"usage: keta $c"* ]]; echo $?) "$out"
    grep -q "^\*$c\*\|^\*$c " "$src/docs/keta.1.scd"
    check "man page $c" $?  "$c missing from docs/keta.1.scd"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
