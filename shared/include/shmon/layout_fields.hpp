// SPDX-License-Identifier: Apache-2.0
// One field list per struct of the ABI (layout.hpp, protocol.hpp): name, offset, size, element
// count, type and meaning of every field, in declaration order. These lists are the single
// written-down description of the layout; from them come
//   * snapshot(ClientStats) (layout.cpp) and the "stats"/"agent_stats" objects of the query JSON,
//   * the inspector's decoded overlay of a raw region (inspector/src/region_layout.cpp),
//   * the field tables of docs/REGIONS.md (shmon_layout_doc writes them; a ctest fails on drift).
// Offsets and sizes come from offsetof/sizeof, so a list cannot disagree with its struct; what a
// list can do is miss a field. tests/unit/test_layout_fields.cpp fails when a list does not cover
// every byte of its struct (so a new field without an entry fails) and pins every offset.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "shmon/layout.hpp"
#include "shmon/protocol.hpp"

namespace shmon {

enum class FieldType : std::uint8_t {
  kChars,  // char[]: NUL-terminated text
  kBytes,  // uint8_t[]: opaque bytes
  kU8,
  kU16,
  kU32,
  kI32,
  kU64,
  kI64,
  kStruct,  // a nested struct: see FieldDesc::nested
};
const char* to_string(FieldType type);

struct FieldList;

struct FieldDesc {
  const char* name;
  std::uint32_t offset;               // from the start of the struct
  std::uint32_t size;                 // of the whole field (all elements)
  std::uint32_t count;                // elements: 1 for a scalar, N for an array
  FieldType type;                     // of one element
  const char* doc;                    // one line; empty for reserved space
  const FieldList* nested = nullptr;  // kStruct: the nested struct's list

  bool reserved() const {
    return std::string_view(name).starts_with("reserved") ||
           std::string_view(name).starts_with("pad");
  }
};

struct FieldList {
  const char* struct_name;
  std::uint32_t size;  // sizeof the struct
  std::span<const FieldDesc> fields;
};

namespace layout_detail {

template <class T>
struct Unwrap {
  using type = T;
};
template <class T>
struct Unwrap<std::atomic<T>> {
  using type = T;
};

template <class M>
constexpr FieldType element_type() {
  using E = typename Unwrap<std::remove_cv_t<std::remove_all_extents_t<M>>>::type;
  if constexpr (std::is_same_v<E, char>)
    return FieldType::kChars;
  else if constexpr (std::is_same_v<E, std::uint8_t>)
    return std::is_array_v<M> ? FieldType::kBytes : FieldType::kU8;
  else if constexpr (std::is_same_v<E, std::uint16_t>)
    return FieldType::kU16;
  else if constexpr (std::is_same_v<E, std::uint32_t>)
    return FieldType::kU32;
  else if constexpr (std::is_same_v<E, std::int32_t>)
    return FieldType::kI32;
  else if constexpr (std::is_same_v<E, std::uint64_t>)
    return FieldType::kU64;
  else if constexpr (std::is_same_v<E, std::int64_t>)
    return FieldType::kI64;
  else
    return FieldType::kStruct;
}

template <class M>
constexpr std::uint32_t element_count() {
  if constexpr (std::is_array_v<M> && !std::is_same_v<std::remove_all_extents_t<M>, char> &&
                !std::is_same_v<std::remove_all_extents_t<M>, std::uint8_t>) {
    return std::uint32_t(sizeof(M) / sizeof(std::remove_all_extents_t<M>));
  } else {
    return 1;  // text and opaque bytes are one field
  }
}

template <class M>
constexpr FieldDesc make(const char* name, std::size_t offset, const char* doc,
                         const FieldList* nested = nullptr, FieldType forced = FieldType::kStruct) {
  return FieldDesc{name,
                   std::uint32_t(offset),
                   std::uint32_t(sizeof(M)),
                   element_count<M>(),
                   forced != FieldType::kStruct ? forced : element_type<M>(),
                   doc,
                   nested};
}

}  // namespace layout_detail

// SHMON_FIELD(Struct, member, "meaning"); SHMON_NESTED(Struct, member, list, "meaning") for a
// member that is itself a struct with a field list; SHMON_FIELD_AS(..., FieldType) overrides the
// deduced type (a byte array that holds text).
#define SHMON_FIELD(S, m, doc) ::shmon::layout_detail::make<decltype(S::m)>(#m, offsetof(S, m), doc)
#define SHMON_FIELD_AS(S, m, type, doc) \
  ::shmon::layout_detail::make<decltype(S::m)>(#m, offsetof(S, m), doc, nullptr, type)
#define SHMON_NESTED(S, m, list, doc) \
  ::shmon::layout_detail::make<decltype(S::m)>(#m, offsetof(S, m), doc, &list)

// The lists (defined in layout_fields.cpp).
extern const FieldList kAgentStatsFields;
extern const FieldList kControlHeaderFields;
extern const FieldList kClientStatsFields;
extern const FieldList kDirectoryEntryFields;
extern const FieldList kRequestHeaderFields;
extern const FieldList kResponseHeaderFields;
extern const FieldList kMailboxHeaderFields;
extern const FieldList kDataParamsFields;
extern const FieldList kCommandAreaFields;
extern const FieldList kDataHeaderFields;
extern const FieldList kMetricDescriptorFields;
extern const FieldList kHistogramCellsHeaderFields;
extern const FieldList kRingHeaderFields;
extern const FieldList kEventRecordFields;
extern const FieldList kAttachRequestFields;
extern const FieldList kAttachReplyFields;
extern const FieldList kRegionRequestFields;
extern const FieldList kCommandRequestFields;
extern const FieldList kCommandReplyFields;

// Every list above, in the order docs/REGIONS.md presents them.
std::span<const FieldList* const> all_field_lists();
// The list named `struct_name`, or null.
const FieldList* find_field_list(std::string_view struct_name);

// A list flattened to leaf fields: nested structs expand to "outer.inner" names with absolute
// offsets. `visit(name, const FieldDesc& leaf, std::uint32_t offset)`.
template <class Visit>
void for_each_leaf(const FieldList& list, Visit&& visit, std::string_view prefix = {},
                   std::uint32_t base = 0) {
  for (const FieldDesc& f : list.fields) {
    std::string name(prefix);
    if (!name.empty()) name += '.';
    name += f.name;
    if (f.type == FieldType::kStruct && f.nested != nullptr) {
      for_each_leaf(*f.nested, visit, name, base + f.offset);
    } else {
      visit(name, f, base + f.offset);
    }
  }
}

}  // namespace shmon
