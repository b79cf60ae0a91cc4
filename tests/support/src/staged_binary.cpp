// SPDX-License-Identifier: Apache-2.0
#include "shmon_test/staged_binary.hpp"

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <system_error>

namespace shmon::test {

StagedBinary::StagedBinary(const std::string& binary) {
  std::string dir = "/tmp/shmon-stage-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return;
  dir_ = dir;
  std::error_code ec;
  const auto target = std::filesystem::path(dir_) / std::filesystem::path(binary).filename();
  std::filesystem::copy_file(binary, target, ec);
  if (ec || ::chmod(target.c_str(), 0755) != 0 || ::chmod(dir_.c_str(), 0755) != 0) return;
  path_ = target.string();
}

StagedBinary::~StagedBinary() {
  std::error_code ec;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
}

}  // namespace shmon::test
