// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>

#include "shmon/layout.hpp"
#include "shmon/names.hpp"
#include "shmon/protocol.hpp"

using namespace shmon;

namespace {

std::string error_of(const DataParams& p) {
  auto g = compute_data_geometry(p);
  return g ? std::string() : g.error();
}

// A well-formed header for default parameters (heap: DataHeader is 4 KiB).
std::unique_ptr<DataHeader> good_header(std::uint64_t* size) {
  auto h = std::make_unique<DataHeader>();
  std::memcpy(h->magic, kDataMagic, sizeof(kDataMagic));
  h->abi_version = kAbiVersion;
  h->header_size = sizeof(DataHeader);
  h->kind = std::uint32_t(ClientKind::kApp);
  h->pid = 42;
  write_fixed_name(h->name, sizeof(h->name), "loadgen-1");
  h->params = DataParams{};
  *size = compute_data_geometry(h->params)->region_size;
  h->region_size = *size;
  return h;
}

}  // namespace

TEST(DataGeometry, DefaultsAreAlignedAndAddUp) {
  const DataParams p{};
  auto g = compute_data_geometry(p);
  ASSERT_TRUE(g) << g.error();
  for (std::uint64_t v :
       {g->descriptors_offset, g->bounds_offset, g->cells_offset, g->cells_shard_stride,
        g->histograms_offset, g->histogram_stride, g->histograms_shard_stride, g->rings_offset,
        g->ring_stride, g->region_size}) {
    EXPECT_EQ(v % 64, 0u) << v;
  }
  EXPECT_EQ(g->descriptors_offset, 4096u);
  EXPECT_EQ(g->bounds_offset, 4096u + 256u * 256u);
  EXPECT_EQ(g->cells_offset, g->bounds_offset + 8u * 16u * 128u);
  EXPECT_EQ(g->cells_shard_stride, 8u * 256u);
  EXPECT_EQ(g->histograms_offset, g->cells_offset + 8u * g->cells_shard_stride);
  EXPECT_EQ(g->histogram_stride, 1088u);  // 32 + 8 * 128 = 1056, rounded up to 64
  EXPECT_EQ(g->histograms_shard_stride, 16u * g->histogram_stride);
  EXPECT_EQ(g->rings_offset, g->histograms_offset + 8u * g->histograms_shard_stride);
  EXPECT_EQ(g->ring_stride, 128u + 64u * 2048u);
  EXPECT_EQ(g->region_size, g->rings_offset + 8u * g->ring_stride);
}

TEST(DataGeometry, OddSizesAreRoundedTo64) {
  DataParams p;
  p.metric_capacity = 3;  // 24 bytes of cells per shard
  p.histogram_capacity = 1;
  p.histogram_buckets = 5;  // 32 + 40 bytes of histogram
  p.shard_count = 3;
  p.ring_capacity = 1;
  auto g = compute_data_geometry(p);
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ(g->cells_shard_stride, 64u);
  EXPECT_EQ(g->histogram_stride, 128u);
  EXPECT_EQ(g->bounds_offset % 64, 0u);
  EXPECT_EQ(g->cells_offset, g->bounds_offset + 64u);  // 40 bytes of bounds, rounded
  EXPECT_EQ(g->ring_stride, 192u);
  EXPECT_EQ(g->region_size, g->rings_offset + 3u * 192u);
}

TEST(DataGeometry, ZeroHistogramsAllowed) {
  DataParams p;
  p.histogram_capacity = 0;
  p.histogram_buckets = 0;
  auto g = compute_data_geometry(p);
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ(g->cells_offset, g->bounds_offset);
  EXPECT_EQ(g->histograms_shard_stride, 0u);
  EXPECT_EQ(g->rings_offset, g->histograms_offset);
  p.histogram_buckets = DataLimits::kMaxBuckets + 1;
  EXPECT_NE(error_of(p).find("histogram_buckets"), std::string::npos) << error_of(p);
}

