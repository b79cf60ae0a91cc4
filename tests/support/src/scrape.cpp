// SPDX-License-Identifier: Apache-2.0
#include "shmon_test/scrape.hpp"

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <sstream>

#include "shmon_test/deadline.hpp"

namespace shmon::test {

HttpAnswer http_get(const std::string& url,
                    const std::vector<std::pair<std::string, std::string>>& headers,
                    std::chrono::seconds timeout) {
  HttpAnswer a;
  static const std::regex re(R"(^(http://[^/]+)(/.*)$)");
  std::smatch m;
  if (!std::regex_match(url, m, re)) {
    a.error = "not an http URL: " + url;
    return a;
  }
  httplib::Client client(m[1].str());
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  auto res = client.Get(m[2].str(), h);
  if (!res) {
    a.error = "GET " + url + " failed: " + httplib::to_string(res.error());
    return a;
  }
  a.status = res->status;
  a.body = res->body;
  a.content_type = res->get_header_value("Content-Type");
  return a;
}

std::string metrics_url(const Child& agent) {
  static const std::regex re(R"(metrics=(http://\S+))");
  std::smatch m;
  const std::string out = agent.stdout_text();
  return std::regex_search(out, m, re) ? m[1].str() : "";
}

std::string host_port(const std::string& url) {
  static const std::regex re(R"(^http://([^/]+)/.*$)");
  std::smatch m;
  return std::regex_match(url, m, re) ? m[1].str() : "";
}

std::optional<double> sample_value(const std::string& exposition, const std::string& series) {
  std::istringstream in(exposition);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      const std::string v = line.substr(series.size() + 1);
      if (v == "+Inf") return HUGE_VAL;
      try {
        return std::stod(v);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::optional<PromtoolResult> promtool_check(const TestEnv& env, const std::string& exposition) {
  if (::access("/usr/bin/promtool", X_OK) != 0) return std::nullopt;
  SpawnOptions options;
  options.argv = {"/usr/bin/promtool", "check", "metrics"};
  options.env = env.child_env();
  auto child = Child::spawn(options);
  child->write_stdin(exposition);
  child->close_stdin();
  const auto status = child->wait_exit(deadline_in(std::chrono::seconds(30)));
  PromtoolResult r;
  r.output = child->describe();
  r.ok = exited_with(status, 0) && child->output().empty();
  return r;
}

}  // namespace shmon::test
