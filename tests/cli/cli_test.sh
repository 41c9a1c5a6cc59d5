#!/usr/bin/env bash
# The keta command end to end: output, exit codes and one-line errors.
# Usage: cli_test.sh KETA_BINARY SOURCE_DIR
set -u
keta=$1
passed=0
failed=0

check() { # name, condition result (0 = ok), detail
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL $1: $3"; fi
}

# run NAME STDIN ARGS... -> sets out, err, code
run() {
    local input=$1; shift
    out=$(printf '%s' "$input" | "$keta" "$@" 2>/tmp/keta_cli_err.$$)
    code=$?
    err=$(cat /tmp/keta_cli_err.$$)
}

run '{"items":[1,2,1,0,3,1,2,1,1]}' score phq9
check "phq9 scores" $([ $code -eq 0 ] && [[ $out == *'"total":12'* ]] && [[ $out == *'"severity":"moderate"'* ]]; echo $?) "$code $out"
check "phq9 item 9 alert" $([[ $out == *'"code":"suicidal_ideation","item":9,"value":1'* ]]; echo $?) "$out"
check "output is one line" $([ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ]; echo $?) "$out"

run '{"items":[1,1,1,0,0,0,null]}' score cssrs_screen
check "cssrs moderate" $([ $code -eq 0 ] && [[ $out == *'"risk":"moderate"'* ]]; echo $?) "$out"

run '{"baseline":21,"current":9}' outcome phq9
check "outcome" $([ $code -eq 0 ] && [[ $out == *'"response":true,"remission":false,"change":-12,"percent_change":-57.1'* ]]; echo $?) "$out"

run '{"items":[1,2,1,0,3,1,2,1,4]}' score phq9
check "range error exit 1" $([ $code -eq 1 ]; echo $?) "$code"
check "range error one line naming item" $([ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] && [[ $err == *'/items/9'*'from 0 to 3, got 4'* ]]; echo $?) "$err"
check "no stdout on error" $([ -z "$out" ]; echo $?) "$out"

run '{"items":[1,2]}' score phq9
check "count error" $([ $code -eq 1 ] && [[ $err == *'takes 9 items'*'got 2'* ]]; echo $?) "$err"
run '{"items":[1,2,1,0,3,1,2,1,"1"]}' score phq9
check "type error" $([ $code -eq 1 ] && [[ $err == *'item 9'*'got string'* ]]; echo $?) "$err"
run '{"items":[1,2,1,0,3,1,2,1,1.5]}' score phq9
check "non-integer" $([ $code -eq 1 ] && [[ $err == *'got 1.5'* ]]; echo $?) "$err"
run '{"items":[1,2,1,0,3,1,2,1,1],"extra":1}' score phq9
check "unknown key" $([ $code -eq 1 ] && [[ $err == *'/extra'*'unknown field'* ]]; echo $?) "$err"
run '{"items":[1,2,1,0,3,1' score phq9
check "malformed JSON" $([ $code -eq 1 ] && [[ $err == *'malformed JSON'* ]]; echo $?) "$err"
run '{"items":[0,0,1,0,0,0,null]}' score cssrs_screen
check "cssrs skipped answered" $([ $code -eq 1 ] && [[ $err == *'/items/3'*'skipped'* ]]; echo $?) "$err"
run '{}' score nosuch
check "unknown instrument" $([ $code -eq 1 ] && [[ $err == *"unknown instrument 'nosuch'"* ]]; echo $?) "$err"
run '' score
check "usage exit 2" $([ $code -eq 2 ] && [[ $err == *'usage: keta score'* ]]; echo $?) "$code $err"
run '' frobnicate
check "unknown command" $([ $code -eq 2 ]; echo $?) "$code"

run '{"items":[1,2,null,0,3,1,2,1,0]}' score phq9
check "incomplete is not an error" $([ $code -eq 0 ] && [[ $out == *'"complete":false,"total":null'* ]] && [[ $out == *'"missing":[3]'* ]]; echo $?) "$out"

head -c 2000000 /dev/zero | tr '\0' ' ' > /tmp/keta_big.$$
out=$("$keta" score phq9 < /tmp/keta_big.$$ 2>/tmp/keta_cli_err.$$); code=$?
err=$(cat /tmp/keta_cli_err.$$)
check "oversized input refused" $([ $code -eq 1 ] && [[ $err == *'larger than'* ]]; echo $?) "$code $err"
rm -f /tmp/keta_big.$$

