// SPDX-License-Identifier: Apache-2.0
// Another user cannot reach the agent: the 0700 runtime directory stops it, and with the
// directory opened up the agent's SO_PEERCRED check refuses it ("denied") and counts it.
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common.hpp"
#include "shmon_test/staged_binary.hpp"

namespace shmon::test {
namespace {

std::unique_ptr<Child> spawn_as(const TestEnv& env, const std::string& binary, uid_t uid, gid_t gid,
                                const std::vector<std::string>& args) {
  SpawnOptions options;
  options.argv.push_back(binary);
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = env.child_env();
  options.uid = uid;
  options.gid = gid;
  return Child::spawn(options);
}

TEST(Permissions, OtherUserCannotAttach) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another user";
  const passwd* nobody = ::getpwnam("nobody");
  if (!nobody) GTEST_SKIP() << "no user 'nobody' on this machine";
  const uid_t uid = nobody->pw_uid;
  const gid_t gid = nobody->pw_gid;

  const StagedBinary client(testclient_bin());
  ASSERT_FALSE(client.path().empty()) << "cannot stage " << testclient_bin() << " under /tmp";

  TestEnv env;
  const auto instance = env.instance("perm");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  const std::vector<std::string> attach{"attach", "--instance", instance, "--name", "intruder"};

  // 1. The 0700 directory keeps the other user out before the agent is even asked.
  auto blocked = spawn_as(env, client.path(), uid, gid, attach);
  EXPECT_TRUE(exited_with(blocked->wait_exit(deadline_in(kExitWait)), 1)) << blocked->describe();
  EXPECT_NE(blocked->stdout_text().find("CONNECT permission"), std::string::npos)
      << blocked->describe();

  // 2. Opened up, the socket is reachable: SO_PEERCRED refuses the stranger.
  const auto refused_before = status_field(env, instance, "clients_refused");
  ASSERT_TRUE(refused_before.has_value());
  ASSERT_EQ(::chmod(env.runtime_dir().c_str(), 0755), 0);
  const std::string socket = env.runtime_dir() + "/" + instance + ".sock";
  ASSERT_EQ(::chmod(socket.c_str(), 0777), 0) << socket;
  auto denied = spawn_as(env, client.path(), uid, gid, attach);
  EXPECT_TRUE(exited_with(denied->wait_exit(deadline_in(kExitWait)), 1)) << denied->describe();
  EXPECT_NE(denied->stdout_text().find("ATTACH denied"), std::string::npos) << denied->describe();
  ::chmod(env.runtime_dir().c_str(), 0700);

  const auto refused_after = status_field(env, instance, "clients_refused");
  ASSERT_TRUE(refused_after.has_value());
  EXPECT_GT(*refused_after, *refused_before);
  EXPECT_TRUE(agent->running()) << agent->describe();
}

}  // namespace
}  // namespace shmon::test
