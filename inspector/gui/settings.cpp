#include "settings.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace shmon::inspector {

std::string config_dir() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && x[0] == '/') {
    return std::string(x) + "/shmon";
  }
  if (const char* h = std::getenv("HOME"); h && h[0]) return std::string(h) + "/.config/shmon";
  return ".shmon";
}

Settings load_settings(const std::string& dir) {
  Settings s;
  std::ifstream in(dir + "/inspector.json");
  if (!in) return s;
  std::stringstream text;
  text << in.rdbuf();
  auto j = nlohmann::json::parse(text.str(), nullptr, false);
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
  num("refresh_hz", s.refresh_hz, 0.2, 60);
  num("font_scale", s.font_scale, 0, 4);
  num("fps_cap", s.fps_cap, 10, 240);
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
                      {"show_agent", s.show_agent},
                      {"show_clients", s.show_clients},
                      {"show_mutex", s.show_mutex},
                      {"show_timeouts", s.show_timeouts},
                      {"show_telemetry", s.show_telemetry},
                      {"show_raw", s.show_raw}};
  const std::string path = dir + "/inspector.json";
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) {
      if (error) *error = "cannot write " + tmp;
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    if (error) *error = "cannot rename " + tmp;
    return false;
  }
  return true;
}

}  // namespace shmon::inspector
