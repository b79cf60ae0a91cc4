// SPDX-License-Identifier: Apache-2.0
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "commands.hpp"
#include "format.hpp"
#include "shmon/paths.hpp"

namespace shmonctl {

using namespace shmon::inspector;

Table clients_table(const std::vector<ClientInfo>& clients) {
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
  for (const ClientInfo& c : clients) {
    table.add_row({std::to_string(c.slot), c.name, std::to_string(c.pid), c.kind, c.state,
                   fmt_count(double(c.requests)), fmt_count(double(c.events_received)),
                   fmt_count(double(c.drops.total())), fmt_count(double(c.lock_timeouts)),
                   fmt_ns(double(c.mutex.wait_p50_ns)), fmt_ns(double(c.mutex.wait_p99_ns)),
                   fmt_ns(double(c.mutex.wait_max_ns))});
  }
  return table;
}

int run_clients(Connection& connection, bool json, bool names_only) {
  if (names_only) {
    // The apps a command can reach (what `send` resolves), each name once.
    std::set<std::string> names;
    for (const shmon::DirectoryEntry& e : connection.directory().clients) {
      const auto state = shmon::ClientState(e.state);
      if (shmon::ClientKind(e.kind) == shmon::ClientKind::kApp &&
          (state == shmon::ClientState::kLive || state == shmon::ClientState::kAttached)) {
        names.insert(escape_for_terminal(e.name));
      }
    }
    for (const std::string& name : names) std::cout << name << '\n';
    return 0;
  }
  if (json) {
    std::cout << connection.query(shmon::QueryKind::kClients) << '\n';
    return 0;
  }
  clients_table(clients_from_directory(connection.directory())).print(std::cout);
  return 0;
}

int run_instances(bool json) {
  const std::vector<std::string> names = shmon::list_instances();
  if (json) {
    std::cout << nlohmann::json(names).dump() << '\n';
  } else {
    for (const std::string& name : names) std::cout << name << '\n';
  }
  return 0;
}

}  // namespace shmonctl
