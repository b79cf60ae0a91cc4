// SPDX-License-Identifier: Apache-2.0
// The typed model from the directory: what the status and clients queries compute from the
// agent's private state, computed here from the published copy.
#include <algorithm>
#include <cstdio>

#include "model.hpp"
#include "shmon/client/directory.hpp"
#include "shmon/layout.hpp"
#include "shmon/limits.hpp"
#include "shmon/wait_histogram.hpp"

namespace shmon::inspector {
namespace {

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::uint64_t age_ms(std::uint64_t now, std::uint64_t then) {
  return then != 0 && now > then ? (now - then) / 1'000'000u : 0;
}

// Interpolated percentile clamped to the recorded maximum, as the agent's queries do.
std::uint64_t pct(const std::uint64_t* hist, double q, std::uint64_t max_ns) {
  return std::uint64_t(wait_percentile_ns(std::span(hist, kWaitHistBuckets), q, max_ns));
}

const char* kind_name(std::uint32_t kind) {
  return to_string(ClientKind(kind));
}

}  // namespace

AgentStatus status_from_directory(const client::Directory& d) {
  const client::AgentHeader& a = d.agent;
  const std::uint64_t now = d.read_monotonic_ns;
  AgentStatus s;
  s.instance = a.instance;
  s.generation = hex64(a.generation);
  s.pid = a.pid;
  s.abi_version = a.abi_version;
  s.uptime_s = now > a.start_monotonic_ns ? double(now - a.start_monotonic_ns) / 1e9 : 0;
  s.heartbeat_age_ms = age_ms(now, a.heartbeat_monotonic_ns);
  s.lease_ms = a.lease_ms;
  s.max_clients = a.max_app_clients;
  s.clients_connected = a.clients_connected;
  s.clients_total = a.clients_total;
  s.clients_refused = a.clients_refused;
  s.requests = a.requests;
  s.request_errors = a.request_errors;
  s.torn_requests = a.torn_requests;
  s.requests_per_s = a.requests_per_s;
  s.lease_revocations = a.lease_revocations;
  s.dead_owner_releases = a.dead_owner_releases;
  s.events_received = a.events_received;
  s.events_dropped = a.events_dropped;
  s.events_per_s = a.events_per_s;
  s.drain_batches = a.drain_batches;
  s.bad_records = a.bad_records;
  s.control_bytes = a.region_size;
  s.mailbox_bytes = MailboxLayout::kRegionSize;

  WaitHist hist{};
  for (const DirectoryEntry& e : d.clients) {
    s.data_bytes_total += e.data_region_size;
    s.mutex.acquired += e.stats.lock_acquired;
    s.mutex.timeouts += e.stats.lock_timeouts;
    s.mutex.done_timeouts += e.stats.done_timeouts;
    s.mutex.wait_max_ns = std::max(s.mutex.wait_max_ns, e.stats.lock_wait_max_ns);
    for (std::size_t i = 0; i < kWaitHistBuckets; ++i) hist[i] += e.stats.lock_wait_hist[i];
    if (e.lock_held_ns > 0) s.mutex.holder = MutexHolder{e.slot, e.name, e.pid, e.lock_held_ns};
  }
  s.mutex.hist = hist;
  s.mutex.wait_p50_ns = pct(hist.data(), 0.5, s.mutex.wait_max_ns);
  s.mutex.wait_p99_ns = pct(hist.data(), 0.99, s.mutex.wait_max_ns);
  return s;
}

std::vector<ClientInfo> clients_from_directory(const client::Directory& d) {
  std::vector<ClientInfo> out;
  out.reserve(d.clients.size());
  for (const DirectoryEntry& e : d.clients) {
    const ClientStatsSnapshot& st = e.stats;
    ClientInfo c;
    c.slot = e.slot;
    c.name = e.name;
    c.kind = kind_name(e.kind);
    c.state = to_string(ClientState(e.state));
    c.incarnation = hex64(e.incarnation);
    c.pid = e.pid;
    c.attached_realtime_ns = e.attached_realtime_ns;
    c.last_seen_age_ms = age_ms(d.read_monotonic_ns, e.last_seen_monotonic_ns);
    c.requests = e.requests;
    c.request_errors = e.request_errors;
    c.requests_per_s = double(e.requests_per_s_milli) / 1000.0;
    c.events_per_s = double(e.events_per_s_milli) / 1000.0;
    c.events_written = e.events_written;
    c.events_received = e.events_received;
    c.metric_count = e.metric_count;
    c.data_region_bytes = e.data_region_size;
    c.reconnects = st.reconnects;
    c.drops = {st.drops_ring_full, st.drops_payload_too_large, st.drops_not_connected,
               st.drops_metric_table_full, st.wait_policy_timeouts};
    c.lock_timeouts = st.lock_timeouts;
    c.done_timeouts = st.done_timeouts;
    c.mutex.acquired = st.lock_acquired;
    c.mutex.wait_total_ns = st.lock_wait_total_ns;
    c.mutex.wait_max_ns = st.lock_wait_max_ns;
    c.mutex.wait_p50_ns = pct(st.lock_wait_hist, 0.5, st.lock_wait_max_ns);
    c.mutex.wait_p99_ns = pct(st.lock_wait_hist, 0.99, st.lock_wait_max_ns);
    c.mutex.revocations_seen = st.revocations_seen;
    std::copy(std::begin(st.lock_wait_hist), std::end(st.lock_wait_hist), c.mutex.hist.begin());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace shmon::inspector
