// SPDX-License-Identifier: Apache-2.0
// Starting other programs from the tray without a shell: finding them, running a command to
// completion within a bound, and spawning a long-lived child watched through a pidfd.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "shmon/fd.hpp"

namespace shmon::tray {

// `name` next to this executable (an installed or a build tree's sibling), else on PATH.
// nullopt when neither is an executable file.
std::optional<std::string> find_program(const std::string& name);

struct CommandResult {
  bool finished = false;  // false: could not start, or killed at the deadline
  int exit_code = -1;     // when finished normally
  std::string output;     // stdout and stderr, at most 64 KiB
};
// Runs argv[0] (PATH-searched) with the tray's environment and waits at most `timeout`; a
// command still running then is killed.
CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

struct Spawned {
  pid_t pid = -1;
  UniqueFd pidfd;  // readable once the child exits
  std::string error;
};
// Starts argv in its own session with the tray's environment; its stdout goes to the tray's
// stderr (the tray's stdout carries its own status lines).
Spawned spawn_child(const std::vector<std::string>& argv);

// Reaps a child whose pidfd became readable (or that is known to have exited): "exit N" or
// "signal N". Blocks only if the child is still running. REQUIRES: our child.
std::string reap(pid_t pid);

// SIGTERM, then SIGKILL if it has not exited after `grace`; reaps it. "exit N" / "signal N".
std::string terminate_child(pid_t pid, int pidfd, std::chrono::milliseconds grace);

}  // namespace shmon::tray
