// SPDX-License-Identifier: Apache-2.0
// A metric's identity across clients: its name, kind and label set (a series, keyed by its
// series key, shmon/labels.hpp). Clients that publish the same series mean the same metric only
// if they agree on what it is: its kind, its unit and, for histograms, its bucket bounds. Every
// series of one name is one metric family, so kind and unit also hold for the name across label
// sets. The first client that defines a name (a series) in this agent owns that definition for
// the agent's life, departed or not; a later client that publishes it with another definition is
// refused for that series: it is left out of every total (live and departed), counted on the
// client and agent-wide, listed with the client and logged with its name. The incumbent's values
// never change because of it. The table is bounded (--max-series): a new series past the bound
// is refused the same way, so a client inventing label values cannot grow the agent unbounded.
#pragma once

#include <cstdint>
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
};

struct MetricIdentity {
  MetricKind kind = MetricKind::kCounter;
  std::string unit;
  std::vector<std::int64_t> bounds;  // histograms only
  std::string defined_by;            // the client that defined it first, for messages
};

class MetricIdentities {
 public:
  explicit MetricIdentities(std::size_t max_series = 10000) : max_series_(max_series) {}
  void set_max_series(std::size_t n) { max_series_ = n; }

  struct Refusal {
    std::string why;
    bool table_full = false;  // the series bound, not a clash
  };
  // Decides every descriptor of `client` not decided yet (by index, in the order the client
  // published them) and records the outcome in client.admitted. Returns the sentences that
  // explain each refusal. REQUIRES: the table mutex.
  // A name this table has not seen but `departed` holds (restored from the state store after a
  // restart) is defined by the departed totals.
  std::vector<Refusal> admit(Client& client, const Departed* departed = nullptr);
  std::size_t size() const { return known_.size(); }
  // The metric families defined since the last call (name, kind, unit), in definition order:
  // the agent decides their exported names (export_owners.hpp) in that order.
  std::vector<MetricFamily> take_new_families() { return std::exchange(new_families_, {}); }

 private:
  // The family of `d.name`: known, or taken from the departed totals, or defined by `d`.
  const MetricFamily& family(const Descriptor& d, const std::string& by, const Departed* departed);
  std::size_t max_series_;
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
// admit_metrics(ctx, client) as fold_client and collect_metrics take it.
AdmitFn admitter(AgentContext& ctx);

}  // namespace shmon::agent
