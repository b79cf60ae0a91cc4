// Where an instance's rendezvous lives. The directory is private to the user (mode 0700):
//   $SHMON_RUNTIME_DIR if set (tests), else $XDG_RUNTIME_DIR/shmon, else /tmp/shmon-<uid>.
// The agent of instance NAME listens on <dir>/NAME.sock and holds an flock on <dir>/NAME.lock,
// which also records its pid.
#pragma once

#include <string>

#include "shmon/result.hpp"

namespace shmon {

std::string runtime_dir();
std::string socket_path(const std::string& instance);
std::string lock_path(const std::string& instance);

// Creates the runtime directory (mode 0700) if needed and checks that it is a real directory
// owned by this user and not writable by others. Errors name the path and what is wrong.
Status ensure_runtime_dir();

}  // namespace shmon
