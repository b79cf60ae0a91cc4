// SPDX-License-Identifier: Apache-2.0
// (f) The agent crediting a client's cumulative claims (plausibility.hpp): the input is a start
// value and ceiling, then readings with the increase each may credit, all as the client chooses.
// Whatever it writes, the credit never decreases, never grows by more than a reading allows,
// never exceeds the highest value seen, and a claim above the ceiling credits nothing.
#include <cstring>

#include "fuzz_targets.hpp"
#include "plausibility.hpp"

namespace shmon::fuzz {
namespace {

std::uint64_t take_u64(const std::uint8_t*& p, std::size_t& left) {
  std::uint64_t v = 0;
  const std::size_t n = left < 8 ? left : 8;
  if (n == 0) return 0;  // libFuzzer may pass a null pointer with no bytes
  std::memcpy(&v, p, n);
  p += n;
  left -= n;
  return v;
}

}  // namespace

int credited_counts(const std::uint8_t* data, std::size_t size) {
  const std::uint8_t* p = data;
  std::size_t left = size;
  agent::CreditedCount count;
  const std::uint64_t start = take_u64(p, left);
  const std::uint64_t ceiling = take_u64(p, left);
  const bool plausible = count.start(start, ceiling);
  SHMON_FUZZ_CHECK(plausible == (start <= ceiling));
  SHMON_FUZZ_CHECK(count.credited() == (plausible ? start : 0));
  while (left > 0) {
    const std::uint64_t before = count.credited();
    const std::uint64_t high = count.high();
    const std::uint64_t value = take_u64(p, left);
    const std::uint64_t allowed = take_u64(p, left) >> (value & 63);
    const bool ok = count.observe(value, allowed);
    SHMON_FUZZ_CHECK(count.credited() >= before);
    SHMON_FUZZ_CHECK(count.credited() - before <= allowed);
    SHMON_FUZZ_CHECK(count.credited() <= count.high());
    if (value < high) SHMON_FUZZ_CHECK(count.credited() == before);
    if (value > high && value - high > allowed) SHMON_FUZZ_CHECK(!ok && count.credited() == before);
    SHMON_FUZZ_CHECK(count.credited() == before + (ok && value > high ? value - high : 0));
  }
  return 0;
}

Bytes credited_counts_seed() {
  Bytes b(8 * 8, 0);
  const std::uint64_t words[] = {100, 1'000'000, 150, 1000, 140, 1000, 5'000'000, 1000};
  std::memcpy(b.data(), words, sizeof(words));
  return b;
}

}  // namespace shmon::fuzz
