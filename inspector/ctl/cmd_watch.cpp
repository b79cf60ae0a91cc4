#include <algorithm>
#include <iostream>
#include <sstream>

#include "commands.hpp"
#include "json_fields.hpp"
#include "shmon/clock.hpp"
#include "shmon/stop_signal.hpp"

namespace shmonctl {
namespace {

constexpr std::size_t kTopMetrics = 20;
constexpr const char* kClearScreen = "\x1b[H\x1b[2J";

void render_agent(std::ostream& out, const nlohmann::json& s) {
  const auto& mutex = member(s, "mutex");
  const WaitStats wait = wait_stats(mutex);
  out << "agent   pid " << count(s, "pid") << "  uptime " << format_uptime(number(s, "uptime_s"))
      << "  heartbeat " << count(s, "heartbeat_age_ms") << " ms ago  clients "
      << count(s, "clients_connected") << "  req/s " << format_rate(number(s, "requests_per_s"))
      << "  events/s " << format_rate(number(s, "events_per_s")) << '\n'
      << "        events " << count(s, "events_received") << "  dropped "
      << count(s, "events_dropped") << "  revocations " << count(s, "lease_revocations")
      << "  dead-owner releases " << count(s, "dead_owner_releases") << '\n'
      << "mutex   wait p50 " << format_ns(wait.p50_ns) << "  p99 " << format_ns(wait.p99_ns)
      << "  max " << format_ns(wait.max_ns) << "  acquired " << count(mutex, "acquired")
      << "  timeouts " << count(mutex, "timeouts") << '\n';
}

// Busiest first, so the interesting metrics stay on screen.
nlohmann::json top_metrics(nlohmann::json metrics) {
  if (!metrics.is_array()) return nlohmann::json::array();
  std::stable_sort(metrics.begin(), metrics.end(), [](const auto& a, const auto& b) {
    return number(a, "rate_per_s") > number(b, "rate_per_s");
  });
  return metrics;
}

// Renders one frame; false when the agent could not be queried.
bool render_frame(Connection& connection, std::ostream& out) {
  std::string error;
  auto status = connection.try_query(shmon::QueryKind::kStatus, &error);
  auto clients = status ? connection.try_query(shmon::QueryKind::kClients, &error) : std::nullopt;
  auto metrics = clients ? connection.try_query(shmon::QueryKind::kMetrics, &error) : std::nullopt;
  if (!metrics) return false;
  render_agent(out, *status);
  out << "\nclients\n";
  clients_table(*clients).print(out);
  const std::size_t shown = std::min(kTopMetrics, metrics->is_array() ? metrics->size() : 0);
  out << "\nmetrics (top " << shown << " of " << (metrics->is_array() ? metrics->size() : 0)
      << " by rate)\n";
  metrics_table(top_metrics(std::move(*metrics)), kTopMetrics).print(out);
  return true;
}

}  // namespace

int run_watch(Connection& connection, std::uint32_t interval_ms, std::uint32_t iterations) {
  const std::string& instance = connection.options().instance;
  for (std::uint32_t frame = 0; iterations == 0 || frame < iterations; ++frame) {
    std::ostringstream out;
    out << kClearScreen << "shmon watch  instance " << instance << "  "
        << format_wall_time(shmon::realtime_ns()) << "  (every " << interval_ms
        << " ms, Ctrl-C quits)\n\n";
    if (!render_frame(connection, out)) {
      out << "agent not running on instance " << instance << " — retrying\n";
      connection.try_reattach();
    }
    std::cout << out.str() << std::flush;
    if (iterations != 0 && frame + 1 == iterations) break;
    if (!shmon::sleep_unless_stopped(interval_ms)) break;
  }
  return 0;
}

}  // namespace shmonctl
