// SPDX-License-Identifier: Apache-2.0
#include "requests.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "drain.hpp"
#include "persistence.hpp"
#include "query_json.hpp"
#include "shmon/clock.hpp"
#include "submissions.hpp"

namespace shmon::agent {

namespace {

template <class T>
Reply write_body(std::span<std::byte> out, const T& value) {
  std::memcpy(out.data(), &value, sizeof(T));
  return Reply{ResponseStatus::kOk, sizeof(T), sizeof(T)};
}

Reply bad() {
  return Reply{ResponseStatus::kBadRequest, 0, 0};
}

Reply not_durable_unless(bool durable, Reply r) {
  if (!durable) r.status = ResponseStatus::kNotDurable;
  return r;
}

Reply on_hello(Client& c) {
  auto expected = std::uint32_t(ClientState::kAttached);
  c.state.compare_exchange_strong(expected, std::uint32_t(ClientState::kLive));
  return Reply{};
}

Reply on_bye(AgentContext& ctx, Client& c) {
  // Drain now so the final values are complete; folding happens once, when the socket closes.
  std::lock_guard lock(c.drain_mu);
  drain_client_locked(ctx, c);
  c.state.store(std::uint32_t(ClientState::kLeaving), std::memory_order_release);
  spdlog::debug("client {} (pid {}) said bye", c.name, c.pid);
  return Reply{};
}

Reply on_ping(const RequestCopy& req, std::span<std::byte> out) {
  if (req.body_size != sizeof(PingBody)) return bad();
  PingBody body;
  std::memcpy(&body, req.body.data(), sizeof(body));
  body.agent_ns = monotonic_ns();
  return write_body(out, body);
}

Reply on_submit(AgentContext& ctx, Client& c, const RequestCopy& req, std::span<std::byte> out) {
  if (req.body_size < sizeof(SubmitHeader)) return bad();
  SubmitHeader h;
  std::memcpy(&h, req.body.data(), sizeof(h));
  if (h.count > kMaxSubmitRecords ||
      req.body_size != sizeof(SubmitHeader) + std::uint64_t(h.count) * sizeof(SubmitRecord)) {
    return bad();
  }
  EventSourcePtr source;
  {
    std::lock_guard lock(c.drain_mu);  // never under ctx.mu (lock order)
    source = event_source_locked(c);   // refreshes the descriptors when they changed
  }
  auto descs = c.descriptors_copy();
  // The log resolves event names through `source`: ignore descriptors registered after it.
  if (descs.size() > source->names.size()) descs.resize(source->names.size());
  SubmitReply reply{0, 0};
  std::vector<EventRecord> events;
  bool durable = true;
  {
    std::lock_guard lock(ctx.mu);
    // A client retired meanwhile has been folded: late records must not change it.
    if (c.retired.load(std::memory_order_acquire))
      return Reply{ResponseStatus::kStaleSession, 0, 0};
    // Each accepted record lands in the client's region (shared shard) before we answer, so an
    // acknowledged submission is as durable as the client's own cells (see submissions.hpp).
    for (std::uint32_t i = 0; i < h.count; ++i) {
      SubmitRecord r;
      std::memcpy(&r, req.body.data() + sizeof(SubmitHeader) + i * sizeof(SubmitRecord), sizeof(r));
      EventRecord e;
      const bool ok = r.metric < descs.size() && apply_submit_record(c, r, descs[r.metric], &e);
      if (ok && SubmitOp(r.op) == SubmitOp::kEvent) events.push_back(e);
      ++(ok ? reply.accepted : reply.rejected);
    }
    // The acknowledgement never runs ahead of the store: records that cannot be made durable
    // stay applied (in the client's region) and are answered "not durable".
    durable = persist_client_locked(ctx, c);
  }
  if (!events.empty()) ctx.events.append(events, source);
  c.submitted_records.fetch_add(reply.accepted, std::memory_order_relaxed);
  if (reply.rejected > 0)
    count_bad_records(ctx, reply.rejected, "rejected submit records from " + c.name);
  return not_durable_unless(durable, write_body(out, reply));
}

Reply on_flush(AgentContext& ctx, Client& c, std::span<std::byte> out) {
  const auto heads = read_heads(c);
  FlushReply reply{};
  for (auto h : heads) reply.events_written += h;
  {
    std::lock_guard lock(c.drain_mu);
    drain_client_locked(ctx, c, heads);
    reply.events_received = c.tail_sum();
  }
  bool durable = true;
  if (ctx.store) {
    // What the answer acknowledges is in the store before the answer (drained events are in
    // the mapped event log already, fully allocated). A snapshot that cannot be written (full
    // disk) is answered "not durable": the values stay in the client's region, and a later
    // flush that succeeds acknowledges them.
    std::lock_guard lock(ctx.mu);
    durable = persist_client_locked(ctx, c);
  }
  reply.submitted_records = c.submitted_records.load(std::memory_order_relaxed);
  return not_durable_unless(durable, write_body(out, reply));
}

Reply on_query(AgentContext& ctx, Client& c, const RequestCopy& req, std::span<std::byte> out) {
  if (req.body_size != sizeof(QueryRequest)) return bad();
  QueryRequest q;
  std::memcpy(&q, req.body.data(), sizeof(q));
  if (q.kind < 1 || q.kind > 5) return bad();
  std::lock_guard lock(ctx.mu);
  if (q.offset == 0) {
    q.filter[sizeof(q.filter) - 1] = '\0';
    c.query_cache = render_query(ctx, QueryKind(q.kind), q.filter, q.cursor);
  }
  const std::string& doc = c.query_cache;
  if (q.offset > doc.size()) return bad();
  const std::size_t n = std::min<std::size_t>(doc.size() - q.offset, out.size());
  std::memcpy(out.data(), doc.data() + q.offset, n);
  return Reply{ResponseStatus::kOk, std::uint32_t(n), doc.size()};
}

}  // namespace

Reply dispatch_request(AgentContext& ctx, Client& c, const RequestCopy& req,
                       std::span<std::byte> out) {
  switch (RequestType(req.type)) {
    case RequestType::kHello:
      return on_hello(c);
    case RequestType::kBye:
      return on_bye(ctx, c);
    case RequestType::kPing:
      return on_ping(req, out);
    case RequestType::kSubmit:
      return on_submit(ctx, c, req, out);
    case RequestType::kFlush:
      return on_flush(ctx, c, out);
    case RequestType::kQuery:
      return on_query(ctx, c, req, out);
  }
  return Reply{ResponseStatus::kUnknownType, 0, 0};
}

}  // namespace shmon::agent
