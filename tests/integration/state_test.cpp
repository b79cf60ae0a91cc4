// SPDX-License-Identifier: Apache-2.0
// The state store: what only the agent holds survives an agent SIGKILL (departed totals, event
// accounting, the event log's tail, a flush acknowledged to a client that died with the agent),
// and bad or unusable state is refused, moved aside, counted and survived.
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common.hpp"

namespace shmon::test {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<Child> restart_after_kill(const TestEnv& env, const std::string& instance,
                                          std::unique_ptr<Child> agent,
                                          const std::vector<std::string>& extra = {}) {
  agent->signal(SIGKILL);
  EXPECT_TRUE(agent->wait_exit(deadline_in(10s)).has_value());
  return start_agent(env, instance, extra);
}

std::optional<nlohmann::json> state_of(const TestEnv& env, const std::string& instance) {
  auto status = ctl_json(env, instance, "status");
  if (!status || !status->contains("state")) return std::nullopt;
  return (*status)["state"];
}

std::uint64_t state_number(const TestEnv& env, const std::string& instance, const char* field) {
  auto st = state_of(env, instance);
  if (!st || !st->contains(field) || !(*st)[field].is_number()) return UINT64_MAX;
  return (*st)[field].get<std::uint64_t>();
}

std::vector<std::string> files_with(const std::string& dir, const std::string& part) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string().find(part) != std::string::npos) {
      out.push_back(e.path().filename().string());
    }
  }
  return out;
}

// Issue 11, failure 3: three loadgens finish (each acknowledged), the agent is SIGKILLed: the
// restarted agent still reports them.
TEST(State, DepartedTotalsSurviveAgentKill) {
  TestEnv env;
  const auto instance = env.instance("departed");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  std::vector<std::unique_ptr<Child>> loadgens;
  for (int i = 0; i < 3; ++i) {
    loadgens.push_back(spawn_loadgen(env, instance, "done-" + std::to_string(i),
                                     loadgen_args("finished", 50000, false)));
  }
  ASSERT_TRUE(all_exit_zero(loadgens, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms));
  // Statistics are persisted at the 50 ms tick: wait (bounded) for a commit after we read them.
  const auto requests_before = status_field(env, instance, "requests");
  const std::uint64_t read_at_ns =
      std::uint64_t(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count());
  ASSERT_TRUE(wait_until(
      [&] {
        const auto commit = state_number(env, instance, "last_commit_realtime_ns");
        return commit != UINT64_MAX && commit > read_at_ns + 60'000'000;
      },
      deadline_in(kConditionWait), 20ms));
  agent = restart_after_kill(env, instance, std::move(agent));
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(metric_total(env, instance, "finished"), 150000u) << agent->describe();
  // The agent's own cumulative statistics carry over too (persisted at the 50 ms tick).
  const auto requests_after = status_field(env, instance, "requests");
  ASSERT_TRUE(requests_before && requests_after);
  EXPECT_GE(*requests_after, *requests_before);
}

// A client whose flush was acknowledged exits while the agent cannot fold it (stopped), then the
// agent is SIGKILLed: the client's region is gone with both processes; the snapshot written
// before the flush answer is what the restarted agent folds.
TEST(State, AcknowledgedFlushOfAClientThatDiedWithTheAgentCounts) {
  TestEnv env;
  const auto instance = env.instance("diedwith");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  auto c = spawn_testclient(env, "late-metric", instance, "dies",
                            {"--variant", "hold", "--wait-ms", "30000"});
  ASSERT_TRUE(c->wait_for_line("FLUSHED", deadline_in(kConditionWait))) << c->describe();
  agent->signal(SIGSTOP);
  c->close_stdin();  // exits; its bye times out against the stopped agent
  ASSERT_TRUE(c->wait_exit(deadline_in(kExitWait)).has_value()) << c->describe();
  agent->signal(SIGKILL);
  agent->signal(SIGCONT);
  ASSERT_TRUE(agent->wait_exit(deadline_in(10s)).has_value());
  agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(metric_total(env, instance, "late"), 7u) << agent->describe();
}

