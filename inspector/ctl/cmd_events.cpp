#include <iostream>

#include "commands.hpp"
#include "json_fields.hpp"
#include "shmon/stop_signal.hpp"

namespace shmonctl {
namespace {

constexpr std::uint32_t kFollowPollMs = 100;

void print_event(const nlohmann::json& e, bool json) {
  if (json) {
    std::cout << e.dump() << '\n';
    return;
  }
  std::string payload = text(e, "text");
  if (payload.empty() && e.contains("bytes_hex")) payload = "0x" + text(e, "bytes_hex");
  std::cout << format_wall_time(count(e, "ts_ns")) << "  " << text(e, "client") << '['
            << count(e, "pid") << "]  " << text(e, "name") << "  " << text(e, "level") << "  "
            << payload << '\n';
}

// Prints every event from `cursor` on, page by page; returns the cursor for the next call.
// Returns nullopt (with `error` set) when a query fails.
std::optional<std::uint64_t> print_available(Connection& connection, std::uint64_t cursor,
                                             bool json, std::string* error) {
  for (;;) {
    auto answer = connection.try_query(shmon::QueryKind::kEvents, error, {}, cursor);
    if (!answer) return std::nullopt;
    const std::uint64_t next = count(*answer, "next");
    const std::uint64_t oldest = count(*answer, "oldest");
    if (next < cursor) return oldest;  // the log restarted: start at its beginning
    if (cursor != 0 && oldest > cursor && !json) {
      std::cerr << "shmonctl: " << oldest - cursor
                << " events were overwritten before being read\n";
    }
    const auto& events = (*answer)["events"];
    if (events.is_array()) {
      for (const auto& e : events) print_event(e, json);
    }
    std::cout.flush();
    if (!events.is_array() || events.empty() || next == cursor) return next;
    cursor = next;
  }
}

// The running agent's identity; a new value means a restarted agent with a fresh event log.
std::string agent_generation(Connection& connection) {
  auto status = connection.try_query(shmon::QueryKind::kStatus, nullptr);
  return status ? text(*status, "generation") : std::string();
}

}  // namespace

int run_events(Connection& connection, bool follow, bool json) {
  std::uint64_t cursor = 0;
  std::string error;
  bool reported_loss = false;
  std::string generation = follow ? agent_generation(connection) : std::string();
  do {
    if (reported_loss && connection.probe().connected()) {
      // Back after a failure: a restarted agent numbers its events from scratch.
      const std::string now = agent_generation(connection);
      if (now.empty()) continue;
      if (now != generation) cursor = 0;
      generation = now;
      std::cerr << "shmonctl: agent is back; following again\n";
      reported_loss = false;
    }
    if (auto next = print_available(connection, cursor, json, &error)) {
      cursor = *next;
    } else if (!follow) {
      throw CtlError(1, error);
    } else {
      // The agent went away: say so once, then keep trying to reattach.
      if (!reported_loss) std::cerr << "shmonctl: " << error << "; retrying\n";
      reported_loss = true;
      connection.try_reattach();
    }
  } while (follow && shmon::sleep_unless_stopped(kFollowPollMs));
  return 0;
}

}  // namespace shmonctl
