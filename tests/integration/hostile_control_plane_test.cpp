// SPDX-License-Identifier: Apache-2.0
// Hostile clients against the agent's control plane (issue 12): re-attach claims, repeated
// requests, vandalised mailbox words, the drain doorbell and the rendezvous socket. Each attacker
// is a mode of shmon-testclient; honest loadgens run beside it and must keep exact totals.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "common.hpp"

namespace shmon::test {
namespace {

// The incarnation (hex, as `clients --json` prints it) of the app client called `name`.
std::string incarnation_of(const TestEnv& env, const std::string& instance,
                           const std::string& name) {
  auto apps = app_clients(env, instance);
  if (!apps) return {};
  for (const auto& c : *apps) {
    if (c.value("name", "") == name) return c.value("incarnation", "");
  }
  return {};
}

bool has_app(const TestEnv& env, const std::string& instance, const std::string& name) {
  auto apps = app_clients(env, instance);
  if (!apps) return false;
  for (const auto& c : *apps) {
    if (c.value("name", "") == name) return true;
  }
  return false;
}

// The number after `key=` in `text`, or nullopt.
std::optional<std::uint64_t> field_in(const std::string& text, const std::string& key) {
  const auto at = text.find(key + "=");
  if (at == std::string::npos) return std::nullopt;
  return std::strtoull(text.c_str() + at + key.size() + 1, nullptr, 10);
}

struct HonestRun {
  std::uint64_t accepted = 0, failed = 0, max_call_us = 0;
};

// An honest submitter (acknowledged calls of event type `event`) for `ms` beside whatever else
// runs.
std::unique_ptr<Child> spawn_submitter(const TestEnv& env, const std::string& instance,
                                       const std::string& name, int ms,
                                       const std::string& event = "acked.event") {
  return spawn(env, testclient_bin(),
               {"submit-count", "--instance", instance, "--name", name, "--wait-ms",
                std::to_string(ms), "--variant", event});
}

::testing::AssertionResult finished(Child& honest, HonestRun& run) {
  if (auto ok = exits_zero(honest, deadline_in(kExitWait)); !ok) return ok;
  const std::string out = honest.stdout_text();
  auto accepted = field_in(out, "accepted"), failed = field_in(out, "failed"),
       max_us = field_in(out, "max_call_us");
  if (!accepted || !failed || !max_us)
    return ::testing::AssertionFailure() << "no summary:\n" << honest.describe();
  run = {*accepted, *failed, *max_us};
  return ::testing::AssertionSuccess();
}

// An honest submitter after an attack: every call answered, every record counted once.
void expect_calls_work(const TestEnv& env, const std::string& instance, const std::string& event) {
  auto after = spawn_submitter(env, instance, "after-" + event, 1000, event);
  HonestRun run;
  ASSERT_TRUE(finished(*after, run));
  EXPECT_GT(run.accepted, 0u);
  EXPECT_EQ(run.failed, 0u) << after->describe();
  EXPECT_EQ(metric_total(env, instance, event), run.accepted);
}

std::unique_ptr<Child> spawn_vandal(const TestEnv& env, const std::string& instance,
                                    const std::string& variant, int ms) {
  return spawn(env, testclient_bin(),
               {"vandal", "--instance", instance, "--name", "vandal", "--variant", variant,
                "--wait-ms", std::to_string(ms)});
}

// After an attack: a fresh client attaches, counts and is acknowledged, and a query answers.
void expect_serving(const TestEnv& env, const std::string& instance, Child& agent,
                    const std::string& counter) {
  auto loadgen = spawn_loadgen(env, instance, "after", loadgen_args(counter, 1000, false));
  EXPECT_TRUE(exits_zero(*loadgen, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, counter), 1000u);
  EXPECT_TRUE(agent.running()) << agent.describe();
}

std::string hex_digits(std::string s) {
  if (s.rfind("0x", 0) == 0) s.erase(0, 2);
  return s;
}

// Class 3b/4: the incarnation is public. A client that attaches with a live client's
// incarnation must not evict it, and one that attaches with a departed client's incarnation
// must not subtract its folded totals: both are new, unrelated clients, counted.
TEST(HostileControlPlane, ForeignIncarnationNeitherEvictsNorErasesTotals) {
  TestEnv env;
  const auto instance = env.instance("claim");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto victim = spawn_loadgen(env, instance, "victim", loadgen_args("stolen", 5000, true));
  ASSERT_TRUE(wait_until([&] { return metric_total(env, instance, "stolen") == 5000u; },
                         deadline_in(kConditionWait), 50ms))
      << victim->describe();
  const std::string incarnation = hex_digits(incarnation_of(env, instance, "victim"));
  ASSERT_FALSE(incarnation.empty());

  // While the victim lives.
  auto thief = spawn(env, testclient_bin(),
                     {"claim-incarnation", "--instance", instance, "--name", "thief",
                      "--incarnation", incarnation});
  ASSERT_TRUE(thief->wait_for_line("ATTACHED", deadline_in(kConditionWait))) << thief->describe();
  EXPECT_TRUE(has_app(env, instance, "victim")) << agent->describe();
  EXPECT_TRUE(victim->running()) << victim->describe();
  EXPECT_EQ(metric_total(env, instance, "stolen"), 5000u);
  thief->close_stdin();
  EXPECT_TRUE(exits_zero(*thief, deadline_in(kExitWait)));

  // After the victim left: its totals are folded under its tombstone.
  victim->close_stdin();
  ASSERT_TRUE(exits_zero(*victim, deadline_in(kExitWait)));
  ASSERT_TRUE(wait_until([&] { return !has_app(env, instance, "victim"); },
                         deadline_in(kConditionWait), 50ms));
  EXPECT_EQ(metric_total(env, instance, "stolen"), 5000u);
  auto grave_robber = spawn(env, testclient_bin(),
                            {"claim-incarnation", "--instance", instance, "--name", "robber",
                             "--incarnation", incarnation});
  ASSERT_TRUE(grave_robber->wait_for_line("ATTACHED", deadline_in(kConditionWait)))
      << grave_robber->describe();
  EXPECT_EQ(metric_total(env, instance, "stolen"), 5000u);
  grave_robber->close_stdin();
  EXPECT_TRUE(exits_zero(*grave_robber, deadline_in(kExitWait)));
  ASSERT_TRUE(wait_until([&] { return !has_app(env, instance, "robber"); },
                         deadline_in(kConditionWait), 50ms));
  EXPECT_EQ(metric_total(env, instance, "stolen"), 5000u);

  const auto mismatches = status_field(env, instance, "reattach_mismatches");
  ASSERT_TRUE(mismatches.has_value());
  EXPECT_EQ(*mismatches, 2u);
  EXPECT_NE(agent->output().find("without its re-attach secret"), std::string::npos)
      << agent->describe();
  EXPECT_TRUE(agent->running()) << agent->describe();
}

// Class 5: Exec set in a tight loop by another client must not make the agent execute the lock
// holder's request again. Every acknowledged record is counted exactly once.
TEST(HostileControlPlane, RepeatedExecDoesNotAnswerARequestTwice) {
  TestEnv env;
  const auto instance = env.instance("execstorm");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto honest = spawn_submitter(env, instance, "honest", 3000);
  ASSERT_TRUE(honest->wait_for_line("CONNECTED", deadline_in(kConditionWait)))
      << honest->describe();
  auto vandal = spawn_vandal(env, instance, "exec-storm", 2500);
  HonestRun run;
  ASSERT_TRUE(finished(*honest, run));
  EXPECT_TRUE(exits_zero(*vandal, deadline_in(kExitWait)));
  EXPECT_GT(run.accepted, 0u);
  EXPECT_EQ(run.failed, 0u) << honest->describe();
  EXPECT_EQ(metric_total(env, instance, "acked.event"), run.accepted) << honest->describe();
  const auto duplicates = status_field(env, instance, "duplicate_requests");
  ASSERT_TRUE(duplicates.has_value());
  EXPECT_GT(*duplicates, 0u) << vandal->describe() << honest->describe() << agent->describe()
                             << ctl_json(env, instance, "status")->dump();
  expect_serving(env, instance, *agent, "after");
}

// Class 6: two seconds of random values in the mailbox's futex words (lock, Exec, Done, the
// doorbell and drain_sleeping) while an honest client calls. Whatever the words hold afterwards,
// the protocol recovers by itself: every later call from a new client is answered, exactly once.
TEST(HostileControlPlane, FutexWordGarbageHealsByItself) {
  TestEnv env;
  const auto instance = env.instance("futexwords");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto during = spawn_submitter(env, instance, "during", 2500, "during.event");
  ASSERT_TRUE(during->wait_for_line("CONNECTED", deadline_in(kConditionWait)))
      << during->describe();
  auto vandal = spawn_vandal(env, instance, "futex-words", 2000);
  EXPECT_TRUE(exits_zero(*vandal, deadline_in(kExitWait)));
  HonestRun run;
  ASSERT_TRUE(finished(*during, run));
  // Under attack calls may fail (the lock word is garbage most of the time), never double count.
  const auto during_total = metric_total(env, instance, "during.event");
  ASSERT_TRUE(during_total.has_value());
  EXPECT_GE(*during_total, run.accepted);
  EXPECT_LE(*during_total, run.accepted + run.failed);

  expect_calls_work(env, instance, "after.event");
  expect_serving(env, instance, *agent, "after");
}

// Class 6, the request and response headers: garbage there is answered with errors while it
// lasts, and the next client's calls work.
TEST(HostileControlPlane, HeaderGarbageHealsByItself) {
  TestEnv env;
  const auto instance = env.instance("headers");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto vandal = spawn_vandal(env, instance, "headers", 1500);
  EXPECT_TRUE(exits_zero(*vandal, deadline_in(kExitWait)));
  expect_calls_work(env, instance, "after.event");
}

// Class 6, forged owner: a vandal keeps writing an honest client's token into the lock word.
// The agent must not revoke the honest client (it does not claim the lock in its own region);
// it releases the forged word instead, and says the writer cannot be identified.
TEST(HostileControlPlane, ForgedLockTokenRevokesNobody) {
  TestEnv env;
  const auto instance = env.instance("forge");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto honest = spawn_submitter(env, instance, "honest", 2500, "honest.event");
  ASSERT_TRUE(honest->wait_for_line("CONNECTED", deadline_in(kConditionWait)))
      << honest->describe();
  auto vandal = spawn_vandal(env, instance, "forge-lock", 2000);
  EXPECT_TRUE(exits_zero(*vandal, deadline_in(kExitWait)));
  HonestRun run;
  ASSERT_TRUE(finished(*honest, run));
  const auto total = metric_total(env, instance, "honest.event");
  ASSERT_TRUE(total.has_value());
  EXPECT_GE(*total, run.accepted);
  EXPECT_LE(*total, run.accepted + run.failed);
  EXPECT_EQ(status_field(env, instance, "lease_revocations"), 0u) << agent->describe();
  const auto repairs = status_field(env, instance, "lock_repairs");
  ASSERT_TRUE(repairs.has_value());
  EXPECT_GT(*repairs, 0u);
  EXPECT_EQ(agent->output().find("revoked client mutex from honest"), std::string::npos)
      << agent->describe();
  EXPECT_NE(agent->output().find("unidentifiable"), std::string::npos) << agent->describe();
  expect_calls_work(env, instance, "after.event");
}

// Class 6, attribution: a client that takes the mutex with its own token (and claims it, as a
// probe does) and never gives it back is the offender: it is revoked and named, and its later
// grabs are released at once; the honest client beside it keeps exact totals and no call fails.
TEST(HostileControlPlane, LockHogIsRevokedAndNamed) {
  TestEnv env;
  const auto instance = env.instance("hog");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);