// Events: events_received and the event log's tail are exact across SIGKILLs mid-drain: every
// record is logged exactly once (the log's next_seq - 1 equals the events received).
TEST(State, EventsAndTheEventLogTailAreExactAcrossAgentKills) {
  TestEnv env;
  const auto instance = env.instance("evkill");
  auto agent = start_agent(env, instance);
  ASSERT_NE(agent, nullptr);
  constexpr int kClients = 2;
  constexpr std::uint64_t kEvents = 20000;  // 40000 in all: the default log (65536) keeps all
  std::vector<std::unique_ptr<Child>> loadgens;
  for (int i = 0; i < kClients; ++i) {
    auto args = loadgen_args("evhits", 2'000'000, /*hold_open=*/true, 1);
    args.insert(args.end(), {"--events", std::to_string(kEvents), "--policy", "wait",
                             "--overflow-wait-ms", "60000"});
    loadgens.push_back(spawn_loadgen(env, instance, "ev-" + std::to_string(i), args));
  }
  for (int kill = 0; kill < 3; ++kill) {
    ASSERT_TRUE(wait_until([&] { return app_count(env, instance) == kClients; },
                           deadline_in(kConditionWait), 5ms));
    agent = restart_after_kill(env, instance, std::move(agent));
    ASSERT_NE(agent, nullptr);
  }
  std::optional<std::uint64_t> received;
  std::uint64_t next_seq = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        received = status_field(env, instance, "events_received");
        next_seq = state_number(env, instance, "event_log_next_seq");
        return received == kClients * kEvents && next_seq == kClients * kEvents + 1;
      },
      deadline_in(90s), 50ms))
      << "received=" << received.value_or(0) << " log next_seq=" << next_seq << "\n"
      << agent->describe();
  for (auto& lg : loadgens) lg->close_stdin();
  EXPECT_TRUE(all_exit_zero(loadgens, deadline_in(kExitWait)));
  agent = restart_after_kill(env, instance, std::move(agent));
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(status_field(env, instance, "events_received"), kClients * kEvents);
  EXPECT_EQ(state_number(env, instance, "event_log_next_seq"), kClients * kEvents + 1);
  EXPECT_EQ(metric_total(env, instance, "evhits"), kClients * 2'000'000u);
  // The log's records survive too: the newest one is still readable after the restart, with the
  // last sequence number (one JSON object per line).
  // 40000 records, 80 pages: the command's own deadline (2 s by default, for the whole command) is
  // raised to fit the unoptimized ASan build (about 1 s per 1000 records there, 40 ms in release).
  const CtlRun run = run_ctl(env, instance, {"--timeout-ms", "150000", "events", "--json"}, 160s);
  ASSERT_TRUE(exited_with(run.status, 0)) << run.describe;
  const auto last_line = run.out.substr(run.out.rfind('\n', run.out.size() - 2) + 1);
  const auto last = nlohmann::json::parse(last_line, nullptr, false);
  ASSERT_TRUE(last.is_object()) << last_line;
  EXPECT_EQ(last.value("seq", std::uint64_t(0)), kClients * kEvents) << last_line;
  EXPECT_EQ(last.value("name", std::string()), "evhits.event") << last_line;
}

TEST(State, NoStateRunsFromMemory) {
  TestEnv env;
  const auto instance = env.instance("nostate");
  auto agent = start_agent(env, instance, {"--no-state"});
  ASSERT_NE(agent, nullptr);
  auto st = state_of(env, instance);
  ASSERT_TRUE(st.has_value());
  EXPECT_FALSE((*st)["enabled"].get<bool>()) << st->dump();
  EXPECT_FALSE(fs::exists(env.state_root() + "/" + instance));
}

// Bad state files: each is refused with a message naming the file, moved aside, counted; the
// agent starts fresh and serves.
enum class Damage { kTruncate, kRandomBytes, kOtherFormat, kOtherAbi, kOtherUid };

void damage(const std::string& dir, Damage how, std::mt19937_64& rng, std::string& target) {
  const std::string db = dir + "/state.db";
  const std::string log = dir + "/events.log";
  switch (how) {
    case Damage::kTruncate: {
      target = (rng() & 1) ? db : log;
      const auto size = fs::file_size(target);
      const auto cut = rng() % size;  // anywhere, including 0
      fs::resize_file(target, cut);
      std::cout << "truncated " << target << " from " << size << " to " << cut << " bytes\n";
      break;
    }
    case Damage::kRandomBytes: {
      target = db;
      std::ofstream out(target, std::ios::binary | std::ios::trunc);
      for (int i = 0; i < 8192; ++i) out.put(char(rng()));
      break;
    }
    case Damage::kOtherFormat: {
      // The event log says format 99 (offset 8: format_version).
      target = log;
      std::fstream f(target, std::ios::in | std::ios::out | std::ios::binary);
      const std::uint32_t v = 99;
      f.seekp(8);
      f.write(reinterpret_cast<const char*>(&v), sizeof v);
      break;
    }
    case Damage::kOtherAbi: {
      target = log;  // offset 12: abi_version
      std::fstream f(target, std::ios::in | std::ios::out | std::ios::binary);
      const std::uint32_t v = 77;
      f.seekp(12);
      f.write(reinterpret_cast<const char*>(&v), sizeof v);
      break;
    }
    case Damage::kOtherUid:
      target = db;
      ASSERT_EQ(::chown(target.c_str(), 65534, 65534), 0);
      break;
  }
}

