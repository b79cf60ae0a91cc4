// SPDX-License-Identifier: Apache-2.0
#include "metric_identity.hpp"

#include <spdlog/spdlog.h>

#include "context.hpp"
#include "export_owners.hpp"
#include "shmon/labels.hpp"
#include "state_store.hpp"

namespace shmon::agent {

namespace {

constexpr std::uint64_t kLoggedClashesPerClient = 8;

// Why `d` is not the metric `known` defines; empty when it is.
std::string difference(const Descriptor& d, const MetricIdentity& known) {
  if (d.kind != known.kind) {
    return std::string("a ") + to_string(d.kind) + ", but it is a " + to_string(known.kind);
  }
  if (d.unit != known.unit) return "with another unit";
  if (d.kind == MetricKind::kHistogram && d.bounds != known.bounds) {
    return "with other bucket bounds";
  }
  return {};
}

}  // namespace

const MetricFamily& MetricIdentities::family(const Descriptor& d, const std::string& by,
                                             const Departed* departed) {
  auto [it, fresh] = families_.try_emplace(d.name);
  if (!fresh) return it->second;
  it->second = MetricFamily{d.kind, d.unit, by, d.name};
  if (departed != nullptr) {
    // Any departed series of this name defines the family: the bare name, or name{...}.
    const auto& folded = departed->totals().metrics;
    auto f = folded.find(d.name);
    if (f == folded.end()) {
      f = folded.lower_bound(d.name + "{");
      if (f != folded.end() && split_series_key(f->first).metric != d.name) f = folded.end();
    }
    if (f != folded.end()) {
      it->second = MetricFamily{f->second.kind, f->second.unit,
                                "clients that departed before this agent started", d.name};
    }
  }
  new_families_.push_back(it->second);
  return it->second;
}

std::vector<MetricIdentities::Refusal> MetricIdentities::admit(Client& client,
                                                               const Departed* departed) {
  std::vector<Refusal> refusals;
  const std::string me = client.name + " (pid " + std::to_string(client.pid) + ")";
  // Only the descriptors not decided yet: a client's table can hold thousands, and this runs on
  // every tick and query.
  for (const Descriptor& d : client.descriptors_from(client.admitted.size())) {
    if (!d.valid) {
      client.admitted.push_back(0);  // counted as a bad record already; never in totals
      continue;
    }
    const auto refuse = [&](std::string why, bool table_full) {
      client.admitted.push_back(0);
      refusals.push_back({std::move(why), table_full});
      if (client.refused_metrics.size() < Client::kMaxListedRefusals) {
        client.refused_metrics.push_back(d.key);
      }
    };
    auto it = known_.find(d.key);
    if (it == known_.end()) {
      if (known_.size() >= max_series_) {
        refuse("metric '" + d.key + "' refused: the agent keeps " + std::to_string(max_series_) +
                   " series already (--max-series)",
               true);
        continue;
      }
      // A new series joins its family: kind and unit hold for every label set of a name.
      const MetricFamily& fam = family(d, me, departed);
      if (fam.kind != d.kind || fam.unit != d.unit) {
        const MetricIdentity as_family{fam.kind, fam.unit, d.bounds, fam.defined_by};
        refuse("metric '" + d.key + "' published as " + difference(d, as_family) +
                   " (defined first by " + fam.defined_by + ")",
               false);
        continue;
      }
      MetricIdentity identity{d.kind, d.unit, d.bounds, me};
      if (departed != nullptr) {
        const auto& folded = departed->totals().metrics;
        if (auto f = folded.find(d.key); f != folded.end()) {
          identity = MetricIdentity{f->second.kind, f->second.unit, f->second.hist.bounds,
                                    "clients that departed before this agent started"};
        }
      }
      it = known_.emplace(d.key, std::move(identity)).first;
    }
    const std::string why = difference(d, it->second);
    if (!why.empty()) {
      refuse("metric '" + d.key + "' published as " + why + " (defined first by " +
                 it->second.defined_by + ")",
             false);
      continue;
    }
    client.admitted.push_back(1);
  }
  return refusals;
}

void decide_export_name(AgentContext& ctx, const std::string& metric, MetricKind kind,
                        const std::string& unit) {
  const ExportOwners::Decision d = ctx.export_owners.decide(metric, kind, unit);
  if (d.outcome == ExportOwners::Outcome::kClaimed && ctx.store) {
    ctx.store->save_export_owner(d.exported, metric);
  } else if (d.outcome == ExportOwners::Outcome::kRefused && d.first) {
    spdlog::warn(
        "metric '{}' is not exported to Prometheus: its exported name {} belongs to metric '{}', "
        "which defined it first (kept across restarts)",
        metric, d.exported, d.owner);
  }
}

void admit_metrics(AgentContext& ctx, Client& client) {
  client.refresh_descriptors();
  const auto refusals = ctx.identities.admit(client, &ctx.departed);
  for (const MetricFamily& f : ctx.identities.take_new_families()) {
    decide_export_name(ctx, f.name, f.kind, f.unit);
  }
  for (const auto& [why, table_full] : refusals) {
    const std::uint64_t n = client.metric_clashes.fetch_add(1, std::memory_order_relaxed) + 1;
    (table_full ? ctx.hostile.series_refused : ctx.hostile.metric_clashes)
        .fetch_add(1, std::memory_order_relaxed);
    // A client can publish thousands of names: the first few are logged, the rest counted.
    if (n <= kLoggedClashesPerClient) {
      spdlog::warn("client {} (pid {}): {}; its values are left out of every total", client.name,
                   client.pid, why);
    } else if (n == kLoggedClashesPerClient + 1) {
      spdlog::warn("client {} (pid {}): further metric clashes are counted, not logged",
                   client.name, client.pid);
    }
  }
}

AdmitFn admitter(AgentContext& ctx) {
  return [&ctx](Client& client) { admit_metrics(ctx, client); };
}

void admit_metrics(AgentContext& ctx) {
  for (const auto& c : ctx.slots) {
    if (c) admit_metrics(ctx, *c);
  }
}

}  // namespace shmon::agent
