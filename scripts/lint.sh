#!/usr/bin/env bash
# clang-tidy (checks in .clang-tidy) over the library and command sources; warnings are errors.
# Needs a configured build directory with compile_commands.json (default build/).
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
mapfile -t files < <(git ls-files 'src/*.c' 2>/dev/null || find src -name '*.c')
clang-tidy -p "$dir" --quiet "${files[@]}" 2>&1 | grep -v "warnings generated"
status=${PIPESTATUS[0]}
[ "$status" -eq 0 ] && echo "lint: clang-tidy clean on ${#files[@]} files"
exit "$status"
