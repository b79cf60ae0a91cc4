#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The package test (ctest deb_package): makes the Debian packages with CPack from BUILD_DIR (one per
# install component, probes/packaging/cpack.cmake), checks what each holds and depends on, unpacks
# them and runs the packaged programs, and requires lintian to report no errors and no warnings.
# usage: deb_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail

build=$(realpath "$1")
source=$(realpath "$2")
scratch=$(mktemp -d /tmp/shmon-deb-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "deb_test: $*" >&2; exit 1; }
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)

(cd "$scratch" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$scratch/out" >cpack.log 2>&1) ||
  { cat "$scratch/cpack.log"; fail "cpack failed"; }

deb_of() { find "$scratch/out" -maxdepth 1 -name "$1_*.deb" -print -quit; }
# has PACKAGE FILE...: each file is in the package.
has() {
  local package=$1 deb
  shift
  deb=$(deb_of "$package")
  dpkg-deb -c "$deb" | awk '{print $6}' >"$scratch/$package.contents"
  for f in "$@"; do
    grep -qx -- "$f" "$scratch/$package.contents" || fail "$f is not in $package"
  done
}
# lacks PACKAGE REGEX: no file of the package matches.
lacks() {
  if grep -E -- "$2" "$scratch/$1.contents"; then fail "$1 holds files matching $2"; fi
}
field() { dpkg-deb -f "$(deb_of "$1")" "$2"; }

expected=(libshmon-probe0 libshmon-probe-dev shmon shmon-examples)
[[ -x $build/bin/shmon-inspector ]] && expected+=(shmon-inspector)
[[ -x $build/bin/shmon-tray ]] && expected+=(shmon-tray)
grep -q 'CPACK_DEBIAN_PYTHON_PACKAGE_NAME' "$build/CPackConfig.cmake" && expected+=(python3-shmon)
for package in "${expected[@]}"; do
  deb=$(deb_of "$package")
  [[ -n $deb ]] || fail "no $package package (made: $(ls "$scratch/out"))"
  echo "== $(basename "$deb")"
  dpkg-deb -I "$deb" | sed -n '/Package:/,$p'
  has "$package" "./usr/share/doc/$package/copyright" "./usr/share/doc/$package/changelog.gz"
  [[ $(field "$package" Maintainer) != *example.invalid* ]] || fail "$package has no real maintainer"
  [[ -n $(field "$package" Homepage) ]] || fail "$package has no homepage"
done

# The library in the multiarch directory, apart from what only building against it needs.
has libshmon-probe0 "./usr/lib/$arch/libshmon_probe.so.0" "./usr/lib/$arch/libshmon_probe.so.0.1.0"
lacks libshmon-probe0 'include/|\.a$|\.so$|pkgconfig|cmake/|bin/'
# ldconfig runs from the trigger, not from maintainer scripts (CPack's are dropped after packing).
control=$(dpkg-deb --ctrl-tarfile "$(deb_of libshmon-probe0)" | tar -t)
grep -qx './triggers' <<<"$control" || fail "libshmon-probe0 has no ldconfig trigger"
if grep -E '^\./(postinst|postrm)$' <<<"$control"; then fail "libshmon-probe0 calls ldconfig from scripts"; fi
has libshmon-probe-dev ./usr/include/shmon/probe.hpp ./usr/include/shmon/probe.h \
  "./usr/lib/$arch/libshmon_probe.so" "./usr/lib/$arch/libshmon_probe.a" \
  "./usr/lib/$arch/pkgconfig/shmon-probe.pc" "./usr/lib/$arch/cmake/shmon/shmonConfig.cmake"
[[ $(field libshmon-probe-dev Depends) == *"libshmon-probe0 (= "* ]] ||
  fail "libshmon-probe-dev does not depend on its library"
has shmon ./usr/bin/shmon-agent ./usr/bin/shmonctl ./usr/share/man/man1/shmon-agent.1.gz \
  ./usr/share/man/man1/shmonctl.1.gz ./usr/share/bash-completion/completions/shmonctl \
  './usr/lib/systemd/user/shmon-agent@.socket' './usr/lib/systemd/user/shmon-agent@.service'
# Every document the README links is installed beside it.
for doc in $(grep -o 'docs/[A-Z]*\.md' "$source/README.md" | sort -u) README.md; do
  has shmon "./usr/share/doc/shmon/$(basename "$doc")"
done
lacks shmon 'inspector|tray|demo|loadgen|include/|libshmon'
has shmon-examples ./usr/bin/shmon-demo ./usr/bin/shmon-loadgen
if [[ " ${expected[*]} " == *" shmon-inspector "* ]]; then
  has shmon-inspector ./usr/bin/shmon-inspector ./usr/share/applications/shmon-inspector.desktop \
    ./usr/share/man/man1/shmon-inspector.1.gz
  [[ $(field shmon-inspector Depends) == *fonts-dejavu-core* ]] ||
    fail "shmon-inspector does not depend on the fonts it loads"
fi
if [[ " ${expected[*]} " == *" shmon-tray "* ]]; then
  has shmon-tray ./usr/bin/shmon-tray ./etc/xdg/autostart/shmon-tray.desktop
fi

# Hardened binaries: bound at load time, position independent, fortified.
dpkg-deb -x "$(deb_of shmon)" "$scratch/root"
fortified=0
for program in "$scratch/root/usr/bin/"*; do
  readelf -d "$program" | grep -c 'BIND_NOW\|FLAGS.*NOW' >/dev/null || fail "$(basename "$program") is not BIND_NOW"
  readelf -h "$program" | grep -c 'DYN' >/dev/null || fail "$(basename "$program") is not PIE"
  # A program calls a fortified variant only where the compiler could not prove the size safe.
  # (grep reads all of readelf's output: -q would stop early and pipefail fail the pipe.)
  if readelf --dyn-syms -W "$program" | grep -c '__.*_chk' >/dev/null; then fortified=$((fortified + 1)); fi
done
((fortified > 0)) || fail "no program calls a fortified function (_FORTIFY_SOURCE missing?)"
# The unpacked programs run, and the packaged units start the packaged agent.
"$scratch/root/usr/bin/shmon-agent" --version
"$scratch/root/usr/bin/shmonctl" --help >/dev/null
grep -qx 'ExecStart=/usr/bin/shmon-agent --instance %i' "$scratch/root/usr/lib/systemd/user/shmon-agent@.service" ||
  fail "the packaged service does not start /usr/bin/shmon-agent"

# python3-shmon imports and updates from its unpacked tree with only PYTHONPATH set.
if [[ " ${expected[*]} " == *" python3-shmon "* ]]; then
  has python3-shmon ./usr/lib/python3/dist-packages/shmon/__init__.py \
    ./usr/lib/python3/dist-packages/shmon/prometheus.py ./usr/share/doc/python3-shmon/PYTHON.md
  grep -q '^./usr/lib/python3/dist-packages/shmon/_shmon.cpython-.*\.so$' "$scratch/python3-shmon.contents" ||
    fail "the _shmon extension is not in python3-shmon"
  lacks python3-shmon 'bin/|include/'
  dpkg-deb -x "$(deb_of python3-shmon)" "$scratch/pyroot"
  PYTHONPATH=$scratch/pyroot/usr/lib/python3/dist-packages /usr/bin/python3 -c \
    'import shmon.prometheus as sp; sp.Counter("deb_test", "D.").inc(); print("import ok")'
fi

command -v lintian >/dev/null || fail "lintian is not installed (scripts/setup.sh installs it)"
echo "== lintian"
lintian --tag-display-limit 0 "$scratch"/out/*.deb | tee "$scratch/lintian.txt" || true
if grep -q '^[EW]: ' "$scratch/lintian.txt"; then
  fail "lintian reports errors or warnings (above)"
fi
echo "deb_test: ok (${#expected[@]} packages, lintian clean)"
