// SPDX-License-Identifier: Apache-2.0
// Sealed memfd regions. A region is created with its final size, its memory reserved up front
// (fallocate: exhaustion is a clear error now, not a SIGBUS later) and sealed against shrinking
// and growing, so a peer can never truncate it under a reader. Whoever maps a region it did not
// create verifies the seals and the size first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "shmon/fd.hpp"
#include "shmon/result.hpp"

namespace shmon {

enum class SealMode {
  kShared,    // SHRINK | GROW | SEAL: both sides may map it writable
  kReadOnly,  // also FUTURE_WRITE: only the creator's existing writable mapping can write
};

// Creates, sizes, reserves and (for kShared) seals a memfd. For kReadOnly, map it writable
// first with Mapping::map, then call seal_read_only(). Errors name the size and the cause
// (ENOSPC/ENOMEM become "not enough shared memory for N bytes").
Result<UniqueFd> create_region(const std::string& debug_name, std::size_t size);
Status seal_shared(int fd);
Status seal_read_only(int fd);  // adds F_SEAL_FUTURE_WRITE, then F_SEAL_SEAL

// Checks everything that lets a reader map `fd` without ever faulting on a page the kernel cannot
// supply (a SIGBUS, or memory charged to the reader): `fd` is a regular file on tmpfs (not
// hugetlbfs, not a disk file), its /proc link names a memfd, it is sealed against SHRINK and
// GROW, its size is within [min_size, max_size], and every page of it is allocated (fallocate'd,
// none punched out). Returns the size; errors say which check failed.
Result<std::size_t> verify_region(int fd, std::size_t min_size, std::size_t max_size);

// Only the last check: every page of the first `size` bytes is still allocated. A writer can
// punch holes after a reader mapped the region (tmpfs refaults them as fresh pages charged to the
// reader); readers that keep a peer's region call this periodically.
Status verify_region_pages(int fd, std::size_t size);

// Opens a read-only descriptor of the same region (for the inspector and tools).
Result<UniqueFd> reopen_read_only(int fd);

// A MAP_SHARED mapping, unmapped on destruction.
class Mapping {
 public:
  Mapping() = default;
  static Result<Mapping> map(int fd, std::size_t size, bool writable);
  Mapping(Mapping&& o) noexcept;
  Mapping& operator=(Mapping&& o) noexcept;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping();

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool valid() const { return data_ != nullptr; }
  template <class T>
  T* as(std::size_t offset = 0) const {
    return reinterpret_cast<T*>(data_ + offset);
  }
  // Forgets the mapping without unmapping it (used after fork when the child replaces it).
  void release() {
    data_ = nullptr;
    size_ = 0;
  }

 private:
  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace shmon
