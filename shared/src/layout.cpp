// SPDX-License-Identifier: Apache-2.0
// Region geometry and header validation. Every offset is recomputed from validated parameters;
// nothing read from a region is used as an offset.
#include "shmon/layout.hpp"

#include <algorithm>
#include <cstring>

#include "shmon/layout_fields.hpp"
#include "shmon/names.hpp"

namespace shmon {
namespace {

constexpr std::uint64_t round_up(std::uint64_t v, std::uint64_t a) {
  return (v + a - 1) / a * a;
}

std::string too_large(const char* param, std::uint64_t value, std::uint64_t limit) {
  return std::string(param) + " is " + std::to_string(value) + "; the limit is " +
         std::to_string(limit);
}

std::string abi_mismatch(const char* region, std::uint32_t abi) {
  return std::string(region) + " region has ABI version " + std::to_string(abi) +
         "; this agent speaks " + std::to_string(kAbiVersion);
}

std::string size_mismatch(const char* region, std::uint64_t header, std::uint64_t expected,
                          std::uint64_t actual) {
  return std::string(region) + " region size mismatch: header says " + std::to_string(header) +
         " bytes, its geometry needs " + std::to_string(expected) + ", the descriptor has " +
         std::to_string(actual);
}

}  // namespace

const char* to_string(ClientKind kind) {
  switch (kind) {
    case ClientKind::kApp:
      return "app";
    case ClientKind::kTool:
      return "tool";
    case ClientKind::kInspector:
      return "inspector";
  }
  return "unknown";
}

const char* to_string(CommandStatus status) {
  switch (status) {
    case CommandStatus::kOk:
      return "ok";
    case CommandStatus::kError:
      return "error";
    case CommandStatus::kUnknownCommand:
      return "unknown command";
    case CommandStatus::kNotSupported:
      return "not supported";
    case CommandStatus::kHandlerFailed:
      return "handler failed";
    case CommandStatus::kReplyTooLarge:
      return "reply too large";
    case CommandStatus::kTimeout:
      return "timeout";
    case CommandStatus::kClientGone:
      return "client gone";
    case CommandStatus::kNoSuchClient:
      return "no such client";
    case CommandStatus::kPayloadTooLarge:
      return "payload too large";
    case CommandStatus::kBusy:
      return "busy";
    case CommandStatus::kRefused:
      return "refused";
    case CommandStatus::kBadReply:
      return "bad reply";
    case CommandStatus::kAgentGone:
      return "agent gone";
  }
  return "unknown";
}

const char* to_string(ClientState state) {
  switch (state) {
    case ClientState::kFree:
      return "free";
    case ClientState::kAttached:
      return "attached";
    case ClientState::kLive:
      return "live";
    case ClientState::kRevoked:
      return "revoked";
    case ClientState::kLeaving:
      return "leaving";
  }
  return "unknown";
}

const char* to_string(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
    case MetricKind::kEvent:
      return "event";
  }
  return "unknown";
}

std::string event_level_labels(std::uint32_t level) {
  return std::string("level=\"") + to_string(EventLevel(level)) + "\"";
}

const char* to_string(EventLevel level) {
  switch (level) {
    case EventLevel::kTrace:
      return "trace";
    case EventLevel::kDebug:
      return "debug";
    case EventLevel::kInfo:
      return "info";
    case EventLevel::kWarn:
      return "warn";
    case EventLevel::kError:
      return "error";
    case EventLevel::kFatal:
      return "fatal";
  }
  return "unknown";
}

// Driven by the field list: a field added to ClientStats is copied once it has its entry (and
// test_layout_fields fails until it has one).
ClientStatsSnapshot snapshot(const ClientStats& s) {
  static_assert(sizeof(ClientStats) == sizeof(ClientStatsSnapshot));
  ClientStatsSnapshot out{};
  const auto* src = reinterpret_cast<const std::byte*>(&s);
  auto* dst = reinterpret_cast<std::byte*>(&out);
  for (const FieldDesc& f : kClientStatsFields.fields) {
    for (std::uint32_t k = 0; k < f.count; ++k) {
      const std::size_t at = f.offset + std::size_t(k) * 8;
      const std::uint64_t v = reinterpret_cast<const std::atomic<std::uint64_t>*>(src + at)->load(
          std::memory_order_relaxed);
      std::memcpy(dst + at, &v, 8);
    }
  }
  return out;
}

