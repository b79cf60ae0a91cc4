// SPDX-License-Identifier: Apache-2.0
// handle_attach against hostile AttachRequests over a socketpair: every refusal is answered with
// the right status and counted, nothing enters the client table; a well-formed one is accepted.
#include "attach.hpp"

#include <sys/socket.h>

#include "agent_test_util.hpp"
#include "regions.hpp"
#include "shmon/clock.hpp"
#include "shmon/protocol.hpp"
#include "shmon/unix_socket.hpp"

namespace shmon::agent_test {
namespace {

constexpr std::uint64_t kTimeoutNs = 2'000'000'000;

class Attach : public ::testing::Test {
 protected:
  void SetUp() override {
    auto regions = agent::create_regions({"attach-test", 2, 500, 77});
    ASSERT_TRUE(regions) << regions.error();
    ctx_.options.instance = "attach-test";
    ctx_.options.max_clients = 2;
    ctx_.generation = 77;
    ctx_.regions = std::move(regions.value());
    ctx_.slots.assign(ctx_.regions.capacity, nullptr);
    ctx_.slot_generation.assign(ctx_.regions.capacity, 0);
  }

  static AttachRequest valid_request(const TestRegion& r) {
    AttachRequest req{};
    std::memcpy(req.magic, kAttachMagic, sizeof(req.magic));
    req.abi_version = kAbiVersion;
    req.kind = std::uint32_t(ClientKind::kApp);
    req.pid = ::getpid();
    req.incarnation = r.header()->incarnation;
    const agent::ReattachKey key = test_key(req.incarnation);
    std::memcpy(req.reattach_secret, key.secret.data(), key.secret.size());
    write_fixed_name(req.name, sizeof(req.name), "attach-client");
    req.data_region_size = r.geo().region_size;
    return req;
  }

