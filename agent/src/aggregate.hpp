// SPDX-License-Identifier: Apache-2.0
// Totals across clients: the departed totals (values folded from clients that left), their
// tombstones (so a re-attaching incarnation is not counted twice) and the per-name view of every
// metric that queries and history use.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "client.hpp"

namespace shmon::agent {

struct FoldedMetric {
  MetricKind kind = MetricKind::kCounter;
  std::string unit;
  std::uint64_t total = 0;  // counters and event types
  HistogramValue hist;
};

// What a client contributed when it left (gauges keep their name with a zero total: a gauge
// counts only while its client is live).
struct Folded {
  std::map<std::string, FoldedMetric> metrics;
  std::uint64_t events_received = 0;
  std::uint64_t drops = 0;
};

// Decides the identity of every descriptor a client has published so far (metric_identity.hpp);
// the agent passes admit_metrics bound to its context.
using AdmitFn = std::function<void(Client&)>;

// How a reader gets one client's values (value_snapshots.hpp's bounded_values for queries and
// history); empty: a full live read.
using ReadFn = std::function<ClientValues(Client&)>;

// Folds values read from `client` (call with the table mutex held); fold_client reads them.
Folded fold_values(Client& client, const std::map<std::uint32_t, MetricValue>& values,
                   std::uint64_t& bad, const AdmitFn& admit = {});

// Reads a client's final values (call with the table mutex held). With `admit`, the descriptors
// read with the values are admitted first and only admitted metrics count (without: all count,
// for callers that check no identities). `bad` counts metrics whose kind or histogram bounds
// clash with another metric of the same name in this client.
Folded fold_client(Client& client, std::uint64_t& bad, const AdmitFn& admit = {});

class Departed {
 public:
  static constexpr std::size_t kMaxTombstones = 4096;

  // Adds `f` to the totals and remembers it under `key.incarnation` (a key that is not bound()
  // leaves no tombstone: nobody can prove to be that client). Returns how many metrics could not
  // be folded (kind clash or histogram bounds that differ from what is already folded).
  // `evicted` (optional) receives the incarnation whose tombstone the LRU forgot, if any.
  // REQUIRES: at most one bound key per incarnation (attach unbinds a client that claimed an
  // incarnation it could not prove).
  std::uint64_t fold(const ReattachKey& key, const Folded& f,
                     std::optional<std::uint64_t>* evicted = nullptr);
  // The tombstone of `incarnation` (what it contributed), or nullptr.
  const Folded* stone(std::uint64_t incarnation) const;
  // Replaces everything with what the state store held: `totals` and the tombstones, oldest
  // first.
  void restore(const Folded& totals, std::vector<std::pair<ReattachKey, Folded>> oldest_first);
  enum class Unfold {
    kNone,      // no tombstone carries this incarnation
    kUnfolded,  // the tombstone of `key` was subtracted from the totals and forgotten
    kMismatch,  // a tombstone carries the incarnation but `key` does not prove it: left alone
  };
  Unfold unfold(const ReattachKey& key);
  const Folded& totals() const { return totals_; }
  // Whether the totals of series `key` carry no accepted count (absent, a counter or event type
  // at 0, a histogram without observations, or a gauge: a gauge counts only while live).
  bool carries_nothing(const std::string& key) const;
  // Forgets series `key` when it carries nothing (metric_identity.hpp's retirement); tombstones
  // keep no zero entries (add()), so an unfold never brings it back.
  void retire(const std::string& key);
  std::size_t tombstones() const { return index_.size(); }
  // Calls f(key, folded) for every tombstone, oldest first (as restore() takes them).
  template <class F>
  void for_each_stone_oldest_first(F&& f) const {
    for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) {
      auto key = keys_.find(it->first);
      f(key != keys_.end() ? key->second : ReattachKey{it->first, {}, 0}, it->second);
    }
  }

 private:
  std::uint64_t add(const Folded& f, Folded* accepted);
  Folded totals_;
  std::list<std::pair<std::uint64_t, Folded>> lru_;  // front = newest
  std::unordered_map<std::uint64_t, std::list<std::pair<std::uint64_t, Folded>>::iterator> index_;
  std::unordered_map<std::uint64_t, ReattachKey> keys_;  // who may unfold each stone
};

struct ClientMetricValue {
  std::uint32_t slot;
  std::string name;
  pid_t pid;
  double value;
  HistogramValue hist;        // histograms, only when collect_metrics_unlocked was asked to keep it
  bool stale = false;         // from the client's value snapshot (value_snapshots.hpp)
  std::uint64_t read_ns = 0;  // monotonic time of the read the value comes from
};

struct MetricAggregate {
  MetricKind kind = MetricKind::kCounter;
  std::string unit;
  std::uint64_t total = 0;  // counters / events: live + departed
  double gauge_total = 0;   // gauges: sum over live clients
  HistogramValue hist;      // histograms: live + departed
  std::uint64_t departed_total = 0;
  std::uint32_t live_clients = 0;
  std::vector<ClientMetricValue> clients;
  const void* last_counted = nullptr;  // while collecting: the client live_clients counted last
};

// Every metric name across the given live clients and the departed totals. Call with the table
// mutex held. With `admit` (as in fold_client), metrics refused for their identity are left out.
// `bad` counts clashes (kind or bounds) that were left out. `read` gets each client's values.
std::map<std::string, MetricAggregate> collect_metrics(
    const std::vector<std::shared_ptr<Client>>& live, const Departed& departed, std::uint64_t& bad,
    const AdmitFn& admit = {}, const ReadFn& read = {});

// A live client as a reader outside the table mutex sees it: the client (its region stays mapped
// while held) and which descriptors were admitted when the snapshot was taken (indices past the
// end count as refused until the next snapshot decides them).
struct LiveClientView {
  std::shared_ptr<Client> client;
  std::vector<std::uint8_t> admitted;
};

// collect_metrics without the table mutex: the departed totals and the admissions were copied
// under it, the values are read here (Client::read_values is thread-safe). Only with
// `per_client` is MetricAggregate::clients filled, histograms included (a scrape of totals does
// not need it).
std::map<std::string, MetricAggregate> collect_metrics_unlocked(
    const std::vector<LiveClientView>& live, const Folded& departed_totals, std::uint64_t& bad,
    bool per_client = false);

}  // namespace shmon::agent
