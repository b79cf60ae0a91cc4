// SPDX-License-Identifier: Apache-2.0
// poison-totals: a client that lies about its own cumulative values, the ones the agent sums
// into its agent-wide totals: ring positions and drop counters.
//   --variant at-attach     the region arrives claiming ~10^19 events received and dropped
//   --variant after-attach  once attached, ring heads and drop counters jump by ~10^19
// Prints "POISONED lies=N", N being how many implausible values the agent must count for it:
// at attach, one claim of events received (the sum over its rings) and three drop counters;
// after attach, one head per ring and three drop counters. Then it reads stdin: the line
// "backwards" sets every drop counter back to 1 (three more lies; prints BACKWARDS); EOF ends the
// client (exit 0).
#include <cstdio>
#include <string>

#include "output.hpp"
#include "raw_attach.hpp"
#include "shmon/layout.hpp"

namespace shmon::testclient {
namespace {

constexpr std::uint64_t kHuge = 10'000'000'000'000'000'000ull;  // 10^19
constexpr std::uint32_t kDropCounters = 3;

RingHeader* ring_at(std::byte* region, const DataGeometry& g, std::uint32_t shard) {
  return reinterpret_cast<RingHeader*>(region + g.rings_offset + g.ring_stride * shard);
}

void claim_history(std::byte* region, const DataGeometry& g) {
  // Consistent rings (head == tail) far beyond anything a young process can have produced.
  for (std::uint32_t s = 0; s < g.params.shard_count; ++s) {
    ring_at(region, g, s)->head.store(kHuge + s);
    ring_at(region, g, s)->tail.store(kHuge + s);
  }
  auto& stats = reinterpret_cast<DataHeader*>(region)->stats;
  stats.drops_ring_full.store(kHuge);
  stats.drops_payload_too_large.store(kHuge);
  stats.drops_not_connected.store(kHuge);
}

void serve_stdin(DataHeader* header) {
  char line[64];
  while (std::fgets(line, sizeof line, stdin)) {
    if (std::string(line) == "backwards\n") {
      header->stats.drops_ring_full.store(1);
      header->stats.drops_payload_too_large.store(1);
      header->stats.drops_not_connected.store(1);
      say("BACKWARDS");
    }
  }
}

}  // namespace

int run_poison_totals(const Args& args) {
  const bool at_attach = args.variant == "at-attach";
  if (!at_attach && args.variant != "after-attach") {
    say("ERROR unknown --variant '" + args.variant + "' (at-attach | after-attach)");
    return 2;
  }
  RawSession session = raw_attach({args.instance, args.name, kAbiVersion, RegionFlaw::kNone},
                                  at_attach ? PrepareRegion(claim_history) : PrepareRegion());
  if (!session.replied || session.reply.status != std::uint32_t(AttachStatus::kOk)) {
    say("ERROR attach: " + (session.replied ? reply_message(session.reply) : session.error));
    return 1;
  }
  say("ATTACHED");
  std::uint32_t lies = 1 + kDropCounters;
  if (!at_attach) {
    auto geometry = validate_data_header(*session.data.as<DataHeader>(), session.data.size());
    if (!geometry) {
      say("ERROR " + geometry.error());
      return 1;
    }
    auto& stats = session.data.as<DataHeader>()->stats;
    for (std::uint32_t s = 0; s < geometry->params.shard_count; ++s) {
      ring_at(session.data.data(), *geometry, s)->head.store(kHuge);
    }
    stats.drops_ring_full.store(kHuge);
    stats.drops_payload_too_large.store(kHuge / 2);
    stats.drops_not_connected.store(kHuge / 4);
    lies = geometry->params.shard_count + kDropCounters;
  }
  say("POISONED lies=" + std::to_string(lies));
  serve_stdin(session.data.as<DataHeader>());
  say("BYE");
  return 0;
}

}  // namespace shmon::testclient