  // Sends `req` (with `fd` unless it is -1), runs the agent side, returns the reply.
  AttachReply run(const AttachRequest& req, int fd) {
    int sv[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    UniqueFd client(sv[0]), agent_end(sv[1]);
    const int fds[1] = {fd};
    auto sent = send_message(client.get(), std::as_bytes(std::span(&req, 1)),
                             fd >= 0 ? std::span<const int>(fds) : std::span<const int>());
    EXPECT_TRUE(sent) << sent.error();
    retired_ = 0;
    agent::AttachHooks hooks;
    hooks.retire = [this](const std::shared_ptr<agent::Client>&) { ++retired_; };
    hooks.may_wait = [](ClientKind) { return false; };  // no wait list here: a full table refuses
    accepted_ =
        agent::handle_attach(ctx_, std::move(agent_end), monotonic_ns() + kTimeoutNs, hooks).client;
    AttachReply reply{};
    auto got = receive_message(client.get(), std::as_writable_bytes(std::span(&reply, 1)), 2,
                               monotonic_ns() + kTimeoutNs);
    EXPECT_TRUE(got) << got.error();
    if (got) reply_fds_ = got->fds.size();
    return reply;
  }

  std::uint64_t refused() const {
    return ctx_.stats().clients_refused.load(std::memory_order_relaxed);
  }
  std::size_t occupied() const {
    std::size_t n = 0;
    for (const auto& c : ctx_.slots) n += c ? 1 : 0;
    return n;
  }

  agent::AgentContext ctx_;
  std::shared_ptr<agent::Client> accepted_;
  int retired_ = 0;
  std::size_t reply_fds_ = 0;
};

TEST_F(Attach, WellFormedRequestIsAccepted) {
  TestRegion r;
  r.add_metric("requests", MetricKind::kCounter);
  const AttachReply reply = run(valid_request(r), r.fd());
  ASSERT_EQ(AttachStatus(reply.status), AttachStatus::kOk) << reply.message;
  ASSERT_TRUE(accepted_);
  EXPECT_EQ(std::memcmp(reply.magic, kReplyMagic, sizeof(reply.magic)), 0);
  EXPECT_EQ(reply.slot, accepted_->slot);
  EXPECT_EQ(reply.agent_generation, 77u);
  EXPECT_EQ(reply_fds_, 2u);  // control (read-only) and mailbox
  EXPECT_EQ(accepted_->name, "attach-client");
  EXPECT_EQ(accepted_->descriptor_count(), 1u);
  EXPECT_EQ(occupied(), 1u);
  EXPECT_EQ(refused(), 0u);
  EXPECT_EQ(ctx_.stats().clients_total.load(), 1u);
}

TEST_F(Attach, SameIncarnationRetiresTheOldSlotAndUnfolds) {
  TestRegion r;
  const std::uint32_t m = r.add_metric("requests", MetricKind::kCounter);
  r.cell(0, m) = 10;
  agent::Folded f;
  f.metrics["requests"] = {MetricKind::kCounter, "", 10, {}};
  ctx_.departed.fold(test_key(r.header()->incarnation), f);
  ASSERT_EQ(AttachStatus(run(valid_request(r), r.fd()).status), AttachStatus::kOk);
  EXPECT_EQ(retired_, 0);
  EXPECT_EQ(ctx_.departed.tombstones(), 0u);  // no double count of the 10
  EXPECT_EQ(ctx_.departed.totals().metrics.at("requests").total, 0u);
  const auto first = accepted_;
  ASSERT_EQ(AttachStatus(run(valid_request(r), r.fd()).status), AttachStatus::kOk);
  EXPECT_EQ(retired_, 1);  // the live slot with the same incarnation was handed to retire
  EXPECT_NE(accepted_->slot, first->slot);
}

// Another client's incarnation without its secret: a new, unrelated client. The live client is
// not retired, its tombstone-to-be is not touched, the attempt is counted.
TEST_F(Attach, SameIncarnationWithoutTheSecretIsANewClient) {
  TestRegion r;
  const std::uint32_t m = r.add_metric("requests", MetricKind::kCounter);
  r.cell(0, m) = 10;
  agent::Folded f;
  f.metrics["requests"] = {MetricKind::kCounter, "", 10, {}};
  ctx_.departed.fold(test_key(r.header()->incarnation), f);
  AttachRequest forged = valid_request(r);
  forged.reattach_secret[0] ^= 0xFF;
  ASSERT_EQ(AttachStatus(run(forged, r.fd()).status), AttachStatus::kOk);
  EXPECT_EQ(ctx_.departed.tombstones(), 1u);
  EXPECT_EQ(ctx_.departed.totals().metrics.at("requests").total, 10u);
  EXPECT_EQ(ctx_.stats().reattach_mismatches.load(), 1u);
  const auto impostor = accepted_;
  ASSERT_EQ(AttachStatus(run(valid_request(r), r.fd()).status), AttachStatus::kOk);
  EXPECT_EQ(retired_, 0);  // the impostor's live slot is not the real client's to take over
  EXPECT_EQ(ctx_.departed.tombstones(), 0u);  // the real client unfolds its own stone
  // The impostor lost its own re-attach rights (one bound key per incarnation): the real
  // client meeting its live slot is no new claim, and that slot is left alone.
  EXPECT_FALSE(impostor->reattach.bound());
  EXPECT_EQ(ctx_.stats().reattach_mismatches.load(), 1u);
  EXPECT_NE(impostor->slot, accepted_->slot);
}

TEST_F(Attach, BadMagicOrAbiIsRefused) {
  TestRegion r;
  AttachRequest req = valid_request(r);
  req.magic[0] = 'X';
  EXPECT_EQ(AttachStatus(run(req, r.fd()).status), AttachStatus::kAbiMismatch);
  req = valid_request(r);
  req.abi_version = kAbiVersion + 1;
  EXPECT_EQ(AttachStatus(run(req, r.fd()).status), AttachStatus::kAbiMismatch);
  // An older probe (the one before metric labels) is told both versions.
  req = valid_request(r);
  req.abi_version = kAbiVersion - 1;
  const AttachReply old = run(req, r.fd());
  EXPECT_EQ(AttachStatus(old.status), AttachStatus::kAbiMismatch);
  const std::string why(old.message, strnlen(old.message, sizeof(old.message)));
  EXPECT_NE(why.find("probe speaks ABI " + std::to_string(kAbiVersion - 1) + ", agent speaks " +
                     std::to_string(kAbiVersion)),
            std::string::npos)
      << why;
  EXPECT_EQ(refused(), 3u);
  EXPECT_EQ(occupied(), 0u);
}

TEST_F(Attach, BadNamesAreRefused) {
  TestRegion r;
  AttachRequest req = valid_request(r);
  std::memset(req.name, 'a', sizeof(req.name));  // no NUL
  EXPECT_EQ(AttachStatus(run(req, r.fd()).status), AttachStatus::kBadName);
  req = valid_request(r);
  write_fixed_name(req.name, sizeof(req.name), "a/b");
  EXPECT_EQ(AttachStatus(run(req, r.fd()).status), AttachStatus::kBadName);
  req = valid_request(r);
  req.name[0] = '\0';
  EXPECT_EQ(AttachStatus(run(req, r.fd()).status), AttachStatus::kBadName);
  EXPECT_EQ(occupied(), 0u);
}

TEST_F(Attach, MissingOrBadRegionIsRefused) {
  TestRegion r;
  AttachRequest req = valid_request(r);
  EXPECT_EQ(AttachStatus(run(req, -1).status), AttachStatus::kBadRegion);  // no fd
  req.kind = 9;
  EXPECT_EQ(AttachStatus(run(req, r.fd()).status), AttachStatus::kBadRegion);
  // An fd that is not a sealed memfd.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  UniqueFd p0(pipe_fds[0]), p1(pipe_fds[1]);
  EXPECT_EQ(AttachStatus(run(valid_request(r), p0.get()).status), AttachStatus::kBadRegion);
  EXPECT_EQ(occupied(), 0u);
}

TEST_F(Attach, HostileDataHeadersAreRefused) {
  struct Case {
    const char* what;
    void (*spoil)(DataHeader&);
  };
  const Case cases[] = {
      {"magic", [](DataHeader& h) { h.magic[7] = '?'; }},
      {"abi", [](DataHeader& h) { h.abi_version = 99; }},
      {"pid", [](DataHeader& h) { h.pid = h.pid + 1; }},
      {"region size", [](DataHeader& h) { h.region_size += 64; }},
      {"shard count", [](DataHeader& h) { h.params.shard_count = 1000; }},
      {"ring capacity", [](DataHeader& h) { h.params.ring_capacity = 3; }},
      {"kind", [](DataHeader& h) { h.kind = 0; }},
      {"name", [](DataHeader& h) { std::memset(h.name, 'n', sizeof(h.name)); }},
  };
  for (const Case& c : cases) {
    TestRegion r;
    const AttachRequest req = valid_request(r);
    c.spoil(*r.header());
    const AttachReply reply = run(req, r.fd());
    EXPECT_EQ(AttachStatus(reply.status), AttachStatus::kBadRegion) << c.what;
    EXPECT_NE(reply.message[0], '\0') << c.what;
  }
  EXPECT_EQ(refused(), std::size(cases));
  EXPECT_EQ(occupied(), 0u);
}

TEST_F(Attach, FullTableIsRefusedWithFull) {
  std::vector<std::unique_ptr<TestRegion>> regions;
  for (std::uint64_t i = 0; i < 3; ++i) {
    regions.push_back(std::make_unique<TestRegion>(small_params(), "app", 100 + i));
  }
  EXPECT_EQ(AttachStatus(run(valid_request(*regions[0]), regions[0]->fd()).status),
            AttachStatus::kOk);
  EXPECT_EQ(AttachStatus(run(valid_request(*regions[1]), regions[1]->fd()).status),
            AttachStatus::kOk);
  const AttachReply full = run(valid_request(*regions[2]), regions[2]->fd());
  EXPECT_EQ(AttachStatus(full.status), AttachStatus::kFull);
  EXPECT_EQ(full.max_app_clients, 2u);
  EXPECT_EQ(occupied(), 2u);
}

}  // namespace
}  // namespace shmon::agent_test
