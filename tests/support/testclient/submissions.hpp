// SPDX-License-Identifier: Apache-2.0
// Registers the late_* metrics after the probe attached and submits a fixed batch through the
// mailbox (Probe::submit), so tests can check that acknowledged submissions are never lost:
//   late            counter, +7 through its cells (not submitted)
//   late_submitted  counter, 5 submit records of +1
//   late_hist       histogram, 3 submitted samples (10, 20, 30)
//   late_event      event type, 2 submitted events
#pragma once

#include <string>

#include "shmon/probe.hpp"

namespace shmon::testclient {

inline constexpr std::uint64_t kLateCells = 7;
inline constexpr std::uint64_t kLateSubmitted = 5;
inline constexpr std::uint64_t kLateHistSamples = 3;
inline constexpr std::uint64_t kLateEvents = 2;

// Registers, adds, submits and flushes. Returns "" on success, else what failed.
std::string register_and_submit(Probe& probe);

}  // namespace shmon::testclient
