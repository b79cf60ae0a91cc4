// SPDX-License-Identifier: Apache-2.0
// Talking to the agent's /metrics endpoint and to Prometheus's tools in tests: a bounded HTTP
// GET, the endpoint's URL from the agent's ready line, sample lookup in an exposition, and
// `promtool check metrics`.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shmon_test/child.hpp"
#include "shmon_test/test_env.hpp"

namespace shmon::test {

struct HttpAnswer {
  int status = 0;  // 0: no answer (error says why)
  std::string body;
  std::string content_type;
  std::string error;
};

// GET `url` (http://HOST:PORT/PATH) with `headers`; connect, read and write bounded by `timeout`.
HttpAnswer http_get(const std::string& url,
                    const std::vector<std::pair<std::string, std::string>>& headers = {},
                    std::chrono::seconds timeout = std::chrono::seconds(10));

// The "metrics=URL" of the agent's ready line ("" when absent or "off").
std::string metrics_url(const Child& agent);
// "127.0.0.1:PORT" of such a URL.
std::string host_port(const std::string& url);

// The value of the sample whose name and labels are exactly `series` (e.g. `a_total` or
// `b_bucket{le="+Inf"}`), nullopt when the exposition has no such line.
std::optional<double> sample_value(const std::string& exposition, const std::string& series);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
int free_tcp_port();

// Runs `promtool check metrics` on `exposition`. Success when promtool exits 0 and prints no
// problem; the message holds its output otherwise. Skipped (nullopt) when promtool is missing.
struct PromtoolResult {
  bool ok = false;
  std::string output;
};
std::optional<PromtoolResult> promtool_check(const TestEnv& env, const std::string& exposition);

}  // namespace shmon::test
