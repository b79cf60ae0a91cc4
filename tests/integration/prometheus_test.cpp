// SPDX-License-Identifier: Apache-2.0
// The agent's /metrics endpoint against real clients, promtool, hostile HTTP peers and a real
// Prometheus server (docs/PROMETHEUS.md).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "common.hpp"
#include "shmon_test/scrape.hpp"

namespace shmon::test {
namespace {

const std::vector<std::string> kAnyPort = {"--no-state", "--metrics-listen", "127.0.0.1:0"};

std::vector<std::string> agent_args(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = kAnyPort;
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::string scrape(const std::string& url, bool openmetrics = false) {
  const auto a = openmetrics
                     ? http_get(url, {{"Accept", "application/openmetrics-text; version=1.0.0"}})
                     : http_get(url);
  EXPECT_EQ(a.status, 200) << a.error << a.body;
  return a.body;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// promtool does not notice a series exported twice (Prometheus would drop the second sample):
// every sample line's name and labels must be unique.
::testing::AssertionResult series_unique(const std::string& body) {
  std::set<std::string> seen;
  std::istringstream in(body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::string series = line.substr(0, line.rfind(' '));
    if (!seen.insert(series).second) {
      return ::testing::AssertionFailure() << "series exported twice: " << series;
    }
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult promtool_accepts(const TestEnv& env, const std::string& body) {
  if (auto unique = series_unique(body); !unique) return unique;
  const auto r = promtool_check(env, body);
  if (!r) return ::testing::AssertionSuccess() << "promtool missing (scripts/setup.sh)";
  if (r->ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "promtool check metrics refused:\n"
                                       << r->output << "\n--- exposition:\n"
                                       << body;
}

TEST(Prometheus, EmptyAgentScrapeIsValid) {
  TestEnv env;
  const std::string instance = env.instance();
  auto agent = start_agent(env, instance, agent_args());
  ASSERT_TRUE(agent);
  const std::string url = metrics_url(*agent);
  ASSERT_FALSE(url.empty()) << agent->describe();
  const auto a = http_get(url);
  ASSERT_EQ(a.status, 200) << a.error;
  EXPECT_EQ(a.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(sample_value(a.body, "shmon_clients_connected"), 0.0);
  EXPECT_TRUE(promtool_accepts(env, a.body));
  const std::string om = scrape(url, true);
  EXPECT_TRUE(om.ends_with("# EOF\n")) << om;
  EXPECT_NE(om.find("# TYPE shmon_requests counter\nshmon_requests_total "), std::string::npos)
      << om;
}

// An agent exporting per-client series too, and two clients of shmon-testclient `mode`: PREFIX-gone
// left at once (its values are departed totals), PREFIX-live stays until its stdin closes.
struct DepartedAndLive {
  std::unique_ptr<Child> agent, live;
  std::string url;
};
void start_departed_and_live(const TestEnv& env, const std::string& instance,
                             const std::string& mode, const std::string& prefix,
                             DepartedAndLive& out) {
  out.agent = start_agent(env, instance, agent_args({"--metrics-per-client"}));
  ASSERT_TRUE(out.agent);
  out.url = metrics_url(*out.agent);
  ASSERT_FALSE(out.url.empty()) << out.agent->describe();
  auto gone = spawn_testclient(env, mode, instance, prefix + "-gone", {"--variant", "exit"});
  ASSERT_TRUE(exits_zero(*gone, deadline_in(kExitWait))) << gone->describe();
  out.live = spawn_testclient(env, mode, instance, prefix + "-live", {"--variant", "hold"});
  ASSERT_TRUE(out.live->wait_for_line("READY", deadline_in(kConditionWait)))
      << out.live->describe();
}

TEST(Prometheus, EveryKindLiveAndDepartedIsExportedOnceAndValid) {
  TestEnv env;
  const std::string instance = env.instance();
  DepartedAndLive run;
  ASSERT_NO_FATAL_FAILURE(start_departed_and_live(env, instance, "exposition-mix", "mix", run));
  const auto& agent = run.agent;
  const auto& live = run.live;
  const std::string& url = run.url;

  std::string body;
  ASSERT_TRUE(wait_until(
      [&] {
        body = scrape(url);
        return sample_value(body, "http_requests_total") == 2468.0 &&
               sample_value(body, "latency_seconds_count") == 8.0;
      },
      deadline_in(kConditionWait)))
      << body;
  EXPECT_TRUE(promtool_accepts(env, body));
  // Names, units and values (docs/PROMETHEUS.md).
  EXPECT_EQ(sample_value(body, "bytes_sent_bytes_total"), 8192.0);
  EXPECT_EQ(sample_value(body, "cache_hits_total"), 4.0);  // cache.hits; cache_hits collided
  EXPECT_EQ(body.find("hidden"), std::string::npos);
  EXPECT_EQ(sample_value(body, "queue_depth"), 3.5);        // gauges: live clients only
  EXPECT_EQ(sample_value(body, "room_temperature"), 21.0);  // unknown unit: no suffix
  EXPECT_EQ(sample_value(body, "latency_seconds_bucket{le=\"1e-06\"}"), 2.0);
  EXPECT_EQ(sample_value(body, "latency_seconds_bucket{le=\"0.001\"}"), 6.0);
  EXPECT_EQ(sample_value(body, "latency_seconds_bucket{le=\"+Inf\"}"), 8.0);
  EXPECT_NEAR(*sample_value(body, "latency_seconds_sum"), 2 * 2055500e-9, 1e-12);
  // Events by level; the type's own total is not a series of its own (it is their sum).
  EXPECT_EQ(sample_value(body, "job_done_events_total{level=\"info\"}"), 4.0);
  EXPECT_EQ(sample_value(body, "job_done_events_total{level=\"error\"}"), 2.0);
  EXPECT_EQ(sample_value(body, "job_done_events_total{level=\"warn\"}"), 0.0);
  EXPECT_EQ(sample_value(body, "job_done_events_total"), std::nullopt);
  EXPECT_EQ(body.find("level=\"unknown\""), std::string::npos);
  EXPECT_EQ(sample_value(body, "shmon_exposition_skipped_metrics_total"), 2.0);
  EXPECT_EQ(count_of(body, "# TYPE http_requests_total counter"), 1u);
  // Per-client series: the live client only.
  EXPECT_NE(body.find("http_requests_by_client_total{client=\"mix-live\""), std::string::npos);
  EXPECT_EQ(body.find("client=\"mix-gone\""), std::string::npos);

  const std::string om = scrape(url, true);
  EXPECT_TRUE(om.ends_with("# EOF\n"));
  EXPECT_NE(om.find("# TYPE http_requests counter\n"), std::string::npos) << om;
  EXPECT_NE(om.find("# UNIT latency_seconds seconds\n"), std::string::npos) << om;
  EXPECT_NE(om.find("# UNIT bytes_sent_bytes bytes\n"), std::string::npos) << om;

  // The live client leaves: no counter goes backwards, and each skipped name was logged once.
  live->close_stdin();
  ASSERT_TRUE(exits_zero(*live, deadline_in(kExitWait)));
  ASSERT_TRUE(wait_until(
      [&] {
        body = scrape(url);
        return sample_value(body, "shmon_clients_connected") == 0.0;
      },
      deadline_in(kConditionWait)))
      << body;
  EXPECT_EQ(sample_value(body, "http_requests_total"), 2468.0);
  EXPECT_EQ(sample_value(body, "latency_seconds_count"), 8.0);
  EXPECT_EQ(sample_value(body, "job_done_events_total{level=\"info\"}"), 4.0);
  EXPECT_TRUE(promtool_accepts(env, body));
  EXPECT_EQ(count_of(agent->output(), "is not exported to Prometheus"), 2u) << agent->output();
}

// Labels (docs/PROMETHEUS.md "Labels"): each label set is one series, summed over clients live and
// departed, exported with its labels (and the client's, per client), valid for promtool; the
// tools show, filter and group them.
TEST(Prometheus, LabelledSeriesAreSummedExportedAndSelectable) {
  TestEnv env;
  const std::string instance = env.instance();
  DepartedAndLive run;
  ASSERT_NO_FATAL_FAILURE(start_departed_and_live(env, instance, "labelled", "lab", run));
  const auto& live = run.live;
  const std::string& url = run.url;

  const std::string get = R"(http_requests_total{code="200",method="GET"})";
  std::string body;
  ASSERT_TRUE(wait_until(
      [&] {
        body = scrape(url);
        return sample_value(body, get) == 20.0 &&
               sample_value(body, R"(latency_seconds_count{op="read"})") == 4.0;
      },
      deadline_in(kConditionWait)))
      << body;
  EXPECT_TRUE(promtool_accepts(env, body));
  EXPECT_EQ(sample_value(body, R"(http_requests_total{code="500",method="POST"})"), 6.0);
  EXPECT_EQ(sample_value(body, "http_requests_total"), 2.0);            // the unlabelled series
  EXPECT_EQ(count_of(body, "# TYPE http_requests_total counter"), 1u);  // one family
  EXPECT_EQ(sample_value(body, R"(queue_depth{queue="a"})"), 2.5);      // gauges: live clients only
  EXPECT_EQ(sample_value(body, R"(latency_seconds_bucket{op="read",le="1e-05"})"), 2.0);
  EXPECT_EQ(sample_value(body, R"(latency_seconds_bucket{op="read",le="+Inf"})"), 4.0);
  EXPECT_NE(body.find(R"(http_requests_by_client_total{code="200",method="GET",client="lab-live")"),
            std::string::npos)
      << body;
  EXPECT_EQ(body.find("le=\"1\"}"), std::string::npos);  // the refused set is nowhere
  EXPECT_EQ(sample_value(body, "shmon_live_clients_label_sets_refused"), 1.0);
  const std::string om = scrape(url, true);
  EXPECT_NE(om.find(R"(http_requests_total{code="200",method="GET"} 20)"), std::string::npos) << om;

  // shmonctl: labels in the answer, selection by label, grouping.
  const auto all = ctl_json(env, instance, "metrics");
  ASSERT_TRUE(all) << "metrics --json failed";
  bool seen = false;
  for (const auto& m : *all) {
    if (m.value("name", "") != R"(http.requests{code="200",method="GET"})") continue;
    seen = true;
    EXPECT_EQ(m.value("metric", ""), "http.requests");
    EXPECT_EQ(m["labels"], (nlohmann::json{{"code", "200"}, {"method", "GET"}}));
    EXPECT_EQ(m.value("total", 0.0), 20.0);
  }
  EXPECT_TRUE(seen) << all->dump();
  const auto rows = [&](std::vector<std::string> args) {
    std::vector<std::string> full{"metrics", "http.requests", "--json"};
    full.insert(full.end(), args.begin(), args.end());
    const CtlRun r = run_ctl(env, instance, full);
    EXPECT_TRUE(exited_with(r.status, 0)) << r.describe;
    return nlohmann::json::parse(r.out, nullptr, false);
  };
  const auto only_get = rows({"--label", "method=GET"});
  ASSERT_EQ(only_get.size(), 1u) << only_get.dump();
  EXPECT_EQ(only_get[0].value("total", 0.0), 20.0);
  const auto by_code = rows({"--group-by", "code"});
  std::set<std::string> groups;  // 200, 500 and the unlabelled series
  for (const auto& row : by_code) groups.insert(row.value("name", ""));
  EXPECT_EQ(groups, (std::set<std::string>{"http.requests", R"(http.requests{code="200"})",
                                           R"(http.requests{code="500"})"}))
      << by_code.dump();
  const auto summed = rows({"--sum"});
  ASSERT_EQ(summed.size(), 1u) << summed.dump();
  EXPECT_EQ(summed[0].value("total", 0.0), 28.0);
  const CtlRun table = run_ctl(env, instance, {"metrics", "--label", "code=500"});
  EXPECT_TRUE(exited_with(table.status, 0)) << table.describe;
  EXPECT_NE(table.out.find(R"(http.requests{code="500",method="POST"})"), std::string::npos)
      << table.out;
  EXPECT_EQ(table.out.find("GET"), std::string::npos) << table.out;
  const CtlRun none = run_ctl(env, instance, {"metrics", "--label", "code=404"});
  EXPECT_TRUE(exited_with(none.status, 5)) << none.describe;
  const CtlRun bad = run_ctl(env, instance, {"metrics", "--label", "1x=2"});
  EXPECT_TRUE(exited_with(bad.status, 2)) << bad.describe;
  EXPECT_NE(bad.err.find("label name"), std::string::npos) << bad.err;
  const auto apps = app_clients(env, instance);
  ASSERT_TRUE(apps && apps->size() == 1u);
  EXPECT_EQ((*apps)[0].value("label_sets_refused", 0u), 1u) << apps->dump();
  live->close_stdin();
  ASSERT_TRUE(exits_zero(*live, deadline_in(kExitWait)));
}

TEST(Prometheus, DisabledByAnEmptyAddressAndBadAddressIsAUsageError) {
  TestEnv env;
  auto agent = start_agent(env, env.instance(), {"--no-state", "--metrics-listen", ""});
  ASSERT_TRUE(agent);
  EXPECT_NE(agent->stdout_text().find("metrics=off"), std::string::npos) << agent->describe();
  auto bad = spawn(env, agent_bin(), {"--instance", env.instance(), "--metrics-listen", "nope"});
  const auto status = bad->wait_exit(deadline_in(kExitWait));
  EXPECT_TRUE(exited_with(status, 2)) << bad->describe();
  EXPECT_NE(bad->stderr_text().find("invalid --metrics-listen"), std::string::npos);
}

// Why the last connect_to failed.
std::string connect_error;

// A raw TCP connection to the endpoint (-1 on failure, the reason in connect_error).
int connect_to(const std::string& url) {
  const std::string hp = host_port(url);
  const int port = std::stoi(hp.substr(hp.rfind(':') + 1));
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(std::uint16_t(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    connect_error = std::string(fd < 0 ? "socket: " : "connect: ") + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  return fd;
}

// What the peer sends until it closes (or the deadline), as text.
std::string read_until_closed(int fd, Deadline deadline) {
  std::string out;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms_left(deadline)) <= 0) return out + "<timeout>";
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, std::size_t(n));
  }
}

std::string raw_request(const std::string& url, const std::string& request) {
  const int fd = connect_to(url);
  if (fd < 0) return "<connect failed>";
  // A peer that stops reading may see its write cut by the server's answer: that is fine.
  (void)!::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer = read_until_closed(fd, deadline_in(kConditionWait));
  ::close(fd);
  return answer;
}

TEST(Prometheus, HostileHttpGetsErrorsOrIsDroppedWhileTheAgentCountsExactly) {
  TestEnv env;
  const std::string instance = env.instance();
  auto agent = start_agent(env, instance, agent_args());
  ASSERT_TRUE(agent);
  const std::string url = metrics_url(*agent);
  ASSERT_FALSE(url.empty()) << agent->describe();
  constexpr std::uint64_t kIncrements = 3'000'000;
  auto loadgen = spawn_loadgen(env, instance, "steady", loadgen_args("steady", kIncrements, false));

  const std::string base = url.substr(0, url.rfind('/'));
  EXPECT_EQ(http_get(base + "/other").status, 404);
  EXPECT_EQ(http_get(base + "/").status, 404);
  EXPECT_TRUE(raw_request(url, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                  .starts_with("HTTP/1.1 405"));
  EXPECT_TRUE(raw_request(url, "GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400"));
  // Huge headers: one 64 KiB header gets an error; endless 1 KiB header lines are cut off long
  // before 256 MiB (a head may have 16 KiB).
  const std::string big_header =
      raw_request(url, "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(65536, 'a') + "\r\n\r\n");
  EXPECT_TRUE(big_header.starts_with("HTTP/1.1 4")) << big_header.substr(0, 200);
  {
    const int fd = connect_to(url);
    ASSERT_GE(fd, 0) << connect_error << "\n" << agent->describe();
    std::string chunk = "GET /metrics HTTP/1.1\r\n";
    for (int i = 0; i < 64; ++i) chunk += "X-Pad: " + std::string(1015, 'b') + "\r\n";
    std::uint64_t sent = 0;
    while (sent < (std::uint64_t(256) << 20)) {
      const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += std::uint64_t(n);
    }
    EXPECT_LT(sent, std::uint64_t(256) << 20) << "endless headers were never cut off";
    ::close(fd);
  }

  // Slowloris: more slow peers than workers, each sending a byte now and then.
  std::vector<int> slow;
  for (int i = 0; i < 6; ++i) {
    const int fd = connect_to(url);
    ASSERT_GE(fd, 0) << "slow peer " << i << ": " << connect_error << "\n" << agent->describe();
    ASSERT_EQ(::send(fd, "GET /metrics HTTP/1.1\r\n", 23, MSG_NOSIGNAL), 23);
    slow.push_back(fd);
  }
  // 1,000 concurrent connections, each sending a whole request once connected. Those the
  // workers, queue and kernel backlog cannot take wait or are dropped; none may hurt the agent.
  const std::string hp = host_port(url);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(std::uint16_t(std::stoi(hp.substr(hp.rfind(':') + 1))));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::vector<pollfd> crowd;
  for (int i = 0; i < 1000; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ASSERT_GE(fd, 0);
    (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    crowd.push_back({fd, POLLOUT, 0});
  }
  const std::string get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  std::size_t answered = 0;
  const Deadline crowd_end = deadline_in(std::chrono::seconds(10));
  while (Clock::now() < crowd_end && answered < crowd.size()) {
    if (::poll(crowd.data(), crowd.size(), 100) <= 0) continue;
    for (pollfd& p : crowd) {
      if (p.fd < 0 || p.revents == 0) continue;
      if ((p.revents & POLLOUT) != 0 && p.events == POLLOUT) {
        (void)!::send(p.fd, get.data(), get.size(), MSG_NOSIGNAL);
        p.events = POLLIN;
      } else if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        char buf[16] = {};
        if (::read(p.fd, buf, sizeof buf - 1) > 0 &&
            std::string_view(buf).starts_with("HTTP/1.1 200"))
          ++answered;
        ::close(p.fd);
        p.fd = -1;
      }
    }
  }
  for (pollfd& p : crowd) {
    if (p.fd >= 0) ::close(p.fd);
  }
  EXPECT_GT(answered, 0u) << "no connection of the crowd was answered";
  // Every slow peer is cut: its head is not whole 2 s after the accept (plus a 50 ms tick and
  // slack), or a newcomer pushed it out.
  const Deadline cut_by = deadline_in(std::chrono::seconds(15));
  for (int fd : slow) {
    bool closed = false;
    while (!closed && Clock::now() < cut_by) {
      (void)!::send(fd, "X", 1, MSG_NOSIGNAL);
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 500) > 0) {
        char buf[256];
        closed = ::read(fd, buf, sizeof buf) <= 0;
      }
    }
    EXPECT_TRUE(closed) << "a slowloris connection outlived the deadline";
    ::close(fd);
  }

  // The endpoint serves again and the agent lost nothing.
  ASSERT_TRUE(exits_zero(*loadgen, deadline_in(kExitWait)));
  std::string body;
  ASSERT_TRUE(wait_until(
      [&] {
        const auto a = http_get(url);
        body = a.body;
        return a.status == 200 && sample_value(body, "steady_total") == double(kIncrements);
      },
      deadline_in(kConditionWait)))
      << body;
  EXPECT_EQ(metric_total(env, instance, "steady"), kIncrements);
  // The slow peers were cut (late heads).
  EXPECT_GE(sample_value(body, "shmon_http_connections_cut_total").value_or(0), 6.0);
  EXPECT_GE(sample_value(body, "shmon_http_errors_total").value_or(0), 4.0);
  EXPECT_TRUE(agent->running());
}

// Sockets listening on TCP `port` (any address), from /proc/net/tcp and tcp6.
int listeners_on(int port) {
  int n = 0;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const auto colon = local.rfind(':');
      if (state == "0A" && colon != std::string::npos &&
          std::stoi(local.substr(colon + 1), nullptr, 16) == port)
        ++n;
    }
  }
  return n;
}

// Issue 18: a second agent given the address another agent serves must not listen there too
// (SO_REUSEPORT would let the kernel split the scrapes between them): one listener, one line in
// the second agent's log naming the address, the second agent serves its instance without
// /metrics, and every scrape reaches the first agent.
TEST(Prometheus, SecondAgentOnABusyPortWarnsOnceAndTakesNoScrapes) {
  TestEnv env;
  const std::string first = env.instance("port-first");
  auto a = start_agent(env, first, agent_args());
  ASSERT_TRUE(a);
  const std::string url = metrics_url(*a);
  ASSERT_FALSE(url.empty()) << a->describe();
  const std::string hp = host_port(url);
  const int port = std::stoi(hp.substr(hp.rfind(':') + 1));
  auto only_first = spawn_loadgen(env, first, "mark", loadgen_args("first_only", 5, false));
  ASSERT_TRUE(exits_zero(*only_first, deadline_in(kExitWait)));
  ASSERT_TRUE(wait_until([&] { return metric_total(env, first, "first_only") == 5; },
                         deadline_in(kConditionWait), 20ms));

  const std::string second = env.instance("port-second");
  auto b = start_agent(env, second, {"--no-state", "--metrics-listen", hp});
  ASSERT_TRUE(b);
  EXPECT_NE(b->stdout_text().find("metrics=off"), std::string::npos) << b->describe();
  EXPECT_EQ(listeners_on(port), 1);
  const std::string busy = "cannot listen on " + hp + ": Address already in use";
  EXPECT_EQ(count_of(b->output(), busy), 1u) << b->describe();
  EXPECT_EQ(count_of(b->output(), "/metrics is off"), 1u) << b->describe();
  // The second agent serves its instance all the same.
  const auto status = ctl_json(env, second, "status");
  ASSERT_TRUE(status.has_value()) << b->describe();

  for (int i = 0; i < 20; ++i) {
    const std::string body = scrape(url);
    EXPECT_EQ(sample_value(body, "first_only_total"), 5.0) << "scrape " << i << ":\n" << body;
  }
  EXPECT_TRUE(b->running()) << b->describe();
}

// Polls Prometheus's query API for `query` until its single value satisfies `ok`.
std::optional<double> prom_query(const std::string& prom, const std::string& query) {
  std::string q;
  for (unsigned char c : query) {
    if (std::isalnum(c) != 0 || c == '_' || c == '.') {
      q += char(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      q += hex;
    }
  }
  const auto a = http_get(prom + "/api/v1/query?query=" + q, {}, std::chrono::seconds(5));
  if (a.status != 200) return std::nullopt;
  const auto j = nlohmann::json::parse(a.body, nullptr, false);
  if (j.is_discarded() || j.value("status", "") != "success") return std::nullopt;
  const auto& result = j["data"]["result"];
  if (!result.is_array() || result.size() != 1) return std::nullopt;
  return std::stod(result[0]["value"][1].get<std::string>());
}

TEST(Prometheus, RealServerSumsTwoInstancesAndAgreesOnQuantiles) {
  if (::access("/usr/bin/prometheus", X_OK) != 0) {
    GTEST_SKIP() << "/usr/bin/prometheus missing: scripts/setup.sh installs it";
  }
  TestEnv env;
  const std::string a_instance = env.instance("a");
  const std::string b_instance = env.instance("b");
  auto a = start_agent(env, a_instance, agent_args());
  auto b = start_agent(env, b_instance, agent_args());
  ASSERT_TRUE(a && b);
  const std::string a_url = metrics_url(*a);
  const std::string b_url = metrics_url(*b);
  ASSERT_FALSE(a_url.empty() || b_url.empty());

  // Loadgens in both instances; they finish, so the totals are final.
  constexpr std::uint64_t kA = 1'500'000, kB = 700'001;
  auto la = spawn_loadgen(env, a_instance, "la",
                          {"--threads", "2", "--counter", "jobs", "--increments",
                           std::to_string(kA), "--histogram", "batch_ns"});
  auto lb = spawn_loadgen(env, b_instance, "lb",
                          {"--threads", "1", "--counter", "jobs", "--increments",
                           std::to_string(kB), "--histogram", "batch_ns"});
  ASSERT_TRUE(exits_zero(*la, deadline_in(kExitWait)));
  ASSERT_TRUE(exits_zero(*lb, deadline_in(kExitWait)));

  const std::string dir = env.runtime_dir() + "/prometheus";
  const int port = free_tcp_port();
  ASSERT_GT(port, 0);
  {
    std::ofstream cfg(env.runtime_dir() + "/prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        << "scrape_configs:\n  - job_name: shmon\n    static_configs:\n"
        << "      - targets: ['" << host_port(a_url) << "', '" << host_port(b_url) << "']\n";
  }
  SpawnOptions options;
  options.argv = {"/usr/bin/prometheus", "--config.file=" + env.runtime_dir() + "/prometheus.yml",
                  "--storage.tsdb.path=" + dir,
                  "--web.listen-address=127.0.0.1:" + std::to_string(port), "--log.level=warn"};
  options.env = env.child_env();
  auto prom = Child::spawn(options);
  const std::string prom_url = "http://127.0.0.1:" + std::to_string(port);

  std::optional<double> sum;
  ASSERT_TRUE(wait_until(
      [&] {
        sum = prom_query(prom_url, "sum(jobs_total)");
        return sum == double(kA + kB);
      },
      deadline_in(kConditionWait), std::chrono::milliseconds(200)))
      << "sum(jobs_total) = " << (sum ? std::to_string(*sum) : "none") << "\n"
      << prom->describe();

  // histogram_quantile over the exported buckets against the agent's own p50 and p99.
  const auto metrics = ctl_json(env, a_instance, "metrics");
  ASSERT_TRUE(metrics);
  nlohmann::json hist;
  for (const auto& m : *metrics) {
    if (m["name"] == "batch_ns") hist = m;
  }
  ASSERT_TRUE(hist.is_object()) << metrics->dump();
  const auto bounds = hist["bounds"].get<std::vector<std::int64_t>>();
  for (const double q : {0.5, 0.99}) {
    const double agent_ns = hist[q == 0.5 ? "p50" : "p99"].get<double>();
    std::optional<double> prom_s;
    ASSERT_TRUE(wait_until(
        [&] {
          prom_s = prom_query(prom_url, "histogram_quantile(" + std::to_string(q) +
                                            ", batch_seconds_bucket{instance=\"" +
                                            host_port(a_url) + "\"})");
          return prom_s.has_value();
        },
        deadline_in(kConditionWait), std::chrono::milliseconds(200)));
    // The width of the bucket that holds the agent's answer.
    std::size_t i = 0;
    while (i + 1 < bounds.size() && double(bounds[i]) < agent_ns) ++i;
    const double width = double(bounds[i]) - (i == 0 ? 0.0 : double(bounds[i - 1]));
    EXPECT_LE(std::fabs(*prom_s * 1e9 - agent_ns), width)
        << "q=" << q << " prometheus " << *prom_s * 1e9 << " ns, agent " << agent_ns << " ns";
  }
}

}  // namespace
}  // namespace shmon::test
