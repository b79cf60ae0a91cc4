// SPDX-License-Identifier: Apache-2.0
#include "shmon/version.hpp"

namespace shmon {

const char* version_string() {
  return SHMON_VERSION;
}

}  // namespace shmon
