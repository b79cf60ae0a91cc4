// SPDX-License-Identifier: Apache-2.0
// The agent's state store: what only the agent holds, kept in the state directory so that an
// agent killed at any instant restarts with exactly what it had acknowledged.
//
//   state.db    SQLite (WAL, synchronous=NORMAL): departed totals, tombstones, a snapshot of
//               every live client, event sources, history points, the agent's statistics.
//               Each write is one transaction, committed before the agent acknowledges what it
//               covers; a commit survives a process crash at once and a power cut after sync().
//   events.log  the event log's mapped file (event_log_file.hpp).
//
// Threads: every method is thread-safe (one mutex around the connection). A write that fails
// (full disk, I/O error) is reported loudly (rate-limited), counted in write_errors and returns
// false (the caller then does not acknowledge what it covered); the store is marked behind()
// and the agent rewrites everything it holds in memory with resync() until that succeeds.
//
// Bad state is only bad CONTENT (unreadable, truncated, corrupt, foreign format/ABI/uid/instance,
// or an event log of another state id): it is moved aside as NAME.bad-<UTC timestamp>, counted
// in bad_files and logged with the file's name; the store starts fresh. It never mixes two
// histories. A file that cannot be read or written because of the storage (ENOSPC, EIO, EDQUOT,
// SQLITE_FULL/IOERR, ...) is never moved aside: open() fails with kStorage and the caller retries.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aggregate.hpp"
#include "event_log.hpp"
#include "event_log_file.hpp"

struct sqlite3;

namespace shmon::agent {

inline constexpr std::uint32_t kStateFormat = 1;

// One live client as last written: enough to fold it if it never comes back after a crash.
struct LiveSnapshot {
  std::uint64_t incarnation = 0;
  std::string secret;  // ReattachKey::encode(): the re-attach secret and uid
  pid_t pid = 0;
  std::uint64_t start_time = 0;  // process start time (clock ticks after boot, /proc/PID/stat)
  std::string name;
  Folded values;                     // events_received = sum of tails, drops
  std::vector<std::uint64_t> tails;  // per shard
};

struct StoredTombstone {
  std::uint64_t incarnation = 0;
  std::string secret;
  Folded folded;
};

struct HistoryPoint {
  std::string name;
  std::string kind;
  double t = 0;
  double value = 0;
};

struct LoadedState {
  Folded totals;
  std::vector<StoredTombstone> tombstones;  // oldest first
  std::vector<LiveSnapshot> live;
  std::vector<EventSourcePtr> sources;
  std::uint32_t max_source_id = 0;
  std::vector<HistoryPoint> history;  // oldest first
  std::map<std::string, std::uint64_t> stats;
  std::map<std::string, std::string> export_owners;  // exported name -> app metric name
};

struct StateInfo {
  std::string dir;
  std::uint64_t bytes = 0;
  std::uint64_t last_commit_realtime_ns = 0;  // durable against a process crash
  std::uint64_t last_sync_realtime_ns = 0;    // durable against a power cut
  std::uint64_t bad_files = 0;
  std::uint64_t write_errors = 0;
  std::string last_error;
  bool event_log_durable = false;
};

// Why open() failed: the storage (full disk, I/O error: worth retrying, nothing is moved aside)
// or a directory that cannot be used (permissions, read-only file system: retrying will not help).
enum class OpenFailure { kNone, kStorage, kUnusable };

class StateStore {
 public:
  // Opens the store in `dir` (REQUIRES: prepared and checked by prepare_private_dir), moving
  // files with bad content aside. Returns nullptr with `*error` and `*failure` set when the
  // storage fails (kStorage: retry later) or the directory cannot be used (kUnusable); files are
  // left as they are in both cases. The event log is opened (and fully allocated) too.
  static std::unique_ptr<StateStore> open(const std::string& dir, const std::string& instance,
                                          std::uint64_t event_log_records, std::string* error,
                                          OpenFailure* failure);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // What open() read (moved out once).
  LoadedState take_loaded() { return std::move(loaded_); }
  // The event log file (invalid when it could not be created); moved out once.
  EventLogFile take_event_log() { return std::move(event_log_); }
  const std::string& log_error() const { return log_error_; }
  std::uint64_t state_id() const { return state_id_; }

  // Saves a source the event log starts keeping (its sink).
  bool save_source(const EventSource& s);
  // A client departed: its tombstone and the new totals in, its live snapshot out (one
  // transaction); `evicted` is a tombstone the in-memory LRU forgot.
  bool fold(std::uint64_t incarnation, const std::string& secret, const Folded& stone,
            const Folded& totals, std::optional<std::uint64_t> evicted);
  // A client without a tombstone departed: the new totals only.
  bool save_totals(const Folded& totals);
  // A client re-attached: its tombstone out, the new totals and its snapshot (if any) in.
  bool unfold(std::uint64_t incarnation, const Folded& totals, const LiveSnapshot* live);
  bool save_live(const std::vector<LiveSnapshot>& snapshots);
  bool save_history(const std::vector<HistoryPoint>& points, double drop_before_t);
  bool save_stats(const std::map<std::string, std::uint64_t>& stats);
  // The first metric to map to an exported Prometheus name owns it (export_owners.hpp); an
  // owner once saved is never replaced.
  bool save_export_owner(const std::string& exported, const std::string& metric);
  // Forgets sources no longer referenced: keeps `keep` (the log's, read before this call) and
  // every source saved since the previous prune (saved after `keep` was read).
  bool prune_sources(const std::vector<std::uint32_t>& keep);
  // Makes everything committed so far durable against a power cut: WAL checkpoint (fsync) and
  // msync of the event log.
  void sync(const EventLog& log);
  // True after a write failed and before a resync() succeeded: the store holds less than memory.
  bool behind() const;
  // Rewrites the departed totals, every tombstone (oldest first) and every live snapshot in one
  // transaction, replacing what the store held; clears behind() on success.
  bool resync(const Folded& totals, const std::vector<StoredTombstone>& oldest_first,
              const std::vector<LiveSnapshot>& live);
  StateInfo info() const;

 private:
  StateStore() = default;
  // Empty when usable; else why, with *storage true when the cause is the storage.
  std::string open_db(const std::string& path, const std::string& instance, bool* storage);
  std::string db_error(bool* storage) const;
  std::string load_all(bool* storage);
  bool exec_locked(const char* sql);
  bool write_failed_locked(const std::string& what);
  bool commit_locked(const char* what);
  bool insert_live_locked(const LiveSnapshot& s);
  void close_db();
  void quarantine(const std::string& path, const std::string& why);

  mutable std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::string dir_;
  std::uint64_t state_id_ = 0;
  bool fresh_ = false;
  bool fresh_created_ = false;  // open_db created state.db and it holds no schema yet
  LoadedState loaded_;
  EventLogFile event_log_;
  std::string log_error_;
  std::uint64_t next_ord_ = 1;  // tombstone order (LRU position)
  StateInfo info_;
  std::uint64_t last_error_log_ns_ = 0;
  std::vector<std::uint32_t> saved_since_prune_;
  bool behind_ = false;
};

}  // namespace shmon::agent
