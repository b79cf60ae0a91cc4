// SPDX-License-Identifier: Apache-2.0
// The agent inside a small memory cgroup (issue 18, item 7). It used to be OOM-killed without a
// word once enough series arrived. Now its first lines name the limit and what fits, and a flood
// of series is refused (counted, logged) while the agent lives. Root only: a child memory cgroup
// (v2, or the v1 memory hierarchy this machine may have) holds the agent from its exec on.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common.hpp"

namespace shmon::test {
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text << std::flush;
  return bool(out);
}

// A child memory cgroup of the test's own, limited to `limit` bytes (swap included where that
// can be set); removed at the end once empty. procs() is the file a process joins it through.
class LimitedCgroup {
 public:
  explicit LimitedCgroup(std::uint64_t limit) {
    std::istringstream lines(read_text("/proc/self/cgroup"));
    std::string line, v2, v1;
    while (std::getline(lines, line)) {
      if (line.rfind("0::", 0) == 0) v2 = line.substr(3);
      const auto a = line.find(':'), b = line.find(':', a + 1);
      if (a != std::string::npos && b != std::string::npos &&
          line.substr(a + 1, b - a - 1).find("memory") != std::string::npos) {
        v1 = line.substr(b + 1);
      }
    }
    const std::string name = "/shmon-agent-test-" + std::to_string(::getpid());
    const std::string bytes = std::to_string(limit);
    for (const std::string root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
      if (v2.empty()) break;
      const std::string parent = root + (v2 == "/" ? "" : v2);
      // A child gets memory.max only when the parent delegates the memory controller.
      if (read_text(parent + "/cgroup.subtree_control").find("memory") == std::string::npos) {
        why_ += parent + "/cgroup.subtree_control does not enable memory; ";
        continue;
      }
      const std::string dir = parent + name;
      if (::mkdir(dir.c_str(), 0755) != 0) {
        why_ += "cannot create " + dir + "; ";
        continue;
      }
      if (write_text(dir + "/memory.max", bytes)) {
        write_text(dir + "/memory.swap.max", "0");
        dir_ = dir, procs_ = dir + "/cgroup.procs", file_ = dir + "/memory.max";
        return;
      }
      ::rmdir(dir.c_str());
      why_ += "cannot write " + dir + "/memory.max; ";
    }
    if (!v1.empty()) {
      const std::string dir = "/sys/fs/cgroup/memory" + (v1 == "/" ? "" : v1) + name;
      if (::mkdir(dir.c_str(), 0755) == 0) {
        if (write_text(dir + "/memory.limit_in_bytes", bytes)) {
          write_text(dir + "/memory.memsw.limit_in_bytes", bytes);  // if swap is accounted
          dir_ = dir, procs_ = dir + "/cgroup.procs", file_ = dir + "/memory.limit_in_bytes";
          return;
        }
        ::rmdir(dir.c_str());
      }
      why_ += "cannot create a v1 memory cgroup under /sys/fs/cgroup/memory" + v1;
    }
    if (why_.empty()) why_ = "no memory cgroup hierarchy in /proc/self/cgroup";
  }
  ~LimitedCgroup() {
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  LimitedCgroup(const LimitedCgroup&) = delete;
  LimitedCgroup& operator=(const LimitedCgroup&) = delete;
  const std::string& dir() const { return dir_; }
  const std::string& procs() const { return procs_; }
  const std::string& limit_file() const { return file_; }
  const std::string& why_not() const { return why_; }

 private:
  std::string dir_, procs_, file_, why_;
};

// The agent, started inside the cgroup: a shell joins it, then execs the agent.
std::unique_ptr<Child> start_agent_in(const TestEnv& env, const std::string& instance,
                                      const LimitedCgroup& cgroup) {
  auto agent = spawn(env, "/bin/sh",
                     {"-c", "echo $$ > \"$0\" && exec \"$@\"", cgroup.procs(), agent_bin(),
                      "--instance", instance});
  if (!agent->wait_for_line("shmon-agent: ready", deadline_in(std::chrono::seconds(10)))) {
    ADD_FAILURE() << "the agent did not start in the cgroup\n" << agent->describe();
    return nullptr;
  }
  return agent;
}

constexpr std::uint64_t kLimit = 64ull << 20;
constexpr int kFlooders = 4;  // 4 x 4000 series: ~16 000 asked for, about 160 MB of history

TEST(AgentMemoryCgroup, NamesItsLimitAndRefusesAFloodInsteadOfBeingKilled) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a memory cgroup for the agent";
  LimitedCgroup cgroup(kLimit);
  if (cgroup.dir().empty()) GTEST_SKIP() << "no memory cgroup to test in: " << cgroup.why_not();
  std::cout << "memory cgroup: " << cgroup.dir() << " limited to " << kLimit << " bytes\n";

  TestEnv env;
  const auto instance = env.instance("memcg");
  auto agent = start_agent_in(env, instance, cgroup);
  ASSERT_NE(agent, nullptr);
  // The start-up line names the limit and its file, and what the agent keeps.
  EXPECT_NE(agent->output().find("memory cgroup: limit 64.0 MiB (" + cgroup.limit_file()),
            std::string::npos)
      << agent->describe();
  EXPECT_NE(agent->output().find("keeping at most"), std::string::npos) << agent->describe();

