// SPDX-License-Identifier: Apache-2.0
// The event log's durable storage: one file in the state directory, mapped MAP_SHARED, so the
// drain writes it at the cost of anonymous memory and everything stored survives a SIGKILL (it
// is in the page cache). sync() (msync) makes it durable against power loss.
//
// A store into a shared mapping whose page has no block behind it (a sparse file: one restored
// with cp --sparse or rsync -S) must allocate at fault time, and on a full disk the kernel
// answers with SIGBUS. So every open, not only the creation, posix_fallocate()s the whole file
// before mapping it and refuses to map when that fails (ENOSPC at start: the caller waits for
// space). Chosen over pwrite() for the records: the drain and the readers keep their zero-copy
// path, and on block file systems that allocate in place (ext4, xfs, tmpfs) allocated blocks
// never need new space on a later write. Copy-on-write file systems (btrfs, zfs) may still need
// space to rewrite an allocated block: keep the state directory off them on a disk that fills.
//
// Layout (format 1, all little-endian, offsets fixed by the header):
//   [0, 4096)            EventLogFileHeader
//   [4096, +journal)     JournalEntry[journal_slots][journal_shards]
//   [records_offset, …)  EventRecord[capacity]
//   [sources_offset, …)  uint32 source id per record
// Records with seq in [max(1, next_seq - capacity), next_seq) are valid: the writer publishes
// next_seq with release after the copies.
//
// The drain journal makes drained events exact across a crash: before publishing a batch the
// writer records {incarnation, tail_after, seq_after} in the entry of (client slot, ring shard).
// After a crash an entry whose seq_after <= next_seq proves that ring was drained through
// tail_after even if the dead agent never committed that tail to the client's region.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "shmon/fd.hpp"
#include "shmon/layout.hpp"
#include "shmon/memfd.hpp"
#include "shmon/result.hpp"

namespace shmon::agent {

inline constexpr char kEventLogMagic[8] = {'S', 'H', 'M', 'O', 'N', 'E', 'V', 'L'};
inline constexpr std::uint32_t kEventLogFormat = 1;

struct EventLogFileHeader {
  char magic[8];  // kEventLogMagic
  std::uint32_t format_version;
  std::uint32_t abi_version;  // kAbiVersion of the records' layout
  std::uint32_t header_size;
  std::uint32_t record_size;  // sizeof(EventRecord)
  std::uint64_t capacity;     // records, a power of two
  std::uint64_t state_id;     // equals the state database's: never mix two histories
  std::uint64_t file_size;
  std::uint32_t uid;
  std::uint32_t journal_slots;
  std::uint32_t journal_shards;
  std::uint32_t reserved0;
  std::uint64_t journal_offset;
  std::uint64_t records_offset;
  std::uint64_t sources_offset;
  char instance[kMaxInstanceNameLen + 8];
  alignas(64) std::atomic<std::uint64_t> next_seq;  // published with release
  std::uint8_t reserved1[4096 - 256];
};
static_assert(sizeof(EventLogFileHeader) == 4096);

// Written seq_after = UINT64_MAX first and seq_after last (release stores), so a writer killed
// half-way leaves an entry that proves nothing rather than one that mixes two clients.
struct JournalEntry {
  std::atomic<std::uint64_t> incarnation;  // 0 = unused
  std::atomic<std::uint64_t> tail_after;
  std::atomic<std::uint64_t> seq_after;
  std::uint64_t reserved;

  void write(std::uint64_t inc, std::uint64_t tail, std::uint64_t seq) {
    seq_after.store(UINT64_MAX, std::memory_order_release);
    incarnation.store(inc, std::memory_order_release);
    tail_after.store(tail, std::memory_order_release);
    seq_after.store(seq, std::memory_order_release);
  }
};
static_assert(sizeof(JournalEntry) == 32);

// Ring positions proven drained, by client incarnation and shard (from the journal).
using DrainedTails = std::map<std::uint64_t, std::map<std::uint32_t, std::uint64_t>>;

class EventLogFile {
 public:
  struct Identity {
    std::uint64_t state_id = 0;
    std::string instance;
  };
  static constexpr std::uint64_t kMaxCapacity = std::uint64_t(1) << 26;

  EventLogFile() = default;
  // Opens `path` if it exists (validating every header field against `id` and the file; an
  // error with *sys_errno 0 says what is wrong with the content, for the caller to move the file
  // aside), else creates it with `capacity` records (rounded up to a power of two). Either way
  // the whole file is allocated before it is mapped. A failing system call (full disk, I/O
  // error) sets *sys_errno to its errno: the file is left as it is.
  static Result<EventLogFile> open(const std::string& path, const Identity& id,
                                   std::uint64_t capacity, bool* created, int* sys_errno);

  bool valid() const { return map_.valid(); }
  EventLogFileHeader* header() const { return map_.as<EventLogFileHeader>(); }
  std::uint64_t capacity() const { return header()->capacity; }
  EventRecord* records() const { return map_.as<EventRecord>(header()->records_offset); }
  std::uint32_t* source_ids() const { return map_.as<std::uint32_t>(header()->sources_offset); }
  // nullptr when slot or shard are beyond the journal.
  JournalEntry* journal(std::uint32_t slot, std::uint32_t shard) const;
  // Entries that prove a drain (seq_after <= next_seq), max per (incarnation, shard).
  DrainedTails drained_tails() const;
  std::uint64_t size() const { return map_.size(); }
  // msync(MS_SYNC): durable against power loss. Returns false (errno set) on failure.
  bool sync() const;

 private:
  UniqueFd fd_;
  Mapping map_;
};

}  // namespace shmon::agent
