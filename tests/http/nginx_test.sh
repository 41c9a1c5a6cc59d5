#!/usr/bin/env bash
# keta serve behind nginx with TLS, with the configuration of docs/nginx.conf (the one
# docs/nginx.md documents): a throw-away self-signed certificate, nginx run as the current
# user with a temporary prefix on loopback ports, keta serve --behind-proxy on a demo
# database. Over https with curl: health, login sets the session cookie with Secure, keta's
# security headers come through and HSTS is added, the client address keta sees is the one
# nginx sets (a forged X-Real-IP is overwritten), 413 for a body over 1 MiB, plain HTTP
# redirects to https. Installs nothing: nginx and openssl come from scripts/install-deps.sh.
# Usage: nginx_test.sh KETA_BINARY SOURCE_DIR
set -u
keta=$1
src=$2
tmp=$(mktemp -d)
pid=
ngx=
cleanup() {
    [ -n "$ngx" ] && kill -TERM "$ngx" 2>/dev/null
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
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
for tool in "$nginx_bin" openssl curl jq; do
    command -v "$tool" >/dev/null || { echo "nginx_test: $tool not found (scripts/install-deps.sh)"; exit 1; }
done

# ---- keta on a demo clinic ------------------------------------------------------------------------
DB=$tmp/clinic.db
"$keta" demo --db "$DB" > "$tmp/demo.json" || { echo "keta demo failed"; exit 1; }
pw() { jq -r --arg u "$1" '.logins[] | select(.username == $u) | .password' "$tmp/demo.json"; }
"$keta" serve --listen 127.0.0.1:0 --db "$DB" --behind-proxy --per-ip 256 > "$tmp/out" 2> "$tmp/log" &
pid=$!
for _ in $(seq 100); do grep -q 'serving on' "$tmp/out" && break; sleep 0.1; done
kport=$(sed -n 's|.*http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/out")
[ -n "$kport" ] || { echo "keta serve did not start: $(cat "$tmp/log")"; exit 1; }

# ---- a throw-away certificate for localhost ---------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2> "$tmp/openssl.err"
check "self-signed certificate" $?  "$(cat "$tmp/openssl.err")"

# ---- nginx with docs/nginx.conf, only the host-specific values changed ------------------------
start_nginx() { # HTTPS_PORT HTTP_PORT
    sed -e "s|server 127.0.0.1:8080;|server 127.0.0.1:$kport;|" \
        -e "s|listen 443 ssl http2;|listen 127.0.0.1:$1 ssl http2;|" \
        -e "s|listen 80;|listen 127.0.0.1:$2;|" \
        -e '/listen \[::\]/d' \
        -e "s|/etc/ssl/keta/fullchain.pem|$tmp/cert.pem|" \
        -e "s|/etc/ssl/keta/privkey.pem|$tmp/key.pem|" \
        -e "s|/var/log/nginx/keta.access.log|$tmp/access.log|" \
        -e "s|keta.example.org|localhost|" \
        "$src/docs/nginx.conf" > "$tmp/keta.conf"
    # Root (CI) would hand the workers to nobody, who cannot read the temporary prefix.
    local user=""
    [ "$(id -u)" = 0 ] && user="user root;"
    cat > "$tmp/nginx.conf" <<EOF
$user
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log notice;
events { worker_connections 256; }
http {
    default_type application/octet-stream;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    fastcgi_temp_path $tmp/fastcgi;
    uwsgi_temp_path $tmp/uwsgi;
    scgi_temp_path $tmp/scgi;
    include $tmp/keta.conf;
}
EOF
    "$nginx_bin" -p "$tmp" -c "$tmp/nginx.conf" -g 'daemon off;' 2>> "$tmp/nginx.err" &
    ngx=$!
    for _ in $(seq 50); do
        curl -sk -o /dev/null "https://127.0.0.1:$1/api/v1/health" && return 0
        kill -0 "$ngx" 2>/dev/null || break
        sleep 0.1
    done
    kill -TERM "$ngx" 2>/dev/null
    wait "$ngx" 2>/dev/null
    ngx=
    return 1
}
"$nginx_bin" -t -p "$tmp" -c /dev/null >/dev/null 2>&1 # warm the binary's pages
started=1
for _ in 1 2 3 4 5; do # a random pair of loopback ports; again when one is taken
    sport=$((20000 + RANDOM % 20000))
    hport=$((sport + 1))
    if start_nginx "$sport" "$hport"; then started=0; break; fi
done
check "nginx starts with docs/nginx.conf" $started "$(cat "$tmp/nginx.err" "$tmp/error.log" 2>/dev/null | tail -5)"
[ $started = 0 ] || exit 1
U=https://localhost:$sport
CURL=(curl -s --cacert "$tmp/cert.pem" --resolve "localhost:$sport:127.0.0.1" --max-time 20)

req() { # curl arguments; sets code, body, headers in $tmp/h
    code=$("${CURL[@]}" -D "$tmp/h" -o "$tmp/b" -w '%{http_code}' "$@")
    body=$(cat "$tmp/b")
}
header() { sed -n "s/^$1: \(.*\)\r$/\1/Ip" "$tmp/h" | head -1; }

# ---- health, TLS, headers -------------------------------------------------------------------------
req "$U/api/v1/health"
check "health over https, certificate verified" $([ "$code" = 200 ]; echo $?) "$code $body"
check "HSTS added by nginx" $([[ "$(header Strict-Transport-Security)" == max-age=63072000* ]]; echo $?) "$(cat "$tmp/h")"
for h in Content-Security-Policy X-Content-Type-Options Referrer-Policy X-Frame-Options X-Request-Id; do
    check "keta's $h comes through" $([ -n "$(header "$h")" ]; echo $?) "$(cat "$tmp/h")"
done
check "no nginx version in Server" $([[ "$(header Server)" != *[0-9]* ]]; echo $?) "$(header Server)"
tls=$("${CURL[@]}" -o /dev/null -w '%{http_version}' --tlsv1.2 "$U/api/v1/health")
check "HTTP/2 over TLS" $([ "$tls" = 2 ]; echo $?) "$tls"
code=$("${CURL[@]}" -o /dev/null -w '%{http_code}' --tls-max 1.1 "$U/api/v1/health")
check "TLS 1.1 refused" $([ "$code" = 000 ]; echo $?) "$code"
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$hport/api/v1/health")
check "plain HTTP redirects to https" $([[ "$code" == "301 https://"* ]]; echo $?) "$code"

# ---- login: the Secure cookie, the client address ---------------------------------------------------
req -H 'Content-Type: application/json' -H 'X-Real-IP: 203.0.113.9' \
    --data-binary "$(jq -cn --arg p "$(pw nurse)" '{username: "nurse", password: $p}')" "$U/api/v1/login"
cookie=$(header Set-Cookie)
check "login over https" $([ "$code" = 200 ]; echo $?) "$code $body"
check "cookie Secure HttpOnly SameSite=Strict" $([[ $cookie =~ ^keta_session=[0-9a-f]{64}\;\ HttpOnly\;\ SameSite=Strict\;\ Path=/\;\ Secure$ ]]; echo $?) "$cookie"
sid=$(sed -n 's/^keta_session=\([0-9a-f]*\);.*/\1/p' <<<"$cookie")
csrf=$(jq -r .csrf_token <<<"$body")
req -b "keta_session=$sid" "$U/api/v1/me"
check "the session works through the proxy" $([ "$code" = 200 ] && jq -e '.username == "nurse"' <<<"$body" >/dev/null; echo $?) "$code $body"
# keta's access log has no client field; the login limit per address shows which one it used:
# five failures through nginx from 127.0.0.1 lock 127.0.0.1 out, whatever X-Real-IP the
# client forges (nginx overwrites it).
for i in 1 2 3 4 5; do
    req -H 'Content-Type: application/json' -H "X-Real-IP: 198.51.100.$i" \
        -d '{"username":"nobody-'"$i"'","password":"not-the-password"}' "$U/api/v1/login"
done
req -H 'Content-Type: application/json' -H 'X-Real-IP: 198.51.100.77' \
    -d '{"username":"nobody-6","password":"not-the-password"}' "$U/api/v1/login"
check "the address keta limits is nginx's \$remote_addr, not a forged X-Real-IP" $([ "$code" = 429 ]; echo $?) "$code $body"
# Straight to keta (loopback, no proxy): the header is believed, so another address is free.
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'X-Real-IP: 192.0.2.1' \
    -d '{"username":"nobody-7","password":"not-the-password"}' "http://127.0.0.1:$kport/api/v1/login")
check "--behind-proxy: X-Real-IP names the client on loopback" $([ "$code" = 401 ]; echo $?) "$code"

# ---- body limits ------------------------------------------------------------------------------------
head -c $((1024 * 1024 + 100)) /dev/zero | tr '\0' 'a' > "$tmp/big"
req -X POST -b "keta_session=$sid" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
    --data-binary @"$tmp/big" "$U/api/v1/patients/1/notes"
check "413 from nginx past 1 MiB, JSON, with HSTS" $([ "$code" = 413 ] && jq -e '.error.code == "KETA_ETOOBIG"' <<<"$body" >/dev/null && [ -n "$(header Strict-Transport-Security)" ]; echo $?) "$code $body"
head -c 8000 /dev/zero | tr '\0' 'a' > "$tmp/mid"
req -X POST -b "keta_session=$sid" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
    --data-binary @"$tmp/mid" "$U/api/v1/sessions/1/vitals"
check "413 from keta past the route's own limit" $([ "$code" = 413 ] && jq -e '.error.code == "KETA_ETOOBIG"' <<<"$body" >/dev/null; echo $?) "$code $body"
req -X POST -b "keta_session=$sid" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
    -d '{"systolic_mmhg":120,"diastolic_mmhg":80}' "$U/api/v1/sessions/1/vitals"
check "a POST goes through" $([ "$code" = 201 ] || [ "$code" = 409 ] || [ "$code" = 422 ]; echo $?) "$code $body"

# ---- no temporary files with bodies, clean stop --------------------------------------------------
check "no request body written to disk" $([ -z "$(find "$tmp/body" "$tmp/proxy" -type f 2>/dev/null)" ]; echo $?) "$(find "$tmp/body" "$tmp/proxy" -type f)"
check "access log without paths" $([ -s "$tmp/access.log" ] && ! grep -q '/api/' "$tmp/access.log"; echo $?) "$(head -3 "$tmp/access.log")"
kill -TERM "$ngx"; wait "$ngx" 2>/dev/null; ngx=
kill -TERM "$pid"; wait "$pid"; status=$?; pid=
check "keta exits 0, no sanitizer report" $([ "$status" = 0 ] && ! grep -q Sanitizer "$tmp/log"; echo $?) "$status $(grep -A5 Sanitizer "$tmp/log" | head)"

echo "nginx: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