  auto honest = spawn_submitter(env, instance, "honest", 3000, "honest.event");
  ASSERT_TRUE(honest->wait_for_line("CONNECTED", deadline_in(kConditionWait)))
      << honest->describe();
  auto vandal = spawn_vandal(env, instance, "hold-lock", 2500);
  EXPECT_TRUE(exits_zero(*vandal, deadline_in(kExitWait)));
  HonestRun run;
  ASSERT_TRUE(finished(*honest, run));
  EXPECT_EQ(run.failed, 0u) << honest->describe();
  EXPECT_EQ(metric_total(env, instance, "honest.event"), run.accepted);
  EXPECT_NE(agent->output().find("revoked client mutex from vandal"), std::string::npos)
      << agent->describe();
  EXPECT_EQ(agent->output().find("revoked client mutex from honest"), std::string::npos)
      << agent->describe();
  expect_calls_work(env, instance, "after.event");
}

// Class 12: a client that keeps drain_sleeping set must not make every other client's emit a
// system call. The honest loadgen's doorbell rings stay far below its event count.
TEST(HostileControlPlane, HeldDrainFlagCostsOthersNoSyscallPerEvent) {
  TestEnv env;
  const auto instance = env.instance("doorbell");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto vandal = spawn_vandal(env, instance, "drain-sleeping", 20000);
  ASSERT_TRUE(vandal->wait_for_line("VANDAL slot", deadline_in(kConditionWait)))
      << vandal->describe();
  constexpr std::uint64_t kEvents = 200000;
  auto loadgen =
      spawn_loadgen(env, instance, "emitter",
                    {"--threads", "1", "--counter", "emitted", "--increments", "1", "--events",
                     std::to_string(kEvents), "--policy", "wait", "--hold-open"});
  std::optional<nlohmann::json> me;
  ASSERT_TRUE(wait_until(
      [&] {
        auto apps = app_clients(env, instance);
        if (!apps) return false;
        for (const auto& c : *apps) {
          if (c.value("name", "") == "emitter" &&
              c.value("events_received", std::uint64_t(0)) == kEvents) {
            me = c;
            return true;
          }
        }
        return false;
      },
      deadline_in(kConditionWait), 50ms))
      << loadgen->describe();
  const auto rings = (*me)["doorbell_rings"].get<std::uint64_t>();
  EXPECT_LT(rings, kEvents / 20) << me->dump();
  loadgen->close_stdin();
  EXPECT_TRUE(exits_zero(*loadgen, deadline_in(kExitWait)));
  vandal->signal(SIGTERM);
  vandal->wait_exit(deadline_in(kExitWait));
}

// Class 11 (the lock file): another process holds the instance lock and the file holds garbage.
// The agent says so in one line and exits 3 (another process owns the instance), instead of
// "already served by shmon-agent pid 0".
TEST(HostileControlPlane, GarbageLockFileIsOneClearLine) {
  TestEnv env;
  const auto instance = env.instance("lockjunk");
  const std::string path = env.runtime_dir() + "/" + instance + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  const char junk[] = "\x1b[31mjunk\x07 not a pid";
  ASSERT_EQ(::write(fd, junk, sizeof junk - 1), ssize_t(sizeof junk - 1));
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);

