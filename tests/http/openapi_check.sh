#!/usr/bin/env bash
# Holds docs/openapi.yaml against the route table the server serves (`keta serve --routes`):
# every route is described, every described operation is a route, and both agree on who may
# call it (x-keta-access) and on the body limit (x-keta-body-max).
# Usage: openapi_check.sh KETA_BINARY SOURCE_DIR
set -u
keta=$1
spec=$2/docs/openapi.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() { # name, condition result (0 = ok), detail
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else
        failed=$((failed + 1)); echo "FAIL $1: $3"; fi
}

"$keta" serve --routes | sort > "$tmp/table"
check "keta serve --routes lists routes" $([ -s "$tmp/table" ]; echo $?) "empty"

# One line per operation: METHOD PATH ACCESS BODY_MAX, from the paths: section (two-space
# indented path keys, four-space method keys, six-space extension keys).
awk '
    /^[^ #]/ { in_paths = ($0 ~ /^paths:/) ; next }
    !in_paths { next }
    /^  \/[^ ]*:[ ]*$/ { flush(); path = $1; sub(/:$/, "", path); method = ""; next }
    /^    (get|put|post|patch|delete|head|options):[ ]*$/ { flush(); method = toupper($1); sub(/:$/, "", method); next }
    /^      x-keta-access:/ { access = $2; next }
    /^      x-keta-body-max:/ { body = $2; next }
    function flush() {
        if (method != "") print method, path, (access == "" ? "?" : access), (body == "" ? "?" : body)
        method = ""; access = ""; body = ""
    }
    END { flush() }
' "$spec" | sort > "$tmp/spec"
check "docs/openapi.yaml lists operations" $([ -s "$tmp/spec" ]; echo $?) "none found"

missing=$(comm -23 "$tmp/table" "$tmp/spec")
extra=$(comm -13 "$tmp/table" "$tmp/spec")
check "every route is described as served" $([ -z "$missing" ]; echo $?) "in the table, not (or not so) in docs/openapi.yaml: $missing"
check "every described operation is a route" $([ -z "$extra" ]; echo $?) "in docs/openapi.yaml, not (or not so) in the table: $extra"

# Public operations say so to OpenAPI tools too (security: []).
public_ops=$(grep -c '^      x-keta-access: public' "$spec")
open_security=$(grep -c '^      security: \[\]' "$spec")
check "public operations carry security: []" $([ "$public_ops" = "$open_security" ]; echo $?) "$public_ops public, $open_security with security: []"

# The file is ASCII (it is embedded in the binary) and parses as YAML where python3 has it.
check "ASCII only" $(! LC_ALL=C grep -q '[^ -~]' "$spec"; echo $?) "$(LC_ALL=C grep -n '[^ -~]' "$spec" | head -3)"
if python3 -c 'import yaml' 2>/dev/null; then
    check "parses as YAML" $(python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); sys.exit(0 if d["openapi"].startswith("3") else 1)' "$spec" >/dev/null 2>&1; echo $?) "yaml error"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
