// SPDX-License-Identifier: Apache-2.0
// (c) Name validators and fixed-field names: what a validator accepts must satisfy the documented
// rules (checked independently here), and read_fixed_name must never read past its field (the
// field is a heap copy of exactly the input's size, so ASan catches an overrun).
#include <cstring>
#include <memory>
#include <string_view>

#include "fuzz_targets.hpp"
#include "shmon/limits.hpp"
#include "shmon/names.hpp"

namespace shmon::fuzz {
namespace {

bool alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

int names(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  if (!check_instance_name(s)) {
    SHMON_FUZZ_CHECK(!s.empty() && s.size() <= kMaxInstanceNameLen && s[0] != '.');
    for (unsigned char c : s) SHMON_FUZZ_CHECK(alnum(c) || c == '.' || c == '_' || c == '-');
  }
  if (!check_client_name(s)) {
    SHMON_FUZZ_CHECK(!s.empty() && s.size() <= kMaxClientNameLen);
    for (unsigned char c : s) {
      SHMON_FUZZ_CHECK(c >= 0x20 && c < 0x7f && c != '/' && c != '\\' && c != '"' && c != '\'');
    }
  }
  if (!check_metric_name(s)) {
    SHMON_FUZZ_CHECK(!s.empty() && s.size() <= kMaxMetricNameLen);
    SHMON_FUZZ_CHECK(s[0] == '_' || (alnum(s[0]) && !(s[0] >= '0' && s[0] <= '9')));
    for (unsigned char c : s)
      SHMON_FUZZ_CHECK(alnum(c) || c == '_' || c == '.' || c == ':' || c == '-');
  }

  auto field = std::make_unique<char[]>(size == 0 ? 1 : size);
  if (size > 0) std::memcpy(field.get(), data, size);
  const auto read = read_fixed_name(field.get(), size);
  const void* nul = size ? std::memchr(data, 0, size) : nullptr;
  SHMON_FUZZ_CHECK(read.has_value() == (nul != nullptr));
  if (read)
    SHMON_FUZZ_CHECK(read->size() == std::size_t(static_cast<const std::uint8_t*>(nul) - data));

  // Round trip through a 64-byte field: the name comes back truncated to 63 bytes, up to any NUL.
  char fixed[kMaxClientNameLen + 1];
  write_fixed_name(fixed, sizeof(fixed), s);
  const auto back = read_fixed_name(fixed, sizeof(fixed));
  SHMON_FUZZ_CHECK(back.has_value());
  const std::string_view expect = s.substr(0, std::min(s.size(), sizeof(fixed) - 1));
  SHMON_FUZZ_CHECK(*back == expect.substr(0, expect.find('\0')));
  return 0;
}

Bytes names_seed() {
  const char seed[] = "loadgen-1.a_b:c";
  return Bytes(seed, seed + sizeof(seed) - 1);
}

}  // namespace shmon::fuzz
