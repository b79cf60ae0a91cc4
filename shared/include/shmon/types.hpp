// SPDX-License-Identifier: Apache-2.0
// The vocabulary shmon's public C++ API shares with its ABI: event levels, client kinds, query
// kinds, a data region's capacities and a client's statistics. Installed with shmon/probe.hpp;
// it includes nothing of shmon's internals. layout.hpp and protocol.hpp build the wire structs on
// these types and pin their sizes, so changing one here changes the ABI (bump kAbiVersion).
#pragma once

#include <cstddef>
#include <cstdint>

namespace shmon {

enum class ClientKind : std::uint32_t { kApp = 1, kTool = 2, kInspector = 3 };
const char* to_string(ClientKind kind);

enum class EventLevel : std::uint16_t {
  kTrace = 0,
  kDebug = 1,
  kInfo = 2,
  kWarn = 3,
  kError = 4,
  kFatal = 5
};
const char* to_string(EventLevel level);

// What Probe::query asks for (docs/QUERIES.md has the JSON of each answer).
enum class QueryKind : std::uint32_t {
  kStatus = 1,   // {"instance","pid","generation","uptime_s","clients_connected",...totals}
  kClients = 2,  // [{"slot","name","pid","kind","state",...,"mutex":{...},"drops":{...}}]
  kMetrics = 3,  // [{"name","kind","unit","total","clients":[...], histogram fields}]
  kEvents = 4,   // {"next":cursor,"events":[{"seq","ts_ns","client","name","level","text"}]}
  kHistory = 5,  // {"period_ms":1000,"series":[{"name","kind","points":[...]}]}
};

// Client mutex and Done timeouts a probe uses unless told otherwise (milliseconds).
inline constexpr std::uint32_t kDefaultLockTimeoutMs = 2000;
inline constexpr std::uint32_t kDefaultDoneTimeoutMs = 2000;

// What a client chooses when it creates its data region. All counts are validated (by the probe,
// which falls back to the defaults, and by the agent) against hard limits before any offset is
// computed from them.
struct DataParams {
  std::uint32_t metric_capacity = 256;
  std::uint32_t shard_count = 8;  // writer shards; the last one is shared by overflow threads
  std::uint32_t histogram_capacity = 16;
  std::uint32_t histogram_buckets = 128;
  std::uint32_t ring_capacity = 2048;  // records per ring, a power of two; one ring per shard
};

// Commands from tools to an app (docs/COMMANDS.md). A command's name is 1..31 bytes of
// [A-Za-z0-9._-]; its payload at most kMaxCommandPayload bytes, the reply's at most
// kMaxCommandReply (a reply that is longer is refused with kReplyTooLarge).
inline constexpr std::size_t kMaxCommandNameLen = 31;
inline constexpr std::size_t kMaxCommandPayload = 1024;
inline constexpr std::size_t kMaxCommandReply = 1536;

// How a command ended. Values below kTimeout are what a handler (or the probe for it) answers;
// the others are the agent's or the sending tool's verdicts, never taken from a client.
enum class CommandStatus : std::uint32_t {
  kOk = 0,
  kError = 1,           // the handler reported a failure; its reply says why
  kUnknownCommand = 2,  // the client offers no command of that name
  kNotSupported = 3,    // a built-in the app did not enable (stop without a stop handler)
  kHandlerFailed = 4,   // the handler threw; the reply holds what() when there is one
  kReplyTooLarge = 5,   // the handler's reply exceeded kMaxCommandReply
  kTimeout = 16,        // no reply by the command's deadline (a late reply is dropped)
  kClientGone = 17,     // the client died or detached before it replied
  kNoSuchClient = 18,   // no live app in that slot with that incarnation
  kPayloadTooLarge = 19,
  kBusy = 20,       // too many commands already queued for that client
  kRefused = 21,    // the sender may not send commands (not a tool) or the name is invalid
  kBadReply = 22,   // the client's reply failed validation
  kAgentGone = 23,  // the agent closed the connection before it answered (tool side)
};
const char* to_string(CommandStatus status);

inline constexpr std::size_t kWaitHistBuckets = 32;  // bucket i: wait in [2^i, 2^(i+1)) ns

// Statistics a client keeps about its own use of the control plane and the data plane. The
// client writes ClientStats (relaxed atomics) in its data region; the agent copies it field by
// field into a ClientStatsSnapshot (plain values) for the directory; Probe::stats() returns one.
template <class T>
struct ClientStatsT {
  T calls;        // mailbox sessions started
  T call_errors;  // sessions that ended in an error status or a timeout
  T lock_acquired;
  T lock_timeouts;  // timed out waiting for the client mutex
  T done_timeouts;  // timed out waiting for Done
  T lock_wait_total_ns;
  T lock_wait_max_ns;
  T lock_wait_hist[kWaitHistBuckets];
  T revocations_seen;  // release() found the lock no longer ours
  T reconnects;
  T attach_failures;
  T drops_ring_full;
  T drops_payload_too_large;
  T drops_not_connected;  // ring full while no agent was attached
  T drops_metric_table_full;
  T wait_policy_timeouts;  // waited for ring space and gave up (the event is dropped too)
  T doorbell_rings;        // drain doorbell system calls made by this client's producers
  T commands_handled;      // commands this client ran (built-ins included)
  T command_failures;      // ... that threw, overran their deadline or replied too much
  T label_sets_refused;    // labelled registrations refused: bad labels or a label-set bound
  // Children forked by this process whose region could not be handed to the agent at fork time
  // (no agent, or none took the connection within ~1 s): each counts only if it attaches later.
  // Counted in the parent's region (the child adds it to its own too). (probes/src/fork.cpp)
  T fork_handoffs_missed;
  T reserved[12];
};
using ClientStatsSnapshot = ClientStatsT<std::uint64_t>;
static_assert(sizeof(ClientStatsSnapshot) == 64 * 8);

}  // namespace shmon
