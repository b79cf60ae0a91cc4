// SPDX-License-Identifier: Apache-2.0
// The field lists of layout_fields.hpp against their structs: every byte of every struct is
// covered by exactly one entry (so a field added without an entry fails here), every offset is
// pinned to the number docs/REGIONS.md documents, and the lists drive snapshot(). The accessors of
// layout.hpp are checked on a plain buffer (no probe, no agent).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "shmon/layout.hpp"
#include "shmon/layout_fields.hpp"

using namespace shmon;

namespace {

struct Pinned {
  const char* struct_name;
  std::uint32_t size;
  std::vector<std::pair<std::string, std::uint32_t>> offsets;
};

// Written by hand from the ABI: changing a number here is changing the ABI (bump kAbiVersion).
const std::vector<Pinned>& pinned() {
  static const std::vector<Pinned> p = {
      {"ControlHeader",
       512,
       {{"magic", 0},
        {"abi_version", 8},
        {"header_size", 12},
        {"region_size", 16},
        {"directory_offset", 24},
        {"directory_entry_size", 28},
        {"directory_capacity", 32},
        {"max_app_clients", 36},
        {"lease_ms", 40},
        {"agent_pid", 44},
        {"agent_generation", 48},
        {"agent_start_realtime_ns", 56},
        {"agent_start_monotonic_ns", 64},
        {"instance", 72},
        {"reserved0", 144},
        {"heartbeat_monotonic_ns", 192},
        {"directory_seq", 200},
        {"reserved1", 208},
        {"stats", 256}}},
      {"AgentStats",
       256,
       {{"requests", 0},
        {"request_errors", 8},
        {"torn_requests", 16},
        {"lease_revocations", 24},
        {"dead_owner_releases", 32},
        {"clients_connected", 40},
        {"clients_total", 48},
        {"clients_refused", 56},
        {"events_received", 64},
        {"events_dropped", 72},
        {"bad_records", 80},
        {"drain_batches", 88},
        {"lock_holder_since_ns", 96},
        {"reattach_mismatches", 104},
        {"duplicate_requests", 112},
        {"requests_per_s_milli", 120},
        {"events_per_s_milli", 128},
        {"lock_repairs", 136},
        {"commands_sent", 144},
        {"command_timeouts", 152},
        {"late_replies", 160},
        {"forged_replies", 168},
        {"slot_waits", 176},
        {"slot_waits_answered_full", 184},
        {"folded_without_slot", 192},
        {"slot_waits_refused", 200},
        {"pending_dropped", 208},
        {"unattributed_interference", 216},
        {"reserved", 224}}},
      {"DirectoryEntry",
       768,
       {{"state", 0},
        {"kind", 4},
        {"pid", 8},
        {"slot", 12},
        {"incarnation", 16},
        {"attached_realtime_ns", 24},
        {"last_seen_monotonic_ns", 32},
        {"name", 40},
        {"requests", 104},
        {"request_errors", 112},
        {"events_written", 120},
        {"events_received", 128},
        {"metric_count", 136},
        {"data_region_size", 144},
        {"lock_held_ns", 152},
        {"requests_per_s_milli", 160},
        {"events_per_s_milli", 168},
        {"reserved", 176},
        {"stats", 256}}},
      {"MailboxHeader",
       384,
       {{"magic", 0},
        {"abi_version", 8},
        {"header_size", 12},
        {"region_size", 16},
        {"request_offset", 24},
        {"request_capacity", 28},
        {"response_offset", 32},
        {"response_capacity", 36},
        {"reserved0", 40},
        {"lock", 64},
        {"exec", 128},
        {"done", 192},
        {"doorbell", 256},
        {"drain_sleeping", 260},
        {"reserved1", 320}}},
      {"RequestHeader",
       64,
       {{"seq", 0},
        {"session", 8},
        {"type", 16},
        {"slot", 20},
        {"owner_token", 24},
        {"body_size", 28},
        {"reserved", 32}}},
      {"ResponseHeader",
       64,
       {{"seq", 0}, {"status", 8}, {"body_size", 12}, {"total_size", 16}, {"reserved", 24}}},
      {"DataHeader",
       4096,
       {{"magic", 0},
        {"abi_version", 8},
        {"header_size", 12},
        {"region_size", 16},
        {"incarnation", 24},
        {"pid", 32},
        {"kind", 36},
        {"name", 40},
        {"params", 104},
        {"reserved0", 124},
        {"metric_count", 192},
        {"histogram_count", 196},
        {"mutex_claim", 200},
        {"reserved2", 204},
        {"awaiting_seq", 208},
        {"commands", 256},
        {"stats", 768},
        {"command_payload", 1280},
        {"reply_payload", 2304},
        {"reserved1", 3840}}},
      {"CommandArea",
       512,
       {{"command_id", 0},
        {"deadline_monotonic_ns", 8},
        {"payload_size", 16},
        {"sender_pid", 20},
        {"name", 24},
        {"reserved0", 56},
        {"taken_id", 128},
        {"reply_id", 136},
        {"reply_status", 144},
        {"reply_size", 148},
        {"reserved1", 152}}},
      {"DataParams",
       20,
       {{"metric_capacity", 0},
        {"shard_count", 4},
        {"histogram_capacity", 8},
        {"histogram_buckets", 12},
        {"ring_capacity", 16}}},
      {"ClientStats",
       512,
       {{"calls", 0},
        {"call_errors", 8},
        {"lock_acquired", 16},
        {"lock_timeouts", 24},
        {"done_timeouts", 32},
        {"lock_wait_total_ns", 40},
        {"lock_wait_max_ns", 48},
        {"lock_wait_hist", 56},
        {"revocations_seen", 312},
        {"reconnects", 320},
        {"attach_failures", 328},
        {"drops_ring_full", 336},
        {"drops_payload_too_large", 344},
        {"drops_not_connected", 352},
        {"drops_metric_table_full", 360},
        {"wait_policy_timeouts", 368},
        {"doorbell_rings", 376},
        {"commands_handled", 384},
        {"command_failures", 392},
        {"label_sets_refused", 400},
        {"fork_handoffs_missed", 408},
        {"reserved", 416}}},
      {"MetricDescriptor",
       256,
       {{"name", 0},
        {"kind", 64},
        {"histogram_index", 68},
        {"unit", 72},
        {"labels", 88},
        {"reserved", 248}}},
      {"HistogramCellsHeader", 32, {{"count", 0}, {"sum", 8}, {"min", 16}, {"max", 24}}},
      {"RingHeader",
       128,
       {{"head", 0},
        {"pad0", 8},
        {"tail", 64},
        {"producer_waiting", 72},
        {"tail_wake", 76},
        {"pad1", 80}}},
      {"EventRecord",
       64,
       {{"timestamp_ns", 0},
        {"id", 8},
        {"level", 12},
        {"payload_size", 14},
        {"payload_kind", 16},
        {"reserved", 17},
        {"payload", 24}}},
      {"AttachRequest",
       160,
       {{"magic", 0},
        {"abi_version", 8},
        {"kind", 12},
        {"pid", 16},
        {"reserved0", 20},
        {"incarnation", 24},
        {"name", 32},
        {"data_region_size", 96},
        {"reattach_secret", 104},
        {"reserved", 120}}},
      {"AttachReply",
       208,
       {{"magic", 0},
        {"abi_version", 8},
        {"status", 12},
        {"slot", 16},
        {"lock_generation", 20},
        {"session", 24},
        {"agent_generation", 32},
        {"agent_pid", 40},
        {"max_app_clients", 44},
        {"message", 48},
        {"reserved", 176}}},
      {"RegionRequest", 32, {{"magic", 0}, {"abi_version", 8}, {"slot", 12}, {"reserved", 16}}},
      {"CommandRequest",
       1088,
       {{"magic", 0},
        {"abi_version", 8},
        {"slot", 12},
        {"incarnation", 16},
        {"timeout_ms", 24},
        {"payload_size", 28},
        {"name", 32},
        {"payload", 64}}},
      {"CommandReply",
       1600,
       {{"magic", 0},
        {"abi_version", 8},
        {"status", 12},
        {"id", 16},
        {"elapsed_ns", 24},
        {"payload_size", 32},
        {"reserved0", 36},
        {"reserved", 40},
        {"payload", 64}}},
  };
  return p;
}

}  // namespace

