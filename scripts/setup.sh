#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian 12 package shmon needs to build, test and run. Idempotent: quiet when all
# packages are present. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang-format
  libspdlog-dev libfmt-dev libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev libsqlite3-dev
  libimgui-dev libglfw3-dev libgl-dev
  xvfb xauth
  fonts-dejavu-core python3 lintian
  libsystemd-dev systemd desktop-file-utils
  libcpp-httplib-dev prometheus prometheus-cpp-dev
  libayatana-appindicator3-dev dbus x11-apps python3-gi
  python3-dev gunicorn python3-prometheus-client uwsgi-core uwsgi-plugin-python3 python3-celery
  help2man man-db bash-completion
)
# fonts-dejavu-core: the inspector draws with DejaVu Sans and DejaVu Sans Mono (µ, —, ≤ need them);
# python3: the inspector tests and the install test; lintian: the .deb test (ctest deb_package).
# libsystemd-dev: socket activation and readiness in the agent; systemd: systemd-socket-activate
# and systemd-analyze for the activation and unit tests; desktop-file-utils: the unit test checks
# the desktop files; libayatana-appindicator3-dev: shmon-tray (GTK 3); dbus (dbus-run-session) and
# x11-apps (xwd, screenshots): the tray test, with python3-gi for its StatusNotifierWatcher.
# libcpp-httplib-dev: the agent's /metrics endpoint; prometheus: promtool and the server the
# Prometheus tests scrape with; prometheus-cpp-dev: the update-cost baseline in the benchmarks.
# python3-dev: the `shmon` Python extension; gunicorn, uwsgi-core, uwsgi-plugin-python3,
# python3-celery and python3-prometheus-client: its tests (pre-fork servers), and the
# prometheus_client multiprocess baseline in its benchmarks (docs/PYTHON.md).
# help2man: the manual pages (made from each program's --help); man-db and bash-completion: the
# test that renders them and drives shmonctl's completion.

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "setup: installing ${#missing[@]} Debian packages (several minutes on a fresh machine): ${missing[*]}"
sudo_cmd=()
((EUID == 0)) || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
echo "setup: apt-get update"
"${sudo_cmd[@]}" apt-get update -qq
# One line per package as apt unpacks and sets it up, so a long install shows where it is.
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" |
  grep --line-buffered -E '^(Get:|Setting up )' | sed -u 's/^/setup: /' || true
status=0
for p in "${missing[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || {
    echo "setup: package $p is still missing after apt-get install" >&2
    status=1
  }
done
((status == 0)) || exit 1
echo "setup: done"
