// SPDX-License-Identifier: Apache-2.0
// What one /metrics scrape exports: the metrics across clients (live and departed) and the
// agent's own numbers. take_snapshot holds the table mutex only to copy (the departed totals,
// which descriptors are admitted, the live client list and their statistics); the values are
// read from the clients' regions after it is released, and formatting happens on the copy. It
// never touches the client mutex.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "aggregate.hpp"
#include "shmon/types.hpp"

namespace shmon::agent {

struct AgentContext;

// The agent's own numbers at the time of the snapshot (sources in docs/PROMETHEUS.md).
struct AgentNumbers {
  std::uint64_t clients_connected = 0;
  std::uint64_t clients_attached = 0;  // attaches accepted since start
  std::uint64_t clients_refused = 0;
  std::uint64_t clients_departed = 0;
  std::uint64_t requests = 0;
  std::uint64_t request_errors = 0;
  std::uint64_t torn_requests = 0;
  std::uint64_t events_received = 0;  // live + departed
  std::uint64_t events_dropped = 0;   // live + departed
  // Live clients' credited drops by cause: ring full, payload too large, not connected.
  std::array<std::uint64_t, 3> live_drops_by_cause{};
  std::uint64_t bad_records = 0;
  std::uint64_t drain_batches = 0;
  std::uint64_t lease_revocations = 0;
  std::uint64_t dead_owner_releases = 0;
  std::uint64_t lock_repairs = 0;
  std::uint64_t unattributed_interference = 0;
  std::uint64_t metric_clashes = 0;
  std::uint64_t series_refused = 0;
  // The series bound (metric_identity.hpp): held now, the bound, refusals by cause (full,
  // client_share, reserve) and series retired.
  std::uint64_t series_held = 0;
  std::uint64_t series_max = 0;
  std::array<std::uint64_t, 3> series_refused_by{};
  std::uint64_t series_retired = 0;
  // Fork hand-offs (docs/DESIGN.md, fork storms): the agent's side, and the live clients' count
  // of forked children whose region no agent took at fork time.
  std::uint64_t slot_waits = 0;
  std::uint64_t folded_without_slot = 0;
  std::uint64_t slot_waits_refused = 0;
  std::uint64_t pending_dropped = 0;
  std::uint64_t fork_handoffs_missed = 0;
  std::uint64_t implausible_values = 0;
  std::uint64_t regions_dropped = 0;
  // Live clients' client-mutex statistics, summed.
  std::uint64_t lock_timeouts = 0;
  std::uint64_t done_timeouts = 0;
  std::uint64_t label_sets_refused = 0;  // refused by the probes' label rules and bounds
  std::uint64_t lock_wait_total_ns = 0;
  std::array<std::uint64_t, kWaitHistBuckets> lock_wait_hist{};  // bucket i: [2^i, 2^(i+1)) ns
};

struct MetricsSnapshot {
  std::map<std::string, MetricAggregate> metrics;  // by the app's metric name
  AgentNumbers agent;
  // Exported Prometheus name -> the app metric that owns it (export_owners.hpp).
  std::map<std::string, std::string> export_owners;
};

// REQUIRES: ctx.mu not held by the caller. With `per_client`, histograms keep each client's
// buckets (MetricAggregate::clients[].hist).
MetricsSnapshot take_snapshot(AgentContext& ctx, bool per_client);

}  // namespace shmon::agent
