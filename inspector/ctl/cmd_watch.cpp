// SPDX-License-Identifier: Apache-2.0
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "format.hpp"
#include "shmon/clock.hpp"
#include "shmon/stop_signal.hpp"

namespace shmonctl {
namespace {

using namespace shmon::inspector;

constexpr std::size_t kTopMetrics = 20;
constexpr const char* kClearScreen = "\x1b[H\x1b[2J";

void render_agent(std::ostream& out, const AgentStatus& s) {
  const AgentMutex& m = s.mutex;
  const auto n = [](std::uint64_t v) { return fmt_count(double(v)); };
  out << "agent   pid " << s.pid << "  uptime " << fmt_duration_s(s.uptime_s) << "  heartbeat "
      << fmt_duration_s(double(s.heartbeat_age_ms) / 1e3) << " ago  clients "
      << n(s.clients_connected) << "  requests " << fmt_rate(s.requests_per_s) << "  events "
      << fmt_rate(s.events_per_s) << '\n'
      << "        events " << n(s.events_received) << "  dropped " << n(s.events_dropped)
      << "  revocations " << n(s.lease_revocations) << "  dead-owner releases "
      << n(s.dead_owner_releases) << '\n'
      << "mutex   wait p50 " << fmt_ns(double(m.wait_p50_ns)) << "  p99 "
      << fmt_ns(double(m.wait_p99_ns)) << "  max " << fmt_ns(double(m.wait_max_ns)) << "  acquired "
      << n(m.acquired) << "  timeouts " << n(m.timeouts) << '\n';
}

// Renders one frame; false when the agent could not be read. The agent and the clients come
// from the directory; only the metrics take a mailbox call.
bool render_frame(Connection& connection, std::ostream& out) {
  shmon::client::Directory directory;
  std::string answer, error;
  if (!connection.try_directory(directory, &error)) return false;
  if (!connection.try_query(shmon::QueryKind::kMetrics, answer, &error)) return false;
  auto metrics = parse_metrics(answer, &error);
  if (!metrics) return false;
  render_agent(out, status_from_directory(directory));
  out << "\nclients\n";
  clients_table(clients_from_directory(directory)).print(out);
  // Busiest first, so the interesting metrics stay on screen.
  std::stable_sort(metrics->begin(), metrics->end(),
                   [](const auto& a, const auto& b) { return a.rate_per_s > b.rate_per_s; });
  const std::size_t shown = std::min(kTopMetrics, metrics->size());
  out << "\nmetrics (top " << shown << " of " << metrics->size() << " by rate)\n";
  metrics_table(*metrics, QuantileView{}, kTopMetrics).print(out);
  return true;
}

}  // namespace

int run_watch(Connection& connection, std::uint32_t interval_ms, std::uint32_t iterations) {
  const std::string& instance = connection.options().instance;
  // Into a pipe or a file, frames follow each other as plain text: no screen-clearing escapes.
  const bool terminal = ::isatty(STDOUT_FILENO) != 0;
  for (std::uint32_t frame = 0; iterations == 0 || frame < iterations; ++frame) {
    std::ostringstream out;
    out << (terminal     ? kClearScreen
            : frame == 0 ? ""
                         : "\n")
        << "shmon watch  instance " << instance << "  " << fmt_wall_ms(shmon::realtime_ns())
        << "  (every " << interval_ms << " ms, Ctrl-C quits)\n\n";
    // A session per frame: between frames the watch holds no tool slot, so watchers never
    // lock other tools out (issue 18).
    std::string why;
    if (!connection.try_reattach(&why)) {
      out << why << " — retrying\n";
    } else if (!render_frame(connection, out)) {
      out << "the agent on instance " << instance << " did not answer — retrying\n";
    }
    connection.release();
    std::cout << out.str() << std::flush;
    check_output();
    if (iterations != 0 && frame + 1 == iterations) break;
    if (!shmon::sleep_unless_stopped(interval_ms)) break;
  }
  return 0;
}

}  // namespace shmonctl
