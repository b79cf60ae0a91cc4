// The agent's memory of recent events: the last kCapacity records drained from every client (and
// submitted through the mailbox), each with a global, monotonically increasing sequence number.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "shmon/layout.hpp"

namespace shmon::agent {

struct LoggedEvent {
  std::uint64_t seq;
  std::uint64_t ts_ns;
  std::uint32_t slot;
  pid_t pid;
  std::uint16_t level;
  std::uint8_t payload_kind;
  std::uint8_t payload_size;
  char client[kMaxClientNameLen + 1];
  char name[kMaxMetricNameLen + 1];
  std::uint8_t payload[kEventPayloadCapacity];
};

struct EventPage {
  std::uint64_t next = 0;    // cursor for the following call
  std::uint64_t oldest = 0;  // oldest seq still kept
  std::vector<LoggedEvent> events;
};

class EventLog {
 public:
  static constexpr std::uint64_t kCapacity = 65536;

  EventLog();
  // Appends (seq fields are assigned here).
  void append(std::span<LoggedEvent> events);
  // Events with seq >= cursor, at most `max`, optionally only those whose event name or client
  // name equals `filter`.
  EventPage read(std::uint64_t cursor, std::size_t max, std::string_view filter) const;
  std::uint64_t next_seq() const;

 private:
  mutable std::mutex mu_;
  std::unique_ptr<LoggedEvent[]> ring_;
  std::uint64_t next_ = 1;  // seq of the next event; seq 0 is never used
};

}  // namespace shmon::agent
