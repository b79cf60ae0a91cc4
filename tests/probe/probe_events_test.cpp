// SPDX-License-Identifier: Apache-2.0
// Events without an agent: the ring fills, then drops are counted by cause; the wait policy gives
// up at its deadline; oversized payloads are refused.
#include <chrono>
#include <cstring>
#include <string>

#include "probe_test_util.hpp"
#include "shmon/clock.hpp"

namespace shmon::probe_test {
namespace {

using EventsTest = ProbeTest;

TEST_F(EventsTest, FillsTheRingThenDropsAsNotConnected) {
  ProbeOptions o = quiet_options();
  o.params.ring_capacity = 8;
  Probe probe(o);
  EventType started = probe.event_type("job.started");
  for (int i = 0; i < 8; ++i) {
    EXPECT_TRUE(probe.emit(started, EventLevel::kInfo, "job " + std::to_string(i)));
  }
  EXPECT_FALSE(probe.emit(started, EventLevel::kInfo, "one too many"));
  const ClientStatsSnapshot s = probe.stats();
  EXPECT_EQ(s.drops_not_connected, 1u);
  EXPECT_EQ(s.drops_ring_full, 0u);

  detail::ProbeCore& core = *testing::core_of(probe);
  const std::uint32_t shard = detail::t_claims.claims[0].shard;
  EXPECT_EQ(ring(core, shard)->head.load(), 8u);
  EXPECT_EQ(ring(core, shard)->tail.load(), 0u);
  const EventRecord& r = ring_records(core, shard)[3];
  EXPECT_EQ(r.id, started.id());
  EXPECT_EQ(r.level, std::uint16_t(EventLevel::kInfo));
  EXPECT_EQ(r.payload_kind, std::uint8_t(PayloadKind::kText));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(r.payload), r.payload_size), "job 3");
  EXPECT_NEAR(double(r.timestamp_ns), double(realtime_ns()), 5e9);
  // Accepted events are counted in their level's cell, after the type's (layout.hpp); the
  // type's own cell stays 0.
  const std::uint32_t info = started.id() + 1 + std::uint32_t(EventLevel::kInfo);
  const std::uint32_t warn = started.id() + 1 + std::uint32_t(EventLevel::kWarn);
  EXPECT_EQ(std::string(core.region.descriptor(info)->labels), R"(level="info")");
  EXPECT_EQ(cell_sum(core, info), 8u);
  EXPECT_EQ(cell_sum(core, started.id()), 0u);

  // The agent consuming (tail moves) makes room again.
  ring(core, shard)->tail.store(4);
  EXPECT_TRUE(probe.emit(started, EventLevel::kWarn, "after drain"));
  EXPECT_EQ(ring_records(core, shard)[0].level, std::uint16_t(EventLevel::kWarn));
  EXPECT_EQ(cell_sum(core, warn), 1u);
}

TEST_F(EventsTest, BytesPayloadAndTooLarge) {
  Probe probe(quiet_options());
  EventType t = probe.event_type("blob");
  const std::uint8_t bytes[40] = {1, 2, 3};
  EXPECT_TRUE(probe.emit_bytes(t, EventLevel::kDebug, bytes));
  const std::uint8_t big[41] = {};
  EXPECT_FALSE(probe.emit_bytes(t, EventLevel::kDebug, big));
  EXPECT_FALSE(probe.emit(t, EventLevel::kError, std::string(41, 'x')));
  EXPECT_EQ(probe.stats().drops_payload_too_large, 2u);
  EXPECT_FALSE(probe.emit(EventType(), EventLevel::kError, "no type"));
}

TEST_F(EventsTest, WaitPolicyTimesOutWhenNobodyDrains) {
  ProbeOptions o = quiet_options();
  o.params.ring_capacity = 2;
  o.overflow = OverflowPolicy::kWait;
  o.overflow_wait_ms = 40;
  Probe probe(o);
  EventType t = probe.event_type("waited");
  EXPECT_TRUE(probe.emit(t, EventLevel::kInfo, "a"));
  EXPECT_TRUE(probe.emit(t, EventLevel::kInfo, "b"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(probe.emit(t, EventLevel::kInfo, "c"));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(35));
  EXPECT_LT(waited, std::chrono::milliseconds(1000));
  const ClientStatsSnapshot s = probe.stats();
  EXPECT_EQ(s.wait_policy_timeouts, 1u);
  EXPECT_EQ(s.drops_not_connected, 1u);  // dropped while no agent was attached
  EXPECT_EQ(detail::t_claims.claims[0].core, testing::core_of(probe));
  EXPECT_EQ(
      ring(*testing::core_of(probe), detail::t_claims.claims[0].shard)->producer_waiting.load(),
      0u);
}

TEST_F(EventsTest, CallsReturnNotConnectedQuickly) {
  Probe probe(quiet_options());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(probe.ping().status, CallStatus::kNotConnected);
  EXPECT_EQ(probe.flush().status, CallStatus::kNotConnected);
  EXPECT_EQ(testing::submit(probe, {}), CallStatus::kNotConnected);
  EXPECT_EQ(probe.query(QueryKind::kStatus).status, CallStatus::kNotConnected);
  EXPECT_EQ(probe.query(QueryKind::kStatus, std::string(100, 'x')).status,
            CallStatus::kBadArgument);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_EQ(probe.stats().calls, 0u);
}

}  // namespace
}  // namespace shmon::probe_test
