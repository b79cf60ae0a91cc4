#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The test command: installs what is missing, configures, builds and runs every test with the
# release preset. `--sanitizers` also builds and runs the suite under ASan+UBSan (asan preset).
set -euo pipefail

cd "$(dirname "$0")/.."

sanitizers=0
for arg in "$@"; do
  case "$arg" in
    --sanitizers) sanitizers=1 ;;
    -h | --help)
      echo "usage: scripts/test.sh [--sanitizers]"
      exit 0
      ;;
    *)
      echo "scripts/test.sh: unknown argument '$arg' (usage: scripts/test.sh [--sanitizers])" >&2
      exit 2
      ;;
  esac
done

scripts/setup.sh
cmake --preset release
cmake --build --preset release
ctest --preset release

if ((sanitizers)); then
  cmake --preset asan
  cmake --build --preset asan
  ctest --preset asan
fi
