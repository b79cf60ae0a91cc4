// SPDX-License-Identifier: Apache-2.0
// Starting the programs under test: the agent (waits for its ready line), loadgen and the
// misbehaving test client. Binary paths come from the build (empty when a target is missing).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shmon_test/child.hpp"
#include "shmon_test/test_env.hpp"

namespace shmon::test {

const std::string& agent_bin();
const std::string& ctl_bin();
const std::string& loadgen_bin();
const std::string& testclient_bin();
const std::string& demo_bin();

// Spawns `binary args...` with the test's environment.
std::unique_ptr<Child> spawn(const TestEnv& env, const std::string& binary,
                             const std::vector<std::string>& args);

// Starts `shmon-agent --instance NAME extra...` and waits (10 s) for "shmon-agent: ready".
// On failure records a gtest failure with the agent's output and returns nullptr.
std::unique_ptr<Child> start_agent(const TestEnv& env, const std::string& instance,
                                   const std::vector<std::string>& extra = {});

// `shmon-loadgen --instance I --name N args...`.
std::unique_ptr<Child> spawn_loadgen(const TestEnv& env, const std::string& instance,
                                     const std::string& name, const std::vector<std::string>& args);

// `shmon-testclient MODE --instance I --name N extra...`.
std::unique_ptr<Child> spawn_testclient(const TestEnv& env, const std::string& mode,
                                        const std::string& instance, const std::string& name,
                                        const std::vector<std::string>& extra = {});

}  // namespace shmon::test
