// SPDX-License-Identifier: Apache-2.0
// libshmon_probe: the C++ API linked into monitored programs. This header and shmon/types.hpp are
// the whole public C++ API (installed); nothing here exposes the wire layout.
//
// Contract
//  * Opening a probe never fails because no agent runs: the probe creates its own data region at
//    once, every update lands there, and the probe attaches to the agent when one appears and
//    re-attaches after an agent restart, handing over its cumulative values and undrained events.
//  * Updates (Counter::add, Gauge::set, Histogram::record, Probe::emit) are noexcept, take no lock
//    and make no system call. Each thread writes its own shard of cells; the agent sums them.
//  * Calls that need an answer (ping, flush, query) run the seed handshake and are bounded
//    by the probe's lock and done timeouts; they return a CallStatus, never throw.
//  * Connection: by default one background thread (all signals blocked) attaches with backoff and
//    notices the agent's death at once through the socket; with background_connect = false there
//    is no thread and connection attempts happen in calls and in poll().
//  * fork(): the child gets a fresh, private data region (zeroed values, same metric names) and
//    its own session; it never writes the parent's region or uses the parent's session. The
//    child attaches as a new client on its first call, poll() or registration (the connector
//    thread is restarted then; a child's first call attaches synchronously).
//  * With background_connect, only the connector attaches: a call made before it has attached
//    returns kNotConnected at once.
//  * Commands (docs/COMMANDS.md): tools (shmonctl send, the inspector) run the commands an app
//    registers with on_command(), plus the built-ins ping, commands and stop. Handlers run on the
//    connector thread (with background_connect = false: inside poll()), one at a time, never on
//    the update path. A handler that throws yields an error reply; one that overruns the
//    command's deadline gets a timeout reply at the tool and its late reply is dropped. The probe
//    never ends its host: stop only calls the handler given to on_stop().
//  * A probe whose data region cannot be shared (memfd failure) keeps working on private memory
//    and never connects; last_error() says why.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "shmon/types.hpp"

namespace shmon {

enum class OverflowPolicy { kDrop, kWait };

struct ProbeOptions {
  std::string instance;  // empty: $SHMON_INSTANCE, else "default"
  std::string name;      // empty: $SHMON_CLIENT_NAME, else the program name (comm)
  ClientKind kind = ClientKind::kApp;
  DataParams params;  // region capacities
  bool background_connect = true;
  std::uint32_t lock_timeout_ms = kDefaultLockTimeoutMs;
  std::uint32_t done_timeout_ms = kDefaultDoneTimeoutMs;
  OverflowPolicy overflow = OverflowPolicy::kDrop;
  std::uint32_t overflow_wait_ms = 100;  // kWait: longest wait for ring space per event
  // Cardinality bounds for labelled metrics: distinct label sets one metric name may have, and
  // labelled series in this probe over all names. A registration past either bound gets a
  // handle that ignores updates (counted in label_sets_refused). The metric table
  // (params.metric_capacity) bounds every series, labelled or not.
  std::uint32_t max_label_sets_per_metric = 100;
  std::uint32_t max_labelled_series = 1000;
};

// One label of a metric: both strings are copied at registration. Rules (shmon/labels.hpp):
// names [A-Za-z_][A-Za-z0-9_]* (not le, quantile, client, slot or __*), values 1..64 bytes of
// UTF-8 without control characters, at most 8 labels.
struct Label {
  std::string_view name;
  std::string_view value;
};

enum class CallStatus {
  kOk,
  kNotConnected,  // no agent (or not attached yet); nothing was sent
  kLockTimeout,   // the client mutex was not acquired in time
  kTimeout,       // no answer (Done) in time; the session is dropped and re-attached later
  kRevoked,       // the agent revoked our lease (or no longer knows our session): the session is
                  // dropped and re-attached later
  kAgentError,    // the agent answered with an error status
  kBadArgument,
  kNotDurable,  // the agent did it but could not make it durable (its state disk is full or
                // failing): nothing is acknowledged; the values stay in this probe's region and a
                // later flush that returns kOk acknowledges them. Retry later.
};
const char* to_string(CallStatus status);

enum class ConnectionState { kDisconnected, kConnected, kRefusedFull, kRefused };
const char* to_string(ConnectionState state);

// The naming rules the probe and the agent apply. name_problem() returns an empty string when
// `name` is a valid name of its kind, else one sentence that says why not: for programs that take
// names from their users and want to refuse a typo up front (the probe itself falls back to the
// default instance and name, and gives refused metrics handles that ignore updates).
enum class NameKind { kInstance, kClient, kMetric, kCommand };
std::string name_problem(NameKind kind, std::string_view name);

// A command handler's answer: a status (kOk, or kError with a reason in the payload) and up to
// kMaxCommandReply bytes of reply.
struct CommandResult {
  CommandStatus status = CommandStatus::kOk;
  std::string payload;
};
// Gets the command's payload (0..kMaxCommandPayload bytes, binary allowed).
using CommandHandler = std::function<CommandResult(std::string_view payload)>;

namespace detail {
struct ProbeCore;
struct ProbeAccess;  // test hooks (probes/src/probe_testing.hpp), not part of the API
}  // namespace detail

// Handles are cheap value types bound to one probe; a default-constructed handle ignores updates.
class Counter {
 public:
  Counter() = default;
  void add(std::uint64_t delta = 1) noexcept;
  // False for a handle that ignores updates (a refused registration or default-constructed).
  bool registered() const noexcept { return core_ != nullptr; }

