#!/usr/bin/env bash
# Fails when project C sources call a banned function (STYLE.md rule 7).
set -euo pipefail
cd "$(dirname "$0")/.."
banned='strcpy|strcat|sprintf|vsprintf|strtok|atoi|atof|atol|sscanf|gets|rand'
# A call is the name as a whole word followed by '('; snprintf/vsnprintf/fgets/strtok_r
# are other words and do not match. Comment lines are skipped.
hits=$(grep -rnE "(^|[^A-Za-z0-9_])($banned)[[:space:]]*\(" src include tests bench 2>/dev/null \
       --include='*.c' --include='*.h' | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(//|/?\*)' || true)
if [ -n "$hits" ]; then
    echo "banned functions (STYLE.md rule 7):"
    echo "$hits"
    exit 1
fi
echo "check-banned: no banned functions"
