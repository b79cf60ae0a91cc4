// SPDX-License-Identifier: Apache-2.0
#include "persistence.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "shmon/clock.hpp"
#include "shmon/labels.hpp"
#include "shmon/paths.hpp"
#include "value_snapshots.hpp"

namespace shmon::agent {

namespace {

// AgentStats counters that are cumulative (gauges are not persisted).
struct StatField {
  const char* key;
  std::atomic<std::uint64_t> AgentStats::*field;
};
constexpr StatField kStatFields[] = {
    {"requests", &AgentStats::requests},
    {"request_errors", &AgentStats::request_errors},
    {"torn_requests", &AgentStats::torn_requests},
    {"lease_revocations", &AgentStats::lease_revocations},
    {"dead_owner_releases", &AgentStats::dead_owner_releases},
    {"clients_total", &AgentStats::clients_total},
    {"clients_refused", &AgentStats::clients_refused},
    {"bad_records", &AgentStats::bad_records},
    {"drain_batches", &AgentStats::drain_batches},
};

constexpr std::uint64_t kPruneEveryNs = 60'000'000'000ull;

}  // namespace

std::uint64_t process_start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream rest(text.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && rest >> field; ++i) {
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  }
  return 0;
}

namespace {

bool folded_empty(const Folded& f) {
  return f.metrics.empty() && f.events_received == 0 && f.drops == 0;
}

std::uint64_t last_sync_ns = 0;
std::uint64_t last_prune_ns = 0;

}  // namespace

namespace {

constexpr std::uint64_t kFirstRetryMs = 100;
constexpr std::uint64_t kMaxRetryMs = 5000;

}  // namespace

int open_and_restore_state(AgentContext& ctx, const std::function<bool(std::uint64_t)>& pause) {
  const Options& o = ctx.options;
  if (o.no_state) {
    spdlog::info("state store disabled (--no-state): everything lives in memory only");
    return -1;
  }
  const std::string wanted = state_dir(o.state_dir, o.instance);
  if (wanted.empty()) {
    ctx.state_error =
        "no state directory: set --state-dir, SHMON_STATE_DIR or HOME (or run with --no-state)";
    return exit_code::kStateUnusable;
  }
  const std::uint64_t give_up_ns = monotonic_ns() + std::uint64_t(o.state_wait_ms) * 1'000'000;
  std::uint64_t retry_ms = kFirstRetryMs;
  for (int attempt = 1;; ++attempt) {
    OpenFailure failure = OpenFailure::kNone;
    // The state root and the instance directory are ours: two levels checked strictly.
    PrivateDir dir = prepare_private_dir(wanted, 2, "state directory");
    if (dir.error.empty()) {
      ctx.state_dir = dir.path;
      ctx.store =
          StateStore::open(dir.path, o.instance, o.event_log_records, &ctx.state_error, &failure);
    } else {
      ctx.state_error = dir.error;
      const int e = dir.sys_errno;
      const bool transient = e == ENOSPC || e == EDQUOT || e == EIO || e == ENOMEM || e == EAGAIN ||
                             e == EINTR || e == EBUSY;
      failure = transient ? OpenFailure::kStorage : OpenFailure::kUnusable;
    }
    if (ctx.store) break;
    if (failure == OpenFailure::kUnusable) {
      ctx.state_error += " (--no-state runs from memory)";
      return exit_code::kStateUnusable;
    }
    const std::uint64_t now = monotonic_ns();
    if (now >= give_up_ns) {
      ctx.state_error = "state storage still failing after " + std::to_string(o.state_wait_ms) +
                        " ms (--state-wait-ms): " + ctx.state_error;
      return exit_code::kStateUnavailable;
    }
    const std::uint64_t wait_ms = std::min(retry_ms, (give_up_ns - now) / 1'000'000 + 1);
    spdlog::warn(
        "STATE: cannot open the state yet (attempt {}): {}; nothing is moved aside, retrying in "
        "{} ms (gives up after --state-wait-ms {})",
        attempt, ctx.state_error, wait_ms, o.state_wait_ms);
    if (!pause(wait_ms)) {
      ctx.state_error = "stopped by a signal while waiting for the state storage";
      return exit_code::kOk;
    }
    retry_ms = std::min(retry_ms * 2, kMaxRetryMs);
  }
  ctx.state_error.clear();
  StateStore& store = *ctx.store;
  LoadedState loaded = store.take_loaded();

  // The event log and the sources its records name.
  raise_event_source_floor(loaded.max_source_id + 1);
  EventLogFile file = store.take_event_log();
  ctx.drained_tails = file.drained_tails();
  ctx.events.use_file(std::move(file), loaded.sources);
  ctx.events.set_source_sink([&store](const EventSource& s) { store.save_source(s); });

  // Departed totals and tombstones, then the clients that were live when the last agent died.
  std::vector<std::pair<ReattachKey, Folded>> stones;
  for (auto& t : loaded.tombstones)
    stones.emplace_back(ReattachKey::decode(t.incarnation, t.secret), std::move(t.folded));
  ctx.departed.restore(loaded.totals, std::move(stones));
  for (LiveSnapshot& s : loaded.live) {
    // Drained positions the journal proves beyond the snapshot count as received.
    if (auto it = ctx.drained_tails.find(s.incarnation); it != ctx.drained_tails.end()) {
      std::uint64_t received = 0;
      for (std::uint32_t shard = 0; shard < s.tails.size(); ++shard) {
        auto t = it->second.find(shard);
        received += t != it->second.end() ? std::max(s.tails[shard], t->second) : s.tails[shard];
      }
      s.values.events_received = std::max(s.values.events_received, received);
    }
    std::optional<std::uint64_t> evicted;
    ctx.departed.fold(ReattachKey::decode(s.incarnation, s.secret), s.values, &evicted);
    const Folded* stone = ctx.departed.stone(s.incarnation);
    store.fold(s.incarnation, s.secret, stone ? *stone : s.values, ctx.departed.totals(), evicted);
  }

  // Exported names keep their owners; a departed family the store has no owner for (a store
  // from before owners were kept) is decided now, in name order, the only order left to know.
  ctx.export_owners.restore(std::move(loaded.export_owners));
  for (const auto& [key, m] : ctx.departed.totals().metrics) {
    decide_export_name(ctx, std::string(split_series_key(key).metric), m.kind, m.unit);
  }

  // Restored series count against --max-series from the start (metric_identity.hpp).
  ctx.identities.seed(ctx.departed);
  for (const HistoryPoint& p : loaded.history) ctx.history.add(p.name, p.kind, p.t, p.value);
  for (const StatField& f : kStatFields) {
    const std::uint64_t v = loaded.stats[f.key];
    (ctx.stats().*(f.field)).store(v, std::memory_order_relaxed);
    ctx.stats_saved[f.key] = v;
  }
  spdlog::info(
      "state in {}: {} departed clients kept, {} live at the last stop folded, {} series held "
      "(--max-series {}), event log next seq {}{}",
      ctx.state_dir, ctx.departed.tombstones(), loaded.live.size(), ctx.identities.size(),
      ctx.options.max_series, ctx.events.next_seq(), ctx.events.durable() ? "" : " (memory only)");
  return -1;
}

