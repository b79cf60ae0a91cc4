// SPDX-License-Identifier: Apache-2.0
// Fair sharing of the agent between tools (issue 18): tools are never locked out by long-running
// tool sessions, and one tool's partial message never holds up the agent's main thread.
#include <csignal>

#include "common.hpp"

namespace shmon::test {
namespace {

std::unique_ptr<Child> spawn_trickler(const TestEnv& env, const std::string& instance,
                                      const std::string& name, const std::string& variant) {
  return spawn(env, testclient_bin(),
               {"trickle-tool", "--instance", instance, "--name", name, "--variant", variant,
                "--wait-ms", "10000"});
}

std::uint64_t hostile_counter(const TestEnv& env, const std::string& instance,
                              const std::string& key) {
  auto status = ctl_json(env, instance, "status");
  if (!status || !status->contains("hostile")) return UINT64_MAX;
  return (*status)["hostile"].value(key, UINT64_MAX);
}

std::unique_ptr<Child> spawn_ctl(const TestEnv& env, const std::string& instance,
                                 std::vector<std::string> args) {
  args.insert(args.begin(), {"--instance", instance});
  return spawn(env, ctl_bin(), args);
}

}  // namespace

// Four `shmonctl watch` and a session that holds a tool slot for good (as the inspector does)
// beside 40 one-shot shmonctl commands started at once: every one is served, with the right
// answer. Before, the long sessions held all 4 tool slots and each of the 40 was refused at
// once ("all 4 tool slots are taken"; 0 of 40 succeeded beside four watchers). Now status and
// clients read the directory through a view (no slot), watch holds a slot only while it draws a
// frame, and the rest wait for the next free tool slot within their --timeout-ms.
TEST(FairSharing, FortyToolsBesideWatchersAndASessionAreAllServed) {
  TestEnv env;
  const auto instance = env.instance("fair");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto app = spawn_loadgen(env, instance, "fair-app", loadgen_args("fair_hits", 1000, true));
  ASSERT_TRUE(app->wait_for_line("status=ok", deadline_in(kConditionWait))) << app->describe();

  auto session = spawn(env, testclient_bin(),
                       {"hold-tool", "--instance", instance, "--name", "inspector-like"});
  ASSERT_TRUE(session->wait_for_line("TOOL ", deadline_in(kConditionWait))) << session->describe();
  EXPECT_NE(session->stdout_text().find("TOOL ok"), std::string::npos) << session->describe();
  std::vector<std::unique_ptr<Child>> watchers;
  for (int i = 0; i < 4; ++i) {
    watchers.push_back(spawn_ctl(env, instance, {"watch", "--interval-ms", "100"}));
  }
  for (auto& w : watchers) {
    // Two frames: the watcher has drawn one and come back for the next.
    EXPECT_TRUE(wait_until(
        [&] { return w->stdout_text().find("fair_hits") != w->stdout_text().rfind("fair_hits"); },
        deadline_in(kConditionWait)))
        << w->describe();
  }

  struct Call {
    std::vector<std::string> args;
    std::string expect;  // in its standard output
  };
  const std::string pid = std::to_string(agent->pid());
  const std::vector<Call> kinds = {
      {{"status"}, "agent pid         " + pid}, {{"clients"}, "fair-app"},
      {{"metrics", "--json"}, "\"fair_hits\""}, {{"status", "--json"}, "\"clients_connected\""},
      {{"clients", "--json"}, "\"fair-app\""},
  };
  std::vector<std::unique_ptr<Child>> calls;
  for (int i = 0; i < 40; ++i) {
    std::vector<std::string> args{"--timeout-ms", "10000"};
    const auto& k = kinds[std::size_t(i) % kinds.size()].args;
    args.insert(args.end(), k.begin(), k.end());
    calls.push_back(spawn_ctl(env, instance, args));
  }
  int served = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const auto status = calls[i]->wait_exit(deadline_in(kExitWait));
    const std::string& expect = kinds[i % kinds.size()].expect;
    const bool ok =
        exited_with(status, 0) && calls[i]->stdout_text().find(expect) != std::string::npos;
    served += ok ? 1 : 0;
    EXPECT_TRUE(ok) << "expected exit 0 and '" << expect << "':\n" << calls[i]->describe();
  }
  EXPECT_EQ(served, 40);

  for (auto& w : watchers) {
    EXPECT_TRUE(w->running()) << w->describe();
    EXPECT_EQ(w->stdout_text().find("agent not running"), std::string::npos) << w->describe();
    w->signal(SIGINT);
  }
  EXPECT_TRUE(all_exit_zero(watchers, deadline_in(kExitWait)));
  session->close_stdin();
  EXPECT_TRUE(exits_zero(*session, deadline_in(kExitWait)));
  app->close_stdin();
  EXPECT_TRUE(exits_zero(*app, deadline_in(kExitWait)));
}

// A tool writes its region request one byte every 5 ms (about 160 ms for the whole request).
// Meanwhile pings and status calls are answered, and the request, whole within the agent's
// deadline, is served. Before, the main thread waited up to 100 ms for the rest of the message
// and then dropped the tool ("REGION the agent closed the socket").
TEST(FairSharing, TricklingToolIsServedAndOthersAreToo) {
  TestEnv env;
  const auto instance = env.instance("trickle");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto trickler = spawn_trickler(env, instance, "trickler", "complete");
  int pings = 0;
  while (trickler->running() && pings < 200) {
    const CtlRun ping = run_ctl(env, instance, {"ping", "--count", "1"});
    ASSERT_EQ(ping.status, 0) << ping.describe;
    ++pings;
  }
  EXPECT_TRUE(exits_zero(*trickler, deadline_in(kExitWait)));
  EXPECT_NE(trickler->stdout_text().find("REGION ok"), std::string::npos) << trickler->describe();
  const CtlRun status = run_ctl(env, instance, {"status"});
  EXPECT_EQ(status.status, 0) << status.describe;
  EXPECT_EQ(hostile_counter(env, instance, "partial_messages_dropped"), 0u);
}

// A tool that sends half a message and then nothing is dropped after the agent's deadline
// (kToolMessageDeadlineNs, 1 s) and counted; pings are answered while it sits there.
TEST(FairSharing, StalledToolMessageIsDroppedAndCounted) {
  TestEnv env;
  const auto instance = env.instance("stall");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto staller = spawn_trickler(env, instance, "staller", "stall");
  while (staller->running()) {
    const CtlRun ping = run_ctl(env, instance, {"ping", "--count", "1"});
    ASSERT_EQ(ping.status, 0) << ping.describe;
  }
  EXPECT_TRUE(exits_zero(*staller, deadline_in(kExitWait)));
  EXPECT_NE(staller->stdout_text().find("DROPPED "), std::string::npos) << staller->describe();
  EXPECT_EQ(hostile_counter(env, instance, "partial_messages_dropped"), 1u);
}

}  // namespace shmon::test
