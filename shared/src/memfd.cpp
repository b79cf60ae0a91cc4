// SPDX-License-Identifier: Apache-2.0
// Sealed memfd regions: created at their final size, memory reserved up front, sealed so that no
// peer can shrink them under a reader.
#include "shmon/memfd.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

namespace shmon {
namespace {

std::string errno_text(int err) {
  return std::strerror(err);
}

Status add_seals(int fd, int seals, const char* what) {
  if (::fcntl(fd, F_ADD_SEALS, seals) != 0) {
    return Error{std::string("cannot seal region ") + what + ": " + errno_text(errno)};
  }
  return Ok{};
}

}  // namespace

Result<UniqueFd> create_region(const std::string& debug_name, std::size_t size) {
  if (size == 0) return Error{"cannot create region " + debug_name + " of 0 bytes"};
  UniqueFd fd(::memfd_create(debug_name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) return Error{"memfd_create(" + debug_name + ") failed: " + errno_text(errno)};
  if (::ftruncate(fd.get(), off_t(size)) != 0) {
    const int err = errno;
    if (err == EFBIG || err == ENOSPC || err == ENOMEM || err == EINVAL) {
      return Error{"not enough shared memory to reserve " + std::to_string(size) + " bytes for " +
                   debug_name + " (" + errno_text(err) + ")"};
    }
    return Error{"cannot size region " + debug_name + ": " + errno_text(err)};
  }
  // Reserve the pages now so exhaustion is an error here, not a SIGBUS on first touch.
  if (::fallocate(fd.get(), 0, 0, off_t(size)) != 0) {
    const int err = errno;
    if (err == ENOSPC || err == ENOMEM || err == EFBIG) {
      return Error{"not enough shared memory to reserve " + std::to_string(size) + " bytes for " +
                   debug_name + " (" + errno_text(err) + ")"};
    }
    return Error{"cannot reserve " + std::to_string(size) + " bytes for " + debug_name + ": " +
                 errno_text(err)};
  }
  return fd;
}

Status seal_shared(int fd) {
  return add_seals(fd, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, "(shared)");
}

Status seal_read_only(int fd) {
  // F_SEAL_SEAL last and separately: a kernel without FUTURE_WRITE then fails cleanly before
  // the seals are frozen.
  if (auto st = add_seals(fd, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE, "(read-only)");
      !st) {
    return st;
  }
  return add_seals(fd, F_SEAL_SEAL, "(read-only, final)");
}

namespace {

// What the descriptor's /proc link names, with anything unprintable replaced (the memfd name is
// the peer's choice); empty when /proc is not available.
std::string fd_link(int fd) {
  char buf[256];
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = ::readlink(path.c_str(), buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  std::string link(buf, std::size_t(n));
  for (char& c : link) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return link;
}

std::uint64_t page_rounded(std::uint64_t size) {
  const auto page = std::uint64_t(::sysconf(_SC_PAGESIZE));
  return (size + page - 1) / page * page;
}

}  // namespace

Status verify_region_pages(int fd, std::size_t size) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Error{"cannot stat the region: " + errno_text(errno)};
  // tmpfs counts every page it holds (in memory or in swap) in st_blocks; fewer blocks than the
  // size means holes: never reserved, or punched out since.
  const std::uint64_t held = std::uint64_t(st.st_blocks) * 512;
  if (held < page_rounded(size)) {
    return Error{"the region holds " + std::to_string(held) + " of its " + std::to_string(size) +
                 " bytes (not reserved with fallocate, or punched out)"};
  }
  return Ok{};
}

Result<std::size_t> verify_region(int fd, std::size_t min_size, std::size_t max_size) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return Error{"cannot stat the region: " + errno_text(errno)};
  if (!S_ISREG(st.st_mode)) return Error{"the descriptor is not a memfd region (not a file)"};
  struct statfs fs;
  if (::fstatfs(fd, &fs) != 0)
    return Error{"cannot stat the region's filesystem: " + errno_text(errno)};
  if (fs.f_type == HUGETLBFS_MAGIC) {
    // A hugetlbfs page punched out after mapping is refaulted from the huge page pool, and an
    // empty pool is a SIGBUS in the reader.
    return Error{"the region is on hugetlbfs (MFD_HUGETLB); only plain memfds are accepted"};
  }
  if (fs.f_type != TMPFS_MAGIC) {
    return Error{"the region is not a memfd (its filesystem is not tmpfs)"};
  }
  if (const std::string link = fd_link(fd); !link.empty() && link.rfind("/memfd:", 0) != 0) {
    return Error{"the region is not a memfd but " + link.substr(0, 64)};
  }
  const int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    if (errno == EINVAL) return Error{"the descriptor is not a sealable memfd region"};
    return Error{"cannot read the region's seals: " + errno_text(errno)};
  }
  if ((seals & F_SEAL_SHRINK) == 0 || (seals & F_SEAL_GROW) == 0) {
    return Error{"the region is not sealed against shrinking and growing"};
  }
  const auto size = std::size_t(st.st_size);
  if (size < min_size) {
    return Error{"the region is " + std::to_string(size) + " bytes; at least " +
                 std::to_string(min_size) + " are needed"};
  }
  if (size > max_size) {
    return Error{"the region is " + std::to_string(size) + " bytes; the limit is " +
                 std::to_string(max_size)};
  }
  if (auto pages = verify_region_pages(fd, size); !pages) return Error{pages.error()};
  return size;
}

Result<UniqueFd> reopen_read_only(int fd) {
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  UniqueFd ro(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ro) return Error{"cannot reopen region read-only via " + path + ": " + errno_text(errno)};
  return ro;
}

Result<Mapping> Mapping::map(int fd, std::size_t size, bool writable) {
  if (size == 0) return Error{"cannot map an empty region"};
  const int prot = writable ? (PROT_READ | PROT_WRITE) : PROT_READ;
  void* p = ::mmap(nullptr, size, prot, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    return Error{std::string("cannot map region ") + (writable ? "read-write" : "read-only") +
                 ": " + errno_text(errno)};
  }
  Mapping m;
  m.data_ = static_cast<std::byte*>(p);
  m.size_ = size;
  return m;
}

Mapping::Mapping(Mapping&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

Mapping& Mapping::operator=(Mapping&& o) noexcept {
  if (this != &o) {
    if (data_ != nullptr) ::munmap(data_, size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

Mapping::~Mapping() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

}  // namespace shmon