  std::vector<std::unique_ptr<Child>> flood;
  for (int i = 0; i < kFlooders; ++i) {
    flood.push_back(spawn_testclient(env, "counter-flood", instance, "f" + std::to_string(i),
                                     {"--wait-ms", "10000"}));
  }
  for (auto& f : flood) {
    EXPECT_TRUE(f->wait_for_line("FLOODED", deadline_in(kConditionWait)))
        << f->describe() << agent->describe();
  }
  // Every flooder's series were decided (admitted or refused) and the agent is alive.
  const auto refused = [&]() -> std::uint64_t {
    const auto status = ctl_json(env, instance, "status");
    if (!status) return 0;
    return (*status)["hostile"].value("series_refused", std::uint64_t(0));
  };
  EXPECT_TRUE(wait_until([&] { return refused() > 0; }, deadline_in(kConditionWait), 100ms))
      << agent->describe();
  EXPECT_TRUE(agent->running()) << agent->describe();
  const auto status = ctl_json(env, instance, "status");
  ASSERT_TRUE(status.has_value()) << agent->describe();
  const auto& memory = (*status)["memory_cgroup"];
  EXPECT_EQ(memory.value("limited", false), true) << status->dump();
  EXPECT_EQ(memory.value("limit_bytes", std::uint64_t(0)), kLimit) << status->dump();
  EXPECT_LT(memory.value("max_series_planned", std::uint64_t(0)),
            memory.value("max_series_configured", std::uint64_t(0)))
      << status->dump();
  EXPECT_NE(agent->output().find("refused"), std::string::npos) << agent->describe();

  for (auto& f : flood) f->close_stdin();
  for (auto& f : flood) EXPECT_TRUE(exits_zero(*f, deadline_in(kExitWait))) << f->describe();
  EXPECT_TRUE(agent->running()) << agent->describe();
}

// The memory_cgroup object of `shmonctl status --json` (null when the query failed).
nlohmann::json memory_status(const TestEnv& env, const std::string& instance) {
  const auto status = ctl_json(env, instance, "status");
  return status ? (*status)["memory_cgroup"] : nlohmann::json();
}

// A limit too small for the agent's plan (it keeps --max-series and says the kernel may kill it):
// series arrive 500 at a time, and after each batch the test waits for two working-set readings.
// Near the limit the agent warns once, refuses new series and new app clients, and lives.
TEST(AgentMemoryCgroup, WarnsAndRefusesNearTheLimitBeforeTheKernelKills) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a memory cgroup for the agent";
  constexpr std::uint64_t kSmall = 20ull << 20;
  LimitedCgroup cgroup(kSmall);
  if (cgroup.dir().empty()) GTEST_SKIP() << "no memory cgroup to test in: " << cgroup.why_not();

  TestEnv env;
  const auto instance = env.instance("memcgp");
  auto agent = start_agent_in(env, instance, cgroup);
  ASSERT_NE(agent, nullptr);
  EXPECT_NE(agent->output().find("memory cgroup: limit 20.0 MiB"), std::string::npos)
      << agent->describe();
  EXPECT_NE(agent->output().find("may OOM-kill"), std::string::npos) << agent->describe();

  std::vector<std::unique_ptr<Child>> flood;
  bool pressed = false;
  for (int i = 0; i < 60 && !pressed && agent->running(); ++i) {
    const std::uint64_t checks = memory_status(env, instance).value("checks", std::uint64_t(0));
    flood.push_back(spawn_testclient(env, "counter-flood", instance, "p" + std::to_string(i),
                                     {"--variant", "500", "--wait-ms", "10000"}));
    ASSERT_TRUE(flood.back()->wait_for_line("FLOODED", deadline_in(kConditionWait)))
        << flood.back()->describe() << agent->describe();
    // Two readings after the batch was flushed: the second one saw the batch's memory.
    ASSERT_TRUE(wait_until(
        [&] {
          return memory_status(env, instance).value("checks", std::uint64_t(0)) >= checks + 2 ||
                 !agent->running();
        },
        deadline_in(kConditionWait), 50ms))
        << agent->describe();
    pressed = memory_status(env, instance).value("pressure", false);
  }
  ASSERT_TRUE(agent->running()) << "the kernel killed the agent\n" << agent->describe();
  ASSERT_TRUE(pressed) << memory_status(env, instance).dump() << agent->describe();
  EXPECT_NE(agent->output().find("memory cgroup: the agent's working set is"), std::string::npos)
      << agent->describe();

  // A new app is refused with the reason (its series would push the agent over); tools still
  // work (every status query above is one).
  auto late = spawn_testclient(env, "attach", instance, "late-app");
  ASSERT_TRUE(late->wait_for_line("ATTACH", deadline_in(kConditionWait))) << late->describe();
  EXPECT_NE(late->stdout_text().find("ATTACH full"), std::string::npos) << late->describe();
  EXPECT_NE(late->stdout_text().find("near its memory cgroup limit"), std::string::npos)
      << late->describe();
  const auto memory = memory_status(env, instance);
  EXPECT_GE(memory.value("pressure_episodes", std::uint64_t(0)), 1u) << memory.dump();
  EXPECT_GE(memory.value("clients_refused", std::uint64_t(0)), 1u) << memory.dump();

  for (auto& f : flood) f->close_stdin();
  for (auto& f : flood) EXPECT_TRUE(exits_zero(*f, deadline_in(kExitWait))) << f->describe();
  EXPECT_TRUE(agent->running()) << agent->describe();
}

}  // namespace
}  // namespace shmon::test
