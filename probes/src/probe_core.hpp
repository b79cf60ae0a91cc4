// SPDX-License-Identifier: Apache-2.0
// ProbeCore: everything behind a shmon::Probe. Internal to libshmon_probe (and its tests).
//
// Threads and locks
//  * Update path (Counter::add, Gauge::set, Histogram::record, emit): no lock except the shared
//    shard's ring mutex; reads only fields that are fixed after construction (the "fast view"
//    block below), the thread's shard claim and `connected`.
//  * reg_mutex: registration. call_mutex: calls, attach and session drop (one session at a time).
//  * The connector thread (optional) attaches and watches the socket; it takes call_mutex for
//    everything that touches the session.
//  * fork: the child handler (fork.cpp) rebuilds the region at the same address and re-initialises
//    every mutex here with placement new.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "commands.hpp"
#include "shmon/client/attach.hpp"
#include "shmon/client/call.hpp"
#include "shmon/fd.hpp"
#include "shmon/layout.hpp"
#include "shmon/memfd.hpp"
#include "shmon/probe.hpp"
#include "shmon/protocol.hpp"
#include "timed_mutex.hpp"

namespace shmon::detail {

// Options after defaults and validation.
struct ResolvedOptions {
  std::string instance;
  std::string name;
  ClientKind kind = ClientKind::kApp;
  DataParams params;
  bool background_connect = true;
  std::uint32_t lock_timeout_ms = kDefaultLockTimeoutMs;
  std::uint32_t done_timeout_ms = kDefaultDoneTimeoutMs;
  OverflowPolicy overflow = OverflowPolicy::kDrop;
  std::uint32_t overflow_wait_ms = 100;
  std::uint32_t max_label_sets_per_metric = 100;
  std::uint32_t max_labelled_series = 1000;
  std::string error;  // why something fell back to a default; empty when all was valid
};
ResolvedOptions resolve_options(const ProbeOptions& options);

// The agent-side session: valid while `connected` is true; touched only under call_mutex.
struct Session : client::Attachment {
  bool ever_attached = false;
};

using client::mailbox_reservation_size;

struct ProbeCore {
  explicit ProbeCore(const ProbeOptions& options);
  ~ProbeCore();
  ProbeCore(const ProbeCore&) = delete;
  ProbeCore& operator=(const ProbeCore&) = delete;

  // ---- fast view: fixed after construction (rebuilt in place by the fork child) -------------
  DataRegion region;  // the data region: every location through layout.hpp's accessors
  DataHeader* header = nullptr;
  std::uint32_t shared_shard = 0;  // shard_count - 1: the one shared by overflow threads
  std::uint32_t ring_capacity = 0;
  std::uint32_t buckets = 0;
  const std::uint32_t* bounds_len = nullptr;  // per histogram: 0 = log-linear default
  const std::int64_t* bounds = nullptr;       // private copy, [histogram][buckets]
  MailboxHeader* mailbox = nullptr;           // always mapped: the agent's or a zero page
  std::atomic<std::uint64_t> epoch{0};        // unique per core; renewed by fork
  std::atomic<bool> connected{false};
  OverflowPolicy overflow = OverflowPolicy::kDrop;
  std::uint32_t overflow_wait_ms = 0;

  // ---- identity and region ------------------------------------------------------------------
  ResolvedOptions opts;
  std::size_t region_size = 0;
  UniqueFd data_fd;  // invalid when the region is an anonymous fallback
  bool region_shareable = false;
  std::vector<std::uint32_t> bounds_len_store;
  std::vector<std::int64_t> bounds_store;

  // ---- registration -------------------------------------------------------------------------
  std::mutex reg_mutex;
  std::unordered_map<std::string, std::uint32_t> by_series;   // series key (labels.hpp) -> index
  std::unordered_map<std::string, std::uint32_t> label_sets;  // metric name -> labelled series
  std::unordered_map<std::string, MetricKind> family_kinds;   // metric name -> its kind
  std::uint32_t labelled_series = 0;
  std::vector<MetricKind> kinds;  // by descriptor index
  std::uint32_t metric_count = 0;
  std::uint32_t histogram_count = 0;

