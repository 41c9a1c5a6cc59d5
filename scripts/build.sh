#!/usr/bin/env bash
# Configures and builds keta in build/ (or the directory given), warnings as errors.
# Usage: scripts/build.sh [BUILD_DIR] [extra cmake arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -G Ninja -DKETA_WERROR=ON "$@" >/dev/null
ninja -C "$dir"