Result<DataGeometry> compute_data_geometry(const DataParams& p) {
  using L = DataLimits;
  if (p.metric_capacity < 1) return Error{"metric_capacity is 0; it must be at least 1"};
  if (p.metric_capacity > L::kMaxMetrics) {
    return Error{too_large("metric_capacity", p.metric_capacity, L::kMaxMetrics)};
  }
  if (p.shard_count < 1) return Error{"shard_count is 0; it must be at least 1"};
  if (p.shard_count > L::kMaxShards) {
    return Error{too_large("shard_count", p.shard_count, L::kMaxShards)};
  }
  if (p.histogram_capacity > L::kMaxHistograms) {
    return Error{too_large("histogram_capacity", p.histogram_capacity, L::kMaxHistograms)};
  }
  if (p.histogram_capacity > 0 && p.histogram_buckets < 2) {
    return Error{"histogram_buckets is " + std::to_string(p.histogram_buckets) +
                 "; it must be at least 2"};
  }
  if (p.histogram_buckets > L::kMaxBuckets) {
    return Error{too_large("histogram_buckets", p.histogram_buckets, L::kMaxBuckets)};
  }
  if (p.ring_capacity < 1 || (p.ring_capacity & (p.ring_capacity - 1)) != 0) {
    return Error{"ring_capacity is " + std::to_string(p.ring_capacity) +
                 "; it must be a power of two"};
  }
  if (p.ring_capacity > L::kMaxRingCapacity) {
    return Error{too_large("ring_capacity", p.ring_capacity, L::kMaxRingCapacity)};
  }

  // Every value is bounded above, so none of these products can overflow 64 bits.
  DataGeometry g{};
  g.params = p;
  const std::uint64_t buckets = g.bucket_count();
  g.descriptors_offset = round_up(sizeof(DataHeader), 64);
  g.bounds_offset = round_up(
      g.descriptors_offset + std::uint64_t(p.metric_capacity) * sizeof(MetricDescriptor), 64);
  g.cells_offset = round_up(g.bounds_offset + 8ull * p.histogram_capacity * buckets, 64);
  g.cells_shard_stride = round_up(8ull * p.metric_capacity, 64);
  g.histograms_offset = g.cells_offset + g.cells_shard_stride * p.shard_count;
  g.histogram_stride = round_up(sizeof(HistogramCellsHeader) + 8ull * buckets, 64);
  g.histograms_shard_stride = g.histogram_stride * p.histogram_capacity;
  g.rings_offset = g.histograms_offset + g.histograms_shard_stride * p.shard_count;
  g.ring_stride = sizeof(RingHeader) + sizeof(EventRecord) * std::uint64_t(p.ring_capacity);
  g.region_size = round_up(g.rings_offset + g.ring_stride * p.shard_count, 64);
  if (g.region_size > L::kMaxRegionSize) {
    return Error{"data region would be " + std::to_string(g.region_size) + " bytes; the limit is " +
                 std::to_string(L::kMaxRegionSize) +
                 " (reduce shard_count, ring_capacity or metric_capacity)"};
  }
  return g;
}

Result<DataGeometry> validate_data_header(const DataHeader& h, std::uint64_t actual_size) {
  if (std::memcmp(h.magic, kDataMagic, sizeof(kDataMagic)) != 0) {
    return Error{"data region has a bad magic (not a shmon data region)"};
  }
  if (h.abi_version != kAbiVersion) return Error{abi_mismatch("data", h.abi_version)};
  if (h.header_size != sizeof(DataHeader)) {
    return Error{"data region header_size is " + std::to_string(h.header_size) + "; expected " +
                 std::to_string(sizeof(DataHeader))};
  }
  const auto name = read_fixed_name(h.name, sizeof(h.name));
  if (!name) return Error{"data region client name is not NUL-terminated"};
  if (auto err = check_client_name(*name)) return Error{"data region: " + *err};
  if (h.kind < std::uint32_t(ClientKind::kApp) || h.kind > std::uint32_t(ClientKind::kInspector)) {
    return Error{"data region has unknown client kind " + std::to_string(h.kind)};
  }
  auto geometry = compute_data_geometry(h.params);
  if (!geometry) return Error{"data region parameters: " + geometry.error()};
  if (h.region_size != geometry->region_size || actual_size != geometry->region_size) {
    return Error{size_mismatch("data", h.region_size, geometry->region_size, actual_size)};
  }
  return geometry;
}

std::uint64_t control_region_size(std::uint32_t directory_capacity) {
  return round_up(
      sizeof(ControlHeader) + std::uint64_t(directory_capacity) * sizeof(DirectoryEntry), 4096);
}

