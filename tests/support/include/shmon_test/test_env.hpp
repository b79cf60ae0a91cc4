// SPDX-License-Identifier: Apache-2.0
// One test's private world: a fresh runtime directory (mkdtemp, mode 0700) that every child gets
// as SHMON_RUNTIME_DIR through an explicit environment, a state root inside it (SHMON_STATE_DIR,
// the agents' state stores), and instance names unique to the test.
#pragma once

#include <string>
#include <vector>

namespace shmon::test {

class TestEnv {
 public:
  TestEnv();   // throws std::runtime_error when the directory cannot be created
  ~TestEnv();  // removes the directory and everything in it
  TestEnv(const TestEnv&) = delete;
  TestEnv& operator=(const TestEnv&) = delete;

  const std::string& runtime_dir() const { return dir_; }
  // SHMON_STATE_DIR of the children; an instance's state is in state_root() + "/" + instance.
  std::string state_root() const { return dir_ + "/state"; }
  // The environment for children: SHMON_RUNTIME_DIR, PATH, HOME and sanitizer options.
  std::vector<std::string> child_env() const;
  // A valid instance name unique to this process and test ("it-<pid>-<n>-<tag>").
  std::string instance(const std::string& tag = "i");

 private:
  std::string dir_;
  int counter_ = 0;
};

}  // namespace shmon::test
