// SPDX-License-Identifier: Apache-2.0
// The client mutex of the seed handshake: a futex word in the shared mailbox.
//
// Word layout (32 bits): bit 31 = "someone may be waiting"; bits 0..30 = owner token, 0 = free.
// An owner token is make_owner_token(slot, generation): the client's slot in the agent's table and
// the slot's generation, never a pid, so the agent can tell whether the holder is a client it has
// seen die (force_release) or one that overstayed its lease (revoke), and a resumed or stale
// client cannot release a lock that is no longer its own.
//
// Contract: every acquisition is bounded by an absolute monotonic deadline (and sleeps in slices
// of 10 ms, so no value another client writes into the word can strand a waiter); release()
// never blocks; the agent is the only party that calls force_release(). A holder also publishes
// its token in its own data region (DataHeader::mutex_claim), which no other client can write:
// that is how the agent tells a real holder from a token forged into the shared word.
#pragma once

#include <atomic>
#include <cstdint>

namespace shmon {

inline constexpr std::uint32_t kMutexWaitersBit = 1u << 31;
inline constexpr std::uint32_t kMutexOwnerMask = ~kMutexWaitersBit;
inline constexpr std::uint32_t kMutexSlotBits = 12;  // slot + 1 in bits 0..11: up to 4095 slots

constexpr std::uint32_t make_owner_token(std::uint32_t slot, std::uint32_t generation) {
  // Generation 0 is folded to 1 so that a token is never 0 (= free).
  std::uint32_t gen = (generation & (kMutexOwnerMask >> kMutexSlotBits));
  if (gen == 0) gen = 1;
  return (gen << kMutexSlotBits) | ((slot + 1) & ((1u << kMutexSlotBits) - 1));
}
constexpr std::uint32_t owner_slot(std::uint32_t token) {
  return (token & ((1u << kMutexSlotBits) - 1)) - 1;
}

enum class LockResult { kAcquired, kTimedOut };

struct LockOutcome {
  LockResult result;
  std::uint64_t wait_ns;  // time from the call to acquisition (or to the timeout)
};

class ClientMutex {
 public:
  explicit ClientMutex(std::atomic<std::uint32_t>* word) : word_(word) {}

  // Acquires for `owner` (non-zero, without the waiters bit) or gives up at `deadline_ns`.
  // Spins briefly (spin_ns) before sleeping on the futex.
  LockOutcome acquire(std::uint32_t owner, std::uint64_t deadline_ns, std::uint64_t spin_ns = 0);

  // Releases if `owner` still holds the lock. Returns false when it does not (the agent revoked
  // the lease or released it after deciding the owner was dead): the caller must treat its
  // session as lost.
  bool release(std::uint32_t owner);

  // Agent only: releases the lock if (and only if) `owner` holds it, and wakes a waiter.
  // Returns true when it released.
  bool force_release(std::uint32_t owner);

  // Current owner token (0 = free), without the waiters bit.
  std::uint32_t owner() const { return word_->load(std::memory_order_acquire) & kMutexOwnerMask; }

 private:
  std::atomic<std::uint32_t>* word_;
};

}  // namespace shmon