 private:
  friend class Probe;
  Counter(detail::ProbeCore* core, std::uint32_t index) : core_(core), index_(index) {}
  detail::ProbeCore* core_ = nullptr;
  std::uint32_t index_ = 0;
};

class Gauge {
 public:
  Gauge() = default;
  void set(double value) noexcept;
  // False for a handle that ignores updates (a refused registration or default-constructed).
  bool registered() const noexcept { return core_ != nullptr; }

 private:
  friend class Probe;
  Gauge(detail::ProbeCore* core, std::uint32_t index) : core_(core), index_(index) {}
  detail::ProbeCore* core_ = nullptr;
  std::uint32_t index_ = 0;
};

class Histogram {
 public:
  Histogram() = default;
  void record(std::int64_t value) noexcept;
  // False for a handle that ignores updates (a refused registration or default-constructed).
  bool registered() const noexcept { return core_ != nullptr; }

 private:
  friend class Probe;
  Histogram(detail::ProbeCore* core, std::uint32_t index, std::uint32_t histogram)
      : core_(core), index_(index), histogram_(histogram) {}
  detail::ProbeCore* core_ = nullptr;
  std::uint32_t index_ = 0;
  std::uint32_t histogram_ = 0;
};

class EventType {
 public:
  EventType() = default;
  std::uint32_t id() const { return index_; }

