// SPDX-License-Identifier: Apache-2.0
// Per-test runtime directory and child environment.
#include "shmon_test/test_env.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace shmon::test {
namespace {

constexpr const char* kPassThrough[] = {
    "PATH", "HOME", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "TMPDIR"};

}  // namespace

TestEnv::TestEnv() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/shmon-it-XXXXXX";
  if (!::mkdtemp(pattern.data())) {
    throw std::runtime_error("mkdtemp(" + pattern + "): " + std::strerror(errno));
  }
  ::chmod(pattern.c_str(), 0700);
  dir_ = pattern;
}

TestEnv::~TestEnv() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<std::string> TestEnv::child_env() const {
  std::vector<std::string> env{"SHMON_RUNTIME_DIR=" + dir_, "SHMON_STATE_DIR=" + state_root()};
  for (const char* name : kPassThrough) {
    if (const char* value = std::getenv(name)) env.push_back(std::string(name) + "=" + value);
  }
  return env;
}

std::string TestEnv::instance(const std::string& tag) {
  std::string name = "it-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + "-";
  for (char c : tag) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    name += ok ? c : '_';
  }
  return name.substr(0, 64);
}

}  // namespace shmon::test
