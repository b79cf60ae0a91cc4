// SPDX-License-Identifier: Apache-2.0
#include "submissions.hpp"

#include <cstring>
#include <vector>

#include "probe_testing.hpp"
#include "shmon/clock.hpp"

namespace shmon::testclient {

std::string register_and_submit(Probe& probe) {
  // Descriptor indexes follow registration order in a fresh probe.
  Counter late = probe.counter("late");
  probe.counter("late_submitted");
  probe.histogram("late_hist");
  EventType event = probe.event_type("late_event");
  if (event.id() != 3) return "unexpected descriptor index " + std::to_string(event.id());
  late.add(kLateCells);

  std::vector<SubmitRecord> records;
  auto record = [&](SubmitOp op, std::uint32_t metric, std::int64_t value) {
    SubmitRecord r{};
    r.op = std::uint32_t(op);
    r.metric = metric;
    r.value = value;
    r.timestamp_ns = realtime_ns();
    r.level = std::uint16_t(EventLevel::kInfo);
    if (op == SubmitOp::kEvent) {
      r.payload_kind = std::uint8_t(PayloadKind::kText);
      r.payload_size = 9;
      std::memcpy(r.payload, "submitted", 9);
    }
    records.push_back(r);
  };
  for (std::uint64_t i = 0; i < kLateSubmitted; ++i) record(SubmitOp::kCounterAdd, 1, 1);
  for (std::int64_t v : {10, 20, 30}) record(SubmitOp::kHistogramRecord, 2, v);
  for (std::uint64_t i = 0; i < kLateEvents; ++i) record(SubmitOp::kEvent, 3, 0);
  SubmitReply reply{};
  if (const CallStatus st = testing::submit(probe, records, &reply); st != CallStatus::kOk) {
    return std::string("submit: ") + to_string(st);
  }
  if (reply.accepted != records.size()) {
    return "submit accepted " + std::to_string(reply.accepted) + " of " +
           std::to_string(records.size());
  }
  if (const FlushResult f = probe.flush(); f.status != CallStatus::kOk) {
    return std::string("flush: ") + to_string(f.status);
  }
  return {};
}

}  // namespace shmon::testclient
