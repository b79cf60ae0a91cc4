#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The unit test (ctest systemd_units): installs the programs, inspector and tray components into a
# scratch prefix and checks
#   * `systemd-analyze --user verify` accepts both user units with no message at all (no user
#     manager is needed: a private XDG_RUNTIME_DIR and HOME are enough for its offline manager),
#   * the socket's ListenStream=, with %t = $XDG_RUNTIME_DIR and %i = the instance, is the path
#     shmonctl looks up when only XDG_RUNTIME_DIR is set (what a desktop session has),
#   * ExecStart= names the installed agent, and the desktop files pass desktop-file-validate.
# usage: units_test.sh BUILD_DIR
set -euo pipefail

build=$(realpath "$1")
scratch=$(mktemp -d /tmp/shmon-units-test.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "units_test: $*" >&2; exit 1; }
stage=$scratch/stage
for component in programs inspector tray; do
  cmake --install "$build" --prefix "$stage" --component "$component" >>"$scratch/install.log" ||
    { cat "$scratch/install.log"; fail "install of $component failed"; }
done
units=$stage/lib/systemd/user
for u in 'shmon-agent@.socket' 'shmon-agent@.service'; do
  [[ -f $units/$u ]] || fail "$u was not installed in $units"
done
grep -qx "ExecStart=$stage/bin/shmon-agent --instance %i" "$units/shmon-agent@.service" ||
  fail "ExecStart does not name the installed agent: $(grep ExecStart "$units/shmon-agent@.service")"

echo "== systemd-analyze --user verify"
mkdir -m 0700 "$scratch/run" "$scratch/home"
# systemd-analyze verifies a template by instantiating it; both files are given so that the
# socket's service (same name) is found next to it.
if ! env -i PATH="$PATH" HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/run" \
    systemd-analyze --user verify "$units/shmon-agent@.socket" "$units/shmon-agent@.service" \
    >"$scratch/verify.log" 2>&1; then
  cat "$scratch/verify.log"; fail "systemd-analyze verify failed"
fi
if [[ -s $scratch/verify.log ]]; then
  cat "$scratch/verify.log"; fail "systemd-analyze verify printed warnings"
fi

echo "== the socket path is the one clients look up"
listen=$(sed -n 's/^ListenStream=//p' "$units/shmon-agent@.socket")
expected=${listen//%t/$scratch/run}
expected=${expected//%i/default}
set +e
lookup=$(env -i PATH="$PATH" HOME="$scratch/home" XDG_RUNTIME_DIR="$scratch/run" \
  "$stage/bin/shmonctl" --instance default --timeout-ms 2000 status 2>&1)
set -e
[[ $lookup == *"(socket $expected)"* ]] || fail "shmonctl looks up '$lookup', the unit listens on $expected"
echo "$expected"

if command -v desktop-file-validate >/dev/null; then
  echo "== desktop-file-validate"
  for f in "$stage"/share/applications/*.desktop "$stage"/etc/xdg/autostart/*.desktop; do
    [[ -e $f ]] || continue
    desktop-file-validate "$f" || fail "$f is not a valid desktop file"
    echo "$f"
  done
else
  fail "desktop-file-validate is missing (scripts/setup.sh installs desktop-file-utils)"
fi
echo "units_test: ok"
