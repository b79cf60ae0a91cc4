// SPDX-License-Identifier: Apache-2.0
// Fork storm (issue 17): an app with a probe forks 1000 children that are all alive at once;
// child i adds (i+1)*10 to "storm_total" and exits without any call (the fork-time hand-off and
// the agent's exit folding must count it). Measured: the time from the 1000th child's exit (when
// the app's last waitpid returns, a little after the exit itself, so the figure leans low by the
// reaping delay) until a tool's query shows the exact total 2,000 + 10 * (1 + ... + 1000) =
// 5,007,000, polled back to back. Repeated `fork_storm_reps` times per table size; a repetition
// that is not exact within 30 s counts as not exact, with no time.
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "agent_process.hpp"
#include "children.hpp"
#include "driver.hpp"
#include "shmon/clock.hpp"
#include "shmon/probe.hpp"

namespace shmon::bench {
namespace {

constexpr int kChildren = 1000;
constexpr std::uint64_t kExpected = 2000 + 10ull * kChildren * (kChildren + 1) / 2;
constexpr int kExactWaitMs = 30'000;

struct StormShared {
  Gate gate;                                // ready: all children reaped; open: app may leave
  std::atomic<std::uint64_t> last_exit_ns;  // monotonic, when the last waitpid returned
  std::atomic<std::uint32_t> failed_children;
  std::atomic<std::uint32_t> failed;  // the app could not attach or flush
};

// The app: one counter, 1000 children alive at once, then it waits for the driver.
int storm_app(StormShared* s) {
  ProbeOptions options;
  options.name = "storm";
  options.params.metric_capacity = 16;
  options.params.shard_count = 2;
  options.params.histogram_capacity = 0;
  options.params.ring_capacity = 64;
  Probe probe(options);
  Counter counter = probe.counter("storm_total");
  counter.add(2000);
  if (!probe.wait_connected(30'000) || probe.flush().status != CallStatus::kOk) {
    s->failed += 1;
    s->gate.arrive_and_wait(0);
    return 1;
  }
  int go[2];
  if (::pipe(go) != 0) return 1;
  std::vector<pid_t> children;
  for (int i = 0; i < kChildren; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) break;
    if (pid == 0) {
      ::close(go[1]);
      counter.add(std::uint64_t(i + 1) * 10);
      char byte;
      while (::read(go[0], &byte, 1) < 0 && errno == EINTR) {
      }
      ::_exit(0);
    }
    children.push_back(pid);
  }
  ::close(go[1]);  // go: every child's read returns end-of-file
  ::close(go[0]);
  std::uint32_t failed = std::uint32_t(kChildren - int(children.size()));
  for (pid_t pid : children) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    failed += WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
  }
  s->last_exit_ns.store(monotonic_ns());
  s->failed_children.store(failed);
  return s->gate.arrive_and_wait(120'000) ? 0 : 1;
}

// storm_total as the agent answers it now (0 when the query failed).
std::uint64_t storm_total(Probe& tool) {
  const QueryResult r = tool.query(QueryKind::kMetrics, "storm_total");
  if (r.status != CallStatus::kOk) return 0;
  const auto doc = Json::parse(r.json, nullptr, false);
  if (!doc.is_array() || doc.size() != 1) return 0;
  return doc[0].value("total", std::uint64_t(0));
}

// One repetition at `max_clients`: milliseconds until exact, or -1 (with *why) when it was not.
double one_storm(std::uint32_t max_clients, int rep, std::string* why) {
  SharedBlock<StormShared> s;
  AgentProcess agent;
  char state_dir[] = "/tmp/shmon-bench-storm-XXXXXX";
  if (!s.ok() || ::mkdtemp(state_dir) == nullptr) {
    *why = "cannot create a state directory";
    return -1;
  }
  if (!agent.start("bench-storm-" + std::to_string(max_clients) + "-" + std::to_string(rep),
                   {"--log-level", "warn", "--state-dir", state_dir, "--max-clients",
                    std::to_string(max_clients)},
                   10'000)) {
    *why = "cannot start agent: " + agent.error();
    std::filesystem::remove_all(state_dir);
    return -1;
  }
  ChildGroup children;
  children.add(spawn([&] { return storm_app(&*s); }));
  double ms = -1;
  if (!s->gate.wait_ready(1, 120'000) || s->failed.load() != 0 || s->failed_children.load() != 0) {
    *why = "the app or its children failed";
  } else {
    ProbeOptions options;
    options.name = "bench-storm";
    options.kind = ClientKind::kTool;
    Probe tool(options);
    std::uint64_t total = 0;
    if (tool.wait_connected(30'000)) {
      const std::uint64_t deadline = deadline_after_ms(kExactWaitMs);
      while (monotonic_ns() < deadline && (total = storm_total(tool)) != kExpected) {
      }
      if (total == kExpected) ms = double(monotonic_ns() - s->last_exit_ns.load()) / 1e6;
    }
    if (ms < 0) {
      *why = "total " + std::to_string(total) + " after 30 s, not 5007000";
      // What the agent saw, for the diagnosis: clients, hand-off and departure counters.
      const QueryResult st = tool.query(QueryKind::kStatus);
      const auto doc = Json::parse(st.json, nullptr, false);
      if (doc.is_object()) {
        *why += "; status: clients_total " + doc.value("clients_total", Json()).dump() +
                ", clients_refused " + doc.value("clients_refused", Json()).dump() + ", requests " +
                doc.value("requests", Json()).dump() + ", handoff " +
                doc.value("handoff", Json()).dump() + ", hostile " +
                doc.value("hostile", Json()).dump();
      }
    }
  }
  s->gate.open.store(1);
  children.wait_all(60'000);
  agent.stop();
  std::filesystem::remove_all(state_dir);
  return ms;
}

}  // namespace

Json run_fork_storm(const DriverConfig& config) {
  Json j{{"children", kChildren}, {"expected", kExpected}, {"reps", config.fork_storm_reps}};
  for (std::uint32_t max_clients : {64u, 1024u}) {
    std::vector<double> ms;
    Json errors = Json::array();
    for (std::uint32_t rep = 0; rep < config.fork_storm_reps; ++rep) {
      std::string why;
      const double t = one_storm(max_clients, int(rep), &why);
      if (t >= 0) {
        ms.push_back(t);
      } else {
        errors.push_back(why);
      }
    }
    Json one{{"exact", ms.size()}, {"ms", ms}, {"errors", std::move(errors)}};
    if (!ms.empty()) {
      std::sort(ms.begin(), ms.end());
      one["median_ms"] = ms[ms.size() / 2];
      one["max_ms"] = ms.back();
    }
    j["max_clients_" + std::to_string(max_clients)] = std::move(one);
  }
  return j;
}

}  // namespace shmon::bench
