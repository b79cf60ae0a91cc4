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
  std::cout << "instance          " << escape_for_terminal(s.instance) << '\n'
            << "agent pid         " << s.pid << '\n'
            << "uptime            " << fmt_duration_s(s.uptime_s) << '\n'
            << "clients           " << s.clients_connected << " connected, " << s.clients_total
            << " total, " << s.clients_refused << " refused\n"
            << "requests          " << s.requests << " (" << s.request_errors << " errors, "
            << s.torn_requests << " torn), " << fmt_rate(s.requests_per_s) << '\n'
            << "events            " << s.events_received << " received, " << s.events_dropped
            << " dropped, " << fmt_rate(s.events_per_s) << '\n'
            << "mutex wait        p50 " << fmt_ns(double(m.wait_p50_ns)) << ", p99 "
            << fmt_ns(double(m.wait_p99_ns)) << ", max " << fmt_ns(double(m.wait_max_ns)) << " ("
            << m.acquired << " acquired, " << m.timeouts << " timeouts)\n"
            << "lease revocations " << s.lease_revocations << '\n'
            << "dead-owner releases " << s.dead_owner_releases << '\n';
  return 0;
}

}  // namespace shmonctl
