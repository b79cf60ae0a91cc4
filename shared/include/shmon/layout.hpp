// SPDX-License-Identifier: Apache-2.0
// Byte layout of shmon's three kinds of shared region. Every struct here is standard-layout with
// fixed-width fields; static_asserts pin their sizes. docs/REGIONS.md has the byte map.
//
//  * Control region: created by the agent, sealed F_SEAL_FUTURE_WRITE after the agent mapped it,
//    so clients can only map it read-only. Header + client directory.
//  * Mailbox region: created by the agent, mapped read-write by every client: the client mutex,
//    the Exec and Done events, the drain doorbell, one request and one response buffer.
//  * Data region: created by each client (so it can buffer before any agent runs and hand the
//    same memory to a restarted agent), mapped read-write by that client and by the agent.
//    The client writes metric descriptors, value cells, histograms, event rings and its own
//    statistics; the agent writes only the ring consumer positions.
//
// Trust: a reader copies a header into private memory before validating it, and recomputes
// every offset from validated parameters instead of trusting offsets it reads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "shmon/labels.hpp"
#include "shmon/limits.hpp"
#include "shmon/result.hpp"
#include "shmon/types.hpp"

namespace shmon {

inline constexpr std::uint32_t kAbiVersion = 4;  // 4: metric labels; 3: command channel;
                                                 // 2: mutex_claim, flag words
inline constexpr char kControlMagic[8] = {'S', 'H', 'M', 'O', 'N', 'C', 'T', 'L'};
inline constexpr char kMailboxMagic[8] = {'S', 'H', 'M', 'O', 'N', 'M', 'B', 'X'};
inline constexpr char kDataMagic[8] = {'S', 'H', 'M', 'O', 'N', 'D', 'A', 'T'};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);
static_assert(sizeof(std::atomic<std::uint64_t>) == 8);

// ---------------------------------------------------------------------------------------------
// Control region
// ---------------------------------------------------------------------------------------------

// Totals the agent publishes in the control header (monotonic counters unless noted).
struct AgentStats {
  std::atomic<std::uint64_t> requests;             // mailbox requests answered
  std::atomic<std::uint64_t> request_errors;       // answered with an error status
  std::atomic<std::uint64_t> torn_requests;        // request changed while the agent copied it
  std::atomic<std::uint64_t> lease_revocations;    // lock taken back from a live, stuck owner
  std::atomic<std::uint64_t> dead_owner_releases;  // lock released for a client that died
  std::atomic<std::uint64_t> clients_connected;    // gauge: live clients now
  std::atomic<std::uint64_t> clients_total;        // attaches accepted since start
  std::atomic<std::uint64_t> clients_refused;      // attaches refused (full, version, name, uid)
  std::atomic<std::uint64_t> events_received;      // events drained (incl. departed clients)
  std::atomic<std::uint64_t> events_dropped;       // drops reported by clients (incl. departed)
  std::atomic<std::uint64_t> bad_records;          // records or descriptors that failed validation
  std::atomic<std::uint64_t> drain_batches;
  std::atomic<std::uint64_t> lock_holder_since_ns;  // gauge: monotonic time the holder took it
  std::atomic<std::uint64_t> reattach_mismatches;   // attaches naming a known incarnation without
                                                    // its secret (treated as new clients)
  std::atomic<std::uint64_t> duplicate_requests;    // Exec for a request already answered
  std::atomic<std::uint64_t> requests_per_s_milli;  // gauge: requests/s over the last second, x1000
  std::atomic<std::uint64_t> events_per_s_milli;    // gauge: events/s over the last second, x1000
  std::atomic<std::uint64_t> lock_repairs;          // lock word released: held a token nobody holds
  std::atomic<std::uint64_t> commands_sent;         // commands posted to a client
  std::atomic<std::uint64_t> command_timeouts;      // commands answered kTimeout
  std::atomic<std::uint64_t> late_replies;          // replies after their deadline, dropped
  std::atomic<std::uint64_t> forged_replies;        // replies to no command posted to that client
  // The rendezvous under a fork storm (docs/DESIGN.md, "Fork storms"):
  std::atomic<std::uint64_t> slot_waits;  // newcomers that found the table full and waited
  std::atomic<std::uint64_t> slot_waits_answered_full;  // waiters told "agent full" after the
                                                        // wait (their region is still held)
  std::atomic<std::uint64_t> folded_without_slot;  // regions folded at exit without ever a slot
  std::atomic<std::uint64_t> slot_waits_refused;   // newcomers refused: the wait list was full
  std::atomic<std::uint64_t> pending_dropped;      // silent connections dropped (none carried a
                                                   // complete request)
  // Lease expiries the agent could not pin on the holder (its own region says it waits for an
  // answer: someone hid or garbled it through the shared mailbox): lock released, nobody revoked.
  std::atomic<std::uint64_t> unattributed_interference;
  std::atomic<std::uint64_t> reserved[4];
};
static_assert(sizeof(AgentStats) == 32 * 8);

