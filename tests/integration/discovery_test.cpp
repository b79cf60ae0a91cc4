// SPDX-License-Identifier: Apache-2.0
// Discovery: the agent and its clients meet at the same socket whatever environment each was
// started with. Under systemd the agent has XDG_RUNTIME_DIR=/run/user/UID; an app started by
// cron, sudo or a service has no XDG_RUNTIME_DIR, and must still find it there.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "common.hpp"

namespace shmon::test {
namespace {

namespace fs = std::filesystem;

// The test's environment without SHMON_RUNTIME_DIR and XDG_RUNTIME_DIR, plus `extra`.
std::vector<std::string> env_without_runtime_dir(const TestEnv& env,
                                                 const std::vector<std::string>& extra = {}) {
  std::vector<std::string> out;
  for (const std::string& kv : env.child_env()) {
    if (kv.rfind("SHMON_RUNTIME_DIR=", 0) != 0 && kv.rfind("XDG_RUNTIME_DIR=", 0) != 0) {
      out.push_back(kv);
    }
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

std::unique_ptr<Child> spawn_with(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& env) {
  SpawnOptions options;
  options.argv = argv;
  options.env = env;
  return Child::spawn(options);
}

// /run/user/UID as logind makes it; created for the test (and removed after) where logind does
// not run, which needs root.
class UserRunDirectory {
 public:
  UserRunDirectory() : path_("/run/user/" + std::to_string(::geteuid())) {
    struct stat st;
    if (::lstat(path_.c_str(), &st) == 0) {
      usable_ = S_ISDIR(st.st_mode) && st.st_uid == ::geteuid();
      return;
    }
    if (::geteuid() != 0) return;
    std::error_code ec;
    fs::create_directories("/run/user", ec);
    created_ = !ec && ::mkdir(path_.c_str(), 0700) == 0;
    usable_ = created_;
  }
  ~UserRunDirectory() {
    std::error_code ec;
    if (created_) fs::remove_all(path_, ec);
  }
  UserRunDirectory(const UserRunDirectory&) = delete;
  UserRunDirectory& operator=(const UserRunDirectory&) = delete;

  bool usable() const { return usable_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool created_ = false;
  bool usable_ = false;
};

TEST(Discovery, AppWithoutXdgRuntimeDirFindsTheAgentOfTheUsersSystemd) {
  const UserRunDirectory run_dir;
  if (!run_dir.usable()) {
    GTEST_SKIP() << run_dir.path() << " is missing or not ours, and only root may create it";
  }
  TestEnv env;
  const std::string instance = env.instance("discover");
  // The agent as the user's systemd starts it.
  auto agent = spawn_with({agent_bin(), "--instance", instance, "--metrics-listen", "127.0.0.1:0"},
                          env_without_runtime_dir(env, {"XDG_RUNTIME_DIR=" + run_dir.path()}));
  ASSERT_TRUE(agent->wait_for_line("shmon-agent: ready", deadline_in(kConditionWait)))
      << agent->describe();
  const std::string socket = run_dir.path() + "/shmon/" + instance + ".sock";
  EXPECT_TRUE(fs::exists(socket)) << agent->describe();

  // An app and a tool as cron starts them: no XDG_RUNTIME_DIR at all.
  const auto bare = env_without_runtime_dir(env);
  auto app = spawn_with({loadgen_bin(), "--instance", instance, "--name", "from-cron", "--threads",
                         "1", "--counter", "cron_jobs", "--increments", "500"},
                        bare);
  EXPECT_TRUE(exits_zero(*app, deadline_in(kExitWait)));
  auto ctl =
      spawn_with({ctl_bin(), "--instance", instance, "metrics", "cron_jobs", "--json"}, bare);
  EXPECT_TRUE(exits_zero(*ctl, deadline_in(kExitWait)));
  const auto answer = nlohmann::json::parse(ctl->stdout_text(), nullptr, false);
  ASSERT_FALSE(answer.is_discarded()) << ctl->describe();
  EXPECT_NE(ctl->stdout_text().find("\"total\":500"), std::string::npos) << ctl->describe();

  agent->signal(SIGTERM);
  EXPECT_TRUE(exits_zero(*agent, deadline_in(kExitWait)));
  std::error_code ec;
  fs::remove(run_dir.path() + "/shmon/" + instance + ".lock", ec);
}

}  // namespace
}  // namespace shmon::test
