// SPDX-License-Identifier: Apache-2.0
#include "region_layout.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "shmon/layout_fields.hpp"

namespace shmon::inspector {
namespace {

using V = ValueType;

V value_type(FieldType t) {
  switch (t) {
    case FieldType::kChars:
      return V::kChars;
    case FieldType::kU8:
      return V::kU8;
    case FieldType::kU16:
      return V::kU16;
    case FieldType::kU32:
      return V::kU32;
    case FieldType::kI32:
      return V::kI32;
    case FieldType::kU64:
      return V::kU64;
    case FieldType::kI64:
      return V::kI64;
    case FieldType::kBytes:
    case FieldType::kStruct:
      break;
  }
  return V::kBytes;
}

// The overlay's fields of one struct: its shared field list (layout_fields.hpp), flattened.
std::vector<FieldDef> fields_of(const FieldList& list) {
  std::vector<FieldDef> out;
  for_each_leaf(list, [&](const std::string& name, const FieldDesc& f, std::uint32_t offset) {
    out.push_back(FieldDef{name, offset, f.size, value_type(f.type), f.count});
  });
  return out;
}

#define SHMON_OVERLAY_FIELDS(fn, list)                           \
  const std::vector<FieldDef>& fn() {                            \
    static const std::vector<FieldDef> fields = fields_of(list); \
    return fields;                                               \
  }
SHMON_OVERLAY_FIELDS(control_header_fields, kControlHeaderFields)
SHMON_OVERLAY_FIELDS(directory_entry_fields, kDirectoryEntryFields)
SHMON_OVERLAY_FIELDS(mailbox_header_fields, kMailboxHeaderFields)
SHMON_OVERLAY_FIELDS(request_header_fields, kRequestHeaderFields)
SHMON_OVERLAY_FIELDS(response_header_fields, kResponseHeaderFields)
SHMON_OVERLAY_FIELDS(data_header_fields, kDataHeaderFields)
SHMON_OVERLAY_FIELDS(descriptor_fields, kMetricDescriptorFields)
SHMON_OVERLAY_FIELDS(ring_header_fields, kRingHeaderFields)
SHMON_OVERLAY_FIELDS(event_record_fields, kEventRecordFields)
SHMON_OVERLAY_FIELDS(histogram_fields, kHistogramCellsHeaderFields)
#undef SHMON_OVERLAY_FIELDS

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
    const std::uint64_t off = offset_of_directory_entry(i);
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
  l.add({"request body", M::kRequestBodyOffset, kRequestBodyCapacity, nullptr, 0, "", 4});
  l.add({"response header", M::kResponseOffset, sizeof(ResponseHeader), &response_header_fields(),
         0, "", 3});
  l.add({"response body", M::kResponseBodyOffset,
         std::min<std::uint64_t>(kResponseBodyCapacity, size - M::kResponseBodyOffset), nullptr, 0,
         "", 4});
  return l;
}

RegionLayout RegionLayout::data(const DataGeometry& g, std::uint64_t size) {
  RegionLayout l;
  const DataParams& p = g.params;
  l.metric_capacity_ = p.metric_capacity;
  l.geometry_ = g;
  l.add({"data header", 0, sizeof(DataHeader), &data_header_fields(), 0, "", 0});
  l.add({"metric descriptors", g.offset_of_descriptor(0),
         std::uint64_t(p.metric_capacity) * sizeof(MetricDescriptor), &descriptor_fields(),
         sizeof(MetricDescriptor), "descriptor", 1});
  l.add({"histogram bounds", g.offset_of_bounds(0), 8ull * p.histogram_capacity * g.bucket_count(),
         &u64_cell_fields(), 8, "bound", 2});
  for (std::uint32_t s = 0; s < p.shard_count; ++s) {
    l.add({"cells shard " + std::to_string(s), g.offset_of_cell(s, 0), 8ull * p.metric_capacity,
           &u64_cell_fields(), 8, "cell", 3 + int(s % 2)});
  }
  for (std::uint32_t s = 0; s < p.shard_count; ++s) {
    l.add({"histograms shard " + std::to_string(s), g.offset_of_histogram(s, 0),
           g.histograms_shard_stride, nullptr, g.histogram_stride, "histogram", 5});
  }
  for (std::uint32_t s = 0; s < p.shard_count; ++s) {
    l.add({"ring " + std::to_string(s) + " header", g.offset_of_ring(s), sizeof(RingHeader),
           &ring_header_fields(), 0, "", 6});
    l.add({"ring " + std::to_string(s) + " records", g.offset_of_records(s),
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
      const std::uint64_t d = geometry_.offset_of_descriptor(std::uint32_t(index));
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
    // HistogramCellsHeader (count, sum, min, max), then the bucket counts.
    const std::uint64_t word = rel / 8;
    info.type = V::kU64;
    info.field =
        prefix + ".bucket[" + std::to_string(word - sizeof(HistogramCellsHeader) / 8) + "]";
    for (const FieldDef& f : histogram_fields()) {
      if (rel >= f.offset && rel < f.offset + f.size) {
        info.type = f.type;
        info.field = prefix + "." + f.name;
      }
    }
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