struct ControlHeader {
  char magic[8];  // kControlMagic
  std::uint32_t abi_version;
  std::uint32_t header_size;  // sizeof(ControlHeader)
  std::uint64_t region_size;
  std::uint32_t directory_offset;
  std::uint32_t directory_entry_size;  // sizeof(DirectoryEntry)
  std::uint32_t directory_capacity;    // max app clients + reserved tool slots
  std::uint32_t max_app_clients;
  std::uint32_t lease_ms;
  std::int32_t agent_pid;
  std::uint64_t agent_generation;  // random, non-zero, new at every agent start
  std::uint64_t agent_start_realtime_ns;
  std::uint64_t agent_start_monotonic_ns;
  char instance[kMaxInstanceNameLen + 8];  // NUL-terminated
  std::uint8_t reserved0[48];
  // Written continuously by the agent.
  alignas(64) std::atomic<std::uint64_t> heartbeat_monotonic_ns;
  std::atomic<std::uint64_t> directory_seq;  // seqlock over the directory: odd while writing
  std::atomic<std::uint64_t> reserved1[6];
  AgentStats stats;
};
static_assert(sizeof(ControlHeader) == 512);

enum class ClientState : std::uint32_t {
  kFree = 0,
  kAttached = 1,  // socket accepted, regions handed out, hello not yet received
  kLive = 2,
  kRevoked = 3,  // lease revoked; the session is dead until the client re-attaches
  kLeaving = 4,  // bye received or death noticed; draining before the slot is freed
};
const char* to_string(ClientState state);

// ClientStatsT, ClientStatsSnapshot and kWaitHistBuckets are in types.hpp (Probe::stats() returns
// a snapshot); the client writes the atomic instance in its data region.
using ClientStats = ClientStatsT<std::atomic<std::uint64_t>>;
static_assert(sizeof(ClientStats) == 64 * 8);
static_assert(sizeof(ClientStatsSnapshot) == 64 * 8);

// Copies every field with relaxed loads (the agent then clamps what it publishes).
ClientStatsSnapshot snapshot(const ClientStats& stats);

struct DirectoryEntry {
  std::uint32_t state;  // ClientState
  std::uint32_t kind;   // ClientKind
  std::int32_t pid;
  std::uint32_t slot;
  std::uint64_t incarnation;  // the client's random id, kept across re-attaches
  std::uint64_t attached_realtime_ns;
  std::uint64_t last_seen_monotonic_ns;  // last request or drained record
  char name[kMaxClientNameLen + 1];
  std::uint64_t requests;
  std::uint64_t request_errors;
  std::uint64_t events_written;   // sum of ring heads
  std::uint64_t events_received;  // sum of ring tails the agent committed
  std::uint64_t metric_count;
  std::uint64_t data_region_size;
  std::uint64_t lock_held_ns;          // >0 while this client holds the mutex: how long so far
  std::uint64_t requests_per_s_milli;  // requests/s over the agent's last second, x1000
  std::uint64_t events_per_s_milli;    // events/s over the agent's last second, x1000
  std::uint64_t reserved[10];
  ClientStatsSnapshot stats;  // copied from the client's data region
};
static_assert(sizeof(DirectoryEntry) == 768);

// ---------------------------------------------------------------------------------------------
// Mailbox region
// ---------------------------------------------------------------------------------------------

inline constexpr std::uint32_t kRequestCapacity = 4096;    // header + body
inline constexpr std::uint32_t kResponseCapacity = 65536;  // header + body

