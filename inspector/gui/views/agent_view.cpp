// SPDX-License-Identifier: Apache-2.0
// Agent: identity, liveness, sizes, totals and rates.
#include "format.hpp"
#include "ui_dump.hpp"
#include "views/views.hpp"

namespace shmon::inspector {

void draw_agent_view(ViewContext& ctx, bool* open) {
  if (!ImGui::Begin("Agent", open)) {
    ImGui::End();
    return;
  }
  ui_dump().window("Agent");
  const Snapshot& s = ctx.snap;
  const AgentStatus& a = s.status;
  if (!s.agent_up) {
    ImGui::TextColored(ImVec4(1, 0.5f, 0.45f, 1), "agent not running on instance %s",
                       s.instance.c_str());
    ImGui::TextDisabled("retrying; the values below are from the last agent seen");
    ui_dump().text("agent not running on instance " + s.instance);
  }
  if (ImGui::BeginTable("agent", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("key", kFitColumn);
    ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
    key_value_row("instance", s.instance);
    key_value_row("pid", a.pid ? std::to_string(a.pid) : "-");
    key_value_row("generation", a.generation.empty() ? "-" : a.generation);
    key_value_row("uptime", fmt_duration_s(a.uptime_s));
    key_value_row("heartbeat age", fmt_duration_s(double(a.heartbeat_age_ms) / 1e3));
    key_value_row("regions", "control " + fmt_bytes(double(a.control_bytes)) + ", mailbox " +
                                 fmt_bytes(double(a.mailbox_bytes)) + ", data " +
                                 fmt_bytes(double(a.data_bytes_total)));
    const auto n = [](std::uint64_t v) { return fmt_count(double(v)); };
    key_value_row("clients", n(a.clients_connected) + " connected / " + n(a.max_clients) +
                                 " max, " + n(a.clients_total) + " total, " + n(a.clients_refused) +
                                 " refused");
    key_value_row("requests", n(a.requests) + " (" + fmt_rate(a.requests_per_s) + ", " +
                                  n(a.request_errors) + " errors, " + n(a.torn_requests) +
                                  " torn)");
    key_value_row("events", n(a.events_received) + " received (" + fmt_rate(a.events_per_s) +
                                "), " + n(a.events_dropped) + " dropped");
    key_value_row("drain", n(a.drain_batches) + " batches, " + n(a.bad_records) + " bad records");
    key_value_row("lease", n(a.lease_revocations) + " revocations, " + n(a.dead_owner_releases) +
                               " dead-owner releases");
    ImGui::EndTable();
  }
  // Drain rate from the agent's own history: events received per second, last minutes.
  if (s.history) {
    for (const HistorySeries& hs : s.history->series) {
      if (hs.name != "agent.events_received" || hs.points.size() < 3) continue;
      std::vector<float> rates;
      for (std::size_t i = 1; i < hs.points.size(); ++i) {
        const double dt = hs.points[i].first - hs.points[i - 1].first;
        rates.push_back(dt > 0 ? float((hs.points[i].second - hs.points[i - 1].second) / dt) : 0);
      }
      const std::string label = "drain rate " + fmt_rate(rates.back());
      ImGui::PlotLines("##drain", rates.data(), int(rates.size()), 0, label.c_str(), 0.0f, FLT_MAX,
                       ImVec2(ImGui::GetContentRegionAvail().x, 48));
      ui_dump().row({"drain rate", fmt_rate(rates.back())});
    }
  }
  ImGui::End();
}

}  // namespace shmon::inspector
