// SPDX-License-Identifier: Apache-2.0
// The agent's memory of recent events: the last capacity() records drained from every client (and
// submitted through the mailbox), each with a global, monotonically increasing sequence number.
// Storage is private memory (--no-state) or the state directory's mapped event log file
// (event_log_file.hpp), which survives an agent crash; the code path is the same.
//
// Records are kept raw (the client's 64-byte record) with the id of an EventSource that names
// the client and its metrics; names are resolved only when a query reads the log. This keeps the
// drain's cost per record at one 64-byte copy and a few compares.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "event_log_file.hpp"
#include "shmon/layout.hpp"

namespace shmon::agent {

// Who wrote a record: immutable once made; a client's descriptors growing makes a new one.
struct EventSource {
  std::uint32_t id = 0;  // unique in the agent, never 0
  std::uint32_t slot = 0;
  pid_t pid = 0;
  std::string client;
  std::vector<std::string> names;   // by descriptor index; empty = invalid descriptor
  std::vector<std::uint8_t> valid;  // names.size() + 1 entries; the last is 0 (a guard)
};
using EventSourcePtr = std::shared_ptr<const EventSource>;

// A new source id (process-wide, never 0).
std::uint32_t next_event_source_id();
// Makes every later id >= `floor` (ids stay unique across agent restarts: the state store
// passes one above the largest id it holds).
void raise_event_source_floor(std::uint32_t floor);

// True when `r` (a private copy) names a valid descriptor of `src` and has sane fields.
inline bool valid_record(const EventRecord& r, const EventSource& src) {
  const std::uint32_t n = std::uint32_t(src.names.size());
  const std::uint32_t id = r.id < n ? r.id : n;  // branch-free guard index
  return (src.valid[id] != 0) & (r.level <= std::uint16_t(EventLevel::kFatal)) &
         (r.payload_size <= kEventPayloadCapacity) &
         (r.payload_kind <= std::uint8_t(PayloadKind::kBytes));
}

// A record as a query sees it (names resolved).
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
  std::uint64_t end = 0;     // the seq the next logged event gets (the newest is end - 1)
  std::vector<LoggedEvent> events;
};

// Where a batch came from: with a file, the log journals that this ring of this client is drained
// through tail_after before it publishes the batch (event_log_file.hpp).
struct DrainMark {
  std::uint32_t slot;
  std::uint32_t shard;
  std::uint64_t incarnation;
  std::uint64_t tail_after;
};

class EventLog {
 public:
  static constexpr std::uint64_t kDefaultCapacity = 65536;  // a power of two

  explicit EventLog(std::uint64_t capacity = kDefaultCapacity);
  // Makes `file` the storage: the records it holds below its published next_seq become the log,
  // their names resolved through `sources`. REQUIRES: no append yet, no concurrent reader.
  void use_file(EventLogFile file, const std::vector<EventSourcePtr>& sources);
  bool durable() const { return file_.valid(); }
  // Called (under the log's lock) with every source the log starts keeping, before any record
  // naming it is published: the state store makes it durable there.
  void set_source_sink(std::function<void(const EventSource&)> sink);
  // Ids of the sources the log keeps (referenced by a record or held by a client).
  std::vector<std::uint32_t> source_ids() const;
  const EventLogFile& file() const { return file_; }
  std::uint64_t capacity() const { return capacity_; }

  // Copies ring[(first + i) & mask] for i < n into the log (one lock for all), validating each
  // copy against `src`; invalid ones are not kept. Returns how many were invalid.
  std::uint64_t append_from_ring(const EventRecord* ring, std::uint64_t mask, std::uint64_t first,
                                 std::uint64_t n, const EventSourcePtr& src, const DrainMark& mark);
  // Appends records that the caller already validated.
  void append(std::span<const EventRecord> records, const EventSourcePtr& src);
  // Events with seq >= cursor, at most `max`, optionally only those whose event name or client
  // name equals `filter`.
  EventPage read(std::uint64_t cursor, std::size_t max, std::string_view filter) const;
  std::uint64_t next_seq() const;

 private:
  void keep_source_locked(const EventSourcePtr& src);

  void publish_locked(std::uint64_t next);

  mutable std::mutex mu_;
  std::uint64_t capacity_;
  std::uint64_t mask_;
  std::unique_ptr<EventRecord[]> own_records_;  // memory-only storage
  std::unique_ptr<std::uint32_t[]> own_sources_;
  EventLogFile file_;
  EventRecord* records_;
  std::uint32_t* sources_of_;  // source id per record
  std::unordered_map<std::uint32_t, EventSourcePtr> sources_;
  std::function<void(const EventSource&)> sink_;
  std::uint32_t last_source_ = 0;  // source of the previous append (skips the map lookup)
  std::uint64_t next_ = 1;         // seq of the next event; seq 0 is never used
  std::uint64_t prune_at_ = 64;    // prune unused sources when the map grows past this
};

}  // namespace shmon::agent