 private:
  friend class Probe;
  EventType(detail::ProbeCore* core, std::uint32_t index) : core_(core), index_(index) {}
  detail::ProbeCore* core_ = nullptr;
  std::uint32_t index_ = 0;
};

struct FlushResult {
  CallStatus status;
  std::uint64_t events_written;   // sum of this probe's ring heads when the agent took the flush
  std::uint64_t events_received;  // what the agent has drained of them (== written on success)
  // (The three counts are filled on kOk and on kNotDurable.)
  std::uint64_t submitted_records;  // records submitted through the mailbox over this session
};

struct PingResult {
  CallStatus status;
  std::uint64_t round_trip_ns;
};

struct QueryResult {
  CallStatus status;
  std::string json;  // the whole answer on kOk
};

class Probe {
 public:
  explicit Probe(ProbeOptions options = {});
  ~Probe();  // sends bye when attached (bounded), stops the connector thread, unmaps
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // Registration (takes a process-local lock; not for the hot path). A metric is its name, kind
  // and label set: registering the same name and labels again (in any label order) returns the
  // same metric, and each label set is its own series, e.g.
  //   probe.counter("http_requests", {{"method", "GET"}, {"code", "200"}}).add();
  // Labels are resolved here, so an update costs the same with or without them. An invalid name,
  // a kind clash or a full table returns a handle that ignores updates (counted in
  // drops_metric_table_full); so do invalid labels and the label-set bounds of ProbeOptions
  // (counted in label_sets_refused). last_error() says why.
  Counter counter(std::string_view name, std::string_view unit = {});
  Counter counter(std::string_view name, std::initializer_list<Label> labels,
                  std::string_view unit = {});
  Counter counter(std::string_view name, std::span<const Label> labels, std::string_view unit = {});
  Gauge gauge(std::string_view name, std::string_view unit = {});
  Gauge gauge(std::string_view name, std::initializer_list<Label> labels,
              std::string_view unit = {});
  Gauge gauge(std::string_view name, std::span<const Label> labels, std::string_view unit = {});
  // `upper_bounds`: inclusive upper bounds, ascending; empty = log-linear default.
  Histogram histogram(std::string_view name, std::span<const std::int64_t> upper_bounds = {},
                      std::string_view unit = {});
  Histogram histogram(std::string_view name, std::initializer_list<Label> labels,
                      std::span<const std::int64_t> upper_bounds = {}, std::string_view unit = {});
  Histogram histogram(std::string_view name, std::span<const Label> labels,
                      std::span<const std::int64_t> upper_bounds, std::string_view unit = {});
  EventType event_type(std::string_view name);

  // Emits an event; returns false when it was dropped (and counted by cause: payload too large,
  // ring full, or ring full while not attached). The type's count cell counts accepted events.
  // Timestamps come from CLOCK_REALTIME_COARSE (a few ms resolution; the precise clock costs
  // 50-150 ns on virtual machines). kWait blocks at most overflow_wait_ms per event, also when
  // no agent is attached.
  bool emit(EventType type, EventLevel level, std::string_view text) noexcept;
  bool emit_bytes(EventType type, EventLevel level, std::span<const std::uint8_t> bytes) noexcept;

  PingResult ping() noexcept;
  FlushResult flush() noexcept;
  QueryResult query(QueryKind kind, std::string_view filter = {}, std::uint64_t cursor = 0);

  // Registers command `name` (1..31 bytes of [A-Za-z0-9._-]; not ping, commands or stop) with a
  // one-line description (truncated to 80 bytes) shown by the `commands` built-in. Registering a
  // name again replaces its handler. Returns false for a bad name or when 32 commands exist.
  // REQUIRES: the handler returns (it runs on the connector thread); it must not destroy the
  // probe.
  bool on_command(std::string_view name, std::string_view description, CommandHandler handler);
  // The handler the built-in `stop` calls (it should make the app end cleanly, e.g. by telling
  // its main loop); without one `stop` answers kNotSupported. An empty function removes it.
  void on_stop(std::function<void()> handler);

  // Without the background thread: attempts an attach if one is due, and runs a pending command.
  // Returns connected().
  bool poll() noexcept;
  bool connected() const noexcept;
  ConnectionState state() const noexcept;
  // Waits (bounded) until attached; true when attached.
  bool wait_connected(std::uint32_t timeout_ms) noexcept;
  // Last human-readable reason for not being connected ("agent full (4 clients)", ...); when
  // there is none, a lasting condition of the probe if any (its data region was reduced to fit
  // the memory cgroup), else empty.
  std::string last_error() const;

  ClientStatsSnapshot stats() const noexcept;
  const std::string& instance() const;
  const std::string& name() const;
  static constexpr std::uint32_t kNoSlot = 0xFFFFFFFFu;
  std::uint32_t slot() const noexcept;  // kNoSlot when not attached

 private:
  friend struct detail::ProbeAccess;
  std::unique_ptr<detail::ProbeCore> core_;
};

}  // namespace shmon