struct RequestHeader {
  // Seqlock word: the client stores 0 before writing the body and its sequence number (never 0)
  // after. The agent copies header and body, then re-reads seq: a change means a torn request.
  std::atomic<std::uint64_t> seq;
  std::uint64_t session;      // from the attach reply
  std::uint32_t type;         // RequestType
  std::uint32_t slot;         // the client's slot
  std::uint32_t owner_token;  // the lock token the client believes it holds
  std::uint32_t body_size;
  std::uint8_t reserved[32];
};
static_assert(sizeof(RequestHeader) == 64);
inline constexpr std::uint32_t kRequestBodyCapacity = kRequestCapacity - sizeof(RequestHeader);

struct ResponseHeader {
  std::atomic<std::uint64_t> seq;  // the request's seq; written last, with release
  std::uint32_t status;            // ResponseStatus
  std::uint32_t body_size;         // bytes of body in this response
  std::uint64_t total_size;        // for paged answers: size of the whole answer
  std::uint8_t reserved[40];
};
static_assert(sizeof(ResponseHeader) == 64);
inline constexpr std::uint32_t kResponseBodyCapacity = kResponseCapacity - sizeof(ResponseHeader);

struct MailboxHeader {
  char magic[8];  // kMailboxMagic
  std::uint32_t abi_version;
  std::uint32_t header_size;
  std::uint64_t region_size;
  std::uint32_t request_offset;
  std::uint32_t request_capacity;
  std::uint32_t response_offset;
  std::uint32_t response_capacity;
  std::uint8_t reserved0[24];
  alignas(64) std::atomic<std::uint32_t> lock;  // ClientMutex word
  alignas(64) std::atomic<std::uint32_t> exec;  // AutoResetEvent: client -> agent
  alignas(64) std::atomic<std::uint32_t> done;  // AutoResetEvent: agent -> client
  // Drain doorbell: a producer that finds drain_sleeping != 0 bumps doorbell and wakes it.
  alignas(64) std::atomic<std::uint32_t> doorbell;
  std::atomic<std::uint32_t> drain_sleeping;
  alignas(64) std::uint8_t reserved1[64];
};
static_assert(sizeof(MailboxHeader) == 384);

// Every location in a mailbox region: header, then the request and the response buffers, each a
// header followed by its body.
struct MailboxLayout {
  static constexpr std::uint32_t kRequestOffset = 512;
  static constexpr std::uint32_t kRequestBodyOffset = kRequestOffset + sizeof(RequestHeader);
  static constexpr std::uint32_t kResponseOffset = kRequestOffset + kRequestCapacity;
  static constexpr std::uint32_t kResponseBodyOffset = kResponseOffset + sizeof(ResponseHeader);
  static constexpr std::uint64_t kRegionSize = kResponseOffset + kResponseCapacity;
};

// ---------------------------------------------------------------------------------------------
// Data region
// ---------------------------------------------------------------------------------------------

enum class MetricKind : std::uint32_t { kCounter = 1, kGauge = 2, kHistogram = 3, kEvent = 4 };
const char* to_string(MetricKind kind);

inline constexpr std::uint32_t kEventPayloadCapacity = 40;

enum class PayloadKind : std::uint8_t { kNone = 0, kText = 1, kBytes = 2 };

struct EventRecord {
  std::uint64_t timestamp_ns;  // CLOCK_REALTIME
  std::uint32_t id;            // index of a metric descriptor (kind kEvent, or any metric)
  std::uint16_t level;         // EventLevel
  std::uint16_t payload_size;  // <= kEventPayloadCapacity
  std::uint8_t payload_kind;   // PayloadKind
  std::uint8_t reserved[7];
  std::uint8_t payload[kEventPayloadCapacity];
};
static_assert(sizeof(EventRecord) == 64);

// Event types count by level. An event type registered at descriptor i is followed by
// kEventLevelCount level descriptors: i + 1 + L for level L (kind kEvent, the same name, labels
// exactly `level="<to_string(L)>"`, e.g. level="warn"). An emit counts its event in its level's
// cell (levels past kFatal in kFatal's), so emitting costs one cell as before; the type's own
// cell stays 0 and its count is the sum of its levels' cells. Readers accept a level descriptor
// only at exactly that place after a valid, unlabelled event type of the same name.
inline constexpr std::uint32_t kEventLevelCount = 6;  // kTrace .. kFatal
// `level="<name>"` for level `level` (< kEventLevelCount).
std::string event_level_labels(std::uint32_t level);

