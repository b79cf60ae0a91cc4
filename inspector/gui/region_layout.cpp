#include "region_layout.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "shmon/protocol.hpp"

namespace shmon::inspector {
namespace {

#define SHMON_FIELD(T, m, vt)                                                     \
  FieldDef {                                                                      \
#m, static_cast < std::uint32_t>(offsetof(T, m)),                             \
        static_cast < std::uint32_t>(sizeof(static_cast <T*>(nullptr)->m)), vt, 1 \
  }
#define SHMON_ARRAY(T, m, vt)                                                                \
  FieldDef {                                                                                 \
#m, static_cast < std::uint32_t>(offsetof(T, m)),                                        \
        static_cast < std::uint32_t>(sizeof(static_cast <T*>(nullptr)->m)), vt,              \
        static_cast < std::uint32_t>                                                         \
            (sizeof(static_cast <T*>(nullptr)->m) / sizeof(static_cast <T*>(nullptr)->m[0])) \
  }

using V = ValueType;

void nest(std::vector<FieldDef>& out, const std::vector<FieldDef>& inner, const std::string& prefix,
          std::uint32_t base) {
  for (FieldDef f : inner) {
    f.name = prefix + "." + f.name;
    f.offset += base;
    out.push_back(std::move(f));
  }
}

const std::vector<FieldDef>& client_stats_fields() {
  using S = ClientStatsSnapshot;
  static const std::vector<FieldDef> f = {
      SHMON_FIELD(S, calls, V::kU64),
      SHMON_FIELD(S, call_errors, V::kU64),
      SHMON_FIELD(S, lock_acquired, V::kU64),
      SHMON_FIELD(S, lock_timeouts, V::kU64),
      SHMON_FIELD(S, done_timeouts, V::kU64),
      SHMON_FIELD(S, lock_wait_total_ns, V::kU64),
      SHMON_FIELD(S, lock_wait_max_ns, V::kU64),
      SHMON_ARRAY(S, lock_wait_hist, V::kU64),
      SHMON_FIELD(S, revocations_seen, V::kU64),
      SHMON_FIELD(S, reconnects, V::kU64),
      SHMON_FIELD(S, attach_failures, V::kU64),
      SHMON_FIELD(S, drops_ring_full, V::kU64),
      SHMON_FIELD(S, drops_payload_too_large, V::kU64),
      SHMON_FIELD(S, drops_not_connected, V::kU64),
      SHMON_FIELD(S, drops_metric_table_full, V::kU64),
      SHMON_FIELD(S, wait_policy_timeouts, V::kU64),
      SHMON_ARRAY(S, reserved, V::kU64),
  };
  return f;
}

const std::vector<FieldDef>& control_header_fields() {
  static const std::vector<FieldDef> f = [] {
    using H = ControlHeader;
    using A = AgentStats;
    std::vector<FieldDef> v = {
        SHMON_FIELD(H, magic, V::kChars),
        SHMON_FIELD(H, abi_version, V::kU32),
        SHMON_FIELD(H, header_size, V::kU32),
        SHMON_FIELD(H, region_size, V::kU64),
        SHMON_FIELD(H, directory_offset, V::kU32),
        SHMON_FIELD(H, directory_entry_size, V::kU32),
        SHMON_FIELD(H, directory_capacity, V::kU32),
        SHMON_FIELD(H, max_app_clients, V::kU32),
        SHMON_FIELD(H, lease_ms, V::kU32),
        SHMON_FIELD(H, agent_pid, V::kI32),
        SHMON_FIELD(H, agent_generation, V::kU64),
        SHMON_FIELD(H, agent_start_realtime_ns, V::kU64),
        SHMON_FIELD(H, agent_start_monotonic_ns, V::kU64),
        SHMON_FIELD(H, instance, V::kChars),
        SHMON_FIELD(H, reserved0, V::kBytes),
        SHMON_FIELD(H, heartbeat_monotonic_ns, V::kU64),
        SHMON_FIELD(H, directory_seq, V::kU64),
        SHMON_ARRAY(H, reserved1, V::kU64),
    };
    const std::vector<FieldDef> stats = {
        SHMON_FIELD(A, requests, V::kU64),
        SHMON_FIELD(A, request_errors, V::kU64),
        SHMON_FIELD(A, torn_requests, V::kU64),
        SHMON_FIELD(A, lease_revocations, V::kU64),
        SHMON_FIELD(A, dead_owner_releases, V::kU64),
        SHMON_FIELD(A, clients_connected, V::kU64),
        SHMON_FIELD(A, clients_total, V::kU64),
        SHMON_FIELD(A, clients_refused, V::kU64),
        SHMON_FIELD(A, events_received, V::kU64),
        SHMON_FIELD(A, events_dropped, V::kU64),
        SHMON_FIELD(A, bad_records, V::kU64),
        SHMON_FIELD(A, drain_batches, V::kU64),
        SHMON_FIELD(A, lock_holder_since_ns, V::kU64),
        SHMON_ARRAY(A, reserved, V::kU64),
    };
    nest(v, stats, "stats", offsetof(H, stats));
    return v;
  }();
  return f;
}

const std::vector<FieldDef>& directory_entry_fields() {
  static const std::vector<FieldDef> f = [] {
    using E = DirectoryEntry;
    std::vector<FieldDef> v = {
        SHMON_FIELD(E, state, V::kU32),
        SHMON_FIELD(E, kind, V::kU32),
        SHMON_FIELD(E, pid, V::kI32),
        SHMON_FIELD(E, slot, V::kU32),
        SHMON_FIELD(E, incarnation, V::kU64),
        SHMON_FIELD(E, attached_realtime_ns, V::kU64),
        SHMON_FIELD(E, last_seen_monotonic_ns, V::kU64),
        SHMON_FIELD(E, name, V::kChars),
        SHMON_FIELD(E, requests, V::kU64),
        SHMON_FIELD(E, request_errors, V::kU64),
        SHMON_FIELD(E, events_written, V::kU64),
        SHMON_FIELD(E, events_received, V::kU64),
        SHMON_FIELD(E, metric_count, V::kU64),
        SHMON_FIELD(E, data_region_size, V::kU64),
        SHMON_FIELD(E, lock_held_ns, V::kU64),
        SHMON_ARRAY(E, reserved, V::kU64),
    };
    nest(v, client_stats_fields(), "stats", offsetof(E, stats));
    return v;
  }();
  return f;
}

const std::vector<FieldDef>& mailbox_header_fields() {
  using H = MailboxHeader;
  static const std::vector<FieldDef> f = {
      SHMON_FIELD(H, magic, V::kChars),
      SHMON_FIELD(H, abi_version, V::kU32),
      SHMON_FIELD(H, header_size, V::kU32),
      SHMON_FIELD(H, region_size, V::kU64),
      SHMON_FIELD(H, request_offset, V::kU32),
      SHMON_FIELD(H, request_capacity, V::kU32),
      SHMON_FIELD(H, response_offset, V::kU32),
      SHMON_FIELD(H, response_capacity, V::kU32),
      SHMON_FIELD(H, lock, V::kU32),
      SHMON_FIELD(H, exec, V::kU32),
      SHMON_FIELD(H, done, V::kU32),
      SHMON_FIELD(H, doorbell, V::kU32),
      SHMON_FIELD(H, drain_sleeping, V::kU32),
  };
  return f;
}

const std::vector<FieldDef>& request_header_fields() {
  using H = RequestHeader;
  static const std::vector<FieldDef> f = {
      SHMON_FIELD(H, seq, V::kU64),         SHMON_FIELD(H, session, V::kU64),
      SHMON_FIELD(H, type, V::kU32),        SHMON_FIELD(H, slot, V::kU32),
      SHMON_FIELD(H, owner_token, V::kU32), SHMON_FIELD(H, body_size, V::kU32),
  };
  return f;
}

const std::vector<FieldDef>& response_header_fields() {
  using H = ResponseHeader;
  static const std::vector<FieldDef> f = {
      SHMON_FIELD(H, seq, V::kU64),
      SHMON_FIELD(H, status, V::kU32),
      SHMON_FIELD(H, body_size, V::kU32),
      SHMON_FIELD(H, total_size, V::kU64),
  };
  return f;
}

const std::vector<FieldDef>& data_header_fields() {
  static const std::vector<FieldDef> f = [] {
    using H = DataHeader;
    std::vector<FieldDef> v = {
        SHMON_FIELD(H, magic, V::kChars),     SHMON_FIELD(H, abi_version, V::kU32),
        SHMON_FIELD(H, header_size, V::kU32), SHMON_FIELD(H, region_size, V::kU64),
        SHMON_FIELD(H, incarnation, V::kU64), SHMON_FIELD(H, pid, V::kI32),
        SHMON_FIELD(H, kind, V::kU32),        SHMON_FIELD(H, name, V::kChars),
    };
    using P = DataParams;
    const std::vector<FieldDef> params = {
        SHMON_FIELD(P, metric_capacity, V::kU32),    SHMON_FIELD(P, shard_count, V::kU32),
        SHMON_FIELD(P, histogram_capacity, V::kU32), SHMON_FIELD(P, histogram_buckets, V::kU32),
        SHMON_FIELD(P, ring_capacity, V::kU32),
    };
    nest(v, params, "params", offsetof(H, params));
    v.push_back(SHMON_FIELD(H, metric_count, V::kU32));
    v.push_back(SHMON_FIELD(H, histogram_count, V::kU32));
    v.push_back(SHMON_FIELD(H, command_area, V::kBytes));
    nest(v, client_stats_fields(), "stats", offsetof(H, stats));
    return v;
  }();
  return f;
}

const std::vector<FieldDef>& descriptor_fields() {
  using D = MetricDescriptor;
  static const std::vector<FieldDef> f = {
      SHMON_FIELD(D, name, V::kChars),
      SHMON_FIELD(D, kind, V::kU32),
      SHMON_FIELD(D, histogram_index, V::kU32),
      SHMON_FIELD(D, unit, V::kChars),
  };
  return f;
}

const std::vector<FieldDef>& ring_header_fields() {
  using R = RingHeader;
  static const std::vector<FieldDef> f = {
      SHMON_FIELD(R, head, V::kU64),
      SHMON_FIELD(R, tail, V::kU64),
      SHMON_FIELD(R, producer_waiting, V::kU32),
      SHMON_FIELD(R, tail_wake, V::kU32),
  };
  return f;
}

const std::vector<FieldDef>& event_record_fields() {
  using E = EventRecord;
  static const std::vector<FieldDef> f = {
      SHMON_FIELD(E, timestamp_ns, V::kU64), SHMON_FIELD(E, id, V::kU32),
      SHMON_FIELD(E, level, V::kU16),        SHMON_FIELD(E, payload_size, V::kU16),
      SHMON_FIELD(E, payload_kind, V::kU8),  SHMON_FIELD(E, payload, V::kChars),
  };
  return f;
}

const std::vector<FieldDef>& u64_cell_fields() {
  static const std::vector<FieldDef> f = {FieldDef{"value", 0, 8, V::kU64, 1}};
  return f;
}

std::string hex64(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string printable(const std::byte* p, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(p[i]);
    if (c == 0) break;
    out += (c >= 32 && c < 127) ? char(c) : '.';
  }
  return out;
}

}  // namespace

const char* type_name(ValueType t) {
  switch (t) {
    case V::kChars:
      return "char";
    case V::kU8:
      return "u8";
    case V::kU16:
      return "u16";
    case V::kU32:
      return "u32";
    case V::kI32:
      return "i32";
    case V::kU64:
      return "u64";
    case V::kI64:
      return "i64";
    case V::kF64:
      return "f64";
    case V::kBytes:
      return "bytes";
  }
  return "?";
}

std::string FieldInfo::type_text() const {
  if (type == V::kChars || type == V::kBytes) {
    return std::string(type_name(type)) + "[" + std::to_string(size) + "]";
  }
  return type_name(type);
}

void RegionLayout::add(Section s) {
  if (s.size > 0) sections_.push_back(std::move(s));
}

RegionLayout RegionLayout::control(const ControlHeader& h, std::uint64_t size) {
  RegionLayout l;
  l.add({"control header", 0, sizeof(ControlHeader), &control_header_fields(), 0, "", 0});
  for (std::uint32_t i = 0; i < h.directory_capacity; ++i) {
    const std::uint64_t off = h.directory_offset + std::uint64_t(i) * sizeof(DirectoryEntry);
    if (off + sizeof(DirectoryEntry) > size) break;
    l.add({"directory[" + std::to_string(i) + "]", off, sizeof(DirectoryEntry),
           &directory_entry_fields(), 0, "", 1 + int(i % 2)});
  }
  return l;
}

RegionLayout RegionLayout::mailbox(std::uint64_t size) {
  RegionLayout l;
  using M = MailboxLayout;
  l.add({"mailbox header", 0, sizeof(MailboxHeader), &mailbox_header_fields(), 0, "", 0});
  l.add({"request header", M::kRequestOffset, sizeof(RequestHeader), &request_header_fields(), 0,
         "", 3});
  l.add({"request body", M::kRequestOffset + sizeof(RequestHeader), kRequestBodyCapacity, nullptr,
         0, "", 4});
  l.add({"response header", M::kResponseOffset, sizeof(ResponseHeader), &response_header_fields(),
         0, "", 3});
  l.add({"response body", M::kResponseOffset + sizeof(ResponseHeader),
         std::min<std::uint64_t>(kResponseBodyCapacity,
                                 size - sizeof(ResponseHeader) - M::kResponseOffset),
         nullptr, 0, "", 4});
  return l;
}

RegionLayout RegionLayout::data(const DataGeometry& g, std::uint64_t size) {
  RegionLayout l;
  const DataParams& p = g.params;
  l.metric_capacity_ = p.metric_capacity;
  l.descriptors_offset_ = g.descriptors_offset;
  l.add({"data header", 0, sizeof(DataHeader), &data_header_fields(), 0, "", 0});
  l.add({"metric descriptors", g.descriptors_offset,
         std::uint64_t(p.metric_capacity) * sizeof(MetricDescriptor), &descriptor_fields(),
         sizeof(MetricDescriptor), "descriptor", 1});
  const std::uint64_t buckets = p.histogram_capacity ? p.histogram_buckets : 0;
  l.add({"histogram bounds", g.bounds_offset, 8ull * p.histogram_capacity * buckets,
         &u64_cell_fields(), 8, "bound", 2});
  for (std::uint32_t s = 0; s < p.shard_count; ++s) {
    l.add({"cells shard " + std::to_string(s), g.cells_offset + s * g.cells_shard_stride,
           8ull * p.metric_capacity, &u64_cell_fields(), 8, "cell", 3 + int(s % 2)});
  }
  for (std::uint32_t s = 0; s < p.shard_count; ++s) {
    l.add({"histograms shard " + std::to_string(s),
           g.histograms_offset + s * g.histograms_shard_stride, g.histograms_shard_stride, nullptr,
           g.histogram_stride, "histogram", 5});
  }
  for (std::uint32_t s = 0; s < p.shard_count; ++s) {
    const std::uint64_t base = g.rings_offset + s * g.ring_stride;
    l.add({"ring " + std::to_string(s) + " header", base, sizeof(RingHeader), &ring_header_fields(),
           0, "", 6});
    l.add({"ring " + std::to_string(s) + " records", base + sizeof(RingHeader),
           std::uint64_t(p.ring_capacity) * sizeof(EventRecord), &event_record_fields(),
           sizeof(EventRecord), "record", 7});
  }
  (void)size;
  return l;
}

RegionLayout RegionLayout::unknown(std::uint64_t size) {
  RegionLayout l;
  l.add({"bytes", 0, size, nullptr, 0, "", 4});
  return l;
}

const Section* RegionLayout::section_at(std::uint64_t offset) const {
  // Sections are added in ascending offset order.
  auto it = std::upper_bound(sections_.begin(), sections_.end(), offset,
                             [](std::uint64_t o, const Section& s) { return o < s.offset; });
  if (it == sections_.begin()) return nullptr;
  --it;
  return offset < it->offset + it->size ? &*it : nullptr;
}

std::optional<FieldInfo> RegionLayout::describe(std::uint64_t offset, const std::byte* bytes,
                                                std::uint64_t size) const {
  const Section* s = section_at(offset);
  if (!s) return FieldInfo{"padding", "(unused)", V::kU8, offset, 1};
  FieldInfo info;
  info.section = s->name;
  std::uint64_t base = s->offset;
  std::string prefix;
  if (s->elem_size) {
    const std::uint64_t index = (offset - s->offset) / s->elem_size;
    base = s->offset + index * s->elem_size;
    prefix = s->elem_name + "[" + std::to_string(index) + "]";
    // A cell is named after its metric, read from the (copied) descriptor table.
    if (s->elem_name == "cell" && index < metric_capacity_) {
      const std::uint64_t d = descriptors_offset_ + index * sizeof(MetricDescriptor);
      if (d + sizeof(MetricDescriptor) <= size) {
        const std::string name = printable(bytes + d, kMaxMetricNameLen + 1);
        if (!name.empty()) prefix += " " + name;
        std::uint32_t kind = 0;
        std::memcpy(&kind, bytes + d + offsetof(MetricDescriptor, kind), 4);
        if (kind == std::uint32_t(MetricKind::kGauge)) info.type = V::kF64;
      }
    }
  }
  const std::uint64_t rel = offset - base;
  if (s->fields) {
    for (const FieldDef& f : *s->fields) {
      if (rel < f.offset || rel >= f.offset + f.size) continue;
      const bool gauge = info.type == V::kF64;
      info.type = gauge ? V::kF64 : f.type;
      info.offset = base + f.offset;
      info.size = f.size;
      std::string name = f.name;
      if (f.count > 1) {
        const std::uint32_t elem = f.size / f.count;
        const std::uint32_t i = std::uint32_t(rel - f.offset) / elem;
        name += "[" + std::to_string(i) + "]";
        info.offset = base + f.offset + std::uint64_t(i) * elem;
        info.size = elem;
      }
      info.field = prefix.empty() ? name : prefix + (s->elem_name == "cell" ? "" : "." + name);
      return info;
    }
  }
  if (s->elem_name == "histogram") {
    // count, sum, min, max, then the bucket counts.
    static const char* const kHead[] = {"count", "sum", "min", "max"};
    const std::uint64_t word = rel / 8;
    info.type = word == 0 ? V::kU64 : word < 4 ? V::kI64 : V::kU64;
    info.field = prefix + "." +
                 (word < 4 ? std::string(kHead[word]) : "bucket[" + std::to_string(word - 4) + "]");
    info.offset = base + word * 8;
    info.size = 8;
    return info;
  }
  info.field = prefix.empty() ? "byte " + std::to_string(rel) : prefix;
  info.type = V::kU8;
  info.offset = offset;
  info.size = 1;
  return info;
}

std::vector<std::pair<FieldInfo, std::string>> RegionLayout::header_fields(
    const std::byte* bytes, std::uint64_t size) const {
  std::vector<std::pair<FieldInfo, std::string>> out;
  if (sections_.empty() || !sections_[0].fields) return out;
  const Section& s = sections_[0];
  for (const FieldDef& f : *s.fields) {
    if (f.type == V::kBytes || f.name.find("reserved") != std::string::npos) continue;
    FieldInfo info{s.name, f.name, f.type, s.offset + f.offset, f.size};
    if (f.count > 1) {
      info.size = f.size / f.count;
      info.field += "[0.." + std::to_string(f.count - 1) + "]";
      out.emplace_back(info, "(" + std::to_string(f.count) + " values)");
      continue;
    }
    out.emplace_back(info, format_value(info, bytes, size));
  }
  return out;
}

std::string format_value(const FieldInfo& f, const std::byte* bytes, std::uint64_t size) {
  if (f.offset + f.size > size || f.size == 0) return "(out of range)";
  const std::byte* p = bytes + f.offset;
  auto load = [&](auto v) {
    std::memcpy(&v, p, std::min<std::size_t>(sizeof v, f.size));
    return v;
  };
  switch (f.type) {
    case V::kChars:
      return "\"" + printable(p, f.size) + "\"";
    case V::kU8:
      return std::to_string(load(std::uint8_t{}));
    case V::kU16:
      return std::to_string(load(std::uint16_t{}));
    case V::kU32:
      return std::to_string(load(std::uint32_t{}));
    case V::kI32:
      return std::to_string(load(std::int32_t{}));
    case V::kI64:
      return std::to_string(load(std::int64_t{}));
    case V::kF64: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%.6g", load(double{}));
      return buf;
    }
    case V::kU64: {
      const std::uint64_t v = load(std::uint64_t{});
      return v > 0xFFFFFFFFull ? std::to_string(v) + " (" + hex64(v) + ")" : std::to_string(v);
    }
    case V::kBytes:
      return std::to_string(f.size) + " bytes";
  }
  return "";
}

}  // namespace shmon::inspector
