// SPDX-License-Identifier: Apache-2.0
// Spawning the agent, loadgen and the test client.
#include "shmon_test/processes.hpp"

#include <gtest/gtest.h>

namespace shmon::test {

const std::string& agent_bin() {
  static const std::string path = SHMON_TEST_AGENT_BIN;
  return path;
}
const std::string& ctl_bin() {
  static const std::string path = SHMON_TEST_CTL_BIN;
  return path;
}
const std::string& loadgen_bin() {
  static const std::string path = SHMON_TEST_LOADGEN_BIN;
  return path;
}
const std::string& demo_bin() {
  static const std::string path = SHMON_TEST_DEMO_BIN;
  return path;
}
const std::string& testclient_bin() {
  static const std::string path = SHMON_TEST_CLIENT_BIN;
  return path;
}

std::unique_ptr<Child> spawn(const TestEnv& env, const std::string& binary,
                             const std::vector<std::string>& args) {
  SpawnOptions options;
  options.argv.push_back(binary);
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.env = env.child_env();
  return Child::spawn(options);
}

std::unique_ptr<Child> start_agent(const TestEnv& env, const std::string& instance,
                                   const std::vector<std::string>& extra) {
  std::vector<std::string> args{"--instance", instance};
  args.insert(args.end(), extra.begin(), extra.end());
  auto agent = spawn(env, agent_bin(), args);
  if (!agent->wait_for_line("shmon-agent: ready", deadline_in(std::chrono::seconds(10)))) {
    ADD_FAILURE() << "the agent did not print 'shmon-agent: ready' within 10 s\n"
                  << agent->describe();
    return nullptr;
  }
  return agent;
}

std::unique_ptr<Child> spawn_loadgen(const TestEnv& env, const std::string& instance,
                                     const std::string& name,
                                     const std::vector<std::string>& args) {
  std::vector<std::string> all{"--instance", instance, "--name", name};
  all.insert(all.end(), args.begin(), args.end());
  return spawn(env, loadgen_bin(), all);
}

std::unique_ptr<Child> spawn_testclient(const TestEnv& env, const std::string& mode,
                                        const std::string& instance, const std::string& name,
                                        const std::vector<std::string>& extra) {
  std::vector<std::string> args{mode, "--instance", instance, "--name", name};
  args.insert(args.end(), extra.begin(), extra.end());
  return spawn(env, testclient_bin(), args);
}

}  // namespace shmon::test
