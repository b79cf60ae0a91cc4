// SPDX-License-Identifier: Apache-2.0
// shmonctl behaves as command-line tools do: `events -n`, `--follow` from the newest, plain
// `watch` frames into a pipe, "did you mean" on a typo, global options in every command's help.
#include <signal.h>

#include <sstream>

#include "common.hpp"

namespace shmon::test {
namespace {

std::vector<std::uint64_t> seqs_of(const std::string& json_lines) {
  std::vector<std::uint64_t> out;
  std::istringstream in(json_lines);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("seq")) out.push_back(j["seq"].get<std::uint64_t>());
  }
  return out;
}

// An agent whose log holds exactly `events` events of one app.
struct EventWorld {
  TestEnv env;
  std::string instance = env.instance("habits");
  std::unique_ptr<Child> agent = start_agent(env, instance);

  explicit EventWorld(int events) {
    if (!agent) return;
    auto app = spawn_loadgen(env, instance, "emitter",
                             {"--threads", "1", "--counter", "c", "--increments", "0", "--events",
                              std::to_string(events), "--policy", "wait"});
    EXPECT_TRUE(exits_zero(*app, deadline_in(kExitWait)));
  }
};

TEST(CtlHabits, EventsLimitPrintsTheNewest) {
  EventWorld w(100);
  ASSERT_TRUE(w.agent);
  const CtlRun all = run_ctl(w.env, w.instance, {"events", "--json"});
  ASSERT_TRUE(exited_with(all.status, 0)) << all.describe;
  const auto every = seqs_of(all.out);
  ASSERT_EQ(every.size(), 100u) << all.describe;

  const CtlRun newest = run_ctl(w.env, w.instance, {"events", "-n", "5", "--json"});
  ASSERT_TRUE(exited_with(newest.status, 0)) << newest.describe;
  EXPECT_EQ(seqs_of(newest.out), std::vector<std::uint64_t>(every.end() - 5, every.end()));

  const CtlRun text = run_ctl(w.env, w.instance, {"events", "--limit", "3"});
  ASSERT_TRUE(exited_with(text.status, 0)) << text.describe;
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 3) << text.out;
}

TEST(CtlHabits, FollowStartsWithTheNewestTen) {
  EventWorld w(100);
  ASSERT_TRUE(w.agent);
  const auto every = seqs_of(run_ctl(w.env, w.instance, {"events", "--json"}).out);
  ASSERT_EQ(every.size(), 100u);
  auto follower =
      spawn(w.env, ctl_bin(), {"--instance", w.instance, "events", "--follow", "--json"});
  ASSERT_TRUE(follower->wait_for_line("\"seq\":" + std::to_string(every.back()),
                                      deadline_in(kConditionWait)))
      << follower->describe();
  follower->signal(SIGINT);
  EXPECT_TRUE(exits_zero(*follower, deadline_in(kExitWait)));
  EXPECT_EQ(seqs_of(follower->stdout_text()),
            std::vector<std::uint64_t>(every.end() - 10, every.end()));
}

TEST(CtlHabits, WatchIntoAPipeWritesPlainFrames) {
  TestEnv env;
  const auto instance = env.instance("watch");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  const CtlRun run = run_ctl(env, instance, {"watch", "--iterations", "2", "--interval-ms", "10"});
  ASSERT_TRUE(exited_with(run.status, 0)) << run.describe;
  EXPECT_EQ(run.out.find('\x1b'), std::string::npos) << "escape sequences in a pipe";
  std::size_t frames = 0;
  for (auto at = run.out.find("shmon watch"); at != std::string::npos;
       at = run.out.find("shmon watch", at + 1)) {
    ++frames;
  }
  EXPECT_EQ(frames, 2u) << run.out;
}

// A watch frame that cannot be drawn says why: here every tool slot is held by sessions (it used
// to say "agent not running" whatever the reason).
TEST(CtlHabits, WatchSaysWhyItCannotDraw) {
  TestEnv env;
  const auto instance = env.instance("watch-why");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto watch =
      spawn(env, ctl_bin(),
            {"--instance", instance, "--timeout-ms", "300", "watch", "--interval-ms", "50"});
  ASSERT_TRUE(watch->wait_for_line("clients", deadline_in(kConditionWait))) << watch->describe();
  std::vector<std::unique_ptr<Child>> sessions;
  for (int i = 0; i < 4; ++i) {
    sessions.push_back(
        spawn(env, testclient_bin(),
              {"hold-tool", "--instance", instance, "--name", "holder-" + std::to_string(i)}));
  }
  for (auto& s : sessions) {
    ASSERT_TRUE(s->wait_for_line("TOOL ok", deadline_in(kConditionWait))) << s->describe();
  }
  EXPECT_TRUE(watch->wait_for_line(
      "the agent on instance '" + instance + "' gave no tool slot within 300 ms (--timeout-ms)",
      deadline_in(kConditionWait)))
      << watch->describe();
  for (auto& s : sessions) s->close_stdin();
  // Once the sessions leave, the watch draws again.
  const std::size_t before = watch->stdout_text().size();
  EXPECT_TRUE(
      wait_until([&] { return watch->stdout_text().find("clients", before) != std::string::npos; },
                 deadline_in(kConditionWait)))
      << watch->describe();
}

TEST(CtlHabits, ATypoGetsTheNearestCommand) {
  TestEnv env;
  const CtlRun stat = run_ctl(env, env.instance(), {"stat"});
  EXPECT_TRUE(exited_with(stat.status, 2)) << stat.describe;
  EXPECT_NE(stat.err.find("unknown command 'stat'; did you mean 'status'?"), std::string::npos)
      << stat.err;
  const CtlRun swapped = run_ctl(env, env.instance(), {"evnets"});
  EXPECT_NE(swapped.err.find("did you mean 'events'?"), std::string::npos) << swapped.err;
  const CtlRun nothing = run_ctl(env, env.instance(), {"frobnicate"});
  EXPECT_TRUE(exited_with(nothing.status, 2)) << nothing.describe;
  EXPECT_EQ(nothing.err.find("did you mean"), std::string::npos) << nothing.err;
  EXPECT_NE(nothing.err.find("commands: status, instances, clients"), std::string::npos)
      << nothing.err;
}

TEST(CtlHabits, EveryCommandsHelpNamesTheGlobalOptions) {
  TestEnv env;
  for (const char* command : {"status", "events", "send", "watch"}) {
    SCOPED_TRACE(command);
    const CtlRun help = run_ctl(env, env.instance(), {command, "--help"});
    EXPECT_TRUE(exited_with(help.status, 0)) << help.describe;
    EXPECT_NE(help.out.find("--instance NAME"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("--timeout-ms"), std::string::npos) << help.out;
  }
}

// The agent may keep its state elsewhere than shmonctl's own environment says: a refused reset
// names the directory the agent uses.
TEST(CtlHabits, StateResetWhileAnAgentRunsNamesTheAgentsDirectory) {
  TestEnv env;
  const auto instance = env.instance("reset");
  const std::string elsewhere = env.runtime_dir() + "/elsewhere";
  auto agent = start_agent(env, instance, {"--state-dir", elsewhere});
  ASSERT_NE(agent, nullptr);
  const CtlRun reset = run_ctl(env, instance, {"state", "reset"});
  EXPECT_TRUE(exited_with(reset.status, 1)) << reset.describe;
  EXPECT_NE(reset.err.find("its state is in " + elsewhere + "/" + instance), std::string::npos)
      << reset.err;
}

}  // namespace
}  // namespace shmon::test
