// SPDX-License-Identifier: Apache-2.0
// An auto-reset event on one futex word shared between processes (the seed's Exec and Done).
//
// Word layout: bit 0 = signalled; bit 1 = a waiter may sleep; bits 2..31 unused (ignored, so
// garbage written there by a client changes nothing). set() makes no system call when nobody
// sleeps. Any value in the word recovers within one wait: a cleared flag costs a sleeper at most
// its (bounded) wait, a stray signal a spurious return that callers re-check. A successful wait
// consumes the signal (auto-reset): exactly one waiter returns per set(). Waits take an absolute
// monotonic deadline, optionally spin first, and loop on spurious wake-ups.
#pragma once

#include <atomic>
#include <cstdint>

namespace shmon {

class AutoResetEvent {
 public:
  explicit AutoResetEvent(std::atomic<std::uint32_t>* word) : word_(word) {}

  void set();

  // Consumes the signal if it is set. Never blocks.
  bool try_consume();

  // Waits until the event is signalled (and consumes it) or until `deadline_ns`.
  // Spins for up to `spin_ns` before sleeping. Returns false on timeout.
  bool wait_until(std::uint64_t deadline_ns, std::uint64_t spin_ns = 0) {
    return wait(deadline_ns, spin_ns, /*any_wake=*/false);
  }

  // Like wait_until, but also returns (false) after any wake-up of the futex, even when another
  // waiter consumed the signal first, or the word changed under it. For a waiter that re-checks
  // its own state on every return (the agent's service thread): a client that swallows the signal
  // cannot keep it asleep, and a plain futex_wake() on the word (no signal) wakes it.
  bool wait_or_wake_until(std::uint64_t deadline_ns, std::uint64_t spin_ns = 0) {
    return wait(deadline_ns, spin_ns, /*any_wake=*/true);
  }

  // Clears a pending signal (used by the agent at start-up on a fresh word).
  void reset() { word_->fetch_and(~1u, std::memory_order_acq_rel); }

 private:
  bool wait(std::uint64_t deadline_ns, std::uint64_t spin_ns, bool any_wake);
  std::atomic<std::uint32_t>* word_;
};

}  // namespace shmon
