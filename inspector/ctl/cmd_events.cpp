// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "format.hpp"
#include "shmon/limits.hpp"
#include "shmon/stop_signal.hpp"

namespace shmonctl {
namespace {

using namespace shmon::inspector;

constexpr std::uint32_t kFollowPollMs = 100;
constexpr std::uint64_t kFollowBacklog = 10;  // what --follow shows of the past without -n

void print_event(const EventInfo& e) {
  std::cout << fmt_wall_ms(e.ts_ns) << "  " << escape_for_terminal(e.client) << '[' << e.pid
            << "]  " << escape_for_terminal(e.name) << "  " << escape_for_terminal(e.level) << "  "
            << escape_for_terminal(e.text) << '\n';
}

// Prints every event from `cursor` on, page by page; returns the cursor for the next call.
// Returns nullopt (with `error` set) when a query fails.
std::optional<std::uint64_t> print_available(Connection& connection, std::uint64_t cursor,
                                             bool json, std::string* error) {
  for (;;) {
    std::string answer;
    if (!connection.try_query(shmon::QueryKind::kEvents, answer, error, {}, cursor)) {
      return std::nullopt;
    }
    // --json prints the agent's event objects as they came, one per line (JSON escapes control
    // bytes); the answer is parsed once for both.
    std::vector<std::string> raw;
    auto page = parse_events(answer, error, json ? &raw : nullptr);
    if (!page) return std::nullopt;
    if (page->next < cursor) return page->oldest;  // the log restarted: start at its beginning
    if (cursor != 0 && page->oldest > cursor && !json) {
      std::cerr << "shmonctl: " << page->oldest - cursor
                << " events were overwritten before being read\n";
    }
    if (json) {
      for (const std::string& line : raw) std::cout << line << '\n';
    } else {
      for (const EventInfo& e : page->events) print_event(e);
    }
    std::cout.flush();
    check_output();
    if (page->events.empty() || page->next == cursor) return page->next;
    cursor = page->next;
  }
}

// Where to start for the newest `limit` events (0: all that are kept): one query past the end
// of the log tells where it ends. An agent that does not say starts at its oldest.
std::uint64_t newest_cursor(Connection& connection, std::uint64_t limit, std::string* error) {
  if (limit == 0) return 0;
  std::string answer;
  if (!connection.try_query(shmon::QueryKind::kEvents, answer, error, {}, UINT64_MAX)) {
    throw CtlError(shmon::exit_code::kFailure, *error);
  }
  const auto page = parse_events(answer, error, nullptr);
  if (!page) throw CtlError(shmon::exit_code::kFailure, *error);
  if (page->end == 0) return 0;
  return page->end > limit ? std::max(page->oldest, page->end - limit) : page->oldest;
}

// The running agent's identity; a new value means a restarted agent with a fresh event log.
std::string agent_generation(Connection& connection) {
  shmon::client::Directory d;
  return connection.try_directory(d, nullptr) ? status_from_directory(d).generation : std::string();
}

}  // namespace

int run_events(Connection& connection, const EventsView& view, bool json) {
  const bool follow = view.follow;
  // Like tail -f: a follower starts with the newest few, not with the whole log.
  const std::uint64_t limit = view.limit ? *view.limit : (follow ? kFollowBacklog : 0);
  std::string error;
  std::uint64_t cursor = newest_cursor(connection, limit, &error);
  bool reported_loss = false;
  std::string generation = follow ? agent_generation(connection) : std::string();
  do {
    if (reported_loss && connection.connected()) {
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
      throw CtlError(shmon::exit_code::kFailure, error);
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