  // ---- shards -------------------------------------------------------------------------------
  std::atomic<std::uint64_t> shard_bitmap{0};  // bit i: exclusive shard i is claimed
  std::mutex shared_ring_mutex;

  // ---- connection ---------------------------------------------------------------------------
  TimedMutex call_mutex;
  Session session;
  std::atomic<ConnectionState> state{ConnectionState::kDisconnected};
  std::atomic<std::uint32_t> public_slot{kMailboxSlot};  // session.slot for lock-free readers
  std::atomic<std::uint64_t> session_gen{0};             // bumped at every attach and drop
  std::atomic<std::uint64_t> next_seq{1};
  // Sent in every AttachRequest, never written to shared memory: proves a re-attach is ours
  // (the incarnation alone is public). New per probe instance and in a fork child.
  std::uint8_t reattach_secret[kReattachSecretSize] = {};
  std::uint64_t next_attempt_ns = 0;  // without the thread: backoff (under call_mutex)
  std::uint64_t backoff_ms = 10;
  std::vector<std::byte> response;  // response body buffer (under call_mutex)
  UniqueFd wake_fd;                 // eventfd: stop / session dropped
  std::thread connector;
  std::atomic<bool> stop{false};
  std::atomic<bool> connector_needed{false};  // set by fork: restart lazily
  // The agent's socket path, filled when the probe opens and in the parent before fork (the child
  // must not allocate), and the attach request sent when the probe opened or from the fork
  // handler (fork.cpp), whose reply the next attach_locked() reads (under call_mutex).
  char fork_socket_path[108] = {};
  UniqueFd pending_attach;
  std::mutex connector_mutex;

  // ---- commands (commands.cpp) ---------------------------------------------------------------
  CommandTable commands;
  std::mutex serve_mutex;                           // one serve_commands() at a time
  std::atomic<std::uint64_t> served_command_id{0};  // the last command id taken
  // True when the agent posted a command not taken yet (two loads; no system call).
  bool command_pending() const noexcept;
  // Takes a pending command, runs it and writes the reply; then wakes the agent through
  // `notify_fd` (the session socket or a duplicate; -1: none, the agent's tick finds the reply).
  // Runs without call_mutex, so a handler may make calls.
  void serve_commands(int notify_fd) noexcept;

  // ---- errors -------------------------------------------------------------------------------
  // last_error is the latest connection problem; a successful attach clears it. lasting_note
  // is a condition of this probe that no attach changes (its region was reduced to fit the
  // memory cgroup): error() shows it whenever there is no connection problem to show.
  mutable std::mutex error_mutex;
  std::string last_error;
  std::string lasting_note;

  // ---- live list (fork, thread-exit release) ------------------------------------------------
  ProbeCore* prev = nullptr;
  ProbeCore* next = nullptr;

  ClientStats& stats() { return header->stats; }
  void set_error(std::string message) noexcept;
  void set_lasting_note(std::string message) noexcept;
  std::string error() const;

  // Regions (data_region.cpp).
  bool init_region();
  const DataGeometry& geometry() const { return region.geometry(); }

  // Registration (registry.cpp). Returns the descriptor index or kNoMetric.
  static constexpr std::uint32_t kNoMetric = 0xFFFFFFFFu;
  // `labels` are validated and made canonical here; their bounds are opts' label-set bounds.
  std::uint32_t register_metric(std::string_view name, MetricKind kind, std::string_view unit,
                                std::span<const std::int64_t> upper_bounds,
                                std::uint32_t* histogram_index, std::span<const Label> labels = {});
  // register_metric's steps; each REQUIRES reg_mutex held.
  struct Refusal {
    bool labels;  // counted in label_sets_refused, else in drops_metric_table_full
    std::string why;
  };
  struct SeriesSpec {
    std::string_view name;
    MetricKind kind;
    std::string_view unit;
    std::string_view labels;  // canonical label text, empty for none
    std::uint32_t histogram;  // its histogram table index (histograms only)
  };
  // Descriptors one series takes: an event type takes its level descriptors with it (layout.hpp).
  static std::uint32_t series_slots(MetricKind kind) {
    return kind == MetricKind::kEvent ? 1 + kEventLevelCount : 1;
  }
  // Why a new series does not fit (metric table, histogram table, label-set bounds), or nullopt.
  std::optional<Refusal> room_for(std::string_view name, MetricKind kind, bool labelled);
  // Takes the next histogram table entry and writes its bounds (valid; empty: log-linear).
  std::uint32_t add_histogram(std::span<const std::int64_t> upper_bounds);
  // Writes the descriptor of a new series at `index` (and its event levels').
  void describe_series(std::uint32_t index, const SeriesSpec& spec);

