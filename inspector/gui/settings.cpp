// SPDX-License-Identifier: Apache-2.0
#include "settings.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

#include "shmon/fd.hpp"

namespace shmon::inspector {

std::string config_dir() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && x[0] == '/') {
    return std::string(x) + "/shmon";
  }
  if (const char* h = std::getenv("HOME"); h && h[0]) return std::string(h) + "/.config/shmon";
  return ".shmon";
}

bool read_small_file(const std::string& path, std::size_t max_bytes, std::string& out,
                     std::string* error) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (error) *error = path + ": " + std::strerror(errno);
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    if (error) *error = path + " is not a regular file; ignored";
    return false;
  }
  if (std::uint64_t(st.st_size) > max_bytes) {
    if (error) *error = path + " is larger than " + std::to_string(max_bytes) + " bytes; ignored";
    return false;
  }
  out.assign(std::size_t(st.st_size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += std::size_t(n);
  }
  out.resize(got);  // a file that shrank meanwhile is read as it now is
  return true;
}

bool write_file_atomically(const std::string& path, const std::string& text, std::string* error) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // a stale temporary (or a link planted there) is never written through
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) {
    if (error) *error = "cannot create " + tmp + ": " + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (error) *error = "cannot write " + tmp + ": " + std::strerror(errno);
      ::unlink(tmp.c_str());
      return false;
    }
    done += std::size_t(n);
  }
  fd.reset();
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (error) *error = "cannot rename " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

Settings load_settings(const std::string& dir) {
  Settings s;
  std::string text;
  if (!read_small_file(dir + "/inspector.json", kMaxSettingsFile, text, nullptr)) return s;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return s;
  auto num = [&](const char* k, auto& out, double lo, double hi) {
    if (auto it = j.find(k); it != j.end() && it->is_number()) {
      const double v = it->get<double>();
      if (v >= lo && v <= hi) out = static_cast<std::remove_reference_t<decltype(out)>>(v);
    }
  };
  auto flag = [&](const char* k, bool& out) {
    if (auto it = j.find(k); it != j.end() && it->is_boolean()) out = it->get<bool>();
  };
  num("refresh_hz", s.refresh_hz, kMinRefreshHz, kMaxRefreshHz);
  num("font_scale", s.font_scale, kMinFontScale, kMaxFontScale);  // else 0: automatic
  num("fps_cap", s.fps_cap, kMinFpsCap, kMaxFpsCap);
  num("window_width", s.window_width, kMinWidth, kMaxWidth);
  num("window_height", s.window_height, kMinHeight, kMaxHeight);
  flag("show_agent", s.show_agent);
  flag("show_clients", s.show_clients);
  flag("show_mutex", s.show_mutex);
  flag("show_timeouts", s.show_timeouts);
  flag("show_telemetry", s.show_telemetry);
  flag("show_raw", s.show_raw);
  return s;
}

bool save_settings(const std::string& dir, const Settings& s, std::string* error) {
  // Create the parent (~/.config) and our directory; both may already exist.
  const auto slash = dir.rfind('/');
  if (slash != std::string::npos && slash > 0) ::mkdir(dir.substr(0, slash).c_str(), 0700);
  ::mkdir(dir.c_str(), 0700);
  nlohmann::json j = {{"refresh_hz", s.refresh_hz},
                      {"font_scale", s.font_scale},
                      {"fps_cap", s.fps_cap},
                      {"window_width", s.window_width},
                      {"window_height", s.window_height},
                      {"show_agent", s.show_agent},
                      {"show_clients", s.show_clients},
                      {"show_mutex", s.show_mutex},
                      {"show_timeouts", s.show_timeouts},
                      {"show_telemetry", s.show_telemetry},
                      {"show_raw", s.show_raw}};
  return write_file_atomically(dir + "/inspector.json", j.dump(2) + "\n", error);
}

}  // namespace shmon::inspector
