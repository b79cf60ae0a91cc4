// Details of the selected client: its counters, its metrics, its recent events, its region.
#include "format.hpp"
#include "plot.hpp"
#include "ui_dump.hpp"
#include "views/views.hpp"

namespace shmon::inspector {

void draw_client_details(ViewContext& ctx) {
  UiState& ui = ctx.ui;
  if (!ui.details_open) return;
  const Snapshot& s = ctx.snap;
  const ClientInfo* c = find_client(s, ui.selected_client);
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  ImGui::SetNextWindowSize(ImVec2(620, 520), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowPos(ImVec2(display.x * 0.5f, display.y * 0.5f), ImGuiCond_FirstUseEver,
                          ImVec2(0.5f, 0.5f));
  const std::string title =
      (c ? "Client " + c->name + " (pid " + std::to_string(c->pid) + ")" : std::string("Client")) +
      "###details";
  if (!ImGui::Begin(title.c_str(), &ui.details_open)) {
    ImGui::End();
    return;
  }
  ui_dump().window("Client details");
  if (ImGui::IsWindowFocused() && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
    ui.details_open = false;
  }
  if (!c) {
    ImGui::TextDisabled("this client has left");
    ImGui::End();
    return;
  }
  if (ImGui::Button("Show its region in the raw view")) {
    ui.raw.target = 2;
    ui.raw.slot = c->slot;
    ImGui::SetWindowFocus("Raw region");
  }
  ImGui::SameLine();
  ImGui::TextDisabled("slot %u, incarnation %s", c->slot, c->incarnation.c_str());
  if (ImGui::BeginTabBar("details")) {
    if (ImGui::BeginTabItem("Overview")) {
      if (ImGui::BeginTable("kv", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
        ImGui::TableSetupColumn("k", ImGuiTableColumnFlags_WidthFixed, 150);
        ImGui::TableSetupColumn("v", ImGuiTableColumnFlags_WidthStretch);
        key_value_row("kind / state", c->kind + " / " + c->state);
        key_value_row("requests", std::to_string(c->requests) + " (" + fmt_rate(c->requests_per_s) +
                                      ", " + std::to_string(c->request_errors) + " errors)");
        key_value_row("events", std::to_string(c->events_written) + " written, " +
                                    std::to_string(c->events_received) + " received (" +
                                    fmt_rate(c->events_per_s) + ")");
        key_value_row("metrics", std::to_string(c->metric_count));
        key_value_row("data region", fmt_bytes(double(c->data_region_bytes)));
        key_value_row("reconnects", std::to_string(c->reconnects));
        key_value_row("drops", "ring full " + std::to_string(c->drops.ring_full) + ", too large " +
                                   std::to_string(c->drops.payload_too_large) + ", offline " +
                                   std::to_string(c->drops.not_connected) + ", table full " +
                                   std::to_string(c->drops.metric_table_full) + ", wait " +
                                   std::to_string(c->drops.wait_timeout));
        key_value_row("timeouts", "lock " + std::to_string(c->lock_timeouts) + ", done " +
                                      std::to_string(c->done_timeouts));
        key_value_row("mutex", std::to_string(c->mutex.acquired) + " acquired, wait p50 " +
                                   fmt_ns(double(c->mutex.wait_p50_ns)) + ", p99 " +
                                   fmt_ns(double(c->mutex.wait_p99_ns)) + ", max " +
                                   fmt_ns(double(c->mutex.wait_max_ns)) + ", revoked " +
                                   std::to_string(c->mutex.revocations_seen));
        ImGui::EndTable();
      }
      ImGui::TextDisabled("mutex wait distribution (log count)");
      plot::wait_histogram("##cwait", c->mutex.hist, ImVec2(0, 90), plot::palette(1));
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Metrics")) {
      if (ImGui::BeginTable(
              "cm", 4,
              ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV)) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("metric");
        ImGui::TableSetupColumn("kind");
        ImGui::TableSetupColumn("value");
        ImGui::TableSetupColumn("unit");
        ImGui::TableHeadersRow();
        for (const MetricInfo& m : s.metrics) {
          for (const MetricClientValue& v : m.clients) {
            if (v.slot != c->slot || v.pid != c->pid) continue;
            const std::vector<std::string> cells = {m.name, m.kind, fmt_count(v.value), m.unit};
            ImGui::TableNextRow();
            for (const auto& cell : cells) {
              ImGui::TableNextColumn();
              ImGui::TextUnformatted(cell.c_str());
            }
            ui_dump().row(cells);
          }
        }
        ImGui::EndTable();
      }
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Events")) {
      if (ImGui::BeginTable("ce", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY)) {
        ImGui::TableSetupScrollFreeze(0, 1);
        ImGui::TableSetupColumn("time", ImGuiTableColumnFlags_WidthFixed, 100);
        ImGui::TableSetupColumn("level", ImGuiTableColumnFlags_WidthFixed, 50);
        ImGui::TableSetupColumn("event", ImGuiTableColumnFlags_WidthFixed, 120);
        ImGui::TableSetupColumn("text", ImGuiTableColumnFlags_WidthStretch);
        ImGui::TableHeadersRow();
        int shown = 0;
        if (s.events) {
          for (auto it = s.events->rbegin(); it != s.events->rend() && shown < 500; ++it) {
            if (it->slot != c->slot || it->pid != c->pid) continue;
            ++shown;
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(fmt_wall_ms(it->ts_ns).c_str());
            ImGui::TableNextColumn();
            ImGui::TextColored(level_color(it->level), "%s", it->level.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(it->name.c_str());
            ImGui::TableNextColumn();
            ImGui::TextUnformatted(it->text.c_str());
          }
        }
        ImGui::EndTable();
      }
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
  ImGui::End();
}

}  // namespace shmon::inspector
