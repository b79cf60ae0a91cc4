// SPDX-License-Identifier: Apache-2.0
// Under systemd, stderr is the journal stream that $JOURNAL_STREAM names: the agent's lines then
// carry sd-daemon priority prefixes and no timestamp of their own, so journald files each at its
// level. Elsewhere (a terminal, a file, a stream that is not the named one) they keep theirs.
#include <signal.h>

#include <regex>
#include <sstream>

#include "common.hpp"

namespace shmon::test {
namespace {

// The agent (args...) with JOURNAL_STREAM set to its own stderr's DEV:INODE, as systemd does.
std::unique_ptr<Child> spawn_agent_on_journal(const TestEnv& env,
                                              const std::vector<std::string>& args) {
  SpawnOptions options;
  options.argv = {"/bin/sh", "-c",
                  "JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2) exec \"$0\" \"$@\"",
                  agent_bin()};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = env.child_env();
  return Child::spawn(options);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

const std::regex kTimestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)");

TEST(JournalLogging, LinesCarryPrioritiesAndNoTimestampOfTheirOwn) {
  TestEnv env;
  const std::string instance = env.instance("journal");
  auto agent = spawn_agent_on_journal(
      env, {"--instance", instance, "--log-level", "debug", "--metrics-listen", ""});
  ASSERT_TRUE(agent->wait_for_line("shmon-agent: ready", deadline_in(kConditionWait)))
      << agent->describe();
  // A second agent on the instance fails at start: its one error line is at priority 3.
  auto second = spawn_agent_on_journal(env, {"--instance", instance, "--metrics-listen", ""});
  EXPECT_TRUE(exited_with(second->wait_exit(deadline_in(kExitWait)), 3)) << second->describe();
  EXPECT_EQ(second->stderr_text().rfind("<3>shmon-agent: ", 0), 0u) << second->describe();

  agent->signal(SIGTERM);
  ASSERT_TRUE(exits_zero(*agent, deadline_in(kExitWait)));
  const auto lines = lines_of(agent->stderr_text());
  ASSERT_FALSE(lines.empty()) << agent->describe();
  bool saw_info = false;
  for (const std::string& line : lines) {
    EXPECT_TRUE(std::regex_search(line, std::regex(R"(^<[2-7]>)"))) << line;
    EXPECT_FALSE(std::regex_search(line, kTimestamp)) << line;
    saw_info = saw_info || line.rfind("<6>", 0) == 0;
  }
  EXPECT_TRUE(saw_info) << agent->describe();
}

TEST(JournalLogging, AnotherStreamKeepsTimestampsAndLevelNames) {
  TestEnv env;
  const std::string instance = env.instance("nojournal");
  SpawnOptions options;
  options.argv = {agent_bin(), "--instance", instance, "--metrics-listen", ""};
  options.env = env.child_env();
  options.env.push_back("JOURNAL_STREAM=1:1");  // names a stream that is not our stderr
  auto agent = Child::spawn(options);
  ASSERT_TRUE(agent->wait_for_line("shmon-agent: ready", deadline_in(kConditionWait)))
      << agent->describe();
  agent->signal(SIGTERM);
  ASSERT_TRUE(exits_zero(*agent, deadline_in(kExitWait)));
  const auto lines = lines_of(agent->stderr_text());
  ASSERT_FALSE(lines.empty()) << agent->describe();
  for (const std::string& line : lines) {
    EXPECT_TRUE(std::regex_search(line, kTimestamp)) << line;
    EXPECT_EQ(line.rfind("<", 0), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace shmon::test
