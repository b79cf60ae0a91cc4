// Sealed memfd regions: created at their final size, memory reserved up front, sealed so that no
// peer can shrink them under a reader.
#include "shmon/memfd.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

Result<std::size_t> verify_region(int fd, std::size_t min_size, std::size_t max_size) {
  const int seals = ::fcntl(fd, F_GET_SEALS);
  if (seals < 0) {
    if (errno == EINVAL) return Error{"the descriptor is not a sealable memfd region"};
    return Error{"cannot read the region's seals: " + errno_text(errno)};
  }
  if ((seals & F_SEAL_SHRINK) == 0 || (seals & F_SEAL_GROW) == 0) {
    return Error{"the region is not sealed against shrinking and growing"};
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return Error{"cannot stat the region: " + errno_text(errno)};
  const auto size = std::size_t(st.st_size);
  if (size < min_size) {
    return Error{"the region is " + std::to_string(size) + " bytes; at least " +
                 std::to_string(min_size) + " are needed"};
  }
  if (size > max_size) {
    return Error{"the region is " + std::to_string(size) + " bytes; the limit is " +
                 std::to_string(max_size)};
  }
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