TEST(LayoutFields, EveryListCoversEveryByteOfItsStructOnce) {
  for (const FieldList* list : all_field_lists()) {
    SCOPED_TRACE(list->struct_name);
    std::uint32_t next = 0;
    for (const FieldDesc& f : list->fields) {
      // Gaps are allowed only as alignment padding before a 64-byte aligned field.
      if (f.offset != next) {
        EXPECT_GT(f.offset, next) << f.name << " overlaps the field before it";
        EXPECT_EQ(f.offset % 64, 0u) << "bytes " << next << ".." << f.offset
                                     << " have no entry (a field missing from the list?)";
        EXPECT_LT(f.offset - next, 64u) << "gap before " << f.name;
      }
      EXPECT_GT(f.size, 0u) << f.name;
      EXPECT_EQ(f.size % f.count, 0u) << f.name;
      if (f.type == FieldType::kStruct) {
        ASSERT_NE(f.nested, nullptr) << f.name << " is a struct without a nested list";
        EXPECT_EQ(f.size, f.nested->size) << f.name;
      }
      if (!f.reserved()) {
        EXPECT_STRNE(f.doc, "") << f.name << " has no meaning";
      }
      next = f.offset + f.size;
    }
    const std::uint32_t tail = list->size - next;
    EXPECT_TRUE(tail == 0 || (tail < 64 && list->size % 64 == 0))
        << "the last " << tail << " bytes have no entry";
  }
}