struct MetricDescriptor {
  char name[kMaxMetricNameLen + 1];
  std::uint32_t kind;             // MetricKind
  std::uint32_t histogram_index;  // for kHistogram: which histogram block; else 0
  char unit[16];                  // free text, NUL-terminated (e.g. "ns", "bytes")
  // The label set's canonical text (labels.hpp), NUL-terminated; empty for an unlabelled metric.
  // Name, kind and labels are the metric's identity.
  char labels[kMaxLabelTextLen + 1];
  std::uint8_t reserved[8];
};
static_assert(sizeof(MetricDescriptor) == 256);

// Per shard and histogram: count, sum, min, max, then `histogram_buckets` bucket counts.
struct HistogramCellsHeader {
  std::uint64_t count;
  std::int64_t sum;
  std::int64_t min;  // INT64_MAX while empty
  std::int64_t max;  // INT64_MIN while empty
};

struct alignas(64) RingHeader {
  std::atomic<std::uint64_t> head;  // producer: positions written (monotonic)
  std::uint8_t pad0[56];
  std::atomic<std::uint64_t> tail;              // agent: positions consumed (monotonic)
  std::atomic<std::uint32_t> producer_waiting;  // wait policy: a producer sleeps on tail_wake
  std::atomic<std::uint32_t> tail_wake;         // bumped by the agent when producer_waiting
  std::uint8_t pad1[48];
};
static_assert(sizeof(RingHeader) == 128);

// DataParams (a client's choice of capacities) is in types.hpp: ProbeOptions carries one.
static_assert(sizeof(DataParams) == 20);

struct DataLimits {
  static constexpr std::uint32_t kMaxMetrics = 4096;
  static constexpr std::uint32_t kMaxShards = 64;
  static constexpr std::uint32_t kMaxHistograms = 256;
  static constexpr std::uint32_t kMaxBuckets = 512;
  static constexpr std::uint32_t kMaxRingCapacity = 1u << 20;
  static constexpr std::uint64_t kMaxRegionSize = 1ull << 30;
};

// Offsets, all computed from DataParams; 64-byte aligned. The offset_of_* accessors compute every
// location in a region; nothing else in shmon does offset arithmetic on a data region.
// REQUIRES (every accessor): indexes below the capacities in `params` (shard < shard_count,
// index < metric_capacity, histogram < histogram_capacity). They do not check: the callers'
// indexes come from validated descriptors or from the probe's own registry.
struct DataGeometry {
  DataParams params;
  std::uint64_t descriptors_offset;  // MetricDescriptor[metric_capacity]
  std::uint64_t bounds_offset;       // int64 upper bounds [histogram_capacity][buckets]
  std::uint64_t cells_offset;        // per shard: uint64[metric_capacity], shard stride below
  std::uint64_t cells_shard_stride;
  std::uint64_t histograms_offset;  // per shard: per histogram: header + buckets
  std::uint64_t histogram_stride;   // one histogram's cells in one shard
  std::uint64_t histograms_shard_stride;
  std::uint64_t rings_offset;  // per shard: RingHeader + EventRecord[ring_capacity]
  std::uint64_t ring_stride;
  std::uint64_t region_size;

