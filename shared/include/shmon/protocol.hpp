// SPDX-License-Identifier: Apache-2.0
// Messages of the rendezvous socket and of the mailbox. Fixed-size, little-endian host layout
// (both ends run on the same machine); every message starts with a magic and the ABI version.
//
// Socket conversation (client connects to socket_path(instance)):
//   client -> AttachRequest + 1 fd (its data region; every client has one, tools a small one)
//   agent  -> AttachReply   + 2 fds on kOk (control region read-only, mailbox read-write)
//   then, any time, a tool may send RegionRequest and receive an AttachReply (status, and on kOk
//   1 read-only fd), or CommandRequest and receive one CommandReply (docs/COMMANDS.md);
//   agent <-> app: single wake-up bytes for the command channel in the app's data region.
//   The socket stays open for the whole session: EOF on either side means the peer is gone.
// A directory view (a tool that only reads the directory: shmonctl status and clients, the tray)
// takes no slot: client -> AttachRequest with kViewMagic and no fd; agent -> AttachReply + 1 fd
// on kOk (the control region, read-only), then the agent closes the connection.
//
// Mailbox session (the seed handshake): acquire the client mutex (bounded), write the request
// (seq = 0, header and body, then seq = n with release), set Exec, wait for Done (bounded), read
// the response if its seq == n (a different seq is a late answer to an abandoned request: wait
// again within the same deadline), release the mutex.
#pragma once

#include <cstddef>
#include <cstdint>

#include "shmon/layout.hpp"