  // Connection (session.cpp on the client library, connector.cpp).
  enum class AttachOutcome { kAttached, kNoAgent, kFull, kRefused, kFailed };
  AttachOutcome attach_locked();
  // The attach request for this process and region (memcpy only: safe in a fork handler).
  AttachRequest make_attach_request() const noexcept;
  // Connects to fork_socket_path and sends the attach request with `data_fd` without waiting
  // for the reply, which the next attach reads (pending_attach). The agent then holds the region
  // even if this process exits at once. A full backlog or a failed send is waited out and
  // retried for at most kHandoffWaitMs in all. System calls only (fork-handler safe).
  // Returns the socket, or -1 (no agent listens, or none took the request in time). (fork.cpp)
  static constexpr std::uint32_t kHandoffWaitMs = 1000;
  int send_attach_request(int data_fd) noexcept;
  // Sends the attach request with `data_fd` on the connected socket `s`; true when all of it went.
  bool send_attach_on(int s, int data_fd) noexcept;
  // Fills fork_socket_path with the instance's socket path (allocates: not in a fork handler).
  void remember_socket_path() noexcept;
  void drop_session_locked();
  bool attach_due_locked() const;
  void note_attach_outcome_locked(AttachOutcome outcome);
  using Reply = client::Reply;
  // Runs one mailbox session (call_mutex held, connected). The reply body lands in `response`.
  CallStatus session_locked(RequestType type, std::span<const std::byte> body, Reply& reply,
                            const std::function<void()>* while_holding = nullptr) noexcept;
  // Takes call_mutex (bounded) and ensures a session (attaching when due and no thread runs).
  // Returns kOk with the lock held in `lock`.
  CallStatus begin_call(std::unique_lock<TimedMutex>& lock) noexcept;
  // Restarts the connector after fork; true when it started one now.
  bool ensure_connector() noexcept;
  void start_connector() noexcept;
  void stop_connector() noexcept;
  void connector_main() noexcept;
  void wake_connector() noexcept;
};

// Live cores (fork handler, thread-exit shard release).
void register_live_core(ProbeCore* core);
void unregister_live_core(ProbeCore* core);
// Runs `fn(core)` under the live-list lock if `core` is live with `epoch`.
template <class Fn>
void with_live_core(ProbeCore* core, std::uint64_t epoch, Fn&& fn);
std::mutex& live_mutex();
ProbeCore* live_head();

template <class Fn>
void with_live_core(ProbeCore* core, std::uint64_t epoch, Fn&& fn) {
  std::lock_guard lock(live_mutex());
  for (ProbeCore* c = live_head(); c != nullptr; c = c->next) {
    if (c == core && c->epoch.load(std::memory_order_relaxed) == epoch) {
      fn(*c);
      return;
    }
  }
}

// Registers the pthread_atfork child handler once per process (fork.cpp).
void install_fork_handler() noexcept;

// A fresh non-zero epoch value (unique in the process).
std::uint64_t new_epoch() noexcept;
// 64 random bits (getrandom; falls back to clocks). Async-signal-safe.
std::uint64_t random_u64() noexcept;
// Fills a re-attach secret with 128 random bits (never all zero). Async-signal-safe.
void new_reattach_secret(std::uint8_t (&secret)[kReattachSecretSize]) noexcept;

}  // namespace shmon::detail
