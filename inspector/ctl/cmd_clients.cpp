#include <iostream>

#include "commands.hpp"
#include "json_fields.hpp"

namespace shmonctl {

Table clients_table(const nlohmann::json& clients) {
  using Align = Table::Align;
  Table table;
  table.add_column("slot");
  table.add_column("name", Align::kLeft);
  table.add_column("pid");
  table.add_column("kind", Align::kLeft);
  table.add_column("state", Align::kLeft);
  for (const char* title :
       {"requests", "events", "drops", "lock t/o", "wait p50", "wait p99", "wait max"}) {
    table.add_column(title);
  }
  if (!clients.is_array()) return table;
  for (const auto& c : clients) {
    const auto& drops = member(c, "drops");
    std::uint64_t drop_total = 0;
    for (const auto& [key, value] : drops.items()) drop_total += count(drops, key);
    const WaitStats wait = wait_stats(member(c, "mutex"));
    table.add_row({std::to_string(count(c, "slot")), text(c, "name"),
                   std::to_string(count(c, "pid")), text(c, "kind"), text(c, "state"),
                   std::to_string(count(c, "requests")),
                   std::to_string(count(c, "events_received")), std::to_string(drop_total),
                   std::to_string(count(member(c, "timeouts"), "lock")), format_ns(wait.p50_ns),
                   format_ns(wait.p99_ns), format_ns(wait.max_ns)});
  }
  return table;
}

int run_clients(Connection& connection, bool json) {
  const nlohmann::json clients = connection.query(shmon::QueryKind::kClients);
  if (json) {
    std::cout << clients.dump() << '\n';
    return 0;
  }
  clients_table(clients).print(std::cout);
  return 0;
}

}  // namespace shmonctl