TEST(LayoutFields, EveryOffsetIsPinned) {
  std::map<std::string, const Pinned*> by_name;
  for (const Pinned& p : pinned()) by_name[p.struct_name] = &p;
  ASSERT_EQ(by_name.size(), all_field_lists().size())
      << "a list without pins, or pins without a list";
  for (const FieldList* list : all_field_lists()) {
    SCOPED_TRACE(list->struct_name);
    const auto it = by_name.find(list->struct_name);
    ASSERT_NE(it, by_name.end());
    const Pinned& p = *it->second;
    EXPECT_EQ(list->size, p.size);
    ASSERT_EQ(list->fields.size(), p.offsets.size()) << "fields added or removed: pin them";
    for (std::size_t i = 0; i < p.offsets.size(); ++i) {
      EXPECT_EQ(list->fields[i].name, p.offsets[i].first);
      EXPECT_EQ(list->fields[i].offset, p.offsets[i].second) << p.offsets[i].first;
    }
  }
}

TEST(LayoutFields, TypesAndCountsFollowTheMembers) {
  const FieldList& cs = kClientStatsFields;
  EXPECT_EQ(cs.fields[7].name, std::string("lock_wait_hist"));
  EXPECT_EQ(cs.fields[7].count, kWaitHistBuckets);
  EXPECT_EQ(cs.fields[7].type, FieldType::kU64);
  EXPECT_EQ(kControlHeaderFields.fields[0].type, FieldType::kChars);
  EXPECT_EQ(kControlHeaderFields.fields[9].type, FieldType::kI32);         // agent_pid
  EXPECT_EQ(kHistogramCellsHeaderFields.fields[1].type, FieldType::kI64);  // sum
  EXPECT_EQ(find_field_list("EventRecord"), &kEventRecordFields);
  EXPECT_EQ(find_field_list("NoSuchStruct"), nullptr);
  std::vector<std::string> leaves;
  for_each_leaf(kDataHeaderFields,
                [&](const std::string& name, const FieldDesc&, std::uint32_t off) {
                  if (name == "params.ring_capacity") {
                    EXPECT_EQ(off, 104u + 16u);
                  }
                  if (name == "stats.drops_ring_full") {
                    EXPECT_EQ(off, 768u + 336u);
                  }
                  leaves.push_back(name);
                });
  EXPECT_NE(std::find(leaves.begin(), leaves.end(), "stats.wait_policy_timeouts"), leaves.end());
}

