#!/usr/bin/env bash
# keta db and keta audit end to end on a SQLite file: init, migrate, verify, tamper,
# backup, restore; exit codes and one-line errors.
# Usage: db_test.sh KETA_BINARY
set -u
keta=$1
passed=0
failed=0
dir=$(mktemp -d "${TMPDIR:-/tmp}/keta-db-test-XXXXXX")
trap 'rm -rf "$dir"' EXIT
unset KETA_DB KETA_PASSWORD

check() { # name, condition result (0 = ok), detail
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL $1: $3"; fi
}

# run ARGS... -> sets out, err, code (no terminal: setsid detaches from any controlling tty)
run() {
    out=$(setsid -w "$keta" "$@" </dev/null 2>"$dir/err")
    code=$?
    err=$(cat "$dir/err")
}

db=$dir/clinic.db
pw='correct horse battery staple'

run db init
check "init needs a database" $([ $code -eq 2 ] && [[ $err == *'--db'*'KETA_DB'* ]]; echo $?) "$code $err"
run db init --db "$db"
check "init needs a password (no default)" $([ $code -eq 1 ] && [[ $err == *'KETA_PASSWORD'* ]]; echo $?) "$code $err"
KETA_PASSWORD=short run db init --db "$db"
check "short password refused" $([ $code -eq 1 ] && [[ $err == *'/password'*'at least 12'* ]]; echo $?) "$code $err"
KETA_PASSWORD=$pw run db init --db "$db" --site "North clinic" --admin boss
check "init" $([ $code -eq 0 ] && [[ $out =~ ^\{\"database\":\"sqlite\",\"schema_from\":0,\"schema_version\":[1-9][0-9]*,\"site_id\":1,\"admin\":\{\"id\":1,\"username\":\"boss\",\"role\":\"admin\"\}\}$ ]]; echo $?) "$code $out $err"
check "database file is private" $([ "$(stat -c %a "$db")" = 600 ]; echo $?) "$(stat -c %a "$db")"
check "no hash in the output" $([[ $out != *'argon2'* ]]; echo $?) "$out"
KETA_PASSWORD=$pw run db init --db "$db"
check "init twice refused" $([ $code -eq 1 ] && [[ $err == *'initialised already'* ]]; echo $?) "$code $err"
KETA_DB=$db run db migrate
check "migrate via KETA_DB is a no-op" $([ $code -eq 0 ] && [[ $out =~ \"schema_from\":([0-9]+),\"schema_version\":([0-9]+) ]] && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" -ge 1 ]; echo $?) "$code $out $err"
run audit verify --db "$db"
check "verify" $([ $code -eq 0 ] && [[ $out == *'"ok":true,"entries":1'* ]] && [[ $out == *'"protected":true'* ]]; echo $?) "$code $out $err"

run db backup --db "$db" "$dir/backup.db"
check "backup" $([ $code -eq 0 ] && [ -s "$dir/backup.db" ] && [ "$(stat -c %a "$dir/backup.db")" = 600 ]; echo $?) "$code $out $err"
run db backup --db "$db" "$dir/backup.db"
check "backup never overwrites" $([ $code -eq 1 ] && [[ $err == *'exists'* ]]; echo $?) "$code $err"
run db restore --db "$dir/restored.db" "$dir/backup.db"
check "restore verifies the chain" $([ $code -eq 0 ] && [[ $out == *'"audit":{"ok":true,"entries":1'* ]]; echo $?) "$code $out $err"
run audit verify --db "$dir/restored.db"
check "restore is recorded" $([ $code -eq 0 ] && [[ $out == *'"entries":2'* ]]; echo $?) "$code $out"
head=$(sed -E 's/.*"head":\{"seq":([0-9]+),"hash":"([0-9a-f]+)"\}.*/\1:\2/' <<<"$out")
run audit verify --db "$dir/restored.db" --anchor "$head"
check "anchor holds" $([ $code -eq 0 ] && [[ $head == 2:* ]]; echo $?) "$code $head $out $err"
run audit verify --db "$dir/restored.db" --anchor "2:$(printf '0%.0s' {1..64})"
check "anchor mismatch found" $([ $code -eq 1 ] && [[ $out == *'"kind":"anchor"'* ]]; echo $?) "$code $out"
run audit verify --db "$dir/restored.db" --anchor "9:${head#2:}"
check "anchored entry gone" $([ $code -eq 1 ] && [[ $out == *'"seq":9,"kind":"anchor"'*'cut back'* ]]; echo $?) "$code $out"
run audit verify --db "$dir/restored.db" --anchor nonsense
check "anchor usage" $([ $code -eq 2 ]; echo $?) "$code"
run db restore --db "$dir/restored.db" "$dir/backup.db"
check "restore into a used database refused" $([ $code -eq 1 ] && [[ $err == *'not empty'* ]]; echo $?) "$code $err"

# Tamper as the file's owner: drop the guard, change the entry, put the guard back.
guard=$(sqlite3 "$db" "SELECT sql FROM sqlite_schema WHERE name = 'audit_entry_no_update'")
sqlite3 "$db" "DROP TRIGGER audit_entry_no_update; UPDATE audit_entry SET detail = 'x' WHERE seq = 1; $guard;"
run audit verify --db "$db"
check "tampering found" $([ $code -eq 1 ] && [[ $out == *'"ok":false'* ]] && [[ $out == *'"seq":1,"kind":"changed"'* ]] && [[ $err == *'KETA_EINTEGRITY'* ]]; echo $?) "$code $out $err"
sqlite3 "$db" "DROP TRIGGER audit_entry_no_delete"
run audit verify --db "$db"
check "missing guard found" $([ $code -eq 1 ] && [[ $out == *'"protected":false'* ]] && [[ $out == *'"kind":"protection"'* ]]; echo $?) "$code $out"

# At a terminal: asked twice, not echoed. (Typed after the prompt: typeahead is discarded.)
tty_out=$( (sleep 1.5; printf '%s\n' "$pw"; sleep 0.5; printf '%s\n' "$pw") |
    script -qec "$keta db init --db $dir/tty.db --admin chief" /dev/null 2>&1)
check "password at the terminal" $([[ $tty_out == *'Password for the first admin account:'*'Again:'*'"username":"chief"'* ]] && [[ $tty_out != *"$pw"* ]]; echo $?) "$tty_out"

run audit verify --db "$dir/nothing.db"
check "missing database" $([ $code -eq 1 ] && [[ $err == *'no database at'*'keta db init'* ]]; echo $?) "$code $err"
run db frobnicate
check "db unknown subcommand" $([ $code -eq 2 ]; echo $?) "$code"
run audit
check "audit usage" $([ $code -eq 2 ]; echo $?) "$code"
for c in db audit; do
    run help $c
    check "help $c" $([ $code -eq 0 ] && [[ $out == *"usage: keta $c"* ]]; echo $?) "$out"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
