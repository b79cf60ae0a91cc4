// SPDX-License-Identifier: Apache-2.0
// shmonctl runner and JSON helpers.
#include "shmon_test/ctl.hpp"

#include <iostream>

#include "shmon_test/processes.hpp"

namespace shmon::test {

CtlRun run_ctl(const TestEnv& env, const std::string& instance,
               const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  std::vector<std::string> all{"--instance", instance};
  all.insert(all.end(), args.begin(), args.end());
  auto child = spawn(env, ctl_bin(), all);
  CtlRun run;
  run.status = child->wait_exit(deadline_in(timeout));
  run.out = child->stdout_text();
  run.err = child->stderr_text();
  run.describe = child->describe();
  return run;
}

std::optional<nlohmann::json> ctl_json(const TestEnv& env, const std::string& instance,
                                       const std::string& command) {
  const auto run = run_ctl(env, instance, {command, "--json"});
  // Failures are logged (not asserted): callers poll through transient ones, e.g. while an agent
  // restarts, and a test that then fails shows why its queries did.
  if (!exited_with(run.status, 0)) {
    std::cerr << "[harness] shmonctl " << command << " failed: " << run.describe.substr(0, 2000)
              << std::endl;
    return std::nullopt;
  }
  auto parsed = nlohmann::json::parse(run.out, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    std::cerr << "[harness] shmonctl " << command << " printed no JSON: " << run.out.substr(0, 2000)
              << std::endl;
    return std::nullopt;
  }
  return parsed;
}

std::optional<std::uint64_t> status_field(const TestEnv& env, const std::string& instance,
                                          const std::string& field) {
  auto status = ctl_json(env, instance, "status");
  if (!status || !status->is_object() || !status->contains(field)) return std::nullopt;
  const auto& value = (*status)[field];
  if (!value.is_number()) return std::nullopt;
  return value.get<std::uint64_t>();
}

namespace {
std::optional<nlohmann::json> find_metric(const TestEnv& env, const std::string& instance,
                                          const std::string& metric) {
  auto metrics = ctl_json(env, instance, "metrics");
  if (!metrics || !metrics->is_array()) return std::nullopt;
  for (const auto& m : *metrics) {
    if (m.is_object() && m.value("name", "") == metric) return m;
  }
  return std::nullopt;
}
}  // namespace

std::optional<std::uint64_t> metric_total(const TestEnv& env, const std::string& instance,
                                          const std::string& metric) {
  auto m = find_metric(env, instance, metric);
  if (!m || !m->contains("total") || !(*m)["total"].is_number()) return std::nullopt;
  return (*m)["total"].get<std::uint64_t>();
}

nlohmann::json metric_clients(const TestEnv& env, const std::string& instance,
                              const std::string& metric) {
  auto m = find_metric(env, instance, metric);
  if (!m || !m->contains("clients")) return nlohmann::json::array();
  return (*m)["clients"];
}

std::optional<nlohmann::json> app_clients(const TestEnv& env, const std::string& instance) {
  auto clients = ctl_json(env, instance, "clients");
  if (!clients || !clients->is_array()) return std::nullopt;
  nlohmann::json apps = nlohmann::json::array();
  for (const auto& c : *clients) {
    if (c.is_object() && c.value("kind", "") == "app") apps.push_back(c);
  }
  return apps;
}

}  // namespace shmon::test
