// SPDX-License-Identifier: Apache-2.0
// Durable means durable (issue 17, items 2 and 3): the state store on a disk that is full at
// start, fills while the agent runs, or holds a sparse event log; and state paths that are
// symlinked, foreign, writable by others or unusable. The disk tests mount a few-MB tmpfs and so
// need root (CI runs them as root); elsewhere they are skipped with a message.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include "common.hpp"

namespace shmon::test {
namespace {

namespace fs = std::filesystem;

// shmon-agent's exit codes (shared/include/shmon/limits.hpp; README lists them).
constexpr int kStateUnusable = 14;
constexpr int kStateUnavailable = 15;

// A tmpfs mounted for the test's life.
class Tmpfs {
 public:
  // Empty on success, else why it cannot be mounted (the caller skips).
  std::string mount(const std::string& path, const std::string& size) {
    if (::geteuid() != 0) return "mounting a tmpfs needs root (CI runs these tests as root)";
    fs::create_directories(path);
    const std::string opts = "size=" + size + ",mode=0700";
    if (::mount("tmpfs", path.c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      return std::string("cannot mount a tmpfs here: ") + std::strerror(errno);
    }
    path_ = path;
    return {};
  }
  ~Tmpfs() {
    if (!path_.empty()) ::umount2(path_.c_str(), MNT_DETACH);
  }
  const std::string& path() const { return path_; }

  // Writes a filler file until the file system says ENOSPC; returns that errno (ENOSPC) or
  // another errno if writing failed for something else.
  int fill() {
    const std::string f = path_ + "/filler";
    const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return errno;
    static char block[65536];
    int err = 0;
    for (std::size_t chunk : {sizeof block, std::size_t(4096), std::size_t(1)}) {
      for (;;) {
        const ssize_t n = ::write(fd, block, chunk);
        if (n < 0) {
          err = errno;
          break;
        }
      }
      if (err != ENOSPC) break;
    }
    ::close(fd);
    return err;
  }
  void unfill() { ::unlink((path_ + "/filler").c_str()); }
  // Gives `bytes` back from the filler (the disk stays nearly full).
  void release(std::uint64_t bytes) {
    const std::string f = path_ + "/filler";
    struct stat st {};
    if (::stat(f.c_str(), &st) == 0 && std::uint64_t(st.st_size) > bytes) {
      EXPECT_EQ(::truncate(f.c_str(), off_t(std::uint64_t(st.st_size) - bytes)), 0) << f;
    }
  }

 private:
  std::string path_;
};

std::vector<std::string> bad_files(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string().find(".bad-") != std::string::npos) {
      out.push_back(e.path().filename().string());
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + " ";
  return out;
}

// The agent's own one-line error ("shmon-agent: ..." on stderr), as the lines that carry it.
std::vector<std::string> error_lines(const Child& agent) {
  std::vector<std::string> out;
  const std::string err = agent.stderr_text();
  std::size_t begin = 0;
  while (begin < err.size()) {
    std::size_t end = err.find('\n', begin);
    if (end == std::string::npos) end = err.size();
    const std::string line = err.substr(begin, end - begin);
    if (line.find("shmon-agent: ") != std::string::npos) out.push_back(line);
    begin = end + 1;
  }
  return out;
}

std::unique_ptr<Child> spawn_agent(const TestEnv& env, const std::string& instance,
                                   const std::vector<std::string>& extra) {
  std::vector<std::string> args{"--instance", instance};
  args.insert(args.end(), extra.begin(), extra.end());
  return spawn(env, agent_bin(), args);
}

void stop_agent(std::unique_ptr<Child>& agent) {
  agent->signal(SIGTERM);
  ASSERT_TRUE(exited_with(agent->wait_exit(deadline_in(20s)), 0)) << agent->describe();
}

// Full disk at start: the valid state is kept (nothing moved aside), the agent waits and says
// why; when space returns it starts with the departed totals. With a short --state-wait-ms it
// refuses clearly (exit 15, one line naming the cause) and still moves nothing aside.
TEST(DurableState, FullDiskAtStartKeepsTheStateAndWaitsForSpace) {
  TestEnv env;
  Tmpfs disk;
  if (auto why = disk.mount(env.runtime_dir() + "/disk", "8m"); !why.empty()) GTEST_SKIP() << why;
  const auto instance = env.instance("fullstart");
  const std::string dir = disk.path() + "/" + instance;
  const std::vector<std::string> state{"--state-dir", disk.path(), "--event-log-records", "1024"};
  auto agent = start_agent(env, instance, state);
  ASSERT_NE(agent, nullptr);
  auto lg = spawn_loadgen(env, instance, "kept", loadgen_args("kept", 5000, false, 1));
  ASSERT_TRUE(exits_zero(*lg, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms));
  stop_agent(agent);
  if (HasFatalFailure()) return;

  ASSERT_EQ(disk.fill(), ENOSPC);
  std::vector<std::string> waiting = state;
  waiting.insert(waiting.end(), {"--state-wait-ms", "60000"});
  agent = spawn_agent(env, instance, waiting);
  ASSERT_TRUE(agent->wait_for_line("cannot open the state yet", deadline_in(15s)))
      << agent->describe();
  EXPECT_TRUE(agent->running()) << agent->describe();
  EXPECT_TRUE(bad_files(dir).empty()) << "moved aside on a full disk: " << join(bad_files(dir));
  EXPECT_TRUE(fs::exists(dir + "/state.db"));
  disk.unfill();
  ASSERT_TRUE(agent->wait_for_line("shmon-agent: ready", deadline_in(30s))) << agent->describe();
  EXPECT_EQ(metric_total(env, instance, "kept"), 5000u) << agent->describe();
  stop_agent(agent);
  if (HasFatalFailure()) return;

  // A short wait: a clear refusal, exit 15, nothing moved aside.
  ASSERT_EQ(disk.fill(), ENOSPC);
  std::vector<std::string> short_wait = state;
  short_wait.insert(short_wait.end(), {"--state-wait-ms", "300"});
  agent = spawn_agent(env, instance, short_wait);
  const auto status = agent->wait_exit(deadline_in(20s));
  EXPECT_TRUE(exited_with(status, kStateUnavailable)) << agent->describe();
  const auto lines = error_lines(*agent);
  ASSERT_EQ(lines.size(), 1u) << agent->describe();
  EXPECT_NE(lines[0].find(dir), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("No space left on device"), std::string::npos) << lines[0];
  EXPECT_TRUE(bad_files(dir).empty()) << join(bad_files(dir));
  disk.unfill();
  agent = start_agent(env, instance, state);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(metric_total(env, instance, "kept"), 5000u) << agent->describe();
}

struct Step {
  std::string status;
  std::uint64_t acked = 0;
  std::uint64_t added = 0;
};

// Sends one step to a flush-steps client and reads its answer.
std::optional<Step> step(Child& client, int k) {
  if (!client.write_stdin("step\n")) return std::nullopt;
  const std::string tag = "STEP " + std::to_string(k) + " ";
  if (!client.wait_for_line(tag, deadline_in(20s))) return std::nullopt;
  const std::string out = client.stdout_text();
  const auto at = out.find(tag);
  const std::string line = out.substr(at, out.find('\n', at) - at);
  static const std::regex re(R"(^STEP \d+ (.+) acked=(\d+) added=(\d+)$)");
  std::smatch m;
  if (!std::regex_match(line, m, re)) return std::nullopt;
  return Step{m[1], std::stoull(m[2]), std::stoull(m[3])};
}

// A disk that fills while the agent runs: flushes are answered "not durable" (not ok), and after
// kill -9 (the client gone with it) and a restart nothing that was acknowledged is lost.
TEST(DurableState, DiskFillingWhileRunningAnswersNotDurableAndKeepsWhatWasAcknowledged) {
  TestEnv env;
  Tmpfs disk;
  if (auto why = disk.mount(env.runtime_dir() + "/disk", "8m"); !why.empty()) GTEST_SKIP() << why;
  const auto instance = env.instance("filling");
  const std::vector<std::string> state{"--state-dir", disk.path(), "--event-log-records", "1024"};
  auto agent = start_agent(env, instance, state);
  ASSERT_NE(agent, nullptr);
  auto client = spawn_testclient(env, "flush-steps", instance, "stepper", {"--wait-ms", "10000"});
  ASSERT_TRUE(client->wait_for_line("READY", deadline_in(kConditionWait))) << client->describe();
  int k = 0;
  for (; k < 3; ++k) {
    auto s = step(*client, k);
    ASSERT_TRUE(s.has_value()) << client->describe();
    ASSERT_EQ(s->status, "ok") << client->describe();
  }
  ASSERT_EQ(disk.fill(), ENOSPC);
  std::optional<Step> refused;
  std::uint64_t acked = 3000;
  for (; k < 400 && !refused; ++k) {
    auto s = step(*client, k);
    ASSERT_TRUE(s.has_value()) << client->describe();
    if (s->status == "ok") {
      acked = s->acked;
    } else {
      refused = s;
    }
  }
  ASSERT_TRUE(refused.has_value()) << "every flush was answered ok on a full disk\n"
                                   << agent->describe();
  EXPECT_EQ(refused->status, "not durable") << client->describe();
  EXPECT_EQ(refused->acked, acked);
  const std::uint64_t added = refused->added;
  std::cout << "acknowledged " << acked << " of " << added << " after " << k << " steps\n";

  agent->signal(SIGKILL);
  ASSERT_TRUE(agent->wait_exit(deadline_in(10s)).has_value());
  client->close_stdin();  // its region goes with it: only the store holds its values now
  ASSERT_TRUE(exits_zero(*client, deadline_in(kExitWait)));
  disk.unfill();
  agent = start_agent(env, instance, state);
  ASSERT_NE(agent, nullptr);
  const auto total = metric_total(env, instance, "steps");
  ASSERT_TRUE(total.has_value()) << agent->describe();
  EXPECT_GE(*total, acked) << "an acknowledged flush was lost\n" << agent->describe();
  EXPECT_LE(*total, added);
}

// 16000 events, none dropped (the loadgen waits for ring space).
std::vector<std::string> event_args() {
  auto args = loadgen_args("evfull", 1000, false, 1);
  args.insert(args.end(), {"--events", "16000", "--policy", "wait", "--overflow-wait-ms", "60000"});
  return args;
}

// A sparse event log (as cp --sparse or rsync -S restore it) on a full disk: the agent never
// dies of SIGBUS. It refuses to map a log it cannot allocate (exit 15, naming the log), then
// serves events once space returns.
TEST(DurableState, SparseEventLogOnAFullDiskNeverKillsTheAgent) {
  TestEnv env;
  Tmpfs disk;
  if (auto why = disk.mount(env.runtime_dir() + "/disk", "8m"); !why.empty()) GTEST_SKIP() << why;
  const auto instance = env.instance("sparse");
  const std::string dir = disk.path() + "/" + instance;
  const std::vector<std::string> state{"--state-dir", disk.path(), "--event-log-records", "16384"};
  auto agent = start_agent(env, instance, state);
  ASSERT_NE(agent, nullptr);
  stop_agent(agent);
  if (HasFatalFailure()) return;
  // The restore: a sparse copy put in place of the log.
  const std::string log = dir + "/events.log";
  const auto cp = spawn(env, "/bin/cp", {"--sparse=always", log, log + ".sparse"});
  ASSERT_TRUE(exits_zero(*cp, deadline_in(kExitWait)));
  fs::rename(log + ".sparse", log);
  struct stat st {};
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  ASSERT_LT(std::uint64_t(st.st_blocks) * 512, std::uint64_t(st.st_size) / 2) << "not sparse";
  // Full, but for room enough to open the database (its WAL and shared-memory files): not for
  // the holes of the log.
  ASSERT_EQ(disk.fill(), ENOSPC);
  disk.release(512 * 1024);

  std::vector<std::string> short_wait = state;
  short_wait.insert(short_wait.end(), {"--state-wait-ms", "300"});
  agent = spawn_agent(env, instance, short_wait);
  const bool ready = agent->wait_for_line("shmon-agent: ready", deadline_in(15s));
  if (ready) {
    // An agent that mapped the holes: events written into them must not kill it.
    auto lg = spawn_loadgen(env, instance, "ev", event_args());
    lg->wait_exit(deadline_in(kExitWait));
    agent->wait_exit(deadline_in(2s));
    EXPECT_TRUE(agent->running()) << "the agent died on a sparse event log\n" << agent->describe();
    return;
  }
  const auto status = agent->wait_exit(deadline_in(20s));
  ASSERT_TRUE(status.has_value()) << agent->describe();
  EXPECT_FALSE(WIFSIGNALED(*status)) << agent->describe();
  EXPECT_TRUE(exited_with(status, kStateUnavailable)) << agent->describe();
  const auto lines = error_lines(*agent);
  ASSERT_EQ(lines.size(), 1u) << agent->describe();
  EXPECT_NE(lines[0].find("events.log"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("No space left on device"), std::string::npos) << lines[0];
  EXPECT_TRUE(bad_files(dir).empty()) << join(bad_files(dir));

  // Space returns: the log is allocated, mapped, and takes every event.
  disk.unfill();
  agent = start_agent(env, instance, state);
  ASSERT_NE(agent, nullptr);
  ASSERT_EQ(::stat(log.c_str(), &st), 0);
  EXPECT_GE(std::uint64_t(st.st_blocks) * 512, std::uint64_t(st.st_size)) << "still sparse";
  auto lg = spawn_loadgen(env, instance, "ev", event_args());
  ASSERT_TRUE(exits_zero(*lg, deadline_in(kExitWait)));
  EXPECT_TRUE(wait_until([&] { return status_field(env, instance, "events_received") == 16000u; },
                         deadline_in(kConditionWait), 20ms))
      << agent->describe();
  EXPECT_TRUE(agent->running());
}

// A symlinked state root (/home -> /var/home): resolved and used; the totals survive a restart.
TEST(DurableState, SymlinkedStateRootIsResolvedAndKept) {
  TestEnv env;
  const auto instance = env.instance("symlink");
  const std::string real = env.runtime_dir() + "/var-home/state";
  fs::create_directories(real);
  fs::permissions(env.runtime_dir() + "/var-home", fs::perms::owner_all);
  fs::permissions(real, fs::perms::owner_all);
  const std::string link = env.runtime_dir() + "/home";
  fs::create_directory_symlink(env.runtime_dir() + "/var-home", link);
  const std::vector<std::string> state{"--state-dir", link + "/state"};
  auto agent = start_agent(env, instance, state);
  ASSERT_NE(agent, nullptr);
  auto status = ctl_json(env, instance, "status");
  ASSERT_TRUE(status && status->contains("state")) << agent->describe();
  EXPECT_TRUE((*status)["state"].value("enabled", false)) << status->dump();
  EXPECT_EQ((*status)["state"].value("dir", std::string()), real + "/" + instance)
      << status->dump();
  auto lg = spawn_loadgen(env, instance, "kept", loadgen_args("kept", 2000, false, 1));
  ASSERT_TRUE(exits_zero(*lg, deadline_in(kExitWait)));
  ASSERT_TRUE(
      wait_until([&] { return app_count(env, instance) == 0; }, deadline_in(kConditionWait), 20ms));
  stop_agent(agent);
  if (HasFatalFailure()) return;
  agent = start_agent(env, instance, state);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(metric_total(env, instance, "kept"), 2000u) << agent->describe();
  EXPECT_TRUE(fs::exists(real + "/" + instance + "/state.db"));
}

// Expects the agent to refuse the state directory: exit 14 and one line naming `names`.
void expect_refused(const TestEnv& env, const std::string& instance,
                    const std::vector<std::string>& extra, const std::string& names,
                    const std::string& why) {
  auto agent = spawn_agent(env, instance, extra);
  const auto status = agent->wait_exit(deadline_in(20s));
  EXPECT_TRUE(exited_with(status, kStateUnusable)) << agent->describe();
  EXPECT_EQ(agent->stdout_text().find("ready"), std::string::npos) << agent->describe();
  const auto lines = error_lines(*agent);
  ASSERT_EQ(lines.size(), 1u) << agent->describe();
  EXPECT_NE(lines[0].find(names), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(why), std::string::npos) << lines[0];
}

// A state root owned by another user with mode 0777 is refused (that user could swap the
// instance directory); so is one of ours that others can write.
TEST(DurableState, ForeignOrWorldWritableStateRootIsRefused) {
  TestEnv env;
  const auto instance = env.instance("foreign");
  const std::string open_root = env.runtime_dir() + "/open-root";
  fs::create_directory(open_root);
  ASSERT_EQ(::chmod(open_root.c_str(), 0777), 0);
  expect_refused(env, instance, {"--state-dir", open_root}, open_root, "0777");
  EXPECT_FALSE(fs::exists(open_root + "/" + instance));
  if (::geteuid() != 0) GTEST_SKIP() << "a root owned by another user needs root to make";
  const std::string foreign = env.runtime_dir() + "/foreign-root";
  fs::create_directory(foreign);
  ASSERT_EQ(::chown(foreign.c_str(), 65534, 65534), 0);
  ASSERT_EQ(::chmod(foreign.c_str(), 0777), 0);
  expect_refused(env, instance, {"--state-dir", foreign}, foreign, "owned by uid 65534");
  EXPECT_FALSE(fs::exists(foreign + "/" + instance));
}

// An explicit --state-dir that cannot be used is an error (exit 14, one line naming it), never a
// silent memory-only agent; --no-state is the explicit way to run from memory.
TEST(DurableState, UnusableStateDirIsAnErrorAndNoStateIsTheWayOut) {
  TestEnv env;
  const auto instance = env.instance("unusable");
  const std::string file = env.runtime_dir() + "/not-a-dir";
  { std::ofstream(file) << "x"; }
  expect_refused(env, instance, {"--state-dir", file}, file, "ot a directory");
  auto agent = start_agent(env, instance, {"--state-dir", file, "--no-state"});
  ASSERT_NE(agent, nullptr);
}

}  // namespace
}  // namespace shmon::test
