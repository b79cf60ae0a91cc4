// SPDX-License-Identifier: Apache-2.0
// The version every shmon program prints for --version (the CMake project version).
#pragma once

namespace shmon {

const char* version_string();  // "0.1.0"

}  // namespace shmon