  // Buckets per histogram (0 when the region has no histograms).
  constexpr std::uint32_t bucket_count() const {
    return params.histogram_capacity > 0 ? params.histogram_buckets : 0;
  }
  // Descriptor `index`: a MetricDescriptor.
  constexpr std::uint64_t offset_of_descriptor(std::uint32_t index) const {
    return descriptors_offset + std::uint64_t(index) * sizeof(MetricDescriptor);
  }
  // Histogram `histogram`'s upper bounds: int64[bucket_count()], ascending, inclusive.
  constexpr std::uint64_t offset_of_bounds(std::uint32_t histogram) const {
    return bounds_offset + 8ull * histogram * bucket_count();
  }
  // Metric `index`'s uint64 cell in `shard`.
  constexpr std::uint64_t offset_of_cell(std::uint32_t shard, std::uint32_t index) const {
    return cells_offset + cells_shard_stride * shard + 8ull * index;
  }
  // Histogram `histogram`'s block in `shard`: HistogramCellsHeader, then uint64[bucket_count()].
  constexpr std::uint64_t offset_of_histogram(std::uint32_t shard, std::uint32_t histogram) const {
    return histograms_offset + histograms_shard_stride * shard + histogram_stride * histogram;
  }
  constexpr std::uint64_t offset_of_buckets(std::uint32_t shard, std::uint32_t histogram) const {
    return offset_of_histogram(shard, histogram) + sizeof(HistogramCellsHeader);
  }
  // Shard `shard`'s ring: RingHeader, then EventRecord[ring_capacity].
  constexpr std::uint64_t offset_of_ring(std::uint32_t shard) const {
    return rings_offset + ring_stride * shard;
  }
  constexpr std::uint64_t offset_of_records(std::uint32_t shard) const {
    return offset_of_ring(shard) + sizeof(RingHeader);
  }
  // Ring position `position` (monotonic) lives in record position & (ring_capacity - 1).
  constexpr std::uint64_t offset_of_record(std::uint32_t shard, std::uint64_t position) const {
    return offset_of_records(shard) +
           sizeof(EventRecord) * (position & (std::uint64_t(params.ring_capacity) - 1));
  }
};

// Returns the geometry, or an error naming the parameter that is out of range.
Result<DataGeometry> compute_data_geometry(const DataParams& params);

// The command channel in a client's data region (docs/COMMANDS.md). Two halves, one writer each,
// each a seqlock on its id: the writer stores 0, writes the fields, then stores the id with
// release; a reader copies the fields between two loads of the id and discards a copy whose id
// changed. Only the agent writes the command half (tools cannot write a client's region), only the
// client writes the reply half; the agent treats the reply half as untrusted input.
struct CommandArea {
  // Written by the agent.
  std::atomic<std::uint64_t> command_id;  // 0 while written (or none); then the command's id
  std::uint64_t deadline_monotonic_ns;    // CLOCK_MONOTONIC: reply before this or not at all
  std::uint32_t payload_size;             // bytes in DataHeader::command_payload
  std::int32_t sender_pid;                // the tool that sent it
  char name[kMaxCommandNameLen + 1];      // NUL-terminated, validated by the agent
  std::uint8_t reserved0[72];
  // Written by the client.
  alignas(64) std::atomic<std::uint64_t> taken_id;  // the command its handler runs (or ran last)
  std::atomic<std::uint64_t> reply_id;  // 0 while written; then the command this reply answers
  std::uint32_t reply_status;           // CommandStatus (a handler's: < kTimeout)
  std::uint32_t reply_size;             // bytes in DataHeader::reply_payload
  std::uint8_t reserved1[360];
};
static_assert(sizeof(CommandArea) == 512);

struct DataHeader {
  char magic[8];  // kDataMagic
  std::uint32_t abi_version;
  std::uint32_t header_size;  // sizeof(DataHeader)
  std::uint64_t region_size;
  std::uint64_t incarnation;  // random per probe instance (per process after fork)
  std::int32_t pid;
  std::uint32_t kind;  // ClientKind
  char name[kMaxClientNameLen + 1];
  DataParams params;
  std::uint32_t reserved0[3];
  // Published by the client with release after a descriptor is complete; never decreases.
  alignas(64) std::atomic<std::uint32_t> metric_count;
  std::atomic<std::uint32_t> histogram_count;
  // The client mutex token this client holds, 0 when none: stored right after acquiring, cleared
  // right before releasing. The agent trusts a token in the shared lock word only while its
  // owner's region claims it (see client_mutex.hpp).
  std::atomic<std::uint32_t> mutex_claim;
  std::uint32_t reserved2;
  // The seq of the request this client sent and has not yet read the answer of, 0 when none:
  // stored before Exec, cleared when the answer is read (or given up) and before the claim. A
  // holder past the lease that waits for an answer is not the proven offender (docs/DESIGN.md).
  std::atomic<std::uint64_t> awaiting_seq;
  // Agent -> client commands (docs/COMMANDS.md): the agent writes the command half and
  // command_payload, the client the reply half and reply_payload.
  alignas(64) CommandArea commands;
  alignas(64) ClientStats stats;
  std::uint8_t command_payload[kMaxCommandPayload];  // the command's payload_size bytes
  std::uint8_t reply_payload[kMaxCommandReply];      // the reply's reply_size bytes
  std::uint8_t reserved1[256];
};
static_assert(sizeof(DataHeader) == 4096);