void adopt_drained_tails(AgentContext& ctx, Client& c) {
  auto it = ctx.drained_tails.find(c.incarnation);
  if (it == ctx.drained_tails.end()) return;
  const std::uint32_t cap = c.geo.params.ring_capacity;
  for (const auto& [shard, drained] : it->second) {
    if (shard >= c.geo.params.shard_count) continue;
    RingHeader* ring = c.ring(shard);
    const std::uint64_t head = ring->head.load(std::memory_order_acquire);
    const std::uint64_t tail = c.tails[shard].load(std::memory_order_relaxed);
    // Only forward, and only to a position the ring can hold (a client may lie about its head).
    if (drained <= tail || drained > head || head - drained > cap) continue;
    c.tails[shard].store(drained, std::memory_order_relaxed);
    ring->tail.store(drained, std::memory_order_release);
    spdlog::info("client {} ring {}: {} events the previous agent had drained are not re-read",
                 c.name, shard, drained - tail);
  }
  ctx.drained_tails.erase(it);
}

namespace {

// A client that cannot prove its identity (no re-attach secret, or it claimed an incarnation it
// could not prove) is not kept: its snapshot would take the place of the incarnation's owner.
bool snapshot_wanted(const Client& c) {
  return c.kind == ClientKind::kApp && c.reattach.bound() &&
         !c.retired.load(std::memory_order_acquire);
}

LiveSnapshot snapshot_of(AgentContext& ctx, Client& c,
                         const std::map<std::uint32_t, MetricValue>& values) {
  LiveSnapshot s;
  std::uint64_t bad = 0;
  s.values = fold_values(c, values, bad, admitter(ctx));
  s.incarnation = c.incarnation;
  s.secret = c.reattach.encode();
  s.pid = c.pid;
  s.start_time = c.start_time;
  s.name = c.name;
  for (std::uint32_t i = 0; i < c.geo.params.shard_count; ++i) {
    s.tails.push_back(c.tails[i].load(std::memory_order_relaxed));
  }
  return s;
}

LiveSnapshot snapshot_of(AgentContext& ctx, Client& c) {
  return snapshot_of(ctx, c, c.read_values());
}

}  // namespace

