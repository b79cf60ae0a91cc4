// SPDX-License-Identifier: Apache-2.0
#include <iostream>

#include "commands.hpp"
#include "format.hpp"

namespace shmonctl {

using namespace shmon::inspector;

int run_status(Connection& connection, bool json) {
  if (json) {
    std::cout << connection.query(shmon::QueryKind::kStatus) << '\n';
    return 0;
  }
  const AgentStatus s = status_from_directory(connection.directory());
  const AgentMutex& m = s.mutex;
  const auto n = [](std::uint64_t v) { return fmt_count(double(v)); };
  std::cout << "instance          " << escape_for_terminal(s.instance) << '\n'
            << "agent pid         " << s.pid << '\n'
            << "uptime            " << fmt_duration_s(s.uptime_s) << '\n'
            << "clients           " << n(s.clients_connected) << " connected, "
            << n(s.clients_total) << " total, " << n(s.clients_refused) << " refused\n"
            << "requests          " << n(s.requests) << " (" << n(s.request_errors) << " errors, "
            << n(s.torn_requests) << " torn), " << fmt_rate(s.requests_per_s) << '\n'
            << "events            " << n(s.events_received) << " received, " << n(s.events_dropped)
            << " dropped, " << fmt_rate(s.events_per_s) << '\n'
            << "mutex wait        p50 " << fmt_ns(double(m.wait_p50_ns)) << ", p99 "
            << fmt_ns(double(m.wait_p99_ns)) << ", max " << fmt_ns(double(m.wait_max_ns)) << " ("
            << n(m.acquired) << " acquired, " << n(m.timeouts) << " timeouts)\n"
            << "lease revocations " << n(s.lease_revocations) << '\n'
            << "dead-owner releases " << n(s.dead_owner_releases) << '\n';
  return 0;
}

}  // namespace shmonctl
