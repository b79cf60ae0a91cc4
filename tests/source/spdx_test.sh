#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ctest spdx_headers: every source file of the tree (C, C++, Python, shell, CMake) names its licence
# with an SPDX identifier in its first lines, as LICENSE and the packages' copyright file say.
# usage: spdx_test.sh SOURCE_DIR
set -euo pipefail
cd "$1"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files)
else
  files=$(find . -path ./build -prune -o -type f -print | sed 's|^\./||')
fi
missing=0
while IFS= read -r f; do
  case $f in
    *.cpp | *.hpp | *.h | *.c | *.py | *.sh | */CMakeLists.txt | CMakeLists.txt | *.cmake | scripts/* | .ci/run) ;;
    *) continue ;;
  esac
  [[ -f $f ]] || continue
  if ! head -n 3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0'; then
    echo "spdx_test: $f has no 'SPDX-License-Identifier: Apache-2.0' in its first lines" >&2
    missing=$((missing + 1))
  fi
done <<<"$files"
((missing == 0)) || { echo "spdx_test: $missing files without a licence identifier" >&2; exit 1; }
echo "spdx_test: ok"