class BadState : public ::testing::TestWithParam<Damage> {};

TEST_P(BadState, IsMovedAsideCountedAndSurvived) {
  if (GetParam() == Damage::kOtherUid && ::geteuid() != 0) {
    GTEST_SKIP() << "changing a file's owner to nobody needs root";
  }
  TestEnv env;
  const auto instance = env.instance("bad");
  const std::string dir = env.state_root() + "/" + instance;
  std::mt19937_64 rng(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    auto agent = start_agent(env, instance);
    ASSERT_NE(agent, nullptr);
    auto lg = spawn_loadgen(env, instance, "before", loadgen_args("kept", 1000, false, 1));
    ASSERT_TRUE(exits_zero(*lg, deadline_in(kExitWait)));
    agent->signal(SIGTERM);
    ASSERT_TRUE(exited_with(agent->wait_exit(deadline_in(15s)), 0)) << agent->describe();

    std::string target;
    damage(dir, GetParam(), rng, target);
    if (::testing::Test::HasFatalFailure()) return;
    agent = start_agent(env, instance);
    ASSERT_NE(agent, nullptr);
    const std::string name = fs::path(target).filename().string();
    EXPECT_TRUE(wait_until([&] { return agent->output().find(name) != std::string::npos; },
                           deadline_in(5s)))
        << "the agent does not name the bad file:\n"
        << agent->describe();
    EXPECT_FALSE(files_with(dir, name + ".bad-").empty()) << "not moved aside: " << name;
    EXPECT_GE(state_number(env, instance, "bad_files"), 1u);
    // It serves: a new client counts exactly.
    const std::string metric = "after_" + std::to_string(round);
    auto after = spawn_loadgen(env, instance, "after", loadgen_args(metric, 500, false, 1));
    EXPECT_TRUE(exits_zero(*after, deadline_in(kExitWait)));
    EXPECT_EQ(metric_total(env, instance, metric), 500u);
    agent->signal(SIGTERM);
    ASSERT_TRUE(agent->wait_exit(deadline_in(15s)).has_value());
    for (const auto& f : files_with(dir, ".bad-")) fs::remove(dir + "/" + f);
  }
}

INSTANTIATE_TEST_SUITE_P(Files, BadState,
                         ::testing::Values(Damage::kTruncate, Damage::kRandomBytes,
                                           Damage::kOtherFormat, Damage::kOtherAbi,
                                           Damage::kOtherUid),
                         [](const auto& info) {
                           switch (info.param) {
                             case Damage::kTruncate:
                               return std::string("Truncated");
                             case Damage::kRandomBytes:
                               return std::string("RandomBytes");
                             case Damage::kOtherFormat:
                               return std::string("OtherFormat");
                             case Damage::kOtherAbi:
                               return std::string("OtherAbi");
                             case Damage::kOtherUid:
                               return std::string("OtherUid");
                           }
                           return std::string("?");
                         });

// A state directory on a tiny tmpfs: the event log cannot be allocated. That is the disk, not
// the content: the agent waits (--state-wait-ms), then refuses clearly with exit 15 and one line
// that names the log and the real cause (ENOSPC, not a stale errno), and moves nothing aside.
TEST(State, FullDiskIsReportedWithItsCauseAndNothingIsMovedAside) {
  if (::geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
  TestEnv env;
  const auto instance = env.instance("full");
  const std::string mnt = env.runtime_dir() + "/tiny";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=96k,mode=0700") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  }
  struct Unmount {
    std::string path;
    ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  auto agent = spawn(env, agent_bin(),
                     {"--instance", instance, "--state-dir", mnt, "--state-wait-ms", "500"});
  const auto status = agent->wait_exit(deadline_in(20s));
  EXPECT_TRUE(exited_with(status, 15)) << agent->describe();
  EXPECT_NE(agent->output().find("STATE: cannot open the state yet"), std::string::npos)
      << agent->describe();
  const std::string err = agent->stderr_text();
  const auto line_at = err.find("shmon-agent: state storage still failing");
  ASSERT_NE(line_at, std::string::npos) << agent->describe();
  const std::string line = err.substr(line_at, err.find('\n', line_at) - line_at);
  EXPECT_NE(line.find("events.log"), std::string::npos) << line;
  EXPECT_NE(line.find("No space left on device"), std::string::npos) << line;
  EXPECT_TRUE(files_with(mnt + "/" + instance, ".bad-").empty());
  EXPECT_TRUE(fs::exists(mnt + "/" + instance + "/state.db"));
}

}  // namespace
}  // namespace shmon::test
