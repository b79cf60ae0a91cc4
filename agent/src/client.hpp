// SPDX-License-Identifier: Apache-2.0
// One attached client as the agent sees it: its identity (fixed at attach), its data region
// mapping and validated geometry, the agent's private ring tails and its validated descriptors.
// What it submitted through the mailbox lives in its region (submissions.hpp).
//
// Threads: identity fields are immutable after attach. `state`, counters and last_seen are
// atomics. The ring tails belong to whoever holds `drain_mu`. Descriptors are guarded by
// `meta_mu`. `query_cache` and the rate fields are guarded by the agent's table
// mutex. A Client is held by shared_ptr so a thread that took it from the table can finish with
// it after the slot was freed.
#pragma once

#include <sys/types.h>

#include <array>
#include <atomic>
#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "event_log.hpp"
#include "plausibility.hpp"
#include "shmon/fd.hpp"
#include "shmon/layout.hpp"
#include "shmon/memfd.hpp"
#include "shmon/protocol.hpp"

namespace shmon::agent {

// What entitles a newcomer to a client's place (its live slot or its tombstone): the public
// incarnation, the secret only that probe instance knows, and the uid it runs as. A key without a
// secret (all zero) is never entitled to anything.
struct ReattachKey {
  std::uint64_t incarnation = 0;
  std::array<std::uint8_t, kReattachSecretSize> secret{};
  std::uint32_t uid = 0;

  bool bound() const;
  // The secret and uid as bytes for the state store, and back (a blob of another size gives an
  // unbound key: it proves nothing).
  std::string encode() const;
  static ReattachKey decode(std::uint64_t incarnation, const std::string& blob);
  // Same incarnation, secret and uid, and bound.
  bool proves(const ReattachKey& other) const { return bound() && *this == other; }
  auto operator<=>(const ReattachKey&) const = default;
};

struct HistogramValue {
  std::uint64_t count = 0;
  std::int64_t sum = 0;
  std::int64_t min = INT64_MAX;
  std::int64_t max = INT64_MIN;
  std::vector<std::int64_t> bounds;  // inclusive upper bounds, ascending
  std::vector<std::uint64_t> buckets;

  // Adds `o` when the bounds match (or this one is still empty); false otherwise.
  bool merge(const HistogramValue& o);
  void record(std::int64_t v);
  // Removes `o` (a value merged earlier) again.
  void subtract(const HistogramValue& o);
  double quantile(double q) const;
};

struct Descriptor {
  std::string name;    // the metric name
  std::string labels;  // canonical label text (shmon/labels.hpp), empty when none
  std::string key;     // series key: name, or name{labels}; totals are kept per key
  std::string unit;
  MetricKind kind = MetricKind::kCounter;
  std::uint32_t histogram_index = 0;
  bool valid = false;
  std::vector<std::int64_t> bounds;  // histograms with ascending bounds; empty = bad bounds
  // Event types: the level descriptors that count this type's events (layout.hpp); the type's
  // total is the sum of its own cell and theirs.
  std::vector<std::uint32_t> level_cells;
};

// One metric's current value in one client (its cells, submissions included), with the name and
// unit of the descriptor it was read against: values and descriptors come from one snapshot, so a
// value is never paired with (or dropped for) a descriptor table older than the cells.
struct MetricValue {
  std::string name;  // the series key (Descriptor::key)
  std::string unit;
  MetricKind kind = MetricKind::kCounter;
  std::uint64_t total = 0;  // counters and event types
  double gauge = 0;
  HistogramValue hist;
};

// Every value of one client as one read found them, by descriptor index, and when that read
// began. Queries answer big clients from the latest one (value_snapshots.hpp).
struct ValueSnapshot {
  std::map<std::uint32_t, MetricValue> values;
  std::uint64_t read_ns = 0;  // monotonic
};

// A client's values as a reader under the table mutex got them (value_snapshots.hpp).
struct ClientValues {
  std::shared_ptr<const ValueSnapshot> snapshot;  // never null
  bool stale = false;                             // an earlier snapshot, not read by this call
};

class Client {
 public:
  // Identity (immutable after attach).
  std::uint32_t slot = 0;
  ClientKind kind = ClientKind::kApp;
  pid_t pid = 0;
  std::uint64_t start_time = 0;  // /proc/PID/stat start time (identity across pid reuse)
  std::uint64_t incarnation = 0;
  ReattachKey reattach;  // incarnation, secret, uid from the attach
  std::string name;
  std::uint64_t session = 0;
  std::uint32_t lock_generation = 0;
  std::uint32_t owner_token = 0;
  std::uint64_t attached_realtime_ns = 0;
  std::uint64_t attached_monotonic_ns = 0;
  UniqueFd socket;
  UniqueFd pidfd;
  UniqueFd data_fd;
  Mapping data;
  DataGeometry geo{};

  // Shared between threads.
  std::atomic<std::uint32_t> state{std::uint32_t(ClientState::kAttached)};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> request_errors{0};
  std::atomic<std::uint64_t> last_seen_ns{0};
  std::atomic<std::uint64_t> submitted_records{0};
  std::atomic<bool> retired{false};
  // Set when the region lost pages after attach: retire neither drains nor folds it (reading it
  // would fault its holes in again, charged to the agent; what it held is gone anyway).
  std::atomic<bool> region_lost{false};
  // Monotonic time the service thread last answered this client: proof that a holder of the
  // client mutex is making progress (a session is lock, one request, unlock).
  std::atomic<std::uint64_t> last_answered_ns{0};
  // Service thread only: the seq of the last request answered for this session. A request is
  // executed at most once, however often Exec is set while it sits in the mailbox.
  std::uint64_t last_answered_seq = 0;

