#!/usr/bin/env bash
# The package test (ctest deb_package): builds the .deb with CPack from BUILD_DIR, checks its
# contents, unpacks it and runs the packaged programs, and requires lintian to report no errors.
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
echo "== lintian"
lintian --tag-display-limit 0 "$deb" | tee "$scratch/lintian.txt" || true
if grep -q '^E: ' "$scratch/lintian.txt"; then
  fail "lintian reports errors"
fi
echo "deb_test: ok ($(grep -c '^W: ' "$scratch/lintian.txt" || true) warnings, no errors)"
