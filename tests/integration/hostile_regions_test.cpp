// SPDX-License-Identifier: Apache-2.0
// Regions the agent must not map: a same-uid client hands it a descriptor the kernel could take
// pages back from (hugetlbfs, never reserved, punched out later, not a memfd at all). The agent
// refuses it at attach with the reason in the reply, or drops the client when its pages go later,
// and an honest client in the same test keeps exact totals.
#include <unistd.h>

#include <fstream>

#include "common.hpp"

namespace shmon::test {
namespace {

constexpr std::uint64_t kHonestIncrements = 50'000;

// An honest loadgen that stays attached while the hostile client does its thing.
std::unique_ptr<Child> start_honest(const TestEnv& env, const std::string& instance) {
  auto honest = spawn_loadgen(env, instance, "honest",
                              loadgen_args("honest_hits", kHonestIncrements, /*hold_open=*/true));
  EXPECT_TRUE(
      wait_until([&] { return metric_total(env, instance, "honest_hits") == kHonestIncrements; },
                 deadline_in(kConditionWait), 20ms))
      << honest->describe();
  return honest;
}

void expect_honest_exact(const TestEnv& env, const std::string& instance, Child& honest,
                         Child& agent) {
  EXPECT_EQ(metric_total(env, instance, "honest_hits"), kHonestIncrements);
  honest.close_stdin();
  EXPECT_TRUE(exits_zero(honest, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, "honest_hits"), kHonestIncrements);
  EXPECT_TRUE(agent.running()) << agent.describe();
}

// Reserves `pages` more huge pages for the test (root only) and gives them back afterwards.
class HugePages {
 public:
  explicit HugePages(unsigned pages) {
    std::ifstream in(kPath);
    if (!(in >> before_)) return;
    std::ofstream out(kPath);
    out << before_ + pages << std::flush;
    ok_ = bool(out);
  }
  ~HugePages() {
    if (!ok_) return;
    std::ofstream out(kPath);
    out << before_ << std::flush;
  }
  bool ok() const { return ok_; }

 private:
  static constexpr const char* kPath = "/proc/sys/vm/nr_hugepages";
  unsigned long before_ = 0;
  bool ok_ = false;
};

struct BadRegionCase {
  const char* variant;
  const char* reason;  // in the refusal the client reads
};

class BadRegion : public ::testing::TestWithParam<BadRegionCase> {};

TEST_P(BadRegion, IsRefusedWithItsReason) {
  const BadRegionCase& c = GetParam();
  std::unique_ptr<HugePages> huge;
  if (std::string(c.variant) == "hugetlb") {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to reserve huge pages";
    huge = std::make_unique<HugePages>(4);
    if (!huge->ok()) GTEST_SKIP() << "cannot reserve huge pages in /proc/sys/vm/nr_hugepages";
  }
  TestEnv env;
  const auto instance = env.instance("region");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto honest = start_honest(env, instance);

  auto hostile =
      spawn(env, testclient_bin(),
            {"bad-region", "--instance", instance, "--name", "mapper", "--variant", c.variant});
  const auto status = hostile->wait_exit(deadline_in(kExitWait));
  if (exited_with(status, 4)) GTEST_SKIP() << hostile->stdout_text();
  EXPECT_TRUE(exited_with(status, 0)) << hostile->describe() << agent->describe();
  EXPECT_NE(hostile->stdout_text().find("REPLY bad_region"), std::string::npos)
      << hostile->describe();
  EXPECT_NE(hostile->stdout_text().find(c.reason), std::string::npos) << hostile->describe();
  expect_honest_exact(env, instance, *honest, *agent);
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, BadRegion,
    ::testing::Values(BadRegionCase{"sparse", "not reserved with fallocate, or punched out"},
                      BadRegionCase{"hugetlb", "hugetlbfs"},
                      BadRegionCase{"disk-file", "not a memfd"}),
    [](const auto& info) {
      std::string name = info.param.variant;
      for (auto& ch : name) ch = ch == '-' ? '_' : ch;
      return name;
    });

TEST(HostileRegion, PunchedAfterAttachIsDropped) {
  TestEnv env;
  const auto instance = env.instance("punch");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto honest = start_honest(env, instance);

  auto hostile =
      spawn(env, testclient_bin(),
            {"punch-region", "--instance", instance, "--name", "puncher", "--wait-ms", "20000"});
  EXPECT_TRUE(exits_zero(*hostile, deadline_in(kExitWait))) << agent->describe();
  EXPECT_NE(hostile->stdout_text().find("DROPPED"), std::string::npos) << hostile->describe();
  EXPECT_TRUE(agent->wait_for_line("dropping client puncher", deadline_in(kConditionWait)))
      << agent->describe();
  auto status = ctl_json(env, instance, "status");
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ((*status)["hostile"]["regions_dropped"].get<std::uint64_t>(), 1u) << status->dump(2);
  expect_honest_exact(env, instance, *honest, *agent);
}

}  // namespace
}  // namespace shmon::test