run '' instruments
check "instruments table" $([ $code -eq 0 ] && [[ $out == *'phq9'*'44261-6'* ]] && [[ $out == *'madrs'*'permission_required'* ]]; echo $?) "$out"
run '' instruments --json
check "instruments json" $([ $code -eq 0 ] && [[ $out == *'"id": "ybocs"'* ]]; echo $?) "${out:0:200}"

pkreq='{"model":"domino1984","patient":{"weight_kg":70,"age_y":45},"doses":[{"route":"iv","amount_mg":35,"start_min":0,"duration_min":40}],"times_min":[0,40]}'
run "$pkreq" pk simulate
check "pk simulate" $([ $code -eq 0 ] && [[ $out == *'"cp_ng_per_ml":[0.0,240.35'* ]] && [[ $out == *'"auc_inf_ng_h_per_ml"'* ]]; echo $?) "$out"
run "$pkreq" pk simulate --csv
check "pk simulate csv" $([ $code -eq 0 ] && [[ $out == 't_min,cp_ng_per_ml,ce_ng_per_ml'*'40,240.35'* ]]; echo $?) "$out"
svg=/tmp/keta_cli_svg.$$.svg
run "$pkreq" pk simulate --svg "$svg"
check "pk simulate --svg keeps the JSON" $([ $code -eq 0 ] && [[ $out == *'"cp_ng_per_ml":[0.0,240.35'* ]]; echo $?) "$code $err"
if command -v xmllint >/dev/null; then # scripts/install-deps.sh installs it (libxml2-utils)
    xmllint --noout "$svg" 2>/tmp/keta_cli_err.$$; wf=$?
else # a structural check: the XML declaration, one svg root, as many opened as closed tags
    wf=1
    [ "$(head -c 5 "$svg")" = "<?xml" ] && [ "$(tail -n 1 "$svg")" = "</svg>" ] &&
        [ "$(grep -o '<[a-z]' "$svg" | wc -l)" -eq "$(grep -o '/>\|</[a-z]' "$svg" | wc -l)" ] && wf=0
fi
check "pk simulate --svg is well-formed XML" "$wf" "$(cat /tmp/keta_cli_err.$$)"
check "pk simulate --svg has axes with units and a legend" $(grep -q 'Time (min)' "$svg" && grep -q 'Concentration (ng/mL)' "$svg" && grep -q '>Cp (plasma)<' "$svg" && grep -q '>Ce (effect site)<' "$svg" && [ "$(grep -c '<polyline' "$svg")" -eq 2 ]; echo $?) "$(head -c 300 "$svg")"
rm -f "$svg"
run "$pkreq" pk simulate --svg /nonexistent-dir/plot.svg
check "pk simulate --svg unwritable" $([ $code -eq 3 ] && [[ $err == *'cannot write the plot to /nonexistent-dir/plot.svg'* ]]; echo $?) "$code $err"
run "$pkreq" pk simulate --svg
check "pk simulate --svg without a file" $([ $code -eq 2 ]; echo $?) "$code $err"
run '{"model":"domino1984","patient":{"weight_kg":400,"age_y":45},"doses":[],"times_min":[0]}' pk simulate
check "pk refused names field" $([ $code -eq 1 ] && [[ $err == *'/patient/weight_kg'*'got 400'* ]]; echo $?) "$err"
run '' pk models
check "pk models" $([ $code -eq 0 ] && [[ $out == *'domino1984'*'perezruixo2021'*'noresketamine'* ]]; echo $?) "$out"
run '' pk models --json
check "pk models json" $([ $code -eq 0 ] && [[ $out == *'"id": "kamp2020"'* ]]; echo $?) "${out:0:200}"
run '{"model":"kamp2020","patient":{"weight_kg":70,"age_y":45},"target_ng_per_ml":200,"duration_min":5}' pk tci
check "pk tci" $([ $code -eq 0 ] && [[ $out == *'"programme":[{"start_min":0.0'* ]]; echo $?) "${out:0:200}"
run '{"model":"domino1984","patient":{"weight_kg":70,"age_y":45},"target":"effect","target_ng_per_ml":150,"duration_min":20,"max_rate_mg_per_h":600}' pk tci
check "pk tci effect" $([ $code -eq 0 ] && [[ $out == *'"target":"effect"'* ]] && [[ $out == *'"rate_mg_per_h":600.0'* ]] && [[ $out == *'"effect_phase_end_min":'[0-9]* ]]; echo $?) "${out:0:300}"
run '' pk frobnicate
check "pk unknown subcommand" $([ $code -eq 2 ]; echo $?) "$code"

