// SPDX-License-Identifier: Apache-2.0
// Resolving ProbeOptions: environment defaults and validation. An invalid value never fails the
// probe; it falls back to a safe default and the reason ends up in last_error().
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "probe_core.hpp"
#include "shmon/names.hpp"

namespace shmon::detail {
namespace {

constexpr const char* kFallbackClientName = "shmon-client";

std::string env_or(const char* var, const std::string& fallback) {
  const char* v = std::getenv(var);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

std::string program_name() {
  char buf[64] = {};
  const int fd = ::open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return kFallbackClientName;
  const ssize_t n = ::read(fd, buf, sizeof(buf) - 1);
  ::close(fd);
  if (n <= 0) return kFallbackClientName;
  std::string name(buf, std::size_t(n));
  while (!name.empty() && (name.back() == '\n' || name.back() == '\0')) name.pop_back();
  return name.empty() ? kFallbackClientName : name;
}

void append(std::string& error, const std::string& sentence) {
  if (!error.empty()) error += "; ";
  error += sentence;
}

}  // namespace

ResolvedOptions resolve_options(const ProbeOptions& o) {
  ResolvedOptions r;
  r.instance = resolve_instance_name(o.instance);
  if (auto err = check_instance_name(r.instance)) {
    append(r.error, "invalid instance name (" + *err + "); using '" + kDefaultInstance + "'");
    r.instance = kDefaultInstance;
  }
  r.name = !o.name.empty() ? o.name : env_or("SHMON_CLIENT_NAME", program_name());
  if (auto err = check_client_name(r.name)) {
    append(r.error, "invalid client name (" + *err + "); using '" + kFallbackClientName + "'");
    r.name = kFallbackClientName;
  }
  r.kind = o.kind;
  if (r.kind != ClientKind::kApp && r.kind != ClientKind::kTool &&
      r.kind != ClientKind::kInspector) {
    r.kind = ClientKind::kApp;
  }
  r.params = o.params;
  r.background_connect = o.background_connect;
  r.lock_timeout_ms = o.lock_timeout_ms;
  r.done_timeout_ms = o.done_timeout_ms;
  r.overflow = o.overflow;
  r.overflow_wait_ms = o.overflow_wait_ms;
  r.max_label_sets_per_metric = o.max_label_sets_per_metric;
  r.max_labelled_series = o.max_labelled_series;
  return r;
}

}  // namespace shmon::detail
