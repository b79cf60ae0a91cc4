// SPDX-License-Identifier: Apache-2.0
// What the example programs need beside the SDK, kept here so that they build against the
// installed SDK alone (shmon/probe.hpp), as a user's program would: exit codes, and SIGINT/SIGTERM
// as a flag so that the probe's destructor still says bye to the agent.
#pragma once

#include <signal.h>

#include <csignal>

namespace example {

// shmon's conventions: 0 done, 1 runtime failure, 2 usage error (bad option or invalid name).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

inline volatile std::sig_atomic_t stop_flag = 0;

// Without SA_RESTART, so a sleep or poll() returns at once on the signal.
inline void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { stop_flag = 1; };
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

inline bool stop_requested() {
  return stop_flag != 0;
}

}  // namespace example
