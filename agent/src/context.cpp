// SPDX-License-Identifier: Apache-2.0
#include "context.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "shmon/clock.hpp"

namespace shmon::agent {

void count_bad_records(AgentContext& ctx, std::uint64_t n, const std::string& what) {
  if (n == 0) return;
  ctx.stats().bad_records.fetch_add(n, std::memory_order_relaxed);
  const std::uint64_t now = monotonic_ns();
  std::uint64_t last = ctx.last_bad_log_ns.load(std::memory_order_relaxed);
  if (now - last >= 1'000'000'000 &&
      ctx.last_bad_log_ns.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    spdlog::warn("{} bad record(s): {} (further reports limited to one per second)", n, what);
  }
}

void note_implausible(AgentContext& ctx, Client& client, std::uint64_t n, const std::string& what) {
  if (n == 0) return;
  client.implausible.fetch_add(n, std::memory_order_relaxed);
  ctx.hostile.implausible_values.fetch_add(n, std::memory_order_relaxed);
  const std::uint64_t now = monotonic_ns();
  std::uint64_t last = client.implausible_logged_ns.load(std::memory_order_relaxed);
  if ((last == 0 || now - last >= 1'000'000'000) &&
      client.implausible_logged_ns.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
    spdlog::warn(
        "client {} (pid {}): {}; left out of the agent's totals ({} implausible value(s) so far)",
        client.name, client.pid, what, client.implausible.load(std::memory_order_relaxed));
  }
}

void observe_drops(AgentContext& ctx, Client& client, std::uint64_t now_ns) {
  const std::uint64_t elapsed = client.drops_observed_ns != 0 && now_ns > client.drops_observed_ns
                                    ? now_ns - client.drops_observed_ns
                                    : 0;
  client.drops_observed_ns = now_ns;
  // Slack of one tick's worth at the least: the first observation follows attach closely.
  const std::uint64_t allowed = max_count_in(std::max<std::uint64_t>(elapsed, 50'000'000));
  std::uint64_t drops[3];
  client.read_drops(drops);
  std::uint64_t bad = 0;
  for (int i = 0; i < 3; ++i) bad += client.drop_credit[i].observe(drops[i], allowed) ? 0 : 1;
  note_implausible(ctx, client, bad,
                   "drop counters went backwards or jumped further than any client can drop");
}

}  // namespace shmon::agent
