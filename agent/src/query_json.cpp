// SPDX-License-Identifier: Apache-2.0
#include "query_json.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "directory.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/labels.hpp"
#include "shmon/layout_fields.hpp"
#include "shmon/wait_histogram.hpp"
#include "value_snapshots.hpp"

namespace shmon::agent {

namespace {

// Replies to commands by status name ("ok", "busy", "timeout", ...), those given at least once.
nlohmann::json command_replies_json(const CommandReplyStats& r) {
  nlohmann::json out = nlohmann::json::object();
  for (std::uint32_t i = 0; i < r.by_status.size(); ++i) {
    if (const std::uint64_t n = r.by_status[i].load(std::memory_order_relaxed); n > 0) {
      out[to_string(CommandStatus(i))] = n;
    }
  }
  return out;
}

using nlohmann::json;

constexpr std::size_t kMaxEventsPerAnswer = 500;

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Interpolated p50/p99 clamped to the recorded maximum, so p50 <= p99 <= max.
std::uint64_t wait_pct(const std::uint64_t* hist, double q, std::uint64_t max_ns) {
  return std::uint64_t(wait_percentile_ns(std::span(hist, kWaitHistBuckets), q, max_ns));
}

json wait_hist(const std::uint64_t* hist) {
  json a = json::array();
  for (std::size_t i = 0; i < kWaitHistBuckets; ++i) a.push_back(hist[i]);
  return a;
}

// Every field of a struct of 64-bit counters, named by its field list (layout_fields.hpp): the
// "stats" and "agent_stats" objects list a struct's fields without writing them down again.
// Reserved space is left out. `word(offset)` loads the 64-bit word at a byte offset.
template <class Load>
json counters_json(const FieldList& list, Load&& word) {
  json out = json::object();
  for (const FieldDesc& f : list.fields) {
    if (f.reserved()) continue;
    if (f.count == 1) {
      out[f.name] = word(f.offset);
      continue;
    }
    json a = json::array();
    for (std::uint32_t k = 0; k < f.count; ++k) a.push_back(word(f.offset + 8 * k));
    out[f.name] = std::move(a);
  }
  return out;
}

json client_stats_json(const ClientStatsSnapshot& s) {
  return counters_json(kClientStatsFields, [&](std::uint32_t offset) {
    std::uint64_t v;
    std::memcpy(&v, reinterpret_cast<const std::byte*>(&s) + offset, 8);
    return v;
  });
}

json agent_stats_json(const AgentStats& s) {
  return counters_json(kAgentStatsFields, [&](std::uint32_t offset) {
    return reinterpret_cast<const std::atomic<std::uint64_t>*>(
               reinterpret_cast<const std::byte*>(&s) + offset)
        ->load(std::memory_order_relaxed);
  });
}

json holder_json(AgentContext& ctx) {
  const std::uint32_t owner = ClientMutex(&ctx.regions.mailbox_header()->lock).owner();
  if (owner == 0) return nullptr;
  const std::uint32_t slot = owner_slot(owner);
  const std::uint64_t since = ctx.stats().lock_holder_since_ns.load(std::memory_order_relaxed);
  const std::uint64_t now = monotonic_ns();
  json h{{"slot", slot}, {"held_ns", since != 0 && now > since ? now - since : 0}};
  if (slot < ctx.slots.size() && ctx.slots[slot] && ctx.slots[slot]->owner_token == owner) {
    h["name"] = ctx.slots[slot]->name;
    h["pid"] = ctx.slots[slot]->pid;
  } else {
    h["name"] = nullptr;
    h["pid"] = nullptr;
  }
  return h;
}

// The agent's memory cgroup (memory_watch.hpp): {"limited": false} when no limit applies.
json memory_json(const MemoryWatch& m, std::uint64_t configured_series) {
  if (!m.limited()) return json{{"limited", false}};
  const MemoryLimit& l = *m.limit();
  return json{{"limited", true},
              {"limit_bytes", l.bytes},
              {"limit_file", l.limit_file},
              {"soft_limit", l.soft},
              {"working_set_bytes", m.working_set()},
              {"checks", m.checks()},
              {"pressure", m.pressure()},
              {"pressure_episodes", m.pressure_episodes()},
              {"limit_hits", m.limit_hits()},
              {"clients_refused", m.clients_refused.load(std::memory_order_relaxed)},
              {"max_series_configured", configured_series},
              {"max_series_planned", m.planned_series()},
              {"bytes_per_series", kBytesPerSeries},
              {"bytes_per_client", kBytesPerClient}};
}

json state_json(const AgentContext& ctx) {
  if (!ctx.store) {
    return json{{"enabled", false},
                {"dir", ctx.state_dir.empty() ? json(nullptr) : json(ctx.state_dir)},
                {"error", ctx.state_error.empty() ? json(nullptr) : json(ctx.state_error)}};
  }
  const StateInfo i = ctx.store->info();
  return json{{"enabled", true},
              {"dir", i.dir},
              {"bytes", i.bytes},
              {"last_commit_realtime_ns", i.last_commit_realtime_ns},
              {"last_sync_realtime_ns", i.last_sync_realtime_ns},
              {"sync_interval_ms", ctx.options.state_sync_ms},
              {"bad_files", i.bad_files},
              {"write_errors", i.write_errors},
              {"last_error", i.last_error.empty() ? json(nullptr) : json(i.last_error)},
              {"event_log_durable", ctx.events.durable()},
              {"event_log_capacity", ctx.events.capacity()},
              {"event_log_next_seq", ctx.events.next_seq()},
              {"tombstones", ctx.departed.tombstones()}};
}

// The series bound (metric_identity.hpp): what the agent holds for its life and the rule's
// figures, refusals by cause and retirements.
json series_json(const AgentContext& ctx) {
  const MetricIdentities& ids = ctx.identities;
  const auto& by = ctx.hostile.series_refused_by;
  return json{{"held", ids.size()},
              {"max", ids.max_series()},
              {"restored", ids.restored()},
              {"client_share", ids.share()},
              {"reserve", ids.reserve()},
              {"reserve_share", ids.reserve_share()},
              {"retired", ids.retired_total()},
              {"refused",
               {{"full", by[0].load(std::memory_order_relaxed)},
                {"client_share", by[1].load(std::memory_order_relaxed)},
                {"reserve", by[2].load(std::memory_order_relaxed)}}}};
}

json status_json(AgentContext& ctx) {
  const ControlHeader* h = ctx.regions.header();
  const AgentStats& s = h->stats;
  const auto rel = [](const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  const std::uint64_t now = monotonic_ns();
  const LiveTotals t = compute_totals(ctx);

  ClientStatsSnapshot sum{};
  std::uint64_t wait_max = 0;
  for (const auto& c : ctx.slots) {
    if (!c) continue;
    const ClientStatsSnapshot cs = clamped_stats(*c);
    sum.lock_acquired += cs.lock_acquired;
    sum.lock_timeouts += cs.lock_timeouts;
    sum.done_timeouts += cs.done_timeouts;
    sum.fork_handoffs_missed += cs.fork_handoffs_missed;
    wait_max = std::max(wait_max, cs.lock_wait_max_ns);
    for (std::size_t i = 0; i < kWaitHistBuckets; ++i)
      sum.lock_wait_hist[i] += cs.lock_wait_hist[i];
  }
  const std::uint64_t hb = h->heartbeat_monotonic_ns.load(std::memory_order_relaxed);
  json export_refused = json::array();  // metrics whose Prometheus name another metric owns
  for (const ExportOwners::Refused& r : ctx.export_owners.refused()) {
    export_refused.push_back({{"metric", r.metric}, {"exported", r.exported}, {"owner", r.owner}});
  }
  return json{{"instance", ctx.options.instance},
              {"pid", h->agent_pid},
              {"generation", hex64(ctx.generation)},
              {"abi_version", h->abi_version},
              {"uptime_s", double(now - ctx.start_monotonic_ns) / 1e9},
              {"start_realtime_ns", h->agent_start_realtime_ns},
              {"heartbeat_age_ms", now > hb ? (now - hb) / 1'000'000 : 0},
              {"lease_ms", ctx.options.lease_ms},
              {"max_clients", ctx.options.max_clients},
              {"clients_connected", t.clients_connected},
              {"clients_total", rel(s.clients_total)},
              {"clients_refused", rel(s.clients_refused)},
              {"requests", rel(s.requests)},
              {"request_errors", rel(s.request_errors)},
              {"torn_requests", rel(s.torn_requests)},
              {"requests_per_s", ctx.history.rate("agent.requests")},
              {"lease_revocations", rel(s.lease_revocations)},
              {"dead_owner_releases", rel(s.dead_owner_releases)},
              {"reattach_mismatches", rel(s.reattach_mismatches)},
              {"duplicate_requests", rel(s.duplicate_requests)},
              {"lock_repairs", rel(s.lock_repairs)},
              {"unattributed_interference", rel(s.unattributed_interference)},
              {"handoff",
               {{"slot_waits", rel(s.slot_waits)},
                {"slot_waits_answered_full", rel(s.slot_waits_answered_full)},
                {"folded_without_slot", rel(s.folded_without_slot)},
                {"slot_waits_refused", rel(s.slot_waits_refused)},
                {"pending_dropped", rel(s.pending_dropped)},
                {"directory_views", rel(ctx.directory_views)},
                // Probe side (live clients): forked children whose region no agent took at fork
                // time (each counted in its parent's region; probes/src/fork.cpp).
                {"live_clients_fork_handoffs_missed", sum.fork_handoffs_missed}}},
              {"commands",
               {{"sent", rel(s.commands_sent)},
                {"timeouts", rel(s.command_timeouts)},
                {"late_replies", rel(s.late_replies)},
                {"forged_replies", rel(s.forged_replies)},
                {"replies", command_replies_json(ctx.command_replies)},
                {"replies_held_back", ctx.command_replies.held_back.load()},
                {"replies_tool_gone", ctx.command_replies.tool_gone.load()}}},
              {"events_received", t.events_received},
              {"events_dropped", t.events_dropped},
              {"events_per_s", ctx.history.rate("agent.events_received")},
              {"drain_batches", rel(s.drain_batches)},
              {"bad_records", rel(s.bad_records)},
              {"hostile",
               {{"regions_dropped", rel(ctx.hostile.regions_dropped)},
                {"metric_clashes", rel(ctx.hostile.metric_clashes)},
                {"series_refused", rel(ctx.hostile.series_refused)},
                {"implausible_values", rel(ctx.hostile.implausible_values)},
                {"partial_messages_dropped", rel(ctx.hostile.partial_messages_dropped)}}},
              {"series", series_json(ctx)},
              {"export_names",
               {{"owners", ctx.export_owners.owners().size()},
                {"refused", ctx.export_owners.refused_count()},
                {"refused_metrics", std::move(export_refused)}}},
              {"memory_cgroup", memory_json(ctx.memory, ctx.options.max_series)},
              {"regions",
               {{"control_bytes", ctx.regions.control.size()},
                {"mailbox_bytes", ctx.regions.mailbox.size()},
                {"data_bytes_total", ctx.data_bytes_total}}},
              {"mutex",
               {{"acquired", sum.lock_acquired},
                {"timeouts", sum.lock_timeouts},
                {"done_timeouts", sum.done_timeouts},
                {"wait_p50_ns", wait_pct(sum.lock_wait_hist, 0.5, wait_max)},
                {"wait_p99_ns", wait_pct(sum.lock_wait_hist, 0.99, wait_max)},
                {"wait_max_ns", wait_max},
                {"hist", wait_hist(sum.lock_wait_hist)},
                {"holder", holder_json(ctx)}}},
              {"state", state_json(ctx)},
              {"metrics_url", ctx.metrics_url.empty() ? json(nullptr) : json(ctx.metrics_url)},
              {"agent_stats", agent_stats_json(s)}};
}

json clients_json(AgentContext& ctx, std::string_view filter) {
  admit_metrics(ctx);  // refused_metrics up to date
  json out = json::array();
  const std::uint64_t now = monotonic_ns();
  for (const auto& c : ctx.slots) {
    if (!c || (!filter.empty() && filter != c->name)) continue;
    const ClientStatsSnapshot s = clamped_stats(*c);
    const std::uint64_t seen = c->last_seen_ns.load(std::memory_order_relaxed);
    out.push_back(json{{"slot", c->slot},
                       {"name", c->name},
                       {"pid", c->pid},
                       {"kind", to_string(c->kind)},
                       {"state", to_string(c->current_state())},
                       {"incarnation", hex64(c->incarnation)},
                       {"attached_realtime_ns", c->attached_realtime_ns},
                       {"last_seen_age_ms", seen != 0 && now > seen ? (now - seen) / 1'000'000 : 0},
                       {"requests", c->requests.load(std::memory_order_relaxed)},
                       {"request_errors", c->request_errors.load(std::memory_order_relaxed)},
                       {"requests_per_s", c->requests_per_s},
                       {"events_written", c->head_sum()},
                       {"events_received", c->received_credit.load(std::memory_order_relaxed)},
                       {"implausible_values", c->implausible.load(std::memory_order_relaxed)},
                       {"metric_clashes", c->metric_clashes.load(std::memory_order_relaxed)},
                       {"series_held", c->series_held},
                       {"series_refused", c->series_refused},
                       {"refused_metrics", c->refused_metrics},
                       {"events_per_s", c->events_per_s},
                       {"metric_count", c->descriptor_count()},
                       {"value_cells", c->read_cost()},
                       {"values", is_big(*c) ? "snapshot" : "live"},
                       {"data_region_bytes", c->geo.region_size},
                       {"reconnects", s.reconnects},
                       {"doorbell_rings", s.doorbell_rings},
                       {"commands_handled", s.commands_handled},
                       {"command_failures", s.command_failures},
                       {"label_sets_refused", s.label_sets_refused},
                       {"drops",
                        {{"ring_full", s.drops_ring_full},
                         {"payload_too_large", s.drops_payload_too_large},
                         {"not_connected", s.drops_not_connected},
                         {"metric_table_full", s.drops_metric_table_full},
                         {"wait_timeout", s.wait_policy_timeouts}}},
                       {"timeouts", {{"lock", s.lock_timeouts}, {"done", s.done_timeouts}}},
                       {"mutex",
                        {{"acquired", s.lock_acquired},
                         {"wait_total_ns", s.lock_wait_total_ns},
                         {"wait_p50_ns", wait_pct(s.lock_wait_hist, 0.5, s.lock_wait_max_ns)},
                         {"wait_p99_ns", wait_pct(s.lock_wait_hist, 0.99, s.lock_wait_max_ns)},
                         {"wait_max_ns", s.lock_wait_max_ns},
                         {"revocations_seen", s.revocations_seen},
                         {"hist", wait_hist(s.lock_wait_hist)}}},
                       {"stats", client_stats_json(s)}});
  }
  return out;
}

// Histograms: the lifetime quantiles, and the same over the last `window_s` seconds.
json window_json(const BucketHistory::Window& w, std::uint32_t window_s) {
  return json{{"seconds", window_s},         {"covered_s", w.covered_s},
              {"count", w.hist.count},       {"p50", w.hist.quantile(0.5)},
              {"p90", w.hist.quantile(0.9)}, {"p99", w.hist.quantile(0.99)}};
}

json metrics_json(AgentContext& ctx, std::string_view filter, std::uint32_t window_s) {
  std::uint64_t ignored = 0;
  // Bounded per client: big clients answer from their snapshot unless one metric is asked for.
  const auto metrics = collect_metrics(ctx.live_clients(), ctx.departed, ignored, admitter(ctx),
                                       [&](Client& c) { return bounded_values(c, filter); });
  const std::uint64_t now = monotonic_ns();
  json out = json::array();
  for (const auto& [name, m] : metrics) {
    // `name` is a series key: the filter names a metric (all its label sets) or one series.
    const SeriesName series = split_series_key(name);
    if (!filter.empty() && filter != name && filter != series.metric) continue;
    json clients = json::array();
    for (const auto& c : m.clients) {
      json v{{"slot", c.slot}, {"name", c.name}, {"pid", c.pid}};
      if (m.kind == MetricKind::kGauge) {
        v["value"] = c.value;
      } else {
        v["value"] = std::uint64_t(c.value);
      }
      v["stale"] = c.stale;
      v["age_ms"] = now > c.read_ns ? (now - c.read_ns) / 1'000'000 : 0;
      clients.push_back(std::move(v));
    }
    json labels = json::object();
    if (auto pairs = parse_labels(series.labels)) {
      for (const auto& [k, v] : *pairs) labels[k] = v;
    }
    json j{{"name", name},
           {"metric", series.metric},
           {"labels", std::move(labels)},
           {"kind", to_string(m.kind)},
           {"unit", m.unit}};
    switch (m.kind) {
      case MetricKind::kCounter:
      case MetricKind::kEvent:
        j["total"] = m.total;
        j["rate_per_s"] = ctx.history.rate(name);
        break;
      case MetricKind::kGauge:
        j["total"] = m.gauge_total;
        break;
      case MetricKind::kHistogram: {
        const HistogramValue& h = m.hist;
        j["total"] = h.count;
        j["count"] = h.count;
        j["sum"] = h.sum;
        j["min"] = h.count ? h.min : 0;
        j["max"] = h.count ? h.max : 0;
        j["mean"] = h.count ? double(h.sum) / double(h.count) : 0.0;
        j["p50"] = h.quantile(0.5);
        j["p90"] = h.quantile(0.9);
        j["p99"] = h.quantile(0.99);
        j["bounds"] = h.bounds;
        j["buckets"] = h.buckets;
        j["rate_per_s"] = ctx.history.rate(name);
        j["window"] = window_json(ctx.bucket_history.window(name, window_s, h), window_s);
        break;
      }
    }
    j["live_clients"] = m.live_clients;
    j["departed_total"] = m.departed_total;
    j["clients"] = std::move(clients);
    out.push_back(std::move(j));
  }
  return out;
}

json events_json(AgentContext& ctx, std::string_view filter, std::uint64_t cursor) {
  const EventPage page = ctx.events.read(cursor, kMaxEventsPerAnswer, filter);
  json events = json::array();
  for (const LoggedEvent& e : page.events) {
    json j{{"seq", e.seq},
           {"ts_ns", e.ts_ns},
           {"slot", e.slot},
           {"client", e.client},
           {"pid", e.pid},
           {"name", e.name},
           {"level", to_string(EventLevel(e.level))}};
    if (e.payload_kind == std::uint8_t(PayloadKind::kBytes)) {
      std::string hex;
      for (std::uint8_t i = 0; i < e.payload_size; ++i) {
        char b[3];
        std::snprintf(b, sizeof(b), "%02x", e.payload[i]);
        hex += b;
      }
      j["bytes_hex"] = hex;
    } else {
      // Clients may write any bytes: keep the text valid UTF-8 by replacing what is not ASCII.
      std::string text(reinterpret_cast<const char*>(e.payload), e.payload_size);
      for (char& ch : text) {
        if (static_cast<unsigned char>(ch) >= 0x80) ch = '?';
      }
      j["text"] = text;
    }
    events.push_back(std::move(j));
  }
  return json{{"next", page.next},
              {"oldest", page.oldest},
              {"end", page.end},
              {"events", std::move(events)}};
}

json history_json(AgentContext& ctx, std::string_view filter) {
  json series = json::array();
  for (const auto& [name, s] : ctx.history.series()) {
    if (!filter.empty() && filter != name) continue;
    json points = json::array();
    for (const auto& [t, v] : ctx.history.points(s)) points.push_back(json::array({t, v}));
    json one{{"name", name}, {"kind", s.kind}, {"points", std::move(points)}};
    // One histogram asked by name: also its per-second bucket deltas, for a latency heatmap.
    if (!filter.empty() && s.kind == "histogram") {
      const auto columns = ctx.bucket_history.columns(name, BucketHistory::kColumns);
      json heat = json::array();
      for (const BucketHistory::Column& c : columns) {
        json cells = json::array();
        for (const auto& [i, d] : c.cells) cells.push_back(json::array({i, d}));
        heat.push_back(json::array({c.t_s, std::move(cells)}));
      }
      one["bounds"] = ctx.bucket_history.bounds(name);
      one["heatmap"] = std::move(heat);
    }
    series.push_back(std::move(one));
  }
  return json{{"period_ms", History::kPeriodMs}, {"series", std::move(series)}};
}

}  // namespace

std::string render_query(AgentContext& ctx, QueryKind kind, std::string_view filter,
                         std::uint64_t cursor) {
  json doc;
  switch (kind) {
    case QueryKind::kStatus:
      doc = status_json(ctx);
      break;
    case QueryKind::kClients:
      doc = clients_json(ctx, filter);
      break;
    case QueryKind::kMetrics:
      // kMetrics: the cursor is the quantile window in seconds (0: the default).
      doc = metrics_json(
          ctx, filter,
          cursor == 0 ? BucketHistory::kDefaultWindowS
                      : std::uint32_t(std::min<std::uint64_t>(cursor, BucketHistory::kColumns)));
      break;
    case QueryKind::kEvents:
      doc = events_json(ctx, filter, cursor);
      break;
    case QueryKind::kHistory:
      doc = history_json(ctx, filter);
      break;
  }
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace shmon::agent
