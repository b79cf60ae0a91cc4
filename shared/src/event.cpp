// SPDX-License-Identifier: Apache-2.0
// Auto-reset event: bit 0 = signalled, bit 1 = "a waiter may sleep", so set() can skip the
// system call when nobody sleeps. No count: a count in a word every client can write could be
// left wrong for good (a waiter then never woken again); a flag is re-set by every sleeper and
// cleared by every set(), so garbage lasts at most one wait.
#include "shmon/event.hpp"

#include <sched.h>

#include <algorithm>
#include <climits>

#include "cpu_relax.hpp"
#include "shmon/clock.hpp"
#include "shmon/futex.hpp"

namespace shmon {
namespace {

constexpr std::uint32_t kSignalled = 1;
constexpr std::uint32_t kWaiter = 2;
// Pure spinning only this long; then each round also yields. On a 2-core machine the peer we
// wait for is often runnable on our own core: spinning there only delays it until our spin ends.
constexpr std::uint64_t kPureSpinNs = 2'000;

}  // namespace

void AutoResetEvent::set() {
  const std::uint32_t prev = word_->fetch_or(kSignalled, std::memory_order_acq_rel);
  if ((prev & kWaiter) != 0) {
    // Everyone wakes; the one that consumes returns, the others register again and sleep.
    word_->fetch_and(~kWaiter, std::memory_order_acq_rel);
    futex_wake(word_, INT_MAX);
  }
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

bool AutoResetEvent::wait(std::uint64_t deadline_ns, std::uint64_t spin_ns, bool any_wake) {
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
    const std::uint32_t v = word_->fetch_or(kWaiter, std::memory_order_acq_rel) | kWaiter;
    if ((v & kSignalled) != 0) {
      // Signalled between our last look and registering: no set() will clear the flag we just
      // raised, so withdraw it, or the next set() pays a wake for nobody (and the word is left
      // reading "waiter" after the last round).
      if (try_consume()) {
        word_->fetch_and(~kWaiter, std::memory_order_acq_rel);
        return true;
      }
      continue;
    }
    const WaitResult r = futex_wait_until(word_, v, deadline_ns);
    if (try_consume()) return true;
    if (r == WaitResult::kTimedOut || monotonic_ns() >= deadline_ns || any_wake) {
      // Unregister. With the one waiter each of shmon's events has (Exec: the agent; Done: the
      // mutex holder) nobody else needs the flag; a second waiter would at worst miss one wake,
      // which its bounded wait absorbs. (An any_wake waiter registers again on its next wait.)
      word_->fetch_and(~kWaiter, std::memory_order_acq_rel);
      return false;
    }
  }
}

}  // namespace shmon
