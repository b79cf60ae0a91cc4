// SPDX-License-Identifier: Apache-2.0
// Mutex: the holder now, the wait distribution (log scale) and waits over time, in total and per
// client, with lease revocations and dead-owner releases marked.
#include <unistd.h>

#include <algorithm>

#include "format.hpp"
#include "plot.hpp"
#include "ui_dump.hpp"
#include "views/views.hpp"

namespace shmon::inspector {
namespace {

constexpr ImU32 kRevocation = IM_COL32(255, 80, 80, 255);
constexpr ImU32 kDeadOwner = IM_COL32(255, 170, 40, 255);

plot::Series to_series(const std::string& label, const std::deque<WaitPoint>& pts, ImU32 color,
                       bool mean) {
  plot::Series s{label, {}, {}, color};
  for (const WaitPoint& p : pts) {
    if (p.acquired == 0) continue;  // no acquisition in that interval: no wait to show
    s.t.push_back(float(p.t));
    s.y.push_back(float(mean ? p.mean_ns : p.p99_ns));
  }
  return s;
}

}  // namespace

void draw_mutex_view(ViewContext& ctx, bool* open) {
  if (!ImGui::Begin("Mutex", open)) {
    ImGui::End();
    return;
  }
  ui_dump().window("Mutex");
  const Snapshot& s = ctx.snap;
  const AgentMutex& m = s.status.mutex;
  // The left column is narrow at 1280x800: these lines wrap rather than lose their ends.
  ImGui::PushTextWrapPos(0);
  if (m.holder) {
    const std::string who = m.holder->name + " (pid " + std::to_string(m.holder->pid) + ", slot " +
                            std::to_string(m.holder->slot) + ")";
    // Our own status query holds it while the agent renders the answer.
    const bool self = m.holder->pid == std::int64_t(::getpid());
    ImGui::TextColored(ImVec4(1, 0.85f, 0.4f, 1), "held by %s%s for %s", who.c_str(),
                       self ? " [this inspector's query]" : "",
                       fmt_ns(double(m.holder->held_ns)).c_str());
    ui_dump().row({"holder", who, fmt_ns(double(m.holder->held_ns))});
  } else {
    ImGui::TextColored(ImVec4(0.5f, 0.9f, 0.6f, 1), "free");
    ui_dump().row({"holder", "free"});
  }
  ImGui::SameLine(0, 20);
  ImGui::TextDisabled("(lease %s)", fmt_ns(double(s.status.lease_ms) * 1e6).c_str());
  ImGui::Text("acquired %s   wait p50 %s   p99 %s   max %s", fmt_count(double(m.acquired)).c_str(),
              fmt_ns(double(m.wait_p50_ns)).c_str(), fmt_ns(double(m.wait_p99_ns)).c_str(),
              fmt_ns(double(m.wait_max_ns)).c_str());
  const bool trouble =
      m.timeouts || m.done_timeouts || s.status.lease_revocations || s.status.dead_owner_releases;
  ImGui::TextColored(trouble ? ImVec4(1, 0.6f, 0.45f, 1) : ImVec4(0.6f, 0.63f, 0.7f, 1),
                     "timeouts: lock %s, done %s   revoked %s   dead owner %s",
                     fmt_count(double(m.timeouts)).c_str(),
                     fmt_count(double(m.done_timeouts)).c_str(),
                     fmt_count(double(s.status.lease_revocations)).c_str(),
                     fmt_count(double(s.status.dead_owner_releases)).c_str());
  ImGui::PopTextWrapPos();
  // The dump keeps exact counts (tests compare them), like --json does.
  ui_dump().row({"acquired", std::to_string(m.acquired)});
  ui_dump().row({"wait p50", fmt_ns(double(m.wait_p50_ns))});
  ui_dump().row({"wait p99", fmt_ns(double(m.wait_p99_ns))});
  ui_dump().row({"wait max", fmt_ns(double(m.wait_max_ns))});
  ui_dump().row({"lock timeouts", std::to_string(m.timeouts)});
  ui_dump().row({"revocations", std::to_string(s.status.lease_revocations)});
  ui_dump().row({"dead-owner releases", std::to_string(s.status.dead_owner_releases)});

  // Whose waits: the total or one client.
  std::string& who = ctx.ui.mutex_client;
  const ClientInfo* chosen = who.empty() ? nullptr : find_client(s, who);
  ImGui::SetNextItemWidth(220);
  if (ImGui::BeginCombo("##who", chosen ? chosen->name.c_str() : "all clients (total)")) {
    if (ImGui::Selectable("all clients (total)", !chosen)) who.clear();
    for (const ClientInfo& c : s.clients) {
      ImGui::PushID(c.key().c_str());
      const std::string label = c.name + " (pid " + std::to_string(c.pid) + ")";
      if (ImGui::Selectable(label.c_str(), chosen == &c)) who = c.key();
      ImGui::PopID();
    }
    ImGui::EndCombo();
  }
  ImGui::SameLine();
  static bool show_mean = false;
  ImGui::Checkbox("mean instead of p99", &show_mean);

  ImGui::TextDisabled("wait distribution, log count");
  plot::wait_histogram("##hist", chosen ? chosen->mutex.hist : m.hist, ImVec2(0, 70),
                       plot::palette(0));

  std::vector<plot::Series> series;
  if (chosen) {
    if (auto it = s.client_waits.find(chosen->key()); it != s.client_waits.end()) {
      series.push_back(to_series(chosen->name, it->second.points, plot::palette(1), show_mean));
    }
  } else {
    series.push_back(to_series("total", s.total_waits, plot::palette(0), show_mean));
    // The busiest four clients alongside the total.
    std::vector<const ClientWaits*> busiest;
    for (const auto& [key, w] : s.client_waits) busiest.push_back(&w);
    auto load = [](const ClientWaits* w) {
      std::uint64_t n = 0;
      for (const auto& p : w->points) n += p.acquired;
      return n;
    };
    std::sort(busiest.begin(), busiest.end(), [&](auto* a, auto* b) { return load(a) > load(b); });
    for (std::size_t i = 0; i < busiest.size() && i < 4; ++i) {
      if (load(busiest[i]) == 0) break;
      series.push_back(
          to_series(busiest[i]->name, busiest[i]->points, plot::palette(int(i) + 1), show_mean));
    }
  }
  std::vector<plot::Mark> marks;
  for (const MutexMark& mk : s.marks) {
    marks.push_back({mk.t, mk.revocation ? kRevocation : kDeadOwner,
                     std::string(mk.revocation ? "lease revoked" : "dead owner released") + " x" +
                         std::to_string(mk.count) + " at " + fmt_wall(mk.wall_ns)});
  }
  ImGui::TextDisabled("wait %s per refresh, last 2 min", show_mean ? "mean" : "p99");
  ImGui::SameLine();
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kRevocation), " | revocation");
  ImGui::SameLine();
  ImGui::TextColored(ImGui::ColorConvertU32ToFloat4(kDeadOwner), " | dead owner");
  const float h = std::max(80.0f, ImGui::GetContentRegionAvail().y - 4);
  // The window grows with the data up to two minutes, so a young session is not squeezed.
  double t_min = s.t;
  for (const plot::Series& ser : series) {
    if (!ser.t.empty()) t_min = std::min<double>(t_min, ser.t.front());
  }
  t_min = std::max(s.t - 120, std::min(t_min, s.t - 10));
  plot::time_plot(
      "##waits", series, ImVec2(0, h), t_min, s.t, [](double v) { return fmt_ns(v); }, marks, true);
  ImGui::End();
}

}  // namespace shmon::inspector