Status validate_control_header(const ControlHeader& h, std::uint64_t actual_size) {
  if (std::memcmp(h.magic, kControlMagic, sizeof(kControlMagic)) != 0) {
    return Error{"control region has a bad magic (not a shmon control region)"};
  }
  if (h.abi_version != kAbiVersion) return Error{abi_mismatch("control", h.abi_version)};
  if (h.header_size != sizeof(ControlHeader)) {
    return Error{"control region header_size is " + std::to_string(h.header_size) + "; expected " +
                 std::to_string(sizeof(ControlHeader))};
  }
  if (h.directory_offset != sizeof(ControlHeader) ||
      h.directory_entry_size != sizeof(DirectoryEntry)) {
    return Error{"control region directory geometry is inconsistent (offset " +
                 std::to_string(h.directory_offset) + ", entry size " +
                 std::to_string(h.directory_entry_size) + ")"};
  }
  const std::uint64_t max_capacity = kHardMaxClients + kReservedToolSlots;
  if (h.directory_capacity == 0 || h.directory_capacity > max_capacity ||
      h.max_app_clients > h.directory_capacity) {
    return Error{"control region directory capacity " + std::to_string(h.directory_capacity) +
                 " (max app clients " + std::to_string(h.max_app_clients) + ") is out of range"};
  }
  const std::uint64_t expected = control_region_size(h.directory_capacity);
  if (h.region_size != expected || actual_size != expected) {
    return Error{size_mismatch("control", h.region_size, expected, actual_size)};
  }
  return Ok{};
}

Status validate_mailbox_header(const MailboxHeader& h, std::uint64_t actual_size) {
  if (std::memcmp(h.magic, kMailboxMagic, sizeof(kMailboxMagic)) != 0) {
    return Error{"mailbox region has a bad magic (not a shmon mailbox)"};
  }
  if (h.abi_version != kAbiVersion) return Error{abi_mismatch("mailbox", h.abi_version)};
  if (h.header_size != sizeof(MailboxHeader)) {
    return Error{"mailbox region header_size is " + std::to_string(h.header_size) + "; expected " +
                 std::to_string(sizeof(MailboxHeader))};
  }
  if (h.request_offset != MailboxLayout::kRequestOffset || h.request_capacity != kRequestCapacity ||
      h.response_offset != MailboxLayout::kResponseOffset ||
      h.response_capacity != kResponseCapacity) {
    return Error{"mailbox region buffer offsets or capacities differ from this ABI's layout"};
  }
  if (h.region_size != MailboxLayout::kRegionSize || actual_size != MailboxLayout::kRegionSize) {
    return Error{size_mismatch("mailbox", h.region_size, MailboxLayout::kRegionSize, actual_size)};
  }
  return Ok{};
}

void init_control_header(ControlHeader& h, std::uint32_t max_app_clients) {
  const std::uint32_t capacity = max_app_clients + kReservedToolSlots;
  std::memcpy(h.magic, kControlMagic, sizeof(h.magic));
  h.abi_version = kAbiVersion;
  h.header_size = sizeof(ControlHeader);
  h.region_size = control_region_size(capacity);
  h.directory_offset = sizeof(ControlHeader);
  h.directory_entry_size = sizeof(DirectoryEntry);
  h.directory_capacity = capacity;
  h.max_app_clients = max_app_clients;
}

void init_mailbox_header(MailboxHeader& h) {
  std::memcpy(h.magic, kMailboxMagic, sizeof(h.magic));
  h.abi_version = kAbiVersion;
  h.header_size = sizeof(MailboxHeader);
  h.region_size = MailboxLayout::kRegionSize;
  h.request_offset = MailboxLayout::kRequestOffset;
  h.request_capacity = kRequestCapacity;
  h.response_offset = MailboxLayout::kResponseOffset;
  h.response_capacity = kResponseCapacity;
}

void init_data_header(DataHeader& h, const DataGeometry& geometry, ClientKind kind,
                      std::int32_t pid, std::uint64_t incarnation, std::string_view name) {
  std::memcpy(h.magic, kDataMagic, sizeof(h.magic));
  h.abi_version = kAbiVersion;
  h.header_size = sizeof(DataHeader);
  h.region_size = geometry.region_size;
  h.incarnation = incarnation;
  h.pid = pid;
  h.kind = std::uint32_t(kind);
  // `name` may point into h.name itself (the probe rewrites its header after fork): memmove.
  const std::size_t n = std::min(name.size(), sizeof(h.name) - 1);
  std::memmove(h.name, name.data(), n);
  std::memset(h.name + n, 0, sizeof(h.name) - n);
  h.params = geometry.params;
}

}  // namespace shmon