TEST(DataGeometry, LimitsAreRefusedNamingTheParameter) {
  auto refuse = [](auto mutate, const char* param) {
    DataParams p;
    mutate(p);
    const std::string err = error_of(p);
    EXPECT_NE(err.find(param), std::string::npos) << "'" << err << "' should name " << param;
  };
  refuse([](DataParams& p) { p.metric_capacity = 0; }, "metric_capacity");
  refuse([](DataParams& p) { p.metric_capacity = DataLimits::kMaxMetrics + 1; }, "metric_capacity");
  refuse([](DataParams& p) { p.shard_count = 0; }, "shard_count");
  refuse([](DataParams& p) { p.shard_count = DataLimits::kMaxShards + 1; }, "shard_count");
  refuse([](DataParams& p) { p.histogram_capacity = DataLimits::kMaxHistograms + 1; },
         "histogram_capacity");
  refuse([](DataParams& p) { p.histogram_buckets = DataLimits::kMaxBuckets + 1; },
         "histogram_buckets");
  refuse([](DataParams& p) { p.histogram_buckets = 0; }, "histogram_buckets");
  refuse([](DataParams& p) { p.ring_capacity = 0; }, "ring_capacity");
  refuse([](DataParams& p) { p.ring_capacity = 3; }, "ring_capacity");
  refuse([](DataParams& p) { p.ring_capacity = DataLimits::kMaxRingCapacity * 2; },
         "ring_capacity");
  refuse(
      [](DataParams& p) {
        p.shard_count = DataLimits::kMaxShards;
        p.ring_capacity = DataLimits::kMaxRingCapacity;
      },
      "limit");

  DataParams at_max;
  at_max.metric_capacity = DataLimits::kMaxMetrics;
  at_max.shard_count = DataLimits::kMaxShards;
  at_max.histogram_capacity = DataLimits::kMaxHistograms;
  at_max.histogram_buckets = DataLimits::kMaxBuckets;
  at_max.ring_capacity = 1024;
  auto g = compute_data_geometry(at_max);
  ASSERT_TRUE(g) << g.error();
  EXPECT_LE(g->region_size, DataLimits::kMaxRegionSize);
}

TEST(DataHeaderValidation, AcceptsGoodHeader) {
  std::uint64_t size = 0;
  auto h = good_header(&size);
  auto g = validate_data_header(*h, size);
  ASSERT_TRUE(g) << g.error();
  EXPECT_EQ(g->region_size, size);
}

TEST(DataHeaderValidation, RefusesWrongMagicAbiSizeNameKind) {
  std::uint64_t size = 0;
  {
    auto h = good_header(&size);
    h->magic[0] = 'X';
    EXPECT_FALSE(validate_data_header(*h, size));
  }
  {
    auto h = good_header(&size);
    h->abi_version = kAbiVersion + 1;
    auto r = validate_data_header(*h, size);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("data region has ABI version " + std::to_string(kAbiVersion + 1) +
                             "; this agent speaks " + std::to_string(kAbiVersion)),
              std::string::npos)
        << r.error();
  }
  {
    auto h = good_header(&size);
    h->header_size = 64;
    EXPECT_FALSE(validate_data_header(*h, size));
  }
  {
    auto h = good_header(&size);
    EXPECT_FALSE(validate_data_header(*h, size - 4096)) << "fd smaller than the geometry";
    EXPECT_FALSE(validate_data_header(*h, size + 4096)) << "fd larger than the geometry";
    h->region_size = size + 64;
    EXPECT_FALSE(validate_data_header(*h, size + 64)) << "header size disagrees with params";
  }
  {
    auto h = good_header(&size);
    h->params.ring_capacity = 1000;
    auto r = validate_data_header(*h, size);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("ring_capacity"), std::string::npos) << r.error();
  }
  {
    auto h = good_header(&size);
    std::memset(h->name, 'a', sizeof(h->name));  // no NUL
    EXPECT_FALSE(validate_data_header(*h, size));
    write_fixed_name(h->name, sizeof(h->name), "a/b");
    EXPECT_FALSE(validate_data_header(*h, size));
    write_fixed_name(h->name, sizeof(h->name), "");
    EXPECT_FALSE(validate_data_header(*h, size));
  }
  {
    auto h = good_header(&size);
    h->kind = 0;
    EXPECT_FALSE(validate_data_header(*h, size));
    h->kind = 4;
    EXPECT_FALSE(validate_data_header(*h, size));
  }
}