  auto agent = spawn(env, agent_bin(), {"--instance", instance});
  const auto status = agent->wait_exit(deadline_in(10s));
  ::close(fd);
  EXPECT_TRUE(exited_with(status, 3)) << agent->describe();
  const std::string err = agent->stderr_text();
  EXPECT_NE(err.find("holds no agent pid"), std::string::npos) << agent->describe();
  EXPECT_EQ(err.find("pid 0"), std::string::npos) << agent->describe();
  EXPECT_EQ(err.find('\x1b'), std::string::npos) << "raw escape in the message";
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

// Class 7, slowloris: connections that trickle their AttachRequest one byte per 100 ms must not
// hold up anyone else's attach (the main thread never waits for a slow peer).
TEST(HostileControlPlane, SlowlorisDoesNotBlockAttaches) {
  TestEnv env;
  const auto instance = env.instance("slowloris");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto loris =
      spawn(env, testclient_bin(), {"slowloris", "--instance", instance, "--wait-ms", "4000"});
  ASSERT_TRUE(loris->wait_for_line("SLOWLORIS open=", deadline_in(kConditionWait)))
      << loris->describe();
  for (int i = 0; i < 3; ++i) {
    const CtlRun run = run_ctl(env, instance, {"status"});
    EXPECT_EQ(run.status, 0) << run.describe;
  }
  auto loadgen = spawn_loadgen(env, instance, "during", loadgen_args("during", 1000, false));
  EXPECT_TRUE(exits_zero(*loadgen, deadline_in(kExitWait)));
  EXPECT_TRUE(loris->wait_for_line("SLOWLORIS done", deadline_in(kExitWait))) << loris->describe();
  EXPECT_TRUE(exits_zero(*loris, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, "during"), 1000u);
}

// Class 7, tool slots: tools (kind tool) get the reserved tool slots and no more, so they
// cannot fill the table and lock apps out.
TEST(HostileControlPlane, ToolsCannotLockAppsOut) {
  TestEnv env;
  const auto instance = env.instance("tools");
  auto agent = start_agent(env, instance, {"--max-clients", "2"});
  ASSERT_NE(agent, nullptr);
  std::vector<std::unique_ptr<Child>> tools;
  int ok = 0, full = 0;
  for (int i = 0; i < 6; ++i) {
    tools.push_back(
        spawn(env, testclient_bin(),
              {"hold-tool", "--instance", instance, "--name", "tool-" + std::to_string(i)}));
    ASSERT_TRUE(tools.back()->wait_for_line("TOOL ", deadline_in(kConditionWait)))
        << tools.back()->describe();
    const std::string out = tools.back()->stdout_text();
    ok += out.find("TOOL ok") != std::string::npos;
    full += out.find("TOOL full") != std::string::npos;
  }
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(full, 2);
  // Both app slots are still there.
  std::vector<std::unique_ptr<Child>> apps;
  for (int i = 0; i < 2; ++i) {
    apps.push_back(spawn_loadgen(env, instance, "app-" + std::to_string(i),
                                 loadgen_args("apps", 1000, false)));
  }
  EXPECT_TRUE(all_exit_zero(apps, deadline_in(kExitWait)));
  for (auto& t : tools) t->close_stdin();
  EXPECT_TRUE(all_exit_zero(tools, deadline_in(kExitWait)));
  EXPECT_EQ(metric_total(env, instance, "apps"), 2000u);
}

// Class 7, descriptor exhaustion: with its fd limit reached, the agent pauses accepting and logs
// a summary at most once a second (not one line per failed accept in a tight loop), and serves
// again once the flood is gone.
TEST(HostileControlPlane, AcceptAtTheFdLimitBacksOff) {
  TestEnv env;
  const auto instance = env.instance("emfile");
  auto agent =
      spawn(env, "/usr/bin/prlimit", {"--nofile=64:64", agent_bin(), "--instance", instance});
  ASSERT_TRUE(agent->wait_for_line("shmon-agent: ready", deadline_in(10s))) << agent->describe();
  auto flood =
      spawn(env, testclient_bin(), {"fd-flood", "--instance", instance, "--wait-ms", "300"});
  ASSERT_TRUE(flood->wait_for_line("FLOOD open=", deadline_in(kConditionWait)))
      << flood->describe();
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string out = agent->output();
        std::size_t n = 0;
        for (auto at = out.find("pausing new connections"); at != std::string::npos;
             at = out.find("pausing new connections", at + 1)) {
          ++n;
        }
        return n >= 2;  // still saturated a second later: a second summary, not a flood
      },
      deadline_in(8s), 50ms))  // short: a flooding agent writes ~60 MB/s of log
      << agent->describe().substr(0, 4000);
  EXPECT_LT(agent->output().size(), 64u * 1024) << "the log must not grow per failed accept";
  flood->close_stdin();
  EXPECT_TRUE(exits_zero(*flood, deadline_in(kExitWait)));
  expect_serving(env, instance, *agent, "after");
}

}  // namespace
}  // namespace shmon::test
