#include "shmon/version.hpp"

namespace shmon {

const char* version_string() {
  return SHMON_VERSION;
}

}  // namespace shmon
