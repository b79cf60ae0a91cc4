#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The manual pages and shmonctl's bash completion (ctest man_and_completion), as installed:
#   * every program has a page in share/man/man1 that man renders with no warning, with its NAME,
#     its options and the common ENVIRONMENT section,
#   * the completion, loaded by bash-completion, offers commands, options, the instances that have
#     an agent (a real one, started here) and the live apps of the chosen instance.
# usage: man_completion_test.sh BUILD_DIR
set -euo pipefail

build=$(realpath "$1")
scratch=$(mktemp -d /tmp/shmon-man-test.XXXXXX)
agent_pid="" app_pid=""
cleanup() {
  [[ -n $app_pid ]] && kill "$app_pid" 2>/dev/null
  [[ -n $agent_pid ]] && kill "$agent_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "man_completion_test: $*" >&2; exit 1; }
stage=$scratch/stage
cmake --install "$build" --prefix "$stage" >"$scratch/install.log" ||
  { cat "$scratch/install.log"; fail "install failed"; }

echo "== manual pages"
pages=0
for program in "$stage"/bin/*; do
  name=$(basename "$program")
  page=$stage/share/man/man1/$name.1.gz
  [[ -f $page ]] || fail "no manual page for $name ($page)"
  text=$(MANWIDTH=80 man --warnings -l "$page" 2>"$scratch/warnings") || fail "man cannot render $page"
  [[ ! -s $scratch/warnings ]] || fail "man warns about $name.1: $(cat "$scratch/warnings")"
  grep -q "^NAME" <<<"$text" || fail "$name.1 has no NAME section"
  grep -q -- "--version" <<<"$text" || fail "$name.1 lists no options"
  grep -q "SHMON_RUNTIME_DIR" <<<"$text" || fail "$name.1 has no ENVIRONMENT section"
  pages=$((pages + 1))
done
((pages >= 4)) || fail "only $pages manual pages"
echo "$pages pages render"

echo "== bash completion"
completion=$stage/share/bash-completion/completions/shmonctl
[[ -f $completion ]] || fail "no completion installed at $completion"
[[ -f /usr/share/bash-completion/bash_completion ]] || fail "bash-completion is not installed"
export SHMON_RUNTIME_DIR=$scratch/run SHMON_STATE_DIR=$scratch/state PATH=$stage/bin:$PATH
instance=complete-$$
mkfifo "$scratch/app.stdin"
"$stage/bin/shmon-agent" --instance "$instance" --metrics-listen "" >"$scratch/agent.log" 2>&1 &
agent_pid=$!
"$stage/bin/shmon-loadgen" --instance "$instance" --name completer --counter c --increments 1 \
  --hold-open <"$scratch/app.stdin" >"$scratch/app.log" 2>&1 &
app_pid=$!
exec 3>"$scratch/app.stdin"  # holds the app open until the test ends
for ((i = 0; i < 300; i++)); do  # at most 30 s for the app to be listed
  shmonctl --instance "$instance" clients --names 2>/dev/null | grep -qx completer && break
  sleep 0.1
done
shmonctl --instance "$instance" clients --names | grep -qx completer ||
  fail "the app never appeared: $(cat "$scratch/agent.log" "$scratch/app.log")"

# What bash offers for the command line "$@" (the last word is the one being completed).
complete_line() {
  bash -c '
    source /usr/share/bash-completion/bash_completion
    source "$0"
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _shmonctl shmonctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' "$completion" "$@"
}
expect() {  # expect WORD... -- LINE...: every WORD is offered for LINE
  local want=() got
  while [[ $1 != -- ]]; do want+=("$1"); shift; done
  shift
  got=$(complete_line "$@")
  for w in "${want[@]}"; do
    grep -qx -- "$w" <<<"$got" || fail "'$*' offers [$(echo $got)], not '$w'"
  done
}
expect status state -- shmonctl sta
expect --follow --limit -- shmonctl events --
expect "$instance" -- shmonctl --instance ""
expect completer -- shmonctl --instance "$instance" send ""
! complete_line shmonctl --instance "$instance" send completer "" | grep -qx completer ||
  fail "the command's place is offered client names"
echo "completion offers commands, options, instances and apps"