TEST(ControlHeaderValidation, AcceptsGoodAndRefusesBad) {
  EXPECT_EQ(control_region_size(68) % 4096, 0u);
  EXPECT_GE(control_region_size(68), sizeof(ControlHeader) + 68 * sizeof(DirectoryEntry));
  auto h = std::make_unique<ControlHeader>();
  init_control_header(*h, 64);
  const std::uint64_t size = control_region_size(68);
  EXPECT_EQ(h->directory_capacity, 68u);
  EXPECT_EQ(h->region_size, size);
  auto ok = validate_control_header(*h, size);
  EXPECT_TRUE(ok) << ok.error();
  EXPECT_FALSE(validate_control_header(*h, size + 4096));
  h->directory_capacity = 69;
  EXPECT_FALSE(validate_control_header(*h, size));
  h->directory_capacity = 68;
  h->directory_entry_size = 100;
  EXPECT_FALSE(validate_control_header(*h, size));
  h->directory_entry_size = sizeof(DirectoryEntry);
  h->abi_version = 99;
  EXPECT_FALSE(validate_control_header(*h, size));
  h->abi_version = kAbiVersion;
  h->magic[7] = 'X';
  EXPECT_FALSE(validate_control_header(*h, size));
}

TEST(MailboxHeaderValidation, AcceptsGoodAndRefusesBad) {
  auto h = std::make_unique<MailboxHeader>();
  init_mailbox_header(*h);
  auto ok = validate_mailbox_header(*h, MailboxLayout::kRegionSize);
  EXPECT_TRUE(ok) << ok.error();
  EXPECT_FALSE(validate_mailbox_header(*h, MailboxLayout::kRegionSize - 1));
  h->response_offset = 1024;
  EXPECT_FALSE(validate_mailbox_header(*h, MailboxLayout::kRegionSize));
  h->response_offset = MailboxLayout::kResponseOffset;
  h->magic[0] = 0;
  EXPECT_FALSE(validate_mailbox_header(*h, MailboxLayout::kRegionSize));
}

TEST(EnumNames, AreStable) {
  EXPECT_STREQ(to_string(ClientKind::kApp), "app");
  EXPECT_STREQ(to_string(ClientKind::kInspector), "inspector");
  EXPECT_STREQ(to_string(ClientState::kLive), "live");
  EXPECT_STREQ(to_string(ClientState::kRevoked), "revoked");
  EXPECT_STREQ(to_string(MetricKind::kHistogram), "histogram");
  EXPECT_STREQ(to_string(EventLevel::kWarn), "warn");
  EXPECT_STREQ(to_string(AttachStatus::kFull), "full");
  EXPECT_STREQ(to_string(RequestType::kQuery), "query");
  EXPECT_STREQ(to_string(ResponseStatus::kNotOwner), "not_owner");
  EXPECT_STREQ(to_string(static_cast<ClientKind>(77)), "unknown");
}

TEST(ClientStatsSnapshot, CopiesEveryField) {
  auto stats = std::make_unique<ClientStats>();
  auto* words = reinterpret_cast<std::atomic<std::uint64_t>*>(stats.get());
  for (std::size_t i = 0; i < sizeof(ClientStats) / 8; ++i) words[i].store(i + 1);
  const ClientStatsSnapshot snap = snapshot(*stats);
  const auto* plain = reinterpret_cast<const std::uint64_t*>(&snap);
  for (std::size_t i = 0; i < sizeof(ClientStatsSnapshot) / 8; ++i) EXPECT_EQ(plain[i], i + 1);
}
