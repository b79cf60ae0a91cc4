// SPDX-License-Identifier: Apache-2.0
// Socket activation and readiness with the real tools: systemd-socket-activate listens on the
// instance's socket and execs shmon-agent with it on the first connection (no systemd PID 1), and
// a datagram socket of the test stands in for systemd's NOTIFY_SOCKET.
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "common.hpp"

namespace shmon::test {
namespace {

constexpr const char* kActivator = "/usr/bin/systemd-socket-activate";
// shmon-agent's exit codes (shared/include/shmon/limits.hpp; the tests see processes only).
constexpr int kAlreadyRunning = 3;
constexpr int kActivationRefused = 7;

std::string socket_file(const TestEnv& env, const std::string& instance) {
  return env.runtime_dir() + "/" + instance + ".sock";
}

// `systemd-socket-activate -l PATH -E VAR... shmon-agent --instance I`: the agent inherits the
// test's environment (SHMON_RUNTIME_DIR, SHMON_STATE_DIR, sanitizer options) through -E.
std::unique_ptr<Child> spawn_activator(const TestEnv& env, const std::string& path,
                                       const std::string& instance) {
  std::vector<std::string> args{"-l", path};
  for (const auto& kv : env.child_env())
    args.insert(args.end(), {"-E", kv.substr(0, kv.find('='))});
  args.insert(args.end(), {agent_bin(), "--instance", instance});
  auto activator = spawn(env, kActivator, args);
  // It prints this once the socket listens; nothing is started before a connection arrives.
  EXPECT_TRUE(activator->wait_for_line("Listening on", deadline_in(10s))) << activator->describe();
  return activator;
}

std::optional<ino_t> inode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return std::nullopt;
  return st.st_ino;
}

// Runs one loadgen adding `increments` and checks that it was acknowledged with exactly that.
::testing::AssertionResult acknowledged(const TestEnv& env, const std::string& instance,
                                        const std::string& name, std::uint64_t increments) {
  auto lg = spawn_loadgen(env, instance, name, loadgen_args("act_hits", increments, false));
  if (auto ok = exits_zero(*lg, deadline_in(kExitWait)); !ok) return ok;
  const std::string want = "acknowledged=" + std::to_string(increments) + " ";
  if (lg->stdout_text().find(want) == std::string::npos) {
    return ::testing::AssertionFailure() << "expected '" << want << "':\n" << lg->describe();
  }
  return ::testing::AssertionSuccess();
}

TEST(SocketActivation, FirstClientStartsTheAgentOnTheInheritedSocketAndTotalsSurviveRestarts) {
  ASSERT_EQ(::access(kActivator, X_OK), 0) << kActivator << " missing: run scripts/setup.sh";
  TestEnv env;
  const auto instance = env.instance("activation");
  const std::string path = socket_file(env, instance);
  auto activated = spawn_activator(env, path, instance);
  const auto inode = inode_of(path);
  ASSERT_TRUE(inode.has_value()) << path << " is not a socket";
  ASSERT_EQ(activated->output().find("shmon-agent"), std::string::npos)
      << "an agent ran before any client came:\n"
      << activated->describe();

  // The loadgen's connect is queued on the activator's socket before any agent exists; the
  // agent that the connection starts serves it and acknowledges the exact total.
  ASSERT_TRUE(acknowledged(env, instance, "first", 12'345)) << activated->describe();
  EXPECT_TRUE(activated->wait_for_line("(activated)", deadline_in(10s))) << activated->describe();
  EXPECT_EQ(inode_of(path), inode) << "the agent replaced the socket file instead of adopting it";
  EXPECT_EQ(metric_total(env, instance, "act_hits"), 12'345u);

  // The instance lock still rules: a second agent is refused and leaves the socket alone.
  auto second = spawn(env, agent_bin(), {"--instance", instance});
  const auto second_status = second->wait_exit(deadline_in(kExitWait));
  EXPECT_TRUE(exited_with(second_status, kAlreadyRunning)) << second->describe();
  EXPECT_NE(second->stderr_text().find("already served by shmon-agent pid"), std::string::npos)
      << second->describe();
  EXPECT_EQ(inode_of(path), inode);

  // SIGTERM (what systemd sends) stops it cleanly; the socket file stays for the next activation.
  activated->signal(SIGTERM);
  EXPECT_TRUE(exits_zero(*activated, deadline_in(kExitWait)));
  EXPECT_TRUE(inode_of(path).has_value()) << "the activated agent removed systemd's socket file";

  // The next activation serves clients again with the cumulative totals intact.
  auto again = spawn_activator(env, path, instance);
  ASSERT_TRUE(acknowledged(env, instance, "second", 655)) << again->describe();
  EXPECT_EQ(metric_total(env, instance, "act_hits"), 13'000u) << again->describe();
  again->signal(SIGTERM);
  EXPECT_TRUE(exits_zero(*again, deadline_in(kExitWait)));
}

TEST(SocketActivation, SocketOfAnotherPathIsRefusedWithOneLine) {
  ASSERT_EQ(::access(kActivator, X_OK), 0) << kActivator << " missing: run scripts/setup.sh";
  TestEnv env;
  const auto instance = env.instance("wrongpath");
  const std::string wrong = env.runtime_dir() + "/elsewhere.sock";
  auto activated = spawn_activator(env, wrong, instance);
  // Any connection starts the agent; this one is not served (a bare connect, no attach).
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, wrong.c_str(), sizeof(addr.sun_path) - 1);
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    const int err = errno;
    ::close(fd);
    ASSERT_EQ(rc, 0) << std::strerror(err);
  }
  const auto status = activated->wait_exit(deadline_in(kExitWait));
  EXPECT_TRUE(exited_with(status, kActivationRefused)) << activated->describe();
  EXPECT_NE(activated->stderr_text().find("not to this instance's " + socket_file(env, instance)),
            std::string::npos)
      << activated->describe();
  EXPECT_FALSE(inode_of(socket_file(env, instance)).has_value());
}

// A datagram socket in the test's runtime directory plays systemd's NOTIFY_SOCKET.
class NotifyListener {
 public:
  explicit NotifyListener(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    ok_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifyListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return ok_; }
  // Every message until one contains `needle` (-> true) or the deadline passes (-> false).
  bool wait_for(const std::string& needle, Deadline deadline) {
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, ms_left(deadline)) <= 0) return false;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) continue;
      received_ += std::string(buf, std::size_t(n)) + "\n--\n";
      if (std::string(buf, std::size_t(n)).find(needle) != std::string::npos) return true;
    }
  }
  const std::string& received() const { return received_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool ok_ = false;
  std::string received_;
};