namespace shmon {

inline constexpr char kAttachMagic[8] = {'S', 'H', 'M', 'O', 'N', 'A', 'T', 'T'};
inline constexpr char kViewMagic[8] = {'S', 'H', 'M', 'O', 'N', 'V', 'E', 'W'};
inline constexpr char kReplyMagic[8] = {'S', 'H', 'M', 'O', 'N', 'R', 'E', 'P'};
inline constexpr char kRegionRequestMagic[8] = {'S', 'H', 'M', 'O', 'N', 'R', 'G', 'Q'};
inline constexpr char kCommandRequestMagic[8] = {'S', 'H', 'M', 'O', 'N', 'C', 'M', 'Q'};
inline constexpr char kCommandReplyMagic[8] = {'S', 'H', 'M', 'O', 'N', 'C', 'M', 'R'};
inline constexpr std::size_t kReattachSecretSize = 16;

enum class AttachStatus : std::uint32_t {
  kOk = 0,
  kFull = 1,         // client table full: retry later, keep buffering
  kAbiMismatch = 2,  // message or region of another ABI version
  kBadName = 3,
  kBadRegion = 4,  // data region failed verification (seals, size, header)
  kDenied = 5,     // peer credentials refused
  // 6 was kShuttingDown, never sent: a stopping agent closes the socket, and clients treat EOF
  // as "agent gone, re-attach later". Not to be reused.
};
const char* to_string(AttachStatus status);

struct AttachRequest {
  char magic[8];  // kAttachMagic
  std::uint32_t abi_version;
  std::uint32_t kind;  // ClientKind
  std::int32_t pid;
  std::uint32_t reserved0;    // zero, not read (was `flags`, never used; kept for the layout)
  std::uint64_t incarnation;  // same value on every re-attach of the same probe (public)
  char name[kMaxClientNameLen + 1];
  std::uint64_t data_region_size;
  // Proof that a re-attach comes from the same probe instance: random bytes the probe generates
  // once (again in a fork child) and never writes to shared memory. The incarnation is public (the
  // directory shows it); only a newcomer with the same incarnation, secret and uid takes over an
  // old slot or a tombstone. All zero: no proof, the client is always treated as new.
  std::uint8_t reattach_secret[kReattachSecretSize];
  std::uint8_t reserved[56 - kReattachSecretSize];
};
static_assert(sizeof(AttachRequest) == 160);

struct AttachReply {
  char magic[8];  // kReplyMagic
  std::uint32_t abi_version;
  std::uint32_t status;  // AttachStatus
  std::uint32_t slot;
  std::uint32_t lock_generation;  // owner token = make_owner_token(slot, lock_generation)
  std::uint64_t session;
  std::uint64_t agent_generation;
  std::int32_t agent_pid;
  std::uint32_t max_app_clients;
  char message[128];  // human-readable reason when status != kOk
  std::uint8_t reserved[32];
};
static_assert(sizeof(AttachReply) == 208);

// A tool asks for a read-only view of a client's data region (slot) or of the mailbox
// (slot = kMailboxSlot). The reply is an AttachReply with status and, on kOk, one fd.
inline constexpr std::uint32_t kMailboxSlot = 0xFFFFFFFFu;
struct RegionRequest {
  char magic[8];  // kRegionRequestMagic
  std::uint32_t abi_version;
  std::uint32_t slot;
  std::uint8_t reserved[16];
};
static_assert(sizeof(RegionRequest) == 32);

// A tool asks the agent to run a command in the app at `slot` (docs/COMMANDS.md). The agent
// answers with exactly one CommandReply, by timeout_ms at the latest.
inline constexpr std::uint32_t kMaxCommandTimeoutMs = 60'000;
struct CommandRequest {
  char magic[8];  // kCommandRequestMagic
  std::uint32_t abi_version;
  std::uint32_t slot;         // the target app's slot
  std::uint64_t incarnation;  // the target's (from the directory): a reused slot is not commanded
  std::uint32_t timeout_ms;   // 1..kMaxCommandTimeoutMs: the command's deadline
  std::uint32_t payload_size;
  char name[kMaxCommandNameLen + 1];
  std::uint8_t payload[kMaxCommandPayload];
};
static_assert(sizeof(CommandRequest) == 64 + kMaxCommandPayload);

struct CommandReply {
  char magic[8];  // kCommandReplyMagic
  std::uint32_t abi_version;
  std::uint32_t status;      // CommandStatus
  std::uint64_t id;          // the command's id; 0 when refused before it got one
  std::uint64_t elapsed_ns;  // from the agent's receipt of the request to this reply
  std::uint32_t payload_size;
  std::uint32_t reserved0;
  std::uint8_t reserved[24];
  std::uint8_t payload[kMaxCommandReply];  // the client's reply, or the agent's reason
};
static_assert(sizeof(CommandReply) == 64 + kMaxCommandReply);

enum class RequestType : std::uint32_t {
  kHello = 1,   // the client mapped its regions: start serving and draining it
  kBye = 2,     // clean detach: drain, fold totals, free the slot
  kPing = 3,    // body: PingBody; answer: PingBody with agent_ns filled
  kSubmit = 4,  // body: SubmitHeader + records; answer: SubmitReply
  kFlush = 5,   // answer when everything written before the call is drained: FlushReply
  kQuery = 6,   // body: QueryRequest; answer: a page of JSON text
};
const char* to_string(RequestType type);

enum class ResponseStatus : std::uint32_t {
  kOk = 0,
  kBadRequest = 1,  // malformed body or header
  kUnknownType = 2,
  kNotOwner = 3,      // the request's owner token does not hold the client mutex
  kStaleSession = 4,  // unknown slot/session, or the session was revoked: re-attach
  kTooLarge = 5,
  kInternal = 6,
  // Carried out (the body is valid), but the state store could not make it durable (full disk,
  // I/O error): nothing it covers is acknowledged; the data stays in the client's region.
  kNotDurable = 7,
};
const char* to_string(ResponseStatus status);

struct PingBody {
  std::uint64_t client_ns;  // client's monotonic clock when it sent the ping
  std::uint64_t agent_ns;   // agent's monotonic clock when it answered
};

enum class SubmitOp : std::uint32_t {
  kCounterAdd = 1,       // value: uint64 delta
  kGaugeSet = 2,         // value: double bits
  kHistogramRecord = 3,  // value: int64 sample
  kEvent = 4,            // level, payload
};

struct SubmitRecord {
  std::uint32_t op;      // SubmitOp
  std::uint32_t metric;  // descriptor index in the client's data region
  std::int64_t value;
  std::uint64_t timestamp_ns;
  std::uint16_t level;
  std::uint16_t payload_size;
  std::uint8_t payload_kind;
  std::uint8_t reserved[3];
  std::uint8_t payload[32];
};
static_assert(sizeof(SubmitRecord) == 64);

struct SubmitHeader {
  std::uint32_t count;
  std::uint32_t reserved;
};
inline constexpr std::uint32_t kMaxSubmitRecords =
    (kRequestBodyCapacity - sizeof(SubmitHeader)) / sizeof(SubmitRecord);

struct SubmitReply {
  std::uint32_t accepted;
  std::uint32_t rejected;  // records that failed validation (bad op, metric, size)
};

struct FlushReply {
  std::uint64_t events_written;     // sum of the client's ring heads when the agent took the flush
  std::uint64_t events_received;    // sum of its ring tails after draining (== written on success)
  std::uint64_t submitted_records;  // records accepted through kSubmit over this session
};

// QueryKind is in types.hpp (Probe::query takes one).

struct QueryRequest {
  std::uint32_t kind;  // QueryKind
  std::uint32_t reserved;
  std::uint64_t offset;                // byte offset into the answer (0 renders a fresh answer)
  std::uint64_t cursor;                // kEvents: first event sequence wanted
  char filter[kMaxMetricNameLen + 1];  // optional metric or client name filter
};

}  // namespace shmon
