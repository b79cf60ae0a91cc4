#include "metric_identity.hpp"

#include <spdlog/spdlog.h>

#include "context.hpp"

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

std::vector<std::string> MetricIdentities::admit(Client& client, const Departed* departed) {
  std::vector<std::string> refusals;
  // Only the descriptors not decided yet: a client's table can hold thousands, and this runs on
  // every tick and query.
  for (const Descriptor& d : client.descriptors_from(client.admitted.size())) {
    if (!d.valid) {
      client.admitted.push_back(0);  // counted as a bad record already; never in totals
      continue;
    }
    auto [it, fresh] = known_.try_emplace(d.name);
    if (fresh && departed != nullptr) {
      const auto& folded = departed->totals().metrics;
      if (auto f = folded.find(d.name); f != folded.end()) {
        it->second = MetricIdentity{f->second.kind, f->second.unit, f->second.hist.bounds,
                                    "clients that departed before this agent started"};
        fresh = false;
      }
    }
    if (fresh) {
      it->second = MetricIdentity{d.kind, d.unit, d.bounds,
                                  client.name + " (pid " + std::to_string(client.pid) + ")"};
      client.admitted.push_back(1);
      continue;
    }
    const std::string why = difference(d, it->second);
    client.admitted.push_back(why.empty() ? 1 : 0);
    if (!why.empty()) {
      refusals.push_back("metric '" + d.name + "' published as " + why + " (defined first by " +
                         it->second.defined_by + ")");
      if (client.refused_metrics.size() < Client::kMaxListedRefusals) {
        client.refused_metrics.push_back(d.name);
      }
    }
  }
  return refusals;
}

void admit_metrics(AgentContext& ctx, Client& client) {
  client.refresh_descriptors();
  for (const std::string& why : ctx.identities.admit(client, &ctx.departed)) {
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

AdmitFn admitter(AgentContext& ctx) {
  return [&ctx](Client& client) { admit_metrics(ctx, client); };
}

void admit_metrics(AgentContext& ctx) {
  for (const auto& c : ctx.slots) {
    if (c) admit_metrics(ctx, *c);
  }
}

}  // namespace shmon::agent
