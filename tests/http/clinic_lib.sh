# Shared by the clinic HTTP tests (clinic_test.sh, selfreport_test.sh); source it after
# setting keta (the binary) and dbprefix. Gives: a temporary directory $tmp removed at exit
# (with the server and the PostgreSQL database), check and its counters, the store under
# test ($DB and q SQL, SQLite by default, PostgreSQL when KETA_TEST_STORE=postgresql, run
# through tests/integration/pg_run.sh), a demo clinic (pw USER), start_server/stop_server
# ($U), and the request helpers req, header, json, login, as.
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
    dbname=${dbprefix}_$$
    createdb "$dbname" || { echo "cannot create database $dbname"; exit 1; }
    DB=postgresql:///$dbname
    q() { psql -X -tAq -d "$dbname" -c "$1"; }
else
    DB=$tmp/clinic.db
    q() { sqlite3 "$DB" "$1"; }
fi
pw() { jq -r --arg u "$1" '.logins[] | select(.username == $u) | .password' "$tmp/demo.json"; }

start_server() { # ARGS...: sets pid, port and U
    : > "$tmp/out"
    "$keta" serve --listen 127.0.0.1:0 --db "$DB" "$@" > "$tmp/out" 2>> "$tmp/log" &
    pid=$!
    for _ in $(seq 100); do
        grep -q 'serving on' "$tmp/out" && break
        sleep 0.1
    done
    port=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/out")
    U=http://127.0.0.1:$port
}
stop_server() {
    kill -TERM "$pid"
    wait "$pid"
    local status=$?
    pid=
    check "server exits 0, no sanitizer report" $([ "$status" = 0 ] && ! grep -q 'Sanitizer' "$tmp/log"; echo $?) "$status $(grep -A5 Sanitizer "$tmp/log" | head -20)"
}

req() { # curl arguments; sets code, body, headers in $tmp/h
    code=$(curl -s -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' --max-time 60 "$@")
    body=$(cat "$tmp/b")
}
header() { sed -n "s/^$1: \(.*\)\r$/\1/Ip" "$tmp/h" | head -1; }
json() { jq -e "$1" <<<"$body" >/dev/null 2>&1; echo $?; }
login() { # USER PASSWORD [curl args]: on 200, cookie jar $tmp/jar.USER and CSRF token $tmp/csrf.USER
    local u=$1 p=$2
    shift 2
    req -c "$tmp/jar.new" -H 'Content-Type: application/json' \
        --data-binary "$(jq -cn --arg u "$u" --arg p "$p" '{username: $u, password: $p}')" "$@" "$U/api/v1/login"
    if [ "$code" = 200 ]; then # a failed attempt leaves the user's session as it was
        mv "$tmp/jar.new" "$tmp/jar.$u"
        jq -r '.csrf_token // ""' <<<"$body" > "$tmp/csrf.$u"
    fi
}
as() { # USER METHOD PATH [BODY]: a request in USER's session with its CSRF token
    local u=$1 m=$2 path=$3 data=${4:-}
    local args=(-X "$m" -b "$tmp/jar.$u" -H "X-CSRF-Token: $(cat "$tmp/csrf.$u")")
    [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
    req "${args[@]}" "$U$path"
}
