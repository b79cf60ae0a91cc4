// SPDX-License-Identifier: Apache-2.0
// Running shmonctl as a child and reading its --json answers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "shmon_test/child.hpp"
#include "shmon_test/test_env.hpp"

namespace shmon::test {

struct CtlRun {
  std::optional<int> status;  // nullopt: did not exit within its deadline (then killed)
  std::string out;
  std::string err;
  std::string describe;
};

// `shmonctl --instance I args...`, bounded by `timeout`.
CtlRun run_ctl(const TestEnv& env, const std::string& instance,
               const std::vector<std::string>& args,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));

// `shmonctl --instance I COMMAND --json`, parsed; nullopt when it failed or printed no JSON.
std::optional<nlohmann::json> ctl_json(const TestEnv& env, const std::string& instance,
                                       const std::string& command);

// Convenience readers; nullopt when the query failed or the field is missing.
std::optional<std::uint64_t> status_field(const TestEnv& env, const std::string& instance,
                                          const std::string& field);
std::optional<std::uint64_t> metric_total(const TestEnv& env, const std::string& instance,
                                          const std::string& metric);
// The `clients` entries of metric `metric` (empty when absent).
nlohmann::json metric_clients(const TestEnv& env, const std::string& instance,
                              const std::string& metric);
// Clients of kind "app" (shmonctl itself is a tool and not counted).
std::optional<nlohmann::json> app_clients(const TestEnv& env, const std::string& instance);

}  // namespace shmon::test
