// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <thread>

#include "multiprocess.hpp"
#include "shmon/clock.hpp"
#include "shmon/event.hpp"
#include "shmon/futex.hpp"

using namespace shmon;
using shmon::testing::eventually;
using shmon::testing::SharedBlock;
using shmon::testing::spawn;
using shmon::testing::wait_child;

namespace {

struct Shared {
  std::atomic<std::uint32_t> ping;
  std::atomic<std::uint32_t> pong;
  std::uint64_t value;  // plain: ordered only by the events
  std::atomic<std::uint32_t> woke;
  std::atomic<std::uint32_t> timed_out;
};

}  // namespace

TEST(AutoResetEvent, SetThenWaitConsumes) {
  std::atomic<std::uint32_t> word{0};
  AutoResetEvent ev(&word);
  ev.set();
  EXPECT_EQ(word.load(), 1u);
  EXPECT_TRUE(ev.wait_until(deadline_after_ms(1000)));
  EXPECT_EQ(word.load(), 0u);
}

TEST(AutoResetEvent, AutoResetsSoSecondWaitTimesOut) {
  std::atomic<std::uint32_t> word{0};
  AutoResetEvent ev(&word);
  ev.set();
  ev.set();  // signals do not accumulate
  EXPECT_TRUE(ev.wait_until(deadline_after_ms(1000)));
  for (std::uint64_t spin : {std::uint64_t(0), std::uint64_t(50000)}) {
    const std::uint64_t deadline = deadline_after_ms(20);
    EXPECT_FALSE(ev.wait_until(deadline, spin));
    EXPECT_GE(monotonic_ns(), deadline);
  }
  EXPECT_EQ(word.load(), 0u) << "a timed-out waiter must unregister";
}

TEST(AutoResetEvent, TryConsumeAndReset) {
  std::atomic<std::uint32_t> word{0};
  AutoResetEvent ev(&word);
  EXPECT_FALSE(ev.try_consume());
  ev.set();
  EXPECT_TRUE(ev.try_consume());
  EXPECT_FALSE(ev.try_consume());
  ev.set();
  ev.reset();
  EXPECT_FALSE(ev.try_consume());
}

TEST(AutoResetEvent, OneSetWakesExactlyOneOfTwoWaitingProcesses) {
  SharedBlock<Shared> s;
  ASSERT_TRUE(s.ok());
  // The children's deadline is far beyond the parent's observation bounds, so a missing wake
  // cannot be papered over by a waiter's timeout path.
  auto waiter = [&] {
    AutoResetEvent ev(&s->ping);
    if (ev.wait_until(deadline_after_ms(20000))) {
      s->woke.fetch_add(1);
    } else {
      s->timed_out.fetch_add(1);
    }
    return 0;
  };
  const pid_t a = spawn(waiter);
  const pid_t b = spawn(waiter);
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  AutoResetEvent ev(&s->ping);
  // A waiter is registered (bit 1; there is no count: see event.hpp).
  ASSERT_TRUE(eventually([&] { return (s->ping.load() & 2) != 0; }, 10000));

  ev.set();
  EXPECT_TRUE(eventually([&] { return s->woke.load() == 1; }, 5000));
  // The other one goes back to sleep: registered again, signal consumed, not returned.
  EXPECT_TRUE(eventually([&] { return s->ping.load() == 2; }, 5000)) << s->ping.load();
  EXPECT_EQ(s->woke.load(), 1u);

  ev.set();  // releases the second waiter
  EXPECT_TRUE(eventually([&] { return s->woke.load() == 2; }, 5000));
  EXPECT_EQ(wait_child(a, 30000), 0);
  EXPECT_EQ(wait_child(b, 30000), 0);
  EXPECT_EQ(s->woke.load(), 2u);
  EXPECT_EQ(s->timed_out.load(), 0u);
  EXPECT_EQ(s->ping.load(), 0u) << "signals consumed and the waiter flag cleared by set()";
}

TEST(AutoResetEvent, CrossProcessPingPong) {
  SharedBlock<Shared> s;
  ASSERT_TRUE(s.ok());
  constexpr std::uint64_t kRounds = 10000;
  const pid_t child = spawn([&] {
    AutoResetEvent ping(&s->ping), pong(&s->pong);
    for (std::uint64_t i = 0; i < kRounds; ++i) {
      if (!ping.wait_until(deadline_after_ms(10000))) return 1;
      if (s->value != 2 * i + 1) return 2;
      s->value = s->value + 1;
      pong.set();
    }
    return 0;
  });
  ASSERT_GT(child, 0);
  AutoResetEvent ping(&s->ping), pong(&s->pong);
  std::uint64_t i = 0;
  for (; i < kRounds; ++i) {
    s->value = s->value + 1;
    ping.set();
    if (!pong.wait_until(deadline_after_ms(10000), 1000)) break;
    if (s->value != 2 * i + 2) break;
  }
  EXPECT_EQ(i, kRounds);
  EXPECT_EQ(wait_child(child, 30000), 0);
  EXPECT_EQ(s->value, 2 * kRounds);
  EXPECT_EQ(s->ping.load(), 0u);
  EXPECT_EQ(s->pong.load(), 0u);
}

// The agent's service thread waits with wait_or_wake_until: a wake whose signal somebody else
// consumed (or a plain futex_wake with no signal, as the agent's tick makes) must end the wait,
// so a client that swallows Exec cannot keep the agent asleep until its deadline.
TEST(AutoResetEvent, WaitOrWakeReturnsOnAWakeWithoutSignal) {
  std::atomic<std::uint32_t> word{0};
  std::atomic<bool> returned{false}, result{true};
  const std::uint64_t deadline = deadline_after_ms(60'000);
  std::uint64_t returned_at = 0;
  std::thread waiter([&] {
    result = AutoResetEvent(&word).wait_or_wake_until(deadline);
    returned_at = monotonic_ns();
    returned = true;
  });
  // Wake until the waiter returns: the first wakes may come before it sleeps.
  EXPECT_TRUE(eventually(
      [&] {
        futex_wake(&word, INT_MAX);
        return returned.load();
      },
      30'000));
  waiter.join();
  EXPECT_FALSE(result.load()) << "no signal was set: nothing to consume";
  EXPECT_LT(returned_at, deadline) << "it slept until its deadline";
  EXPECT_EQ(word.load() & 1u, 0u);
}
