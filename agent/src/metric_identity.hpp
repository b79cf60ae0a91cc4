// SPDX-License-Identifier: Apache-2.0
// A metric's identity across clients: its name, kind and label set (a series, keyed by its
// series key, shmon/labels.hpp). Clients that publish the same series mean the same metric only
// if they agree on what it is: its kind, its unit and, for histograms, its bucket bounds. Every
// series of one name is one metric family, so kind and unit also hold for the name across label
// sets. The first client that defines a name (a series) in this agent owns that definition for
// the agent's life, departed or not; a later client that publishes it with another definition is
// refused for that series: it is left out of every total (live and departed), counted on the
// client and agent-wide, listed with the client and logged with its name. The incumbent's values
// never change because of it.
//
// The table is bounded for the agent's LIFE (--max-series, docs/DESIGN.md "The series bound"):
// it holds every series a live client publishes and every series the departed totals keep,
// restored ones included (seed()), so restarts never add to the bound. A new series is refused
// (left out of every total, counted by cause, logged once per client) when
//   - the table is full (kFull);
//   - its client already publishes share() admitted series, whoever introduced them (kShare): no
//     single client uses up the others' budget, and a flooder that re-attaches after a restart
//     finds its share used by what it published before;
//   - the table is past max - reserve() and its client already publishes reserve_share()
//     series (kReserve): the last part of the table stays for small clients, so a well-behaved
//     app's new metric is accepted during a flood by many processes, and after it.
// Before refusing, series nobody holds any more are retired: no live client publishes them and
// their departed totals carry nothing (counter and event totals 0, histogram count 0, gauges,
// which count only while live). Retiring loses no accepted count; it forgets the series' identity
// (a later client may define it anew), its history and its zero row in the departed totals.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "aggregate.hpp"
#include "client.hpp"

namespace shmon::agent {

struct AgentContext;

struct MetricFamily {
  MetricKind kind = MetricKind::kCounter;
  std::string unit;
  std::string defined_by;
  std::string name;
  std::size_t series = 0;  // series of this name in the table
};

struct MetricIdentity {
  MetricKind kind = MetricKind::kCounter;
  std::string unit;
  std::vector<std::int64_t> bounds;  // histograms only
  std::string defined_by;            // the client that defined it first, for messages
  std::uint32_t live = 0;            // live clients that publish it (admitted)
};

class MetricIdentities {
 public:
  explicit MetricIdentities(std::size_t max_series = 10000) : max_series_(max_series) {}
  void set_max_series(std::size_t n) { max_series_ = n; }

  enum class Cause : std::uint8_t { kClash, kFull, kShare, kReserve };
  struct Refusal {
    std::string why;
    Cause cause = Cause::kClash;
    bool bound() const { return cause != Cause::kClash; }  // the series bound, not a clash
  };
  // The rule's figures for the current bound (see the header comment).
  std::size_t max_series() const { return max_series_; }
  std::size_t share() const { return std::max<std::size_t>(1, max_series_ / 2); }
  std::size_t reserve() const { return max_series_ / 10; }
  std::size_t reserve_share() const { return std::max<std::size_t>(1, max_series_ / 100); }
  // Decides every descriptor of `client` not decided yet (by index, in the order the client
  // published them) and records the outcome in client.admitted. Returns the sentences that
  // explain each refusal. REQUIRES: the table mutex.
  // A name this table has not seen but `departed` holds (restored from the state store after a
  // restart) is defined by the departed totals.
  // With `retire` (a departed set the table may retire from, see retire_unused) a refusal by the
  // bound first calls `before_retire` (which must admit every other live client, so that what
  // they publish counts as held), then retires unused series once; their keys are appended to
  // `*retired`.
  std::vector<Refusal> admit(Client& client, const Departed* departed = nullptr,
                             Departed* retire = nullptr,
                             std::vector<std::string>* retired = nullptr,
                             const std::function<void()>& before_retire = {});
  std::size_t size() const { return known_.size(); }
  // Counts every series of the departed totals (restored from the state store) as held, beyond
  // the bound if it must: they carry accepted counts. Call once the restore has folded.
  void seed(const Departed& departed);
  // `client` is leaving (after its fold): its series lose a live publisher, and the next refusal
  // by the bound first retires what nobody holds. REQUIRES: the table mutex; once per client.
  void release(Client& client);
  // Retires every series that no live client publishes and whose departed totals carry nothing
  // (removed from `departed` too). Returns their keys. REQUIRES: the table mutex.
  std::vector<std::string> retire_unused(Departed& departed);
  std::uint64_t retired_total() const { return retired_total_; }
  bool sweep_pending() const { return sweep_pending_; }
  std::size_t restored() const { return restored_; }
  // The metric families defined since the last call (name, kind, unit), in definition order:
  // the agent decides their exported names (export_owners.hpp) in that order.
  std::vector<MetricFamily> take_new_families() { return std::exchange(new_families_, {}); }

 private:
  // The family of `d.name`: known, or taken from the departed totals, or defined by `d`.
  const MetricFamily& family(const Descriptor& d, const std::string& by, const Departed* departed);
  // Why `client` may not add a new series now (kClash: it may).
  Cause no_room(const Client& client) const;
  void forget(std::map<std::string, MetricIdentity>::iterator it);
  std::size_t max_series_;
  std::size_t restored_ = 0;                      // series seeded from the departed totals at start
  std::uint64_t retired_total_ = 0;               // series retired since start
  bool sweep_pending_ = false;                    // a client left since the last retire_unused()
  std::map<std::string, MetricIdentity> known_;   // key: series key
  std::map<std::string, MetricFamily> families_;  // key: metric name
  std::vector<MetricFamily> new_families_;
};

// Admits the pending descriptors of every live client, in slot order, and counts and logs the
// clashes. Call before reading values for totals. REQUIRES: ctx.mu held.
void admit_metrics(AgentContext& ctx);
void admit_metrics(AgentContext& ctx, Client& client);
// Decides who exports metric family `metric` under its Prometheus name (export_owners.hpp):
// saves a new owner in the state store, logs a refusal once. REQUIRES: ctx.mu held (or start-up).
void decide_export_name(AgentContext& ctx, const std::string& metric, MetricKind kind,
                        const std::string& unit);
// `client` is leaving and was folded: its series lose a live publisher (MetricIdentities::
// release). REQUIRES: ctx.mu held.
void release_series_locked(AgentContext& ctx, Client& client);
// Drops the history and the zero departed rows (in the state store too) of retired series.
// REQUIRES: ctx.mu held.
void forget_series_locked(AgentContext& ctx, const std::vector<std::string>& retired);
// admit_metrics(ctx, client) as fold_client and collect_metrics take it.
AdmitFn admitter(AgentContext& ctx);

}  // namespace shmon::agent
