// SPDX-License-Identifier: Apache-2.0
// The single-instance guarantee: an flock on <dir>/<instance>.lock that holds the agent's pid.
#pragma once

#include <sys/types.h>

#include <string>

#include "shmon/fd.hpp"

namespace shmon::agent {

struct LockOutcome {
  UniqueFd fd;              // valid when we hold the lock (keep it open for the agent's life)
  pid_t holder = 0;         // when another process holds it: the pid in the file (0 if not a pid)
  std::string holder_text;  // when holder == 0: what the file holds, escaped and shortened
  std::string error;        // non-empty on failure other than "already held"
};

// Opens and locks the instance's lock file without blocking and writes our pid into it.
LockOutcome acquire_instance_lock(const std::string& instance);

}  // namespace shmon::agent
