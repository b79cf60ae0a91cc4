// SPDX-License-Identifier: Apache-2.0
// The field lists of layout_fields.hpp. Adding a field to a struct in layout.hpp or protocol.hpp
// means adding its line here (test_layout_fields fails until you do) and regenerating
// docs/REGIONS.md (`shmon_layout_doc --update docs/REGIONS.md`; the layout_doc ctest fails until
// you do).
#include "shmon/layout_fields.hpp"

#include <array>

namespace shmon {

const char* to_string(FieldType type) {
  switch (type) {
    case FieldType::kChars:
      return "char";
    case FieldType::kBytes:
      return "bytes";
    case FieldType::kU8:
      return "u8";
    case FieldType::kU16:
      return "u16";
    case FieldType::kU32:
      return "u32";
    case FieldType::kI32:
      return "i32";
    case FieldType::kU64:
      return "u64";
    case FieldType::kI64:
      return "i64";
    case FieldType::kStruct:
      return "struct";
  }
  return "?";
}

namespace {

// ---- Control region ---------------------------------------------------------------------------

using AS = AgentStats;
constexpr FieldDesc kAgentStats[] = {
    SHMON_FIELD(AS, requests, "mailbox requests answered"),
    SHMON_FIELD(AS, request_errors, "requests answered with an error status"),
    SHMON_FIELD(AS, torn_requests, "requests that changed while the agent copied them"),
    SHMON_FIELD(AS, lease_revocations, "client mutex taken back from a live, stuck owner"),
    SHMON_FIELD(AS, dead_owner_releases, "client mutex released for a client that died"),
    SHMON_FIELD(AS, clients_connected, "gauge: live clients now"),
    SHMON_FIELD(AS, clients_total, "attaches accepted since start"),
    SHMON_FIELD(AS, clients_refused, "attaches refused (full, version, name, uid)"),
    SHMON_FIELD(AS, events_received, "events drained (including departed clients)"),
    SHMON_FIELD(AS, events_dropped, "drops reported by clients (including departed)"),
    SHMON_FIELD(AS, bad_records, "records or descriptors that failed validation"),
    SHMON_FIELD(AS, drain_batches, "ring segments drained (one per ring with records per pass)"),
    SHMON_FIELD(AS, lock_holder_since_ns, "gauge: monotonic time the mutex holder took it"),
    SHMON_FIELD(AS, reattach_mismatches,
                "attaches naming a known incarnation without its secret (treated as new)"),
    SHMON_FIELD(AS, duplicate_requests, "Exec for a request already answered"),
    SHMON_FIELD(AS, requests_per_s_milli, "gauge: requests/s over the agent's last second, x1000"),
    SHMON_FIELD(AS, events_per_s_milli, "gauge: events/s over the agent's last second, x1000"),
    SHMON_FIELD(AS, lock_repairs, "lock word released: it held a token no client holds"),
    SHMON_FIELD(AS, commands_sent, "commands posted to a client"),
    SHMON_FIELD(AS, command_timeouts, "commands answered with a timeout"),
    SHMON_FIELD(AS, late_replies, "replies after their command's deadline, dropped"),
    SHMON_FIELD(AS, forged_replies, "replies to no command posted to that client, dropped"),
    SHMON_FIELD(AS, slot_waits, "newcomers that found the app table full and waited for a slot"),
    SHMON_FIELD(AS, slot_waits_answered_full,
                "waiters answered \"agent full\" after the wait (region held until exit)"),
    SHMON_FIELD(AS, folded_without_slot, "regions folded at their process's exit without a slot"),
    SHMON_FIELD(AS, slot_waits_refused, "newcomers refused at once: the wait list was full"),
    SHMON_FIELD(AS, pending_dropped, "silent connections dropped (none with a complete request)"),
    SHMON_FIELD(AS, unattributed_interference,
                "lease expiries whose holder waited for an answer: released, nobody revoked"),
    SHMON_FIELD(AS, reserved, ""),
};

using CH = ControlHeader;
constexpr FieldDesc kControlHeader[] = {
    SHMON_FIELD(CH, magic, "`SHMONCTL`"),
    SHMON_FIELD(CH, abi_version, "kAbiVersion"),
    SHMON_FIELD(CH, header_size, "sizeof(ControlHeader)"),
    SHMON_FIELD(CH, region_size, "whole region, bytes"),
    SHMON_FIELD(CH, directory_offset, "where the directory starts (= header_size)"),
    SHMON_FIELD(CH, directory_entry_size, "sizeof(DirectoryEntry)"),
    SHMON_FIELD(CH, directory_capacity, "entries: max app clients + reserved tool slots"),
    SHMON_FIELD(CH, max_app_clients, "`--max-clients`"),
    SHMON_FIELD(CH, lease_ms, "client-mutex lease"),
    SHMON_FIELD(CH, agent_pid, "the agent's pid"),
    SHMON_FIELD(CH, agent_generation, "random, non-zero, new at every agent start"),
    SHMON_FIELD(CH, agent_start_realtime_ns, "agent start, CLOCK_REALTIME"),
    SHMON_FIELD(CH, agent_start_monotonic_ns, "agent start, CLOCK_MONOTONIC"),
    SHMON_FIELD(CH, instance, "NUL-terminated instance name"),
    SHMON_FIELD(CH, reserved0, ""),
    SHMON_FIELD(CH, heartbeat_monotonic_ns, "updated every 50 ms by the agent"),
    SHMON_FIELD(CH, directory_seq, "seqlock over the directory: odd while the agent rewrites it"),
    SHMON_FIELD(CH, reserved1, ""),
    SHMON_NESTED(CH, stats, kAgentStatsFields, "AgentStats: the agent's totals"),
};

using CS = ClientStats;
constexpr FieldDesc kClientStats[] = {
    SHMON_FIELD(CS, calls, "mailbox sessions started"),
    SHMON_FIELD(CS, call_errors, "sessions that ended in an error status or a timeout"),
    SHMON_FIELD(CS, lock_acquired, "client mutex acquisitions"),
    SHMON_FIELD(CS, lock_timeouts, "timed out waiting for the client mutex"),
    SHMON_FIELD(CS, done_timeouts, "timed out waiting for Done"),
    SHMON_FIELD(CS, lock_wait_total_ns, "total time spent waiting for the client mutex"),
    SHMON_FIELD(CS, lock_wait_max_ns, "longest wait for the client mutex"),
    SHMON_FIELD(CS, lock_wait_hist, "bucket i counts waits in [2^i, 2^(i+1)) ns"),
    SHMON_FIELD(CS, revocations_seen, "release() found the lock no longer ours"),
    SHMON_FIELD(CS, reconnects, "attaches after the first"),
    SHMON_FIELD(CS, attach_failures, "attach attempts that failed or were refused"),
    SHMON_FIELD(CS, drops_ring_full, "events dropped: ring full while attached"),
    SHMON_FIELD(CS, drops_payload_too_large, "events dropped: payload over 40 bytes"),
    SHMON_FIELD(CS, drops_not_connected, "events dropped: ring full while no agent was attached"),
    SHMON_FIELD(CS, drops_metric_table_full, "registrations refused (table full, bad name)"),
    SHMON_FIELD(CS, wait_policy_timeouts, "kWait gave up waiting for ring space"),
    SHMON_FIELD(CS, doorbell_rings, "drain doorbell system calls made by this client"),
    SHMON_FIELD(CS, commands_handled, "commands this client ran (built-ins included)"),
    SHMON_FIELD(CS, command_failures, "commands that threw, overran or replied too much"),
    SHMON_FIELD(CS, label_sets_refused, "labelled registrations refused (bad labels, bounds)"),
    SHMON_FIELD(CS, fork_handoffs_missed,
                "forked children whose region the agent did not take at fork time"),
    SHMON_FIELD(CS, reserved, ""),
};

using DE = DirectoryEntry;
constexpr FieldDesc kDirectoryEntry[] = {
    SHMON_FIELD(DE, state, "ClientState: 0 free, 1 attached, 2 live, 3 revoked, 4 leaving"),
    SHMON_FIELD(DE, kind, "ClientKind: 1 app, 2 tool, 3 inspector"),
    SHMON_FIELD(DE, pid, "the client's pid"),
    SHMON_FIELD(DE, slot, "this entry's index"),
    SHMON_FIELD(DE, incarnation, "the client's random id, kept across re-attaches"),
    SHMON_FIELD(DE, attached_realtime_ns, "attach time, CLOCK_REALTIME"),
    SHMON_FIELD(DE, last_seen_monotonic_ns, "last request or drained record"),
    SHMON_FIELD(DE, name, "NUL-terminated client name"),
    SHMON_FIELD(DE, requests, "mailbox requests answered for this client"),
    SHMON_FIELD(DE, request_errors, "answered with an error status"),
    SHMON_FIELD(DE, events_written, "sum of the client's ring heads"),
    SHMON_FIELD(DE, events_received, "sum of the ring tails the agent committed"),
    SHMON_FIELD(DE, metric_count, "validated descriptors"),
    SHMON_FIELD(DE, data_region_size, "bytes"),
    SHMON_FIELD(DE, lock_held_ns, "> 0 while this client holds the mutex: for how long"),
    SHMON_FIELD(DE, requests_per_s_milli, "requests/s over the agent's last second, x1000"),
    SHMON_FIELD(DE, events_per_s_milli, "events/s over the agent's last second, x1000"),
    SHMON_FIELD(DE, reserved, ""),
    SHMON_NESTED(DE, stats, kClientStatsFields, "the client's ClientStats, copied and clamped"),
};

// ---- Mailbox region ---------------------------------------------------------------------------

using RQ = RequestHeader;
constexpr FieldDesc kRequestHeader[] = {
    SHMON_FIELD(RQ, seq, "seqlock: 0 while the client writes, then its sequence number"),
    SHMON_FIELD(RQ, session, "from the attach reply"),
    SHMON_FIELD(RQ, type, "RequestType"),
    SHMON_FIELD(RQ, slot, "the client's slot"),
    SHMON_FIELD(RQ, owner_token, "the lock token the client believes it holds"),
    SHMON_FIELD(RQ, body_size, "bytes of body after the header"),
    SHMON_FIELD(RQ, reserved, ""),
};

using RS = ResponseHeader;
constexpr FieldDesc kResponseHeader[] = {
    SHMON_FIELD(RS, seq, "the request's seq; written last, with release"),
    SHMON_FIELD(RS, status, "ResponseStatus"),
    SHMON_FIELD(RS, body_size, "bytes of body in this response"),
    SHMON_FIELD(RS, total_size, "paged answers: size of the whole answer"),
    SHMON_FIELD(RS, reserved, ""),
};

using MH = MailboxHeader;
constexpr FieldDesc kMailboxHeader[] = {
    SHMON_FIELD(MH, magic, "`SHMONMBX`"),
    SHMON_FIELD(MH, abi_version, "kAbiVersion"),
    SHMON_FIELD(MH, header_size, "sizeof(MailboxHeader)"),
    SHMON_FIELD(MH, region_size, "whole region, bytes"),
    SHMON_FIELD(MH, request_offset, "MailboxLayout::kRequestOffset"),
    SHMON_FIELD(MH, request_capacity, "request header + body, bytes"),
    SHMON_FIELD(MH, response_offset, "MailboxLayout::kResponseOffset"),
    SHMON_FIELD(MH, response_capacity, "response header + body, bytes"),
    SHMON_FIELD(MH, reserved0, ""),
    SHMON_FIELD(MH, lock, "client mutex: bit 31 waiters, bits 0..30 owner token"),
    SHMON_FIELD(MH, exec, "event client -> agent: bit 0 signalled, bits 1..31 waiters"),
    SHMON_FIELD(MH, done, "event agent -> client"),
    SHMON_FIELD(MH, doorbell, "drain wake-up counter (futex)"),
    SHMON_FIELD(MH, drain_sleeping, "non-zero while the drain thread sleeps"),
    SHMON_FIELD(MH, reserved1, ""),
};

// ---- Data region ------------------------------------------------------------------------------

using DP = DataParams;
constexpr FieldDesc kDataParams[] = {
    SHMON_FIELD(DP, metric_capacity, "M: descriptors and cells per shard"),
    SHMON_FIELD(DP, shard_count, "S: writer shards; the last is shared by overflow threads"),
    SHMON_FIELD(DP, histogram_capacity, "H: histogram blocks per shard"),
    SHMON_FIELD(DP, histogram_buckets, "B: buckets per histogram"),
    SHMON_FIELD(DP, ring_capacity, "R: records per ring, a power of two"),
};

using CA = CommandArea;
constexpr FieldDesc kCommandArea[] = {
    SHMON_FIELD(CA, command_id, "agent: 0 while written, then the command's id (release)"),
    SHMON_FIELD(CA, deadline_monotonic_ns, "agent: reply before this CLOCK_MONOTONIC time"),
    SHMON_FIELD(CA, payload_size, "agent: bytes in command_payload"),
    SHMON_FIELD(CA, sender_pid, "agent: the sending tool's pid"),
    SHMON_FIELD(CA, name, "agent: NUL-terminated command name"),
    SHMON_FIELD(CA, reserved0, ""),
    SHMON_FIELD(CA, taken_id, "client: the command its handler runs or ran last"),
    SHMON_FIELD(CA, reply_id, "client: 0 while written, then the id answered (release)"),
    SHMON_FIELD(CA, reply_status, "client: CommandStatus"),
    SHMON_FIELD(CA, reply_size, "client: bytes in reply_payload"),
    SHMON_FIELD(CA, reserved1, ""),
};

using DH = DataHeader;
constexpr FieldDesc kDataHeader[] = {
    SHMON_FIELD(DH, magic, "`SHMONDAT`"),
    SHMON_FIELD(DH, abi_version, "kAbiVersion"),
    SHMON_FIELD(DH, header_size, "sizeof(DataHeader)"),
    SHMON_FIELD(DH, region_size, "whole region, bytes (= the geometry's)"),
    SHMON_FIELD(DH, incarnation, "random per probe instance (per process after fork)"),
    SHMON_FIELD(DH, pid, "the client's pid"),
    SHMON_FIELD(DH, kind, "ClientKind"),
    SHMON_FIELD(DH, name, "NUL-terminated client name"),
    SHMON_NESTED(DH, params, kDataParamsFields, "DataParams: the region's capacities"),
    SHMON_FIELD(DH, reserved0, ""),
    SHMON_FIELD(DH, metric_count, "descriptors published (release, after each is complete)"),
    SHMON_FIELD(DH, histogram_count, "histogram blocks in use"),
    SHMON_FIELD(DH, mutex_claim, "client mutex token this client holds (0: none)"),
    SHMON_FIELD(DH, reserved2, ""),
    SHMON_FIELD(DH, awaiting_seq, "seq of the request whose answer this client awaits (0: none)"),
    SHMON_NESTED(DH, commands, kCommandAreaFields, "CommandArea: the command channel"),
    SHMON_NESTED(DH, stats, kClientStatsFields, "ClientStats, relaxed atomics"),
    SHMON_FIELD(DH, command_payload, "agent: the command's payload"),
    SHMON_FIELD(DH, reply_payload, "client: the reply's payload"),
    SHMON_FIELD(DH, reserved1, ""),
};

using MD = MetricDescriptor;
constexpr FieldDesc kMetricDescriptor[] = {
    SHMON_FIELD(MD, name, "NUL-terminated metric name"),
    SHMON_FIELD(MD, kind, "MetricKind: 1 counter, 2 gauge, 3 histogram, 4 event"),
    SHMON_FIELD(MD, histogram_index, "histograms: which histogram block; else 0"),
    SHMON_FIELD(MD, unit, "NUL-terminated free text (\"ns\", \"bytes\")"),
    SHMON_FIELD(MD, labels, "NUL-terminated canonical label text (labels.hpp); empty: none"),
    SHMON_FIELD(MD, reserved, ""),
};

using HC = HistogramCellsHeader;
constexpr FieldDesc kHistogramCellsHeader[] = {
    SHMON_FIELD(HC, count, "samples recorded"),
    SHMON_FIELD(HC, sum, "sum of samples (wraps)"),
    SHMON_FIELD(HC, min, "smallest sample; INT64_MAX while empty"),
    SHMON_FIELD(HC, max, "largest sample; INT64_MIN while empty"),
};

using RH = RingHeader;
constexpr FieldDesc kRingHeader[] = {
    SHMON_FIELD(RH, head, "positions written (producer, monotonic)"),
    SHMON_FIELD(RH, pad0, ""),
    SHMON_FIELD(RH, tail, "positions consumed (agent, monotonic)"),
    SHMON_FIELD(RH, producer_waiting, "kWait: a producer sleeps on tail_wake"),
    SHMON_FIELD(RH, tail_wake, "futex bumped by the agent when producer_waiting"),
    SHMON_FIELD(RH, pad1, ""),
};

using ER = EventRecord;
constexpr FieldDesc kEventRecord[] = {
    SHMON_FIELD(ER, timestamp_ns, "CLOCK_REALTIME"),
    SHMON_FIELD(ER, id, "descriptor index of the event type (or any metric)"),
    SHMON_FIELD(ER, level, "EventLevel: 0 trace .. 5 fatal"),
    SHMON_FIELD(ER, payload_size, "bytes of payload, at most 40"),
    SHMON_FIELD(ER, payload_kind, "PayloadKind: 0 none, 1 text, 2 bytes"),
    SHMON_FIELD(ER, reserved, ""),
    SHMON_FIELD_AS(ER, payload, FieldType::kChars, "text or bytes"),
};

// ---- Socket messages --------------------------------------------------------------------------

using AQ = AttachRequest;
constexpr FieldDesc kAttachRequest[] = {
    SHMON_FIELD(AQ, magic, "`SHMONATT`"),
    SHMON_FIELD(AQ, abi_version, "kAbiVersion"),
    SHMON_FIELD(AQ, kind, "ClientKind"),
    SHMON_FIELD(AQ, pid, "the client's pid"),
    SHMON_FIELD(AQ, reserved0, "zero, not read"),
    SHMON_FIELD(AQ, incarnation, "same value on every re-attach of the same probe"),
    SHMON_FIELD(AQ, name, "NUL-terminated client name"),
    SHMON_FIELD(AQ, data_region_size, "size of the data region fd sent with the message"),
    SHMON_FIELD(AQ, reattach_secret,
                "random per probe instance, never in shared memory; all zero: never re-attached"),
    SHMON_FIELD(AQ, reserved, ""),
};

using AR = AttachReply;
constexpr FieldDesc kAttachReply[] = {
    SHMON_FIELD(AR, magic, "`SHMONREP`"),
    SHMON_FIELD(AR, abi_version, "kAbiVersion"),
    SHMON_FIELD(AR, status, "AttachStatus"),
    SHMON_FIELD(AR, slot, "the client's directory slot"),
    SHMON_FIELD(AR, lock_generation, "owner token = make_owner_token(slot, lock_generation)"),
    SHMON_FIELD(AR, session, "session id for request headers"),
    SHMON_FIELD(AR, agent_generation, "as in the control header"),
    SHMON_FIELD(AR, agent_pid, "the agent's pid"),
    SHMON_FIELD(AR, max_app_clients, "`--max-clients`"),
    SHMON_FIELD(AR, message, "human-readable reason when status != ok"),
    SHMON_FIELD(AR, reserved, ""),
};

using RR = RegionRequest;
constexpr FieldDesc kRegionRequest[] = {
    SHMON_FIELD(RR, magic, "`SHMONRGQ`"),
    SHMON_FIELD(RR, abi_version, "kAbiVersion"),
    SHMON_FIELD(RR, slot, "a client's slot, or kMailboxSlot for the mailbox"),
    SHMON_FIELD(RR, reserved, ""),
};

using CQ = CommandRequest;
constexpr FieldDesc kCommandRequest[] = {
    SHMON_FIELD(CQ, magic, "`SHMONCMQ`"),
    SHMON_FIELD(CQ, abi_version, "kAbiVersion"),
    SHMON_FIELD(CQ, slot, "the target app's slot"),
    SHMON_FIELD(CQ, incarnation, "the target's incarnation (from the directory)"),
    SHMON_FIELD(CQ, timeout_ms, "1..60000: the command's deadline"),
    SHMON_FIELD(CQ, payload_size, "bytes of payload"),
    SHMON_FIELD(CQ, name, "NUL-terminated command name"),
    SHMON_FIELD(CQ, payload, "the command's payload"),
};

using CP = CommandReply;
constexpr FieldDesc kCommandReply[] = {
    SHMON_FIELD(CP, magic, "`SHMONCMR`"),
    SHMON_FIELD(CP, abi_version, "kAbiVersion"),
    SHMON_FIELD(CP, status, "CommandStatus"),
    SHMON_FIELD(CP, id, "the command's id; 0 when refused before it got one"),
    SHMON_FIELD(CP, elapsed_ns, "agent: from receiving the request to this reply"),
    SHMON_FIELD(CP, payload_size, "bytes of payload"),
    SHMON_FIELD(CP, reserved0, ""),
    SHMON_FIELD(CP, reserved, ""),
    SHMON_FIELD(CP, payload, "the client's reply, or the agent's reason"),
};

}  // namespace

#define SHMON_LIST(T) const FieldList k##T##Fields{#T, sizeof(T), k##T};
SHMON_LIST(AgentStats)
SHMON_LIST(ControlHeader)
SHMON_LIST(ClientStats)
SHMON_LIST(DirectoryEntry)
SHMON_LIST(RequestHeader)
SHMON_LIST(ResponseHeader)
SHMON_LIST(MailboxHeader)
SHMON_LIST(DataParams)
SHMON_LIST(CommandArea)
SHMON_LIST(DataHeader)
SHMON_LIST(MetricDescriptor)
SHMON_LIST(HistogramCellsHeader)
SHMON_LIST(RingHeader)
SHMON_LIST(EventRecord)
SHMON_LIST(AttachRequest)
SHMON_LIST(AttachReply)
SHMON_LIST(RegionRequest)
SHMON_LIST(CommandRequest)
SHMON_LIST(CommandReply)
#undef SHMON_LIST

std::span<const FieldList* const> all_field_lists() {
  static constexpr std::array<const FieldList*, 19> kAll = {
      &kControlHeaderFields,  &kAgentStatsFields,       &kDirectoryEntryFields,
      &kClientStatsFields,    &kMailboxHeaderFields,    &kRequestHeaderFields,
      &kResponseHeaderFields, &kDataHeaderFields,       &kDataParamsFields,
      &kCommandAreaFields,    &kMetricDescriptorFields, &kHistogramCellsHeaderFields,
      &kRingHeaderFields,     &kEventRecordFields,      &kAttachRequestFields,
      &kAttachReplyFields,    &kRegionRequestFields,    &kCommandRequestFields,
      &kCommandReplyFields,
  };
  return kAll;
}

const FieldList* find_field_list(std::string_view struct_name) {
  for (const FieldList* l : all_field_lists()) {
    if (struct_name == l->struct_name) return l;
  }
  return nullptr;
}

}  // namespace shmon
