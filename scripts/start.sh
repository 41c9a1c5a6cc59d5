#!/usr/bin/env bash
# The main job: installs what keta needs, builds it, and shows what it does today.
# (The clinic server and its demo clinic come with the server issue; until then this
# builds the `keta` command and runs it on a few real questionnaires.)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build >/dev/null
keta=build/keta

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "keta instruments"
$keta instruments

say "echo '{\"items\":[1,2,1,0,3,1,2,1,1]}' | keta score phq9 --pretty"
echo '{"items":[1,2,1,0,3,1,2,1,1]}' | $keta score phq9 --pretty

say "echo '{\"items\":[2,1,0,3,2,1,0,2,0,2,1,1,2,3,1,2]}' | keta score qids_sr16   # never the plain sum"
echo '{"items":[2,1,0,3,2,1,0,2,0,2,1,1,2,3,1,2]}' | $keta score qids_sr16

say "echo '{\"items\":[1,1,1,0,0,0,null]}' | keta score cssrs_screen"
echo '{"items":[1,1,1,0,0,0,null]}' | $keta score cssrs_screen

say "echo '{\"baseline\":21,\"current\":9}' | keta outcome phq9"
echo '{"baseline":21,"current":9}' | $keta outcome phq9

say "echo '{\"items\":[1,2,1,0,3,1,2,1,4]}' | keta score phq9   # bad input: one clear line, exit 1"
echo '{"items":[1,2,1,0,3,1,2,1,4]}' | $keta score phq9 || echo "(exit status $?)"

printf '\nThe keta command is at %s; `%s help` lists what it does.\n' "$keta" "$keta"
