// SPDX-License-Identifier: Apache-2.0
#include "event_log_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>

namespace shmon::agent {

namespace {

constexpr std::uint32_t kJournalSlots = kHardMaxClients + kReservedToolSlots;
constexpr std::uint32_t kJournalShards = DataLimits::kMaxShards;

std::uint64_t align_up(std::uint64_t v, std::uint64_t a) {
  return (v + a - 1) / a * a;
}

void layout(EventLogFileHeader& h, std::uint64_t capacity) {
  h.header_size = sizeof(EventLogFileHeader);
  h.record_size = sizeof(EventRecord);
  h.capacity = capacity;
  h.journal_slots = kJournalSlots;
  h.journal_shards = kJournalShards;
  h.journal_offset = sizeof(EventLogFileHeader);
  h.records_offset = align_up(
      h.journal_offset + std::uint64_t(kJournalSlots) * kJournalShards * sizeof(JournalEntry),
      4096);
  h.sources_offset = h.records_offset + capacity * sizeof(EventRecord);
  h.file_size = align_up(h.sources_offset + capacity * sizeof(std::uint32_t), 4096);
}

std::string check(const EventLogFileHeader& h, const EventLogFile::Identity& id,
                  std::uint64_t actual_size, uid_t owner) {
  if (std::memcmp(h.magic, kEventLogMagic, sizeof(h.magic)) != 0) return "not a shmon event log";
  if (h.format_version != kEventLogFormat) {
    return "event log format " + std::to_string(h.format_version) + ", this agent reads " +
           std::to_string(kEventLogFormat);
  }
  if (h.abi_version != kAbiVersion) {
    return "event log of ABI " + std::to_string(h.abi_version) + ", this agent speaks " +
           std::to_string(kAbiVersion);
  }
  if (owner != ::geteuid() || h.uid != ::geteuid()) {
    return "event log belongs to uid " + std::to_string(owner) + ", not to uid " +
           std::to_string(::geteuid());
  }
  if (h.capacity == 0 || !std::has_single_bit(h.capacity) ||
      h.capacity > EventLogFile::kMaxCapacity) {
    return "event log capacity " + std::to_string(h.capacity) + " is invalid";
  }
  EventLogFileHeader expect{};
  layout(expect, h.capacity);
  if (h.header_size != expect.header_size || h.record_size != expect.record_size ||
      h.journal_slots != expect.journal_slots || h.journal_shards != expect.journal_shards ||
      h.journal_offset != expect.journal_offset || h.records_offset != expect.records_offset ||
      h.sources_offset != expect.sources_offset || h.file_size != expect.file_size) {
    return "event log geometry does not match its capacity";
  }
  if (actual_size != h.file_size) {
    return "event log is " + std::to_string(actual_size) + " bytes, its header says " +
           std::to_string(h.file_size) + " (truncated?)";
  }
  if (h.state_id != id.state_id) return "event log belongs to another state (different state id)";
  if (std::memchr(h.instance, 0, sizeof(h.instance)) == nullptr || id.instance != h.instance) {
    return "event log belongs to another instance";
  }
  return {};
}

}  // namespace

Result<EventLogFile> EventLogFile::open(const std::string& path, const Identity& id,
                                        std::uint64_t capacity, bool* created, int* sys_errno) {
  *created = false;
  *sys_errno = 0;
  auto sys_error = [&](int err, const std::string& what) {
    *sys_errno = err != 0 ? err : EIO;
    return Error{what + ": " + std::strerror(*sys_errno)};
  };
  EventLogFile f;
  f.fd_.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (f.fd_) {
    struct stat st;
    if (::fstat(f.fd_.get(), &st) != 0) return sys_error(errno, "cannot inspect " + path);
    if (!S_ISREG(st.st_mode)) return Error{"not a regular file"};
    if (std::uint64_t(st.st_size) < sizeof(EventLogFileHeader)) {
      return Error{"event log is " + std::to_string(st.st_size) + " bytes (truncated)"};
    }
    auto copy = std::make_unique<EventLogFileHeader>();
    const ssize_t got = ::pread(f.fd_.get(), copy.get(), sizeof(*copy), 0);
    if (got < 0) return sys_error(errno, "cannot read the event log header of " + path);
    if (got != ssize_t(sizeof(*copy))) return Error{"event log header is short (truncated)"};
    if (auto bad = check(*copy, id, std::uint64_t(st.st_size), st.st_uid); !bad.empty()) {
      return Error{bad};
    }
    // Blocks behind every page before the mapping (see the file comment): posix_fallocate
    // returns its error rather than setting errno.
    if (const int err = ::posix_fallocate(f.fd_.get(), 0, off_t(st.st_size)); err != 0) {
      return sys_error(err, "cannot allocate the " + std::to_string(st.st_size) + " bytes of " +
                                path + " (a sparse copy needs them before use)");
    }
    auto map = Mapping::map(f.fd_.get(), std::size_t(st.st_size), true);
    if (!map) {
      *sys_errno = ENOMEM;  // not the file's fault: never moved aside for it
      return Error{map.error()};
    }
    f.map_ = std::move(map.value());
    return f;
  }
  if (errno != ENOENT) return sys_error(errno, "cannot open " + path);

  // Create under a temporary name and rename, so a crash never leaves a half-made log.
  capacity = std::bit_ceil(std::clamp<std::uint64_t>(capacity, 1024, kMaxCapacity));
  const std::string tmp = path + ".new";
  ::unlink(tmp.c_str());
  f.fd_.reset(::open(tmp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!f.fd_) return sys_error(errno, "cannot create " + tmp);
  EventLogFileHeader h{};
  layout(h, capacity);
  // posix_fallocate returns the error (errno is left alone: reading it named a stale cause).
  int err = ::ftruncate(f.fd_.get(), off_t(h.file_size)) != 0 ? errno : 0;
  if (err == 0) err = ::posix_fallocate(f.fd_.get(), 0, off_t(h.file_size));
  if (err != 0) {
    ::unlink(tmp.c_str());
    return sys_error(err, "cannot allocate " + std::to_string(h.file_size) + " bytes for " + path);
  }
  auto map = Mapping::map(f.fd_.get(), h.file_size, true);
  if (!map) {
    ::unlink(tmp.c_str());
    *sys_errno = ENOMEM;
    return Error{map.error()};
  }
  f.map_ = std::move(map.value());
  EventLogFileHeader* dst = f.header();
  std::memcpy(dst->magic, kEventLogMagic, sizeof(dst->magic));
  dst->format_version = kEventLogFormat;
  dst->abi_version = kAbiVersion;
  dst->uid = ::geteuid();
  dst->state_id = id.state_id;
  std::strncpy(dst->instance, id.instance.c_str(), sizeof(dst->instance) - 1);
  dst->header_size = h.header_size;
  dst->record_size = h.record_size;
  dst->capacity = h.capacity;
  dst->journal_slots = h.journal_slots;
  dst->journal_shards = h.journal_shards;
  dst->journal_offset = h.journal_offset;
  dst->records_offset = h.records_offset;
  dst->sources_offset = h.sources_offset;
  dst->file_size = h.file_size;
  dst->next_seq.store(1, std::memory_order_release);
  if (::msync(f.map_.data(), sizeof(EventLogFileHeader), MS_SYNC) != 0 ||
      ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int why = errno;
    ::unlink(tmp.c_str());
    return sys_error(why, "cannot create " + path);
  }
  *created = true;
  return f;
}

JournalEntry* EventLogFile::journal(std::uint32_t slot, std::uint32_t shard) const {
  const EventLogFileHeader* h = header();
  if (slot >= h->journal_slots || shard >= h->journal_shards) return nullptr;
  return map_.as<JournalEntry>(h->journal_offset) + std::uint64_t(slot) * h->journal_shards + shard;
}

DrainedTails EventLogFile::drained_tails() const {
  DrainedTails out;
  const EventLogFileHeader* h = header();
  const std::uint64_t next = h->next_seq.load(std::memory_order_acquire);
  for (std::uint32_t slot = 0; slot < h->journal_slots; ++slot) {
    for (std::uint32_t shard = 0; shard < h->journal_shards; ++shard) {
      const JournalEntry* e = journal(slot, shard);
      const std::uint64_t inc = e->incarnation.load(std::memory_order_relaxed);
      const std::uint64_t seq = e->seq_after.load(std::memory_order_acquire);
      if (inc == 0 || seq > next) continue;
      std::uint64_t& tail = out[inc][shard];
      tail = std::max(tail, e->tail_after.load(std::memory_order_relaxed));
    }
  }
  return out;
}

bool EventLogFile::sync() const {
  return ::msync(map_.data(), map_.size(), MS_SYNC) == 0;
}

}  // namespace shmon::agent
