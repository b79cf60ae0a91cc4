// SPDX-License-Identifier: Apache-2.0
// The decoded layout of a region, for the raw view's overlay: sections (header, directory
// entries, descriptors, cells, histograms, rings...) computed from validated geometry, and for
// any byte the field it belongs to, with its type and value. Offsets come from the field lists
// (shmon/layout_fields.hpp) and layout.hpp's accessors, never from the region's bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shmon/layout.hpp"

namespace shmon::inspector {

enum class ValueType { kChars, kU8, kU16, kU32, kI32, kU64, kI64, kF64, kBytes };
const char* type_name(ValueType t);

struct FieldDef {
  std::string name;
  std::uint32_t offset = 0;
  std::uint32_t size = 0;  // whole field; an array field holds `count` elements of size/count
  ValueType type = ValueType::kBytes;
  std::uint32_t count = 1;
};

struct Section {
  std::string name;
  std::uint64_t offset = 0, size = 0;
  const std::vector<FieldDef>* fields = nullptr;  // layout of one element (null: plain bytes)
  std::uint64_t elem_size = 0;                    // 0: not an array (fields at the start)
  std::string elem_name;                          // "entry", "descriptor", "record", "cell"
  int color = 0;                                  // palette index for the overlay
};

struct FieldInfo {
  std::string section, field;
  ValueType type = ValueType::kBytes;
  std::uint64_t offset = 0;  // of the field (or array element) in the region
  std::uint32_t size = 0;
  std::string type_text() const;
};

class RegionLayout {
 public:
  static RegionLayout control(const ControlHeader& validated, std::uint64_t size);
  static RegionLayout mailbox(std::uint64_t size);
  static RegionLayout data(const DataGeometry& geometry, std::uint64_t size);
  static RegionLayout unknown(std::uint64_t size);

  const std::vector<Section>& sections() const { return sections_; }
  const Section* section_at(std::uint64_t offset) const;
  // The field holding `offset`; `bytes` (the frame's copy) refines names (metric of a cell).
  std::optional<FieldInfo> describe(std::uint64_t offset, const std::byte* bytes,
                                    std::uint64_t size) const;
  // The header's fields (the first section) with their values, for the decoded-header table.
  std::vector<std::pair<FieldInfo, std::string>> header_fields(const std::byte* bytes,
                                                               std::uint64_t size) const;

 private:
  void add(Section s);
  std::vector<Section> sections_;
  std::uint32_t metric_capacity_ = 0;
  DataGeometry geometry_{};  // data regions: where the descriptors are
};

// The field's value read from `bytes` (bounds-checked), formatted for people.
std::string format_value(const FieldInfo& f, const std::byte* bytes, std::uint64_t size);

}  // namespace shmon::inspector
