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

MetricIdentities::Cause MetricIdentities::no_room(const Client& client) const {
  const std::size_t held = known_.size();
  if (held >= max_series_) return Cause::kFull;
  if (client.series_held >= share()) return Cause::kShare;
  if (held + reserve() >= max_series_ && client.series_held >= reserve_share()) {
    return Cause::kReserve;
  }
  return Cause::kClash;
}

void MetricIdentities::seed(const Departed& departed) {
  for (const auto& [key, m] : departed.totals().metrics) {
    auto [it, fresh] = known_.try_emplace(
        key, MetricIdentity{m.kind, m.unit, m.hist.bounds,
                            "clients that departed before this agent started", 0});
    if (!fresh) continue;
    ++restored_;
    const std::string name(split_series_key(key).metric);
    auto [f, new_family] = families_.try_emplace(
        name,
        MetricFamily{m.kind, m.unit, "clients that departed before this agent started", name});
    ++f->second.series;
  }
  sweep_pending_ = true;  // restored series nobody holds may be retired when room is needed
}

void MetricIdentities::release(Client& client) {
  const std::vector<Descriptor> ds = client.descriptors_from(0);
  for (std::size_t i = 0; i < ds.size() && i < client.admitted.size(); ++i) {
    if (client.admitted[i] == 0) continue;
    if (auto it = known_.find(ds[i].key); it != known_.end() && it->second.live > 0) {
      --it->second.live;
    }
  }
  client.admitted.assign(client.admitted.size(), 0);  // released once, whatever calls again
  client.series_held = 0;
  sweep_pending_ = true;
}

void MetricIdentities::forget(std::map<std::string, MetricIdentity>::iterator it) {
  const std::string name(split_series_key(it->first).metric);
  if (auto f = families_.find(name); f != families_.end() && --f->second.series == 0) {
    families_.erase(f);  // a later client may define the name anew
  }
  known_.erase(it);
}

std::vector<std::string> MetricIdentities::retire_unused(Departed& departed) {
  sweep_pending_ = false;
  std::vector<std::string> out;
  for (auto it = known_.begin(); it != known_.end();) {
    if (it->second.live != 0 || !departed.carries_nothing(it->first)) {
      ++it;
      continue;
    }
    departed.retire(it->first);
    out.push_back(it->first);
    forget(it++);
  }
  retired_total_ += out.size();
  return out;
}

std::vector<MetricIdentities::Refusal> MetricIdentities::admit(
    Client& client, const Departed* departed, Departed* retire, std::vector<std::string>* retired,
    const std::function<void()>& before_retire) {
  std::vector<Refusal> refusals;
  const std::string me = client.name + " (pid " + std::to_string(client.pid) + ")";
  // Only the descriptors not decided yet: a client's table can hold thousands, and this runs on
  // every tick and query.
  for (const Descriptor& d : client.descriptors_from(client.admitted.size())) {
    if (!d.valid) {
      client.admitted.push_back(0);  // counted as a bad record already; never in totals
      continue;
    }
    const auto refuse = [&](std::string why, Cause cause) {
      client.admitted.push_back(0);
      refusals.push_back({std::move(why), cause});
      if (client.refused_metrics.size() < Client::kMaxListedRefusals) {
        client.refused_metrics.push_back(d.key);
      }
    };
    auto it = known_.find(d.key);
    if (it == known_.end()) {
      Cause cause = no_room(client);
      if (cause != Cause::kClash && sweep_pending_ && retire != nullptr) {
        // Room held by series nobody holds any more: retire them once, then decide again.
        if (before_retire) before_retire();
        auto gone = retire_unused(*retire);
        if (retired != nullptr) retired->insert(retired->end(), gone.begin(), gone.end());
        cause = no_room(client);
      }
      if (cause != Cause::kClash) {
        const std::string held = std::to_string(known_.size()) + " of " +
                                 std::to_string(max_series_) + " series (--max-series)";
        refuse("metric '" + d.key + "' refused: " +
                   (cause == Cause::kFull ? "the agent holds " + held + " for its life"
                    : cause == Cause::kShare
                        ? "this client publishes its share of " + std::to_string(share()) +
                              " series; the agent holds " + held
                        : "the agent holds " + held + "; the last " + std::to_string(reserve()) +
                              " are kept for clients that publish fewer than " +
                              std::to_string(reserve_share())),
               cause);
        continue;
      }
      // A new series joins its family: kind and unit hold for every label set of a name.
      const MetricFamily& fam = family(d, me, departed);
      if (fam.kind != d.kind || fam.unit != d.unit) {
        const MetricIdentity as_family{fam.kind, fam.unit, d.bounds, fam.defined_by};
        refuse("metric '" + d.key + "' published as " + difference(d, as_family) +
                   " (defined first by " + fam.defined_by + ")",
               Cause::kClash);
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
      ++families_[d.name].series;
    }
    const std::string why = difference(d, it->second);
    if (!why.empty()) {
      refuse("metric '" + d.key + "' published as " + why + " (defined first by " +
                 it->second.defined_by + ")",
             Cause::kClash);
      continue;
    }
    ++it->second.live;
    ++client.series_held;
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

void forget_series_locked(AgentContext& ctx, const std::vector<std::string>& retired) {
  if (retired.empty()) return;
  for (const std::string& key : retired) {
    ctx.history.erase(key);
    ctx.bucket_history.erase(key);
  }
  if (ctx.store) ctx.store->save_totals(ctx.departed.totals());  // their zero rows go too
  spdlog::info(
      "retired {} series that no live client publishes and whose departed totals carry nothing "
      "(the agent now holds {} of {})",
      retired.size(), ctx.identities.size(), ctx.options.max_series);
}

namespace {

void admit_one(AgentContext& ctx, Client& client, bool may_retire) {
  client.refresh_descriptors();
  std::vector<std::string> retired;
  // Before a retirement every other live client's series must count as published (one that
  // re-attached after a restart has its departed totals unfolded to 0 until it is admitted).
  const auto admit_others = [&ctx, &client] {
    for (const auto& c : ctx.slots) {
      if (c && c.get() != &client) admit_one(ctx, *c, false);
    }
  };
  const auto refusals = ctx.identities.admit(
      client, &ctx.departed, may_retire ? &ctx.departed : nullptr, &retired, admit_others);
  forget_series_locked(ctx, retired);
  for (const MetricFamily& f : ctx.identities.take_new_families()) {
    decide_export_name(ctx, f.name, f.kind, f.unit);
  }
  for (const auto& [why, cause] : refusals) {
    if (cause != MetricIdentities::Cause::kClash) {
      // The bound: counted by cause, logged once per client (a flood refuses thousands).
      ctx.hostile.series_refused.fetch_add(1, std::memory_order_relaxed);
      ctx.hostile.series_refused_by[std::size_t(cause) - 1].fetch_add(1, std::memory_order_relaxed);
      if (client.series_refused++ == 0) {
        spdlog::warn(
            "client {} (pid {}): {}; its values are left out of every total, and further series "
            "this client is refused are counted, not logged",
            client.name, client.pid, why);
      }
      continue;
    }
    const std::uint64_t n = client.metric_clashes.fetch_add(1, std::memory_order_relaxed) + 1;
    ctx.hostile.metric_clashes.fetch_add(1, std::memory_order_relaxed);
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

}  // namespace

void admit_metrics(AgentContext& ctx, Client& client) {
  admit_one(ctx, client, true);
}

void release_series_locked(AgentContext& ctx, Client& client) {
  ctx.identities.release(client);
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