// Typed pointers into a mapped data region: the one accessor both sides use (the probe writes
// through DataRegion, the agent and the inspector read through it or ConstDataRegion, tests use it
// on a plain buffer). It is two words of state plus the geometry, cheap to copy and inline; every
// location comes from DataGeometry's offset_of_* above. REQUIRES: `base` maps at least
// geometry.region_size bytes, and the indexes passed satisfy DataGeometry's REQUIRES.
template <class Byte>
class BasicDataRegion {
  template <class T>
  using Ptr = std::conditional_t<std::is_const_v<Byte>, const T*, T*>;

 public:
  BasicDataRegion() = default;
  BasicDataRegion(Byte* base, const DataGeometry& geometry) : base_(base), geometry_(geometry) {}

  Byte* base() const { return base_; }
  const DataGeometry& geometry() const { return geometry_; }
  bool valid() const { return base_ != nullptr; }

  Ptr<DataHeader> header() const { return at<DataHeader>(0); }
  Ptr<MetricDescriptor> descriptor(std::uint32_t index) const {
    return at<MetricDescriptor>(geometry_.offset_of_descriptor(index));
  }
  Ptr<std::int64_t> bounds(std::uint32_t histogram) const {
    return at<std::int64_t>(geometry_.offset_of_bounds(histogram));
  }
  Ptr<std::uint64_t> cell(std::uint32_t shard, std::uint32_t index) const {
    return at<std::uint64_t>(geometry_.offset_of_cell(shard, index));
  }
  Ptr<HistogramCellsHeader> histogram(std::uint32_t shard, std::uint32_t histogram) const {
    return at<HistogramCellsHeader>(geometry_.offset_of_histogram(shard, histogram));
  }
  Ptr<std::uint64_t> buckets(std::uint32_t shard, std::uint32_t histogram) const {
    return at<std::uint64_t>(geometry_.offset_of_buckets(shard, histogram));
  }
  Ptr<RingHeader> ring(std::uint32_t shard) const {
    return at<RingHeader>(geometry_.offset_of_ring(shard));
  }
  Ptr<EventRecord> records(std::uint32_t shard) const {
    return at<EventRecord>(geometry_.offset_of_records(shard));
  }
  Ptr<EventRecord> record(std::uint32_t shard, std::uint64_t position) const {
    return at<EventRecord>(geometry_.offset_of_record(shard, position));
  }

 private:
  template <class T>
  Ptr<T> at(std::uint64_t offset) const {
    return reinterpret_cast<Ptr<T>>(base_ + offset);
  }
  Byte* base_ = nullptr;
  DataGeometry geometry_{};
};
using DataRegion = BasicDataRegion<std::byte>;
using ConstDataRegion = BasicDataRegion<const std::byte>;

// Header checks shared by every reader (agent and inspector): magic, ABI, header size, params
// within limits, region_size equal to the geometry's and to `actual_size` (the fd's size).
// `copy` must be a private copy of the header. Errors are one plain sentence.
Result<DataGeometry> validate_data_header(const DataHeader& copy, std::uint64_t actual_size);
Status validate_control_header(const ControlHeader& copy, std::uint64_t actual_size);
Status validate_mailbox_header(const MailboxHeader& copy, std::uint64_t actual_size);

// Directory geometry: header, then `capacity` entries.
std::uint64_t control_region_size(std::uint32_t directory_capacity);
// Where directory entry `slot` starts. REQUIRES: slot < the header's directory_capacity.
constexpr std::uint64_t offset_of_directory_entry(std::uint32_t slot) {
  return sizeof(ControlHeader) + std::uint64_t(slot) * sizeof(DirectoryEntry);
}

// Writers paired with the validators: each fills the self-describing fields of a zeroed header so
// that the matching validate_* accepts it. Callers fill the remaining fields (agent identity,
// statistics). They write with memcpy/memset only, so the probe may call them after fork.
void init_control_header(ControlHeader& h, std::uint32_t max_app_clients);
void init_mailbox_header(MailboxHeader& h);
void init_data_header(DataHeader& h, const DataGeometry& geometry, ClientKind kind,
                      std::int32_t pid, std::uint64_t incarnation, std::string_view name);

}  // namespace shmon
