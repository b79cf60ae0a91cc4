#include "context.hpp"

#include <spdlog/spdlog.h>

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

}  // namespace shmon::agent
