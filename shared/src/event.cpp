// Auto-reset event: bit 0 = signalled, bits 1..31 = sleeping waiters (in units of 2), so set()
// can skip the system call when nobody sleeps.
#include "shmon/event.hpp"

#include <sched.h>

#include <algorithm>

#include "cpu_relax.hpp"
#include "shmon/clock.hpp"
#include "shmon/futex.hpp"

namespace shmon {
namespace {

constexpr std::uint32_t kSignalled = 1;
constexpr std::uint32_t kOneWaiter = 2;
// Pure spinning only this long; then each round also yields. On a 2-core machine the peer we
// wait for is often runnable on our own core: spinning there only delays it until our spin ends.
constexpr std::uint64_t kPureSpinNs = 2'000;

}  // namespace

void AutoResetEvent::set() {
  const std::uint32_t prev = word_->fetch_or(kSignalled, std::memory_order_acq_rel);
  if ((prev >> 1) != 0) futex_wake(word_, 1);
}

bool AutoResetEvent::try_consume() {
  std::uint32_t v = word_->load(std::memory_order_relaxed);
  while (v & kSignalled) {
    if (word_->compare_exchange_weak(v, v & ~kSignalled, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

bool AutoResetEvent::wait_until(std::uint64_t deadline_ns, std::uint64_t spin_ns) {
  if (try_consume()) return true;
  if (spin_ns > 0) {
    const std::uint64_t start = monotonic_ns();
    const std::uint64_t spin_end = std::min(start + spin_ns, deadline_ns);
    std::uint64_t now = start;
    do {
      for (int i = 0; i < 8; ++i) {
        cpu_relax();
        if ((word_->load(std::memory_order_relaxed) & kSignalled) != 0 && try_consume()) {
          return true;
        }
      }
      if (now - start >= kPureSpinNs) sched_yield();
      now = monotonic_ns();
    } while (now < spin_end);
  }
  for (;;) {
    // Register before sleeping so that a set() after this point issues a wake.
    const std::uint32_t v = word_->fetch_add(kOneWaiter, std::memory_order_acq_rel) + kOneWaiter;
    WaitResult r = WaitResult::kWoken;
    if ((v & kSignalled) == 0) r = futex_wait_until(word_, v, deadline_ns);
    word_->fetch_sub(kOneWaiter, std::memory_order_acq_rel);
    if (try_consume()) return true;
    if (r == WaitResult::kTimedOut || monotonic_ns() >= deadline_ns) return false;
  }
}

}  // namespace shmon
