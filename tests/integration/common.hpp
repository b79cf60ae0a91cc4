// SPDX-License-Identifier: Apache-2.0
// Shared vocabulary of the integration tests: deadlines and exit checks.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "shmon_test/child.hpp"
#include "shmon_test/ctl.hpp"
#include "shmon_test/deadline.hpp"
#include "shmon_test/processes.hpp"
#include "shmon_test/test_env.hpp"

namespace shmon::test {

using namespace std::chrono_literals;

// Generous bounds: the machine has 2 cores and ctest runs two tests at once.
inline constexpr auto kExitWait = 60s;
inline constexpr auto kConditionWait = 30s;

// Success when the child exits 0 before the deadline; otherwise a failure with its output.
inline ::testing::AssertionResult exits_zero(Child& child, Deadline deadline) {
  const auto status = child.wait_exit(deadline);
  if (exited_with(status, 0)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected exit 0:\n" << child.describe();
}

inline ::testing::AssertionResult all_exit_zero(std::vector<std::unique_ptr<Child>>& children,
                                                Deadline deadline) {
  for (auto& child : children) {
    if (auto ok = exits_zero(*child, deadline); !ok) return ok;
  }
  return ::testing::AssertionSuccess();
}

inline std::vector<std::string> loadgen_args(const std::string& counter, std::uint64_t increments,
                                             bool hold_open, int threads = 2) {
  std::vector<std::string> args{"--threads", std::to_string(threads), "--counter",
                                counter,     "--increments",          std::to_string(increments)};
  if (hold_open) args.push_back("--hold-open");
  return args;
}

// Number of app clients listed by `clients --json`, or -1 when the query failed.
inline int app_count(const TestEnv& env, const std::string& instance) {
  auto apps = app_clients(env, instance);
  return apps ? int(apps->size()) : -1;
}

}  // namespace shmon::test