pdreq='{"model":"domino1984","patient":{"weight_kg":70,"age_y":45},"doses":[{"route":"iv","amount_mg":35,"duration_min":40}],"times_min":[0,40,130]}'
run "$pdreq" pd acute
check "pd acute" $([ $code -eq 0 ] && [[ $out == *'"sbp":{"unit":"mmHg"'* ]] && [[ $out == *'"t_peak_min":40.0'* ]]; echo $?) "${out:0:300}"
run "$pdreq" pd response
check "pd response" $([ $code -eq 0 ] && [[ $out == *'"score":[33.0,'* ]]; echo $?) "${out:0:300}"
run '{"model":"domino1984","patient":{"weight_kg":70,"age_y":45},"doses":[{"route":"iv","amount_mg":35}],"times_min":[0],"ke0_per_min":{"sbp":0}}' pd acute
check "pd acute refused names field" $([ $code -eq 1 ] && [[ $err == *'/ke0_per_min/sbp'* ]]; echo $?) "$err"
run '' pd frobnicate
check "pd unknown subcommand" $([ $code -eq 2 ]; echo $?) "$code"
fcreq='{"model":"domino1984","patient":{"weight_kg":70,"age_y":45},"doses":[{"route":"iv","amount_mg":35,"duration_min":40},{"route":"iv","amount_mg":35,"start_min":2880,"duration_min":40}],"scores":[{"instrument":"madrs","t_min":-10,"score":32},{"instrument":"madrs","t_min":4320,"score":14}],"origin_date":"2024-03-01"}'
run "$fcreq" forecast
check "forecast" $([ $code -eq 0 ] && [[ $out == *'"threshold":16.0'* ]] && [[ $out == *'"relapse":{"status":"predicted"'*'"date":"2024-03-'* ]]; echo $?) "${out:0:300}"
run '{"model":"domino1984","patient":{"weight_kg":70,"age_y":45},"doses":[{"route":"iv","amount_mg":35}],"scores":[{"instrument":"madrs","t_min":0,"score":32},{"instrument":"madrs","t_min":4320,"score":61}]}' forecast
check "forecast refused names field" $([ $code -eq 1 ] && [[ $err == *'/scores/1/score'* ]]; echo $?) "$err"
run '' forecast --frob
check "forecast usage" $([ $code -eq 2 ]; echo $?) "$code"
popreq='{"model":"herd2007","patient":{"weight_kg":30,"age_y":9},"n":50,"seed":3,"grid":{"step_min":60,"end_min":1440},"arms":[{"name":"one","doses":[{"route":"iv","amount_mg":15,"duration_min":40}]},{"name":"two","doses":[{"route":"iv","amount_mg":15,"duration_min":40},{"route":"iv","amount_mg":15,"start_min":720,"duration_min":40}]}]}'
run "$popreq" popsim
check "popsim" $([ $code -eq 0 ] && [[ $out == *'"arms":[{"name":"one","cp_ng_per_ml":{"p5":'* ]] && [[ $out == *'"comparison":[{"arm":"two","versus":"one"'* ]]; echo $?) "${out:0:300}"
one=$out
run "$popreq" popsim --threads 1
check "popsim same answer on one thread" $([ $code -eq 0 ] && [ "$out" = "$one" ]; echo $?) "${out:0:200}"
check "popsim no progress bar off a terminal" $([ -z "$err" ]; echo $?) "$err"
run '{"model":"herd2007","patient":{"weight_kg":30,"age_y":9},"n":5,"arms":[{"doses":[{"route":"iv","amount_mg":15}]}],"iiv":{"CL":-3}}' popsim
check "popsim refused names field" $([ $code -eq 1 ] && [[ $err == *'/iiv/CL'*'got -3'* ]]; echo $?) "$err"
run '' popsim --threads 0
check "popsim bad threads" $([ $code -eq 2 ]; echo $?) "$code"

run '' help
check "help lists commands" $([ $code -eq 0 ] && [[ $out == *'score'*'outcome'*'instruments'* ]]; echo $?) "$out"
for c in score outcome instruments pk pd forecast popsim help version; do
    run '' help $c
    check "help $c" $([ $code -eq 0 ] && [[ $out == *"usage: keta $c"* ]]; echo $?) "$out"
done
run '' help nosuch
check "help unknown" $([ $code -eq 2 ]; echo $?) "$code"
run '' version
check "version" $([ $code -eq 0 ] && [[ $out == 'keta '* ]]; echo $?) "$out"

rm -f /tmp/keta_cli_err.$$
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
