// SPDX-License-Identifier: Apache-2.0
// Per-client work per query is bounded, so a big region slows only its own client (issue 12).
//
// A query, the history sample and the periodic state snapshot read client values while holding
// the agent's table mutex (ctx.mu), which every query, attach and tick also needs. A maximal legal
// region has 64 shards of 4096 cells and 256 histograms of 512 buckets: reading all of it touches
// about 8.7 million cells (70 MB), so a few such clients used to make every query time out.
//
// The bound: a client whose full read costs more than kLiveReadCells cells is "big", and those
// sections use its latest value snapshot instead of reading it. The snapshot thread refreshes
// each big client's snapshot outside every lock another client needs, at most once per
// kSnapshotPeriodNs, and rests three times as long as it read, so all of it together uses at
// most a quarter of a core. A small client is read live, exact and fresh as before; so is any
// client when the query names one metric (only that metric's cells are read). Answers mark the
// values that come from a snapshot (docs/QUERIES.md: "stale", "age_ms").
//
// Exact reads stay where exactness is promised, each at most once per event of that client:
// departure (fold), attach, and the state snapshot taken before its own flush or submit is
// answered.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "context.hpp"

namespace shmon::agent {

// About 512 KiB of cells: a client with the default capacities (about 19,000 cells when every
// metric slot is used) is always read live.
inline constexpr std::uint64_t kLiveReadCells = 1u << 16;
inline constexpr std::uint64_t kSnapshotPeriodNs = 1'000'000'000;
// A big client's periodic state-store snapshot (persistence.hpp) is written at most this often.
inline constexpr std::uint64_t kBigPersistPeriodNs = 10'000'000'000;

// Whether `c`'s full read exceeds the live budget (its descriptors refreshed first).
bool is_big(Client& c);

// A live read when it costs at most kLiveReadCells, or when `only` names a metric (its cells
// alone are read); else the latest snapshot. A big client without one yet (it grew past the
// budget since the snapshot thread last looked) is read live this once, and that read becomes its
// first snapshot.
ClientValues bounded_values(Client& c, std::string_view only = {});

// The thread that keeps big clients' snapshots fresh.
class SnapshotThread {
 public:
  explicit SnapshotThread(AgentContext& ctx) : ctx_(ctx) {}
  ~SnapshotThread() { join(); }
  void start();
  // Wakes the thread; it exits once ctx.stop is set.
  void wake();
  void join();

 private:
  void run();
  // Reads the big client whose snapshot is oldest, if one is due. Returns the nanoseconds spent
  // reading (0: none was due).
  std::uint64_t refresh_one();

  AgentContext& ctx_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace shmon::agent