TEST(LayoutFields, SnapshotCopiesEveryClientStatsWord) {
  ClientStats live{};
  auto* words = reinterpret_cast<std::atomic<std::uint64_t>*>(&live);
  for (std::size_t i = 0; i < sizeof(ClientStats) / 8; ++i) words[i].store(1000 + i);
  const ClientStatsSnapshot s = snapshot(live);
  const auto* out = reinterpret_cast<const std::uint64_t*>(&s);
  for (std::size_t i = 0; i < sizeof(ClientStats) / 8; ++i) EXPECT_EQ(out[i], 1000 + i) << i;
  EXPECT_EQ(s.drops_ring_full, 1000u + 336u / 8u);
}

// The accessors on a plain buffer: each location is where the documented formula puts it, all
// distinct sections are disjoint and inside the region.
TEST(DataRegionAccessors, LocationsOnAPlainBuffer) {
  const DataParams p{8, 3, 2, 16, 4};
  auto g = compute_data_geometry(p);
  ASSERT_TRUE(g) << g.error();
  std::vector<std::byte> buf(g->region_size);
  const DataRegion r(buf.data(), *g);
  auto off = [&](const void* ptr) {
    return std::uint64_t(static_cast<const std::byte*>(ptr) - buf.data());
  };
  EXPECT_EQ(off(r.header()), 0u);
  EXPECT_EQ(off(r.descriptor(0)), 4096u);
  EXPECT_EQ(off(r.descriptor(7)), 4096u + 7u * 256u);
  EXPECT_EQ(off(r.bounds(0)), g->bounds_offset);
  EXPECT_EQ(off(r.bounds(1)), g->bounds_offset + 16u * 8u);
  EXPECT_EQ(off(r.cell(0, 0)), g->cells_offset);
  EXPECT_EQ(off(r.cell(2, 5)), g->cells_offset + 2u * g->cells_shard_stride + 5u * 8u);
  EXPECT_EQ(off(r.histogram(1, 1)),
            g->histograms_offset + g->histograms_shard_stride + g->histogram_stride);
  EXPECT_EQ(off(r.buckets(1, 1)), off(r.histogram(1, 1)) + 32u);
  EXPECT_EQ(off(r.ring(2)), g->rings_offset + 2u * g->ring_stride);
  EXPECT_EQ(off(r.records(2)), off(r.ring(2)) + 128u);
  EXPECT_EQ(off(r.record(2, 5)), off(r.records(2)) + 1u * 64u);  // 5 & (4 - 1)
  // The last byte of the last ring record is the last used byte of the region.
  EXPECT_LE(off(r.record(2, 3)) + sizeof(EventRecord), g->region_size);
  // Sections in order, no overlap: last descriptor < bounds < cells < histograms < rings.
  EXPECT_LE(off(r.descriptor(7)) + 128u, off(r.bounds(0)));
  EXPECT_LE(off(r.bounds(1)) + 16u * 8u, off(r.cell(0, 0)));
  EXPECT_LE(off(r.cell(2, 7)) + 8u, off(r.histogram(0, 0)));
  EXPECT_LE(off(r.buckets(2, 1)) + 16u * 8u, off(r.ring(0)));
  // The const view computes the same pointers.
  const ConstDataRegion c(buf.data(), *g);
  EXPECT_EQ(static_cast<const void*>(c.cell(2, 5)), static_cast<const void*>(r.cell(2, 5)));
  EXPECT_EQ(offset_of_directory_entry(3), 512u + 3u * 768u);
  EXPECT_EQ(MailboxLayout::kRequestBodyOffset, 576u);
  EXPECT_EQ(MailboxLayout::kResponseBodyOffset, 4672u);
}

TEST(DataRegionAccessors, NoHistogramsMeansNoBuckets) {
  auto g = compute_data_geometry({4, 1, 0, 128, 2});
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ(g->bucket_count(), 0u);
  EXPECT_EQ(g->offset_of_bounds(0), g->cells_offset);
}