void persist_live_locked(AgentContext& ctx, const std::vector<std::shared_ptr<Client>>& clients,
                         Reading how) {
  if (!ctx.store) return;
  std::vector<LiveSnapshot> out;
  for (const auto& c : clients) {
    if (!c || !snapshot_wanted(*c)) continue;
    if (how == Reading::kExact) {
      out.push_back(snapshot_of(ctx, *c));
      continue;
    }
    const ClientValues got = bounded_values(*c);
    // A big client's snapshot is megabytes of SQLite under the table mutex: written at most every
    // kBigPersistPeriodNs (its own flush and submit still write it exactly before the answer).
    if (got.stale && got.snapshot->read_ns < c->persisted_read_ns + kBigPersistPeriodNs) continue;
    c->persisted_read_ns = got.snapshot->read_ns;
    out.push_back(snapshot_of(ctx, *c, got.snapshot->values));
  }
  ctx.store->save_live(out);
}

bool persist_client_locked(AgentContext& ctx, Client& c) {
  if (!ctx.store || !snapshot_wanted(c)) return true;
  // Behind: a departure or an earlier snapshot is missing from the store. Catch up first, so an
  // "ok" never covers a store that misses what this client was told before.
  if (ctx.store->behind()) persist_resync_locked(ctx, 0);
  return ctx.store->save_live({snapshot_of(ctx, c)});
}

void persist_departure_locked(AgentContext& ctx, const Client& c,
                              std::optional<std::uint64_t> evicted) {
  if (!ctx.store) return;
  if (!c.reattach.bound()) {
    // No tombstone (the incarnation may be another client's): only the totals changed.
    ctx.store->save_totals(ctx.departed.totals());
    return;
  }
  const Folded* stone = ctx.departed.stone(c.incarnation);
  // Tools and empty apps contribute nothing: no write (their tombstones would only subtract 0).
  if (c.kind != ClientKind::kApp && (stone == nullptr || folded_empty(*stone)) && !evicted) return;
  ctx.store->fold(c.incarnation, c.reattach.encode(), stone ? *stone : Folded{},
                  ctx.departed.totals(), evicted);
}

void persist_attach_locked(AgentContext& ctx, Client& c, bool unfolded) {
  if (!ctx.store) return;
  std::optional<LiveSnapshot> live;
  if (snapshot_wanted(c)) live = snapshot_of(ctx, c);
  if (unfolded) {
    ctx.store->unfold(c.incarnation, ctx.departed.totals(), live ? &*live : nullptr);
  } else if (live) {
    ctx.store->save_live({*live});
  }
}

void persist_stats(AgentContext& ctx) {
  if (!ctx.store) return;
  std::map<std::string, std::uint64_t> now;
  for (const StatField& f : kStatFields) {
    now[f.key] = (ctx.stats().*(f.field)).load(std::memory_order_relaxed);
  }
  if (now == ctx.stats_saved) return;
  if (ctx.store->save_stats(now)) ctx.stats_saved = std::move(now);
}

void persist_history_locked(AgentContext& ctx, const std::vector<HistoryPoint>& points,
                            double now_s) {
  if (!ctx.store) return;
  ctx.store->save_history(points, now_s - double(History::kPoints));
  persist_live_locked(ctx, ctx.live_clients(), Reading::kBounded);
}

namespace {
std::uint64_t next_resync_ns = 0;
std::uint64_t resync_backoff_ms = kFirstRetryMs;
}  // namespace

void persist_resync_locked(AgentContext& ctx, std::uint64_t now_ns) {
  if (!ctx.store || !ctx.store->behind()) {
    resync_backoff_ms = kFirstRetryMs;
    return;
  }
  if (now_ns != 0 && now_ns < next_resync_ns) return;  // 0: now, whatever the backoff
  std::vector<StoredTombstone> stones;
  ctx.departed.for_each_stone_oldest_first([&](const ReattachKey& key, const Folded& f) {
    stones.push_back({key.incarnation, key.encode(), f});
  });
  std::vector<LiveSnapshot> live;
  for (const auto& c : ctx.live_clients()) {
    if (c && snapshot_wanted(*c)) live.push_back(snapshot_of(ctx, *c));
  }
  if (ctx.store->resync(ctx.departed.totals(), stones, live)) {
    resync_backoff_ms = kFirstRetryMs;
    return;
  }
  next_resync_ns = monotonic_ns() + resync_backoff_ms * 1'000'000;
  resync_backoff_ms = std::min(resync_backoff_ms * 2, kMaxRetryMs);
}

void persist_maintenance(AgentContext& ctx, std::uint64_t now_ns, bool force) {
  if (!ctx.store) return;
  if (force || now_ns - last_prune_ns >= kPruneEveryNs) {
    last_prune_ns = now_ns;
    ctx.store->prune_sources(ctx.events.source_ids());
  }
  if (force || now_ns - last_sync_ns >= std::uint64_t(ctx.options.state_sync_ms) * 1'000'000) {
    last_sync_ns = now_ns;
    ctx.store->sync(ctx.events);
  }
}

}  // namespace shmon::agent
