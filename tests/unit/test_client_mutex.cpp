// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdint>

#include "multiprocess.hpp"
#include "shmon/client_mutex.hpp"
#include "shmon/clock.hpp"
#include "shmon/futex.hpp"

using namespace shmon;
using shmon::testing::eventually;
using shmon::testing::SharedBlock;
using shmon::testing::spawn;
using shmon::testing::wait_child;

namespace {

struct Shared {
  std::atomic<std::uint32_t> lock;
  std::uint64_t counter;  // deliberately plain: only the mutex protects it
  std::atomic<std::uint32_t> holding;
  std::atomic<std::uint32_t> acquired;
  std::atomic<std::uint32_t> never;  // a word nobody changes, for bounded child sleeps
};

const std::uint32_t kA = make_owner_token(0, 1);
const std::uint32_t kB = make_owner_token(1, 1);

bool waiter_present(const Shared& s) {
  return (s.lock.load() & kMutexWaitersBit) != 0;
}

}  // namespace

TEST(ClientMutex, TokensAreNonZeroAndCarryTheSlot) {
  EXPECT_NE(make_owner_token(0, 0), 0u);
  EXPECT_EQ(owner_slot(make_owner_token(7, 3)), 7u);
  EXPECT_EQ(make_owner_token(5, 1) & kMutexWaitersBit, 0u);
  EXPECT_NE(make_owner_token(5, 1), make_owner_token(5, 2));
}

TEST(ClientMutex, FourProcessesIncrementExactly) {
  SharedBlock<Shared> s;
  ASSERT_TRUE(s.ok());
  constexpr int kProcs = 4;
  constexpr int kIters = 20000;
  pid_t pids[kProcs];
  for (int p = 0; p < kProcs; ++p) {
    pids[p] = spawn([&, p] {
      ClientMutex m(&s->lock);
      const std::uint32_t me = make_owner_token(std::uint32_t(p), 7);
      const std::uint64_t spin = (p % 2 == 0) ? 2000 : 0;  // exercise both paths
      for (int i = 0; i < kIters; ++i) {
        if (m.acquire(me, deadline_after_ms(20000), spin).result != LockResult::kAcquired) return 1;
        if (m.owner() != me) return 2;
        s->counter = s->counter + 1;
        if (!m.release(me)) return 3;
      }
      return 0;
    });
    ASSERT_GT(pids[p], 0);
  }
  for (int p = 0; p < kProcs; ++p) EXPECT_EQ(wait_child(pids[p], 60000), 0) << "child " << p;
  EXPECT_EQ(s->counter, std::uint64_t(kProcs) * kIters);
  EXPECT_EQ(s->lock.load(), 0u) << "lock free and no stale waiters bit after the last release";
}

TEST(ClientMutex, TimedAcquireOnHeldLockTimesOut) {
  std::atomic<std::uint32_t> word{0};
  ClientMutex m(&word);
  ASSERT_EQ(m.acquire(kA, deadline_after_ms(1000)).result, LockResult::kAcquired);
  for (std::uint64_t spin : {std::uint64_t(0), std::uint64_t(100000)}) {
    const std::uint64_t deadline = deadline_after_ms(30);
    const LockOutcome out = m.acquire(kB, deadline, spin);
    EXPECT_EQ(out.result, LockResult::kTimedOut);
    EXPECT_GE(monotonic_ns(), deadline);
    EXPECT_EQ(m.owner(), kA);
  }
  EXPECT_TRUE(m.release(kA));
  EXPECT_EQ(m.owner(), 0u);
}

TEST(ClientMutex, ReleaseByWrongTokenFailsAndKeepsTheLock) {
  std::atomic<std::uint32_t> word{0};
  ClientMutex m(&word);
  ASSERT_EQ(m.acquire(kA, deadline_after_ms(1000)).result, LockResult::kAcquired);
  EXPECT_FALSE(m.release(kB));
  EXPECT_EQ(m.owner(), kA);
  EXPECT_TRUE(m.release(kA));
  EXPECT_FALSE(m.release(kA)) << "a second release must report the lock is no longer ours";
}

TEST(ClientMutex, ForceReleaseWakesSleepingWaiterInAnotherProcess) {
  SharedBlock<Shared> s;
  ASSERT_TRUE(s.ok());
  ClientMutex m(&s->lock);
  ASSERT_EQ(m.acquire(kA, deadline_after_ms(1000)).result, LockResult::kAcquired);

  const pid_t waiter = spawn([&] {
    ClientMutex wm(&s->lock);
    if (wm.acquire(kB, deadline_after_ms(10000)).result != LockResult::kAcquired) return 1;
    s->acquired.store(1);
    return wm.release(kB) ? 0 : 2;
  });
  ASSERT_GT(waiter, 0);
  ASSERT_TRUE(eventually([&] { return waiter_present(*s); }, 10000));

  EXPECT_FALSE(m.force_release(kB)) << "force_release with a token that does not hold the lock";
  EXPECT_EQ(m.owner(), kA);
  EXPECT_TRUE(m.force_release(kA));
  EXPECT_EQ(wait_child(waiter, 15000), 0);
  EXPECT_EQ(s->acquired.load(), 1u);
  EXPECT_EQ(m.owner(), 0u);
}

TEST(ClientMutex, WaiterProceedsAfterOwnerDiesAndAgentForceReleases) {
  SharedBlock<Shared> s;
  ASSERT_TRUE(s.ok());
  const pid_t owner = spawn([&] {
    ClientMutex om(&s->lock);
    if (om.acquire(kA, deadline_after_ms(5000)).result != LockResult::kAcquired) return 1;
    s->holding.store(1);
    // Stay alive holding the lock until killed (bounded: the test kills us long before).
    const std::uint64_t deadline = deadline_after_ms(30000);
    while (monotonic_ns() < deadline) futex_wait_until(&s->never, 0, deadline);
    return 0;
  });
  ASSERT_GT(owner, 0);
  ASSERT_TRUE(eventually([&] { return s->holding.load() == 1; }, 10000));

  const pid_t waiter = spawn([&] {
    ClientMutex wm(&s->lock);
    if (wm.acquire(kB, deadline_after_ms(10000)).result != LockResult::kAcquired) return 1;
    s->acquired.store(1);
    return wm.release(kB) ? 0 : 2;
  });
  ASSERT_GT(waiter, 0);
  ASSERT_TRUE(eventually([&] { return waiter_present(*s); }, 10000));

  ASSERT_EQ(::kill(owner, SIGKILL), 0);
  EXPECT_EQ(wait_child(owner, 10000), 128 + SIGKILL);
  EXPECT_EQ(s->acquired.load(), 0u) << "the dead owner's lock must still be held";

  ClientMutex agent(&s->lock);
  EXPECT_TRUE(agent.force_release(kA));
  EXPECT_EQ(wait_child(waiter, 15000), 0);
  EXPECT_EQ(s->acquired.load(), 1u);
}