TEST(SocketActivation, AgentReportsReadinessAndStatusToTheNotifySocket) {
  TestEnv env;
  const auto instance = env.instance("notify");
  NotifyListener notify(env.runtime_dir() + "/notify");
  ASSERT_TRUE(notify.ok()) << std::strerror(errno);
  SpawnOptions options;
  options.argv = {agent_bin(), "--instance", instance};
  options.env = env.child_env();
  options.env.push_back("NOTIFY_SOCKET=" + env.runtime_dir() + "/notify");
  auto agent = Child::spawn(options);
  ASSERT_TRUE(notify.wait_for("READY=1", deadline_in(kConditionWait)))
      << notify.received() << agent->describe();

  // A client arrives: the once-a-second status line counts it.
  auto lg = spawn_loadgen(env, instance, "held", loadgen_args("notify_hits", 10, true));
  EXPECT_TRUE(lg->wait_for_line("status=ok", deadline_in(kConditionWait))) << lg->describe();
  EXPECT_TRUE(notify.wait_for("STATUS=1 clients connected", deadline_in(kConditionWait)))
      << notify.received() << agent->describe();
  lg->close_stdin();
  EXPECT_TRUE(exits_zero(*lg, deadline_in(kExitWait)));

  agent->signal(SIGTERM);
  EXPECT_TRUE(notify.wait_for("STOPPING=1", deadline_in(kConditionWait))) << notify.received();
  EXPECT_TRUE(exits_zero(*agent, deadline_in(kExitWait)));
}

}  // namespace
}  // namespace shmon::test
