#include <iostream>

#include "commands.hpp"
#include "json_fields.hpp"

namespace shmonctl {

int run_status(Connection& connection, bool json) {
  const nlohmann::json s = connection.query(shmon::QueryKind::kStatus);
  if (json) {
    std::cout << s.dump() << '\n';
    return 0;
  }
  const auto& mutex = member(s, "mutex");
  const WaitStats wait = wait_stats(mutex);
  std::cout << "instance          " << text(s, "instance") << '\n'
            << "agent pid         " << count(s, "pid") << '\n'
            << "uptime            " << format_uptime(number(s, "uptime_s")) << '\n'
            << "clients           " << count(s, "clients_connected") << " connected, "
            << count(s, "clients_total") << " total, " << count(s, "clients_refused")
            << " refused\n"
            << "requests          " << count(s, "requests") << " (" << count(s, "request_errors")
            << " errors, " << count(s, "torn_requests") << " torn), "
            << format_rate(number(s, "requests_per_s")) << "/s\n"
            << "events            " << count(s, "events_received") << " received, "
            << count(s, "events_dropped") << " dropped, " << format_rate(number(s, "events_per_s"))
            << "/s\n"
            << "mutex wait        p50 " << format_ns(wait.p50_ns) << ", p99 "
            << format_ns(wait.p99_ns) << ", max " << format_ns(wait.max_ns) << " ("
            << count(mutex, "acquired") << " acquired, " << count(mutex, "timeouts")
            << " timeouts)\n"
            << "lease revocations " << count(s, "lease_revocations") << '\n'
            << "dead-owner releases " << count(s, "dead_owner_releases") << '\n';
  return 0;
}

}  // namespace shmonctl