  // Guarded by drain_mu: the consumer positions, committed to the region with release.
  std::mutex drain_mu;
  std::unique_ptr<std::atomic<std::uint64_t>[]> tails;
  // Also under drain_mu: the drain's descriptor snapshot, remade when metric_count changes.
  std::uint32_t drain_metric_count = UINT32_MAX;
  EventSourcePtr event_source;

  // What the agent credits of the client's own cumulative claims (plausibility.hpp).
  // received_credit: events drained (plus a plausible count claimed at attach); written under
  // drain_mu, read anywhere. implausible: values no honest client produces (counted, logged).
  std::atomic<std::uint64_t> received_credit{0};
  std::atomic<std::uint64_t> implausible{0};
  std::atomic<std::uint64_t> implausible_logged_ns{0};

  // Guarded by the agent's table mutex.
  CreditedCount drop_credit[3];  // ring full, payload too large, not connected
  std::uint64_t drops_observed_ns = 0;
  // Per descriptor index: 1 when its identity matches the agent's (metric_identity.hpp), 0 when
  // refused; indices past the end are not decided yet and count as refused.
  std::vector<std::uint8_t> admitted;
  static constexpr std::size_t kMaxListedRefusals = 16;
  std::vector<std::string> refused_metrics;  // the first kMaxListedRefusals names refused
  std::atomic<std::uint64_t> metric_clashes{0};
  // The series bound (metric_identity.hpp): the series this client publishes that the agent
  // admitted (whoever introduced them), and its series refused by the bound (logged once).
  std::uint64_t series_held = 0;
  std::uint64_t series_refused = 0;
  std::string query_cache;
  std::uint64_t persisted_read_ns = 0;  // read_ns of the value snapshot last persisted
  std::uint64_t rate_prev_requests = 0, rate_prev_events = 0, rate_prev_ns = 0;
  double requests_per_s = 0, events_per_s = 0;

  // Whether descriptor `index` may count in totals (table mutex held).
  bool metric_admitted(std::uint32_t index) const {
    return index < admitted.size() && admitted[index] != 0;
  }

  ClientState current_state() const { return ClientState(state.load(std::memory_order_acquire)); }
  bool serving() const {
    const auto s = current_state();
    return s == ClientState::kAttached || s == ClientState::kLive;
  }
  // Whether its owner token may hold the client mutex: while it is serving, and after its bye
  // until retire() (its socket closed): on_bye marks it leaving while the bye's own call still
  // holds the mutex, and that call must be able to read its answer and unlock like any other.
  // retire() releases whatever the token still holds; the lease bounds a leaver that stalls.
  bool may_hold_mutex() const {
    return serving() ||
           (current_state() == ClientState::kLeaving && !retired.load(std::memory_order_acquire));
  }

  // The mapped region through layout.hpp's accessors (offsets from the validated geometry).
  DataRegion region() const { return DataRegion(data.data(), geo); }
  const DataHeader& header() const { return *region().header(); }
  RingHeader* ring(std::uint32_t shard) const { return region().ring(shard); }
  const EventRecord* ring_records(std::uint32_t shard) const { return region().records(shard); }
  // Sums over the shards' rings, saturating (a hostile client's positions must not wrap).
  std::uint64_t head_sum() const;
  std::uint64_t tail_sum() const;
  // The three raw drop counters, in drop_credit's order.
  void read_drops(std::uint64_t out[3]) const;
  // Drops the agent credits (table mutex held).
  std::uint64_t credited_drops() const {
    return drop_credit[0].credited() + drop_credit[1].credited() + drop_credit[2].credited();
  }

  // Reads the ring tails once at attach, validating each against its head. Returns how many
  // rings had to be resynchronised (bad records).
  std::uint64_t init_tails();
  // Starts the credited counts (plausibility.hpp) from what the region claims once the tails are
  // final: the tail sum and the drop counters, each credited when a process `age_ns` old could
  // have counted it. Returns how many claims were not (implausible).
  std::uint64_t start_credit(std::uint64_t age_ns);

  // Copies descriptors published since the last call and validates them; returns how many were
  // invalid. Thread-safe (meta_mu).
  std::uint64_t refresh_descriptors();
  // Validated descriptor count and a copy of the table (meta_mu held briefly).
  std::uint32_t descriptor_count();
  std::vector<Descriptor> descriptors_copy();
  // A copy of the descriptors from index `first` on (empty when there are no more).
  std::vector<Descriptor> descriptors_from(std::size_t first);
  std::string metric_name(std::uint32_t index);

  // Refreshes the descriptors, then reads the current value of every valid metric against that
  // same descriptor snapshot, by descriptor index (cells summed over shards; submissions are in
  // the cells). With `only`, just the metrics of that name. Thread-safe (meta_mu for the
  // descriptors).
  std::map<std::uint32_t, MetricValue> read_values(std::string_view only = {});
  // How many cells read_values() reads for the descriptors copied so far: what a full read of
  // this client costs. Thread-safe (meta_mu).
  std::uint64_t read_cost();

  // The latest value snapshot, or nullptr before the first. Thread-safe (snapshot_mu).
  std::shared_ptr<const ValueSnapshot> snapshot() const;
  void keep_snapshot(std::shared_ptr<const ValueSnapshot> s);

 private:
  std::mutex meta_mu_;
  std::vector<Descriptor> descriptors_;
  std::uint32_t descriptors_seen_ = 0;  // descriptors copied so far (valid or not)
  std::uint64_t read_cost_ = 0;         // cells of the valid descriptors in descriptors_
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const ValueSnapshot> snapshot_;
};

// Relaxed 64-bit load from shared memory the client writes.
inline std::uint64_t load_shared_u64(const void* p) {
  return reinterpret_cast<const std::atomic<std::uint64_t>*>(p)->load(std::memory_order_relaxed);
}

}  // namespace shmon::agent
