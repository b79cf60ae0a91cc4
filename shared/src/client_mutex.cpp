// SPDX-License-Identifier: Apache-2.0
// Drepper-style futex mutex ("Futexes Are Tricky", mutex 3) with owner tokens instead of a bare
// 1/2 state: bits 0..30 hold the owner, bit 31 says a waiter may be sleeping.
#include "shmon/client_mutex.hpp"

#include <sched.h>

#include <algorithm>
#include <climits>

#include "cpu_relax.hpp"
#include "shmon/clock.hpp"
#include "shmon/futex.hpp"

namespace shmon {
namespace {

constexpr std::uint64_t kSleepSliceNs = 10'000'000;

// Releases when the owner bits equal `owner`, preserving the caller's view of the waiters bit so
// that a sleeper is woken. Returns false when someone else (or nobody) holds the lock.
bool release_if_owner(std::atomic<std::uint32_t>* word, std::uint32_t owner, int wake_count) {
  std::uint32_t v = word->load(std::memory_order_relaxed);
  for (;;) {
    if ((v & kMutexOwnerMask) != owner) return false;
    if (word->compare_exchange_weak(v, 0, std::memory_order_release, std::memory_order_relaxed)) {
      if (v & kMutexWaitersBit) futex_wake(word, wake_count);
      return true;
    }
  }
}

}  // namespace

LockOutcome ClientMutex::acquire(std::uint32_t owner, std::uint64_t deadline_ns,
                                 std::uint64_t spin_ns) {
  const std::uint64_t start = monotonic_ns();
  auto done = [&](LockResult r) { return LockOutcome{r, monotonic_ns() - start}; };
  owner &= kMutexOwnerMask;

  std::uint32_t expected = 0;
  if (word_->compare_exchange_strong(expected, owner, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
    return {LockResult::kAcquired, 0};
  }

  if (spin_ns > 0) {
    // Spin briefly, then yield each round: on 2 cores the holder may need our core to finish.
    const std::uint64_t spin_end = std::min(start + spin_ns, deadline_ns);
    std::uint64_t now = start;
    do {
      for (int i = 0; i < 8; ++i) {
        cpu_relax();
        expected = 0;
        if (word_->load(std::memory_order_relaxed) == 0 &&
            word_->compare_exchange_strong(expected, owner, std::memory_order_acquire,
                                           std::memory_order_relaxed)) {
          return done(LockResult::kAcquired);
        }
      }
      if (now - start >= 2'000) sched_yield();
      now = monotonic_ns();
    } while (now < spin_end);
  }

  // Slow path. Once contended, we always take the lock with the waiters bit set: we cannot know
  // whether other sleepers remain, and a spurious wake on release is cheaper than a stranded one.
  std::uint32_t v = word_->load(std::memory_order_relaxed);
  for (;;) {
    if ((v & kMutexOwnerMask) == 0) {
      if (word_->compare_exchange_weak(v, owner | kMutexWaitersBit, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return done(LockResult::kAcquired);
      }
      continue;
    }
    if ((v & kMutexWaitersBit) == 0) {
      if (!word_->compare_exchange_weak(v, v | kMutexWaitersBit, std::memory_order_relaxed,
                                        std::memory_order_relaxed)) {
        continue;
      }
      v |= kMutexWaitersBit;
    }
    // Sleep in slices: the word is shared with every client, and one that clears the waiters bit
    // (or the agent releasing a forged token) must not strand us until the deadline.
    const std::uint64_t slice = std::min(monotonic_ns() + kSleepSliceNs, deadline_ns);
    futex_wait_until(word_, v, slice);
    if (monotonic_ns() >= deadline_ns) return done(LockResult::kTimedOut);
    v = word_->load(std::memory_order_relaxed);
  }
}

bool ClientMutex::release(std::uint32_t owner) {
  return release_if_owner(word_, owner & kMutexOwnerMask, 1);
}

bool ClientMutex::force_release(std::uint32_t owner) {
  // Wake everyone: the dead owner may have left sleepers that a single wake would strand if the
  // woken one then times out.
  return release_if_owner(word_, owner & kMutexOwnerMask, INT_MAX);
}

}  // namespace shmon
