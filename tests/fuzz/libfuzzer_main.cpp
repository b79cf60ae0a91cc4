// SPDX-License-Identifier: Apache-2.0
// libFuzzer entry point; SHMON_FUZZ_TARGET names the target function (see fuzz_targets.hpp).
#include "fuzz_targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return shmon::fuzz::SHMON_FUZZ_TARGET(data, size);
}
