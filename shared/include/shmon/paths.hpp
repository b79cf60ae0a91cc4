// SPDX-License-Identifier: Apache-2.0
// Where an instance's rendezvous lives. The directory is private to the user (mode 0700):
//   $SHMON_RUNTIME_DIR if set (absolute), else $XDG_RUNTIME_DIR/shmon (when absolute), else
//   /run/user/<uid>/shmon when /run/user/<uid> is this user's directory, else /tmp/shmon-<uid>.
// The agent, the probe and every tool resolve it here, so an app started without
// XDG_RUNTIME_DIR (cron, sudo, a service) finds the agent that the user's systemd started.
// The agent of instance NAME listens on <dir>/NAME.sock and holds an flock on <dir>/NAME.lock,
// which also records its pid.
#pragma once

#include <string>
#include <vector>

#include "shmon/result.hpp"

namespace shmon {

std::string runtime_dir();
// The fallback when neither variable is set: <run_user_root>/<euid>/shmon when
// <run_user_root>/<euid> is a real directory owned by this user, else /tmp/shmon-<euid>.
// run_user_root is "/run/user" outside tests.
std::string default_runtime_dir(const std::string& run_user_root);
std::string socket_path(const std::string& instance);
// The instances that have a socket in the runtime directory, sorted; names that are not valid
// instance names are left out (the directory's entries are input like any other).
std::vector<std::string> list_instances();
std::string lock_path(const std::string& instance);

// Creates the runtime directory (mode 0700) if needed and checks that it is a real directory
// owned by this user and not writable by others. Errors name the path and what is wrong.
Status ensure_runtime_dir();

// The checks alone, for clients: `dir` is absolute, exists, is not a symbolic link, is a
// directory owned by this user (effective uid) and is not writable by group or others. A directory
// that fails them may be controlled by another user, who could serve a fake agent in it.
Status check_runtime_dir(const std::string& dir);

// Where instance NAME keeps its durable state (the agent's state store): `flag` when not empty,
// else $SHMON_STATE_DIR, else $XDG_STATE_HOME/shmon, else $HOME/.local/state/shmon; then
// "/NAME". Empty when none of these can be resolved (no HOME).
std::string state_dir(const std::string& flag, const std::string& instance);

// A private directory made ready by prepare_private_dir: its resolved path, or why not.
struct PrivateDir {
  std::string path;   // realpath of the directory (symbolic links above it resolved)
  std::string error;  // empty when usable; else one line naming the path and what is wrong
  int sys_errno = 0;  // the errno of the system call that failed (0: refused by a check)
};

// Resolves `dir` (realpath of its longest existing prefix: symbolic links anywhere in it are
// followed, so /home -> /var/home works), creates the missing components (mode 0700) and checks
// every component of the resolved path:
//   * each one is owned by this user or by root (anyone else could replace what is below it),
//     and is not writable by group or others unless it is sticky (like /tmp);
//   * the last `own_levels` components (the state root and the instance directory) are owned by
//     this user and not writable by group or others at all.
// REQUIRES: own_levels >= 1. Errors name the component and what is wrong.
PrivateDir prepare_private_dir(const std::string& dir, int own_levels, const std::string& what);

}  // namespace shmon
