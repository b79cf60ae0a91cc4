// SPDX-License-Identifier: Apache-2.0
// A probe inside a small memory cgroup asks for a data region bigger than the cgroup allows.
// Reserving it would not fail: the kernel would OOM-kill the host. The probe checks the cgroup
// first, shrinks its rings (or stays private), says so in last_error() and keeps working: its
// count reaches the agent (which runs outside the cgroup).
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common.hpp"

namespace shmon::test {
namespace {

constexpr std::uint64_t kLimit = 32ull << 20;

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

// A child memory cgroup of the test's own, limited to kLimit; removed (once empty) at the end.
class ChildCgroup {
 public:
  ChildCgroup() {
    const std::string self = read_text("/proc/self/cgroup");
    std::istringstream lines(self);
    std::string line;
    std::string v2, v1;
    while (std::getline(lines, line)) {
      if (line.rfind("0::", 0) == 0) v2 = line.substr(3);
      const auto a = line.find(':'), b = line.find(':', a + 1);
      if (a != std::string::npos && b != std::string::npos &&
          line.substr(a + 1, b - a - 1).find("memory") != std::string::npos) {
        v1 = line.substr(b + 1);
      }
    }
    const std::string name = "/shmon-test-" + std::to_string(::getpid());
    // cgroup v2 (pure or hybrid): a child with a memory.max file.
    for (const std::string root : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
      if (v2.empty()) break;
      const std::string dir = root + (v2 == "/" ? "" : v2) + name;
      if (::mkdir(dir.c_str(), 0755) != 0) continue;
      struct stat st;
      if (::stat((dir + "/memory.max").c_str(), &st) == 0 &&
          write_text(dir + "/memory.max", std::to_string(kLimit))) {
        write_text(dir + "/memory.swap.max", "0");  // if swap accounting exists
        dir_ = dir;
        return;
      }
      ::rmdir(dir.c_str());
      why_ += "cgroup v2 at " + root + " has no memory controller for a child; ";
    }
    // cgroup v1 memory hierarchy.
    if (!v1.empty()) {
      const std::string dir = "/sys/fs/cgroup/memory" + (v1 == "/" ? "" : v1) + name;
      if (::mkdir(dir.c_str(), 0755) == 0) {
        if (write_text(dir + "/memory.limit_in_bytes", std::to_string(kLimit))) {
          write_text(dir + "/memory.memsw.limit_in_bytes", std::to_string(kLimit));  // if any
          dir_ = dir;
          return;
        }
        ::rmdir(dir.c_str());
      }
      why_ += "cannot create a v1 memory cgroup under /sys/fs/cgroup/memory" + v1;
    }
    if (why_.empty()) why_ = "no memory cgroup hierarchy in /proc/self/cgroup";
  }
  ~ChildCgroup() {
    if (!dir_.empty()) ::rmdir(dir_.c_str());
  }
  ChildCgroup(const ChildCgroup&) = delete;
  ChildCgroup& operator=(const ChildCgroup&) = delete;
  const std::string& dir() const { return dir_; }
  const std::string& why_not() const { return why_; }

 private:
  std::string dir_;
  std::string why_;
};

TEST(MemoryCgroup, OversizedRegionShrinksInsteadOfOomKill) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a memory cgroup";
  ChildCgroup cgroup;
  if (cgroup.dir().empty()) GTEST_SKIP() << "no memory cgroup to test in: " << cgroup.why_not();
  std::cout << "memory cgroup: " << cgroup.dir() << " limited to " << kLimit << " bytes\n";

  TestEnv env;
  const auto instance = env.instance("cgroup");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto client =
      spawn(env, testclient_bin(),
            {"cgroup-probe", "--instance", instance, "--name", "boxed", "--variant", cgroup.dir()});
  EXPECT_TRUE(exits_zero(*client, deadline_in(kExitWait)));
  const std::string out = client->stdout_text();
  // The connector may attach before or after the first LAST_ERROR line: the reduction is
  // reported either way (a successful attach used to erase it), and still after the attach.
  EXPECT_NE(out.find("\nLAST_ERROR the memory cgroup"), std::string::npos) << client->describe();
  if (out.find("CONNECTED") != std::string::npos) {
    EXPECT_NE(out.find("CONNECTED_LAST_ERROR the memory cgroup"), std::string::npos) << out;
    EXPECT_NE(out.find("data region was reduced from"), std::string::npos) << out;
    EXPECT_NE(out.find("FLUSH ok"), std::string::npos) << out;
    EXPECT_EQ(metric_total(env, instance, "cgroup_hits"), 1000u);
  }
  EXPECT_TRUE(agent->running()) << agent->describe();
}

}  // namespace
}  // namespace shmon::test
