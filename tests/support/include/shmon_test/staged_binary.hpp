// SPDX-License-Identifier: Apache-2.0
// A copy of a binary that another user can run: tests that start a process as `nobody` must work
// wherever the repository was cloned, and a checkout under /root (mode 0700) is unreachable for
// that user. The copy lives in a fresh 0755 directory under /tmp, removed with the object. The
// test binaries link the project's libraries statically; the system libraries they need are where
// the loader finds them for everyone.
#pragma once

#include <string>

namespace shmon::test {

class StagedBinary {
 public:
  explicit StagedBinary(const std::string& binary);
  ~StagedBinary();
  StagedBinary(const StagedBinary&) = delete;
  StagedBinary& operator=(const StagedBinary&) = delete;

  // The copy's path; empty when staging failed (the caller asserts on it).
  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace shmon::test
