// SPDX-License-Identifier: Apache-2.0
#include "aggregate.hpp"

#include "shmon/clock.hpp"
#include "value_snapshots.hpp"

namespace shmon::agent {

Folded fold_client(Client& client, std::uint64_t& bad, const AdmitFn& admit) {
  return fold_values(client, client.read_values(), bad, admit);
}

Folded fold_values(Client& client, const std::map<std::uint32_t, MetricValue>& values,
                   std::uint64_t& bad, const AdmitFn& admit) {
  Folded f;
  if (admit) admit(client);  // after the read: every descriptor read with the values is decided
  // Gauges fold with total 0: the name stays, the value goes.
  for (const auto& [index, value] : values) {
    // A metric refused for its identity (metric_identity.hpp) never folds: the incumbent's
    // departed totals stay.
    if (admit && !client.metric_admitted(index)) continue;
    auto [it, fresh] = f.metrics.try_emplace(value.name);
    FoldedMetric& m = it->second;
    if (fresh) {
      m.kind = value.kind;
      m.unit = value.unit;
    } else if (m.kind != value.kind) {
      ++bad;
      continue;
    }
    m.total += value.total;
    if (value.kind == MetricKind::kHistogram && !m.hist.merge(value.hist)) ++bad;
  }
  f.events_received = client.received_credit.load(std::memory_order_relaxed);
  f.drops = client.credited_drops();
  return f;
}

std::uint64_t Departed::add(const Folded& f, Folded* accepted) {
  std::uint64_t bad = 0;
  for (const auto& [name, m] : f.metrics) {
    auto [it, fresh] = totals_.metrics.try_emplace(name, FoldedMetric{m.kind, m.unit, 0, {}});
    FoldedMetric& t = it->second;
    if (!fresh && t.kind != m.kind) {
      ++bad;
      continue;
    }
    if (m.kind == MetricKind::kHistogram && !t.hist.merge(m.hist)) {
      ++bad;
      continue;
    }
    t.total += m.total;
    // A tombstone keeps what an unfold must subtract: a zero entry subtracts nothing, and would
    // keep a retired series (metric_identity.hpp) alive in every stone of a label flood.
    if (m.total != 0 || m.hist.count != 0) accepted->metrics.emplace(name, m);
  }
  totals_.events_received += f.events_received;
  totals_.drops += f.drops;
  accepted->events_received = f.events_received;
  accepted->drops = f.drops;
  return bad;
}

std::uint64_t Departed::fold(const ReattachKey& key, const Folded& f,
                             std::optional<std::uint64_t>* evicted) {
  Folded accepted;
  const std::uint64_t bad = add(f, &accepted);
  if (!key.bound()) return bad;
  const std::uint64_t incarnation = key.incarnation;
  keys_[incarnation] = key;
  if (auto it = index_.find(incarnation); it != index_.end()) {
    // Should not happen (a re-attach unfolds first); keep both contributions under one stone.
    Folded& old = it->second->second;
    for (auto& [name, m] : accepted.metrics) {
      auto [o, fresh] = old.metrics.try_emplace(name, m);
      if (!fresh) {
        o->second.total += m.total;
        o->second.hist.merge(m.hist);
      }
    }
    old.events_received += accepted.events_received;
    old.drops += accepted.drops;
    lru_.splice(lru_.begin(), lru_, it->second);
    return bad;
  }
  lru_.emplace_front(incarnation, std::move(accepted));
  index_[incarnation] = lru_.begin();
  if (lru_.size() > kMaxTombstones) {
    // The oldest stone is forgotten: its values stay folded, a very late re-attach would
    // count twice. 4096 departed incarnations is far beyond a realistic reconnect window.
    if (evicted != nullptr) *evicted = lru_.back().first;
    keys_.erase(lru_.back().first);
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
  return bad;
}

bool Departed::carries_nothing(const std::string& key) const {
  auto it = totals_.metrics.find(key);
  if (it == totals_.metrics.end()) return true;
  const FoldedMetric& m = it->second;
  switch (m.kind) {
    case MetricKind::kGauge:
      return true;
    case MetricKind::kHistogram:
      return m.hist.count == 0;
    default:
      return m.total == 0;
  }
}

void Departed::retire(const std::string& key) {
  if (carries_nothing(key)) totals_.metrics.erase(key);
}

const Folded* Departed::stone(std::uint64_t incarnation) const {
  auto it = index_.find(incarnation);
  return it == index_.end() ? nullptr : &it->second->second;
}

void Departed::restore(const Folded& totals,
                       std::vector<std::pair<ReattachKey, Folded>> oldest_first) {
  totals_ = totals;
  lru_.clear();
  index_.clear();
  keys_.clear();
  for (auto& [key, f] : oldest_first) {
    if (!key.bound() || index_.count(key.incarnation) != 0) continue;
    lru_.emplace_front(key.incarnation, std::move(f));
    index_[key.incarnation] = lru_.begin();
    keys_[key.incarnation] = key;
  }
  while (lru_.size() > kMaxTombstones) {
    keys_.erase(lru_.back().first);
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

Departed::Unfold Departed::unfold(const ReattachKey& key) {
  auto it = index_.find(key.incarnation);
  if (it == index_.end()) return Unfold::kNone;
  if (!key.proves(keys_[key.incarnation])) return Unfold::kMismatch;
  const Folded& f = it->second->second;
  for (const auto& [name, m] : f.metrics) {
    auto t = totals_.metrics.find(name);
    if (t == totals_.metrics.end()) continue;
    t->second.total -= m.total;
    if (m.kind == MetricKind::kHistogram) t->second.hist.subtract(m.hist);
  }
  totals_.events_received -= f.events_received;
  totals_.drops -= f.drops;
  lru_.erase(it->second);
  index_.erase(it);
  keys_.erase(key.incarnation);
  return Unfold::kUnfolded;
}

namespace {

ClientValues read_now(Client& c) {
  auto s = std::make_shared<ValueSnapshot>();
  s->read_ns = monotonic_ns();
  s->values = c.read_values();
  return {std::move(s), false};
}

void add_departed(std::map<std::string, MetricAggregate>& out, const Folded& totals) {
  for (const auto& [name, m] : totals.metrics) {
    MetricAggregate& a = out[name];
    a.kind = m.kind;
    a.unit = m.unit;
    a.total = m.total;
    a.departed_total = m.kind == MetricKind::kHistogram ? m.hist.count : m.total;
    a.hist = m.hist;
  }
}

enum class Detail { kTotals, kClients, kClientsWithHistograms };

// Adds one live client's values; `admitted(index)` says which descriptors count. `detail` says
// whether MetricAggregate::clients is filled (a scrape of totals only does not need it).
template <class Admitted>
void add_live(std::map<std::string, MetricAggregate>& out, const Client& c, const ClientValues& got,
              Admitted&& admitted, std::uint64_t& bad, Detail detail) {
  for (const auto& [index, v] : got.snapshot->values) {
    if (!admitted(index)) continue;  // refused: another metric's name
    auto [it, fresh] = out.try_emplace(v.name);
    MetricAggregate& a = it->second;
    if (fresh) {
      a.kind = v.kind;
      a.unit = v.unit;
    } else if (a.kind != v.kind) {
      ++bad;
      continue;
    }
    double value = 0;
    switch (v.kind) {
      case MetricKind::kCounter:
      case MetricKind::kEvent:
        a.total += v.total;
        value = double(v.total);
        break;
      case MetricKind::kGauge:
        a.gauge_total += v.gauge;
        value = v.gauge;
        break;
      case MetricKind::kHistogram:
        if (!a.hist.merge(v.hist)) {
          ++bad;
          continue;
        }
        value = double(v.hist.count);
        break;
    }
    if (a.last_counted != &c) {  // live_clients counts each client once per name
      a.last_counted = &c;
      ++a.live_clients;
    }
    if (detail == Detail::kTotals) continue;
    a.clients.push_back({c.slot, c.name, c.pid, value, {}, got.stale, got.snapshot->read_ns});
    if (detail == Detail::kClientsWithHistograms && v.kind == MetricKind::kHistogram)
      a.clients.back().hist = v.hist;  // a snapshot is shared: copied, not moved
  }
}

}  // namespace

std::map<std::string, MetricAggregate> collect_metrics(
    const std::vector<std::shared_ptr<Client>>& live, const Departed& departed, std::uint64_t& bad,
    const AdmitFn& admit, const ReadFn& read) {
  std::map<std::string, MetricAggregate> out;
  add_departed(out, departed.totals());
  for (const auto& c : live) {
    const ClientValues got = read ? read(*c) : read_now(*c);
    if (admit) admit(*c);
    add_live(
        out, *c, got, [&](std::uint32_t index) { return !admit || c->metric_admitted(index); }, bad,
        Detail::kClients);
  }
  return out;
}

std::map<std::string, MetricAggregate> collect_metrics_unlocked(
    const std::vector<LiveClientView>& live, const Folded& departed_totals, std::uint64_t& bad,
    bool per_client) {
  std::map<std::string, MetricAggregate> out;
  add_departed(out, departed_totals);
  for (const LiveClientView& v : live) {
    // Bounded like a query: big clients from their value snapshots (value_snapshots.hpp).
    const ClientValues got = bounded_values(*v.client);
    add_live(
        out, *v.client, got,
        [&](std::uint32_t index) { return index < v.admitted.size() && v.admitted[index] != 0; },
        bad, per_client ? Detail::kClientsWithHistograms : Detail::kTotals);
  }
  return out;
}

}  // namespace shmon::agent
