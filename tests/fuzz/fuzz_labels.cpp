// SPDX-License-Identifier: Apache-2.0
// (g) Label text from a descriptor (the agent parses every one a client publishes): whatever the
// parser accepts must be canonical (rendering it again gives the same bytes), obey every rule,
// and survive the trip through a series key.
#include <string>
#include <string_view>

#include "fuzz_targets.hpp"
#include "shmon/labels.hpp"

namespace shmon::fuzz {

int label_text(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto pairs = parse_labels(text);
  if (!pairs.ok()) return 0;
  SHMON_FUZZ_CHECK(text.size() <= kMaxLabelTextLen);
  SHMON_FUZZ_CHECK(pairs.value().size() <= kMaxLabels);
  for (const auto& [name, value] : pairs.value()) {
    SHMON_FUZZ_CHECK(!check_label_name(name));
    SHMON_FUZZ_CHECK(!check_label_value(name, value));
  }
  const auto again = canonical_labels(pairs.value());
  SHMON_FUZZ_CHECK(again.ok() && again.value() == text);
  const std::string key = series_key("m", text);
  const SeriesName split = split_series_key(key);
  SHMON_FUZZ_CHECK(split.metric == "m" && split.labels == text);
  return 0;
}

Bytes label_text_seed() {
  const char seed[] = R"(code="200",method="GET",path="a\"b\\c")";
  return Bytes(seed, seed + sizeof(seed) - 1);
}

}  // namespace shmon::fuzz
