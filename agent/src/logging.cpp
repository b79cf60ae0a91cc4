// SPDX-License-Identifier: Apache-2.0
#include "logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace shmon::agent {
namespace {

// syslog priorities (sd-daemon(3)): the prefix journald reads and strips.
char syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::critical:
      return '2';
    case spdlog::level::err:
      return '3';
    case spdlog::level::warn:
      return '4';
    case spdlog::level::info:
      return '6';
    default:
      return '7';  // debug, trace
  }
}

// "%*" in a pattern: the line's priority as "<N>".
class PriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const char text[] = {'<', syslog_priority(msg.level), '>'};
    dest.append(text, text + sizeof(text));
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityFlag>();
  }
};

}  // namespace

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  std::uintmax_t dev = 0;
  std::uintmax_t ino = 0;
  char tail = 0;
  if (std::sscanf(stream, "%ju:%ju%c", &dev, &ino, &tail) != 2) return false;
  struct stat st;
  if (::fstat(2, &st) != 0) return false;
  return std::uintmax_t(st.st_dev) == dev && std::uintmax_t(st.st_ino) == ino;
}

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("shmon-agent");
  logger->set_level(spdlog::level::from_str(level));
  if (stderr_is_journal()) {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<PriorityFlag>('*').set_pattern("%*[%t] %v");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
  }
  spdlog::set_default_logger(logger);
}

const char* error_line_prefix() {
  static const bool journal = stderr_is_journal();
  return journal ? "<3>" : "";
}

}  // namespace shmon::agent
