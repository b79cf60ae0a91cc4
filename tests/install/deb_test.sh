#!/usr/bin/env bash
# The package test (ctest deb_package): builds the .deb with CPack from BUILD_DIR, checks its
# contents, unpacks it and runs the packaged programs, and requires lintian to report no errors;
# the same for python3-shmon (the Python package), which must import from its unpacked tree.
# usage: deb_test.sh BUILD_DIR
set -euo pipefail

build=$(realpath "$1")
scratch=$(mktemp -d /tmp/shmon-deb-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "deb_test: $*" >&2; exit 1; }

(cd "$scratch" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/out" >cpack.log 2>&1) ||
  { cat "$scratch/cpack.log"; fail "cpack failed"; }
deb=$(find "$scratch/out" -maxdepth 1 -name 'shmon_*.deb' -print -quit)
[[ -n $deb ]] || fail "no .deb produced"
echo "== $(basename "$deb")"
dpkg-deb -I "$deb" | sed -n '/Package:/,$p'
dpkg-deb -c "$deb" >"$scratch/contents"
for f in ./usr/bin/shmon-agent ./usr/bin/shmonctl ./usr/include/shmon/probe.hpp \
         ./usr/include/shmon/probe.h ./usr/share/doc/shmon/copyright ./usr/share/doc/shmon/REGIONS.md; do
  grep -q " $f\$" "$scratch/contents" || fail "$f is not in the package"
done
grep -q 'libshmon_probe.so.0 -> \|libshmon_probe.so.0$' "$scratch/contents" || fail "no libshmon_probe.so.0"
grep -q 'shmon-probe.pc$' "$scratch/contents" || fail "no pkg-config file"
grep -q 'shmonConfig.cmake$' "$scratch/contents" || fail "no CMake package"
for f in './usr/lib/systemd/user/shmon-agent@.socket' './usr/lib/systemd/user/shmon-agent@.service' \
         ./usr/share/applications/shmon-inspector.desktop; do
  grep -q " $f\$" "$scratch/contents" || fail "$f is not in the package"
done

# The unpacked programs run (and answer --version).
dpkg-deb -x "$deb" "$scratch/root"
"$scratch/root/usr/bin/shmon-agent" --version
"$scratch/root/usr/bin/shmonctl" --help >/dev/null
# The packaged units start the packaged agent.
grep -qx 'ExecStart=/usr/bin/shmon-agent --instance %i' "$scratch/root/usr/lib/systemd/user/shmon-agent@.service" ||
  fail "the packaged service does not start /usr/bin/shmon-agent"

if ! command -v lintian >/dev/null; then
  fail "lintian is not installed (scripts/setup.sh installs it)"
fi
lint() {  # lint DEB NAME: no errors
  echo "== lintian $2"
  lintian --tag-display-limit 0 "$1" | tee "$scratch/lintian-$2.txt" || true
  if grep -q '^E: ' "$scratch/lintian-$2.txt"; then
    fail "lintian reports errors in $2"
  fi
}
lint "$deb" shmon

# python3-shmon: the Python package alone (docs/PYTHON.md), when the build has it.
if [[ -e $build/CPackConfig-python3-shmon.cmake ]]; then
  if grep -q 'dist-packages' "$scratch/contents"; then fail "the shmon package carries the Python package"; fi
  (cd "$scratch" && cpack -G DEB --config "$build/CPackConfig-python3-shmon.cmake" -B "$scratch/pyout" \
    >cpack-python.log 2>&1) || { cat "$scratch/cpack-python.log"; fail "cpack python3-shmon failed"; }
  pydeb=$(find "$scratch/pyout" -maxdepth 1 -name 'python3-shmon_*.deb' -print -quit)
  [[ -n $pydeb ]] || fail "no python3-shmon .deb produced"
  echo "== $(basename "$pydeb")"
  dpkg-deb -I "$pydeb" | sed -n '/Package:/,$p'
  dpkg-deb -c "$pydeb" >"$scratch/pycontents"
  for f in ./usr/lib/python3/dist-packages/shmon/__init__.py \
           ./usr/lib/python3/dist-packages/shmon/prometheus.py \
           ./usr/share/doc/python3-shmon/copyright ./usr/share/doc/python3-shmon/PYTHON.md; do
    grep -q " $f\$" "$scratch/pycontents" || fail "$f is not in python3-shmon"
  done
  grep -q ' ./usr/lib/python3/dist-packages/shmon/_shmon.cpython-.*\.so$' "$scratch/pycontents" ||
    fail "the _shmon extension is not in python3-shmon"
  if grep -q 'bin/\|include/' "$scratch/pycontents"; then fail "python3-shmon carries more than Python"; fi
  # The unpacked package imports and updates with only PYTHONPATH set.
  dpkg-deb -x "$pydeb" "$scratch/pyroot"
  PYTHONPATH=$scratch/pyroot/usr/lib/python3/dist-packages /usr/bin/python3 -c \
    'import shmon.prometheus as sp; sp.Counter("deb_test", "D.").inc(); print("import ok")'
  lint "$pydeb" python3-shmon
fi
echo "deb_test: ok (no lintian errors)"
