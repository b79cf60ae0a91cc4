// SPDX-License-Identifier: Apache-2.0
// Details of the selected client: its counters, its metrics, its recent events, its region.
#include <cstring>

#include "escape.hpp"
#include "format.hpp"
#include "plot.hpp"
#include "ui_dump.hpp"
#include "views/views.hpp"

namespace shmon::inspector {

namespace {

std::uint64_t incarnation_of(const ClientInfo& c) {
  return std::strtoull(c.incarnation.c_str(), nullptr, 16);
}

void send(ViewContext& ctx, const ClientInfo& c, const std::string& command, bool list = false) {
  CommandJob job;
  job.slot = c.slot;
  job.incarnation = incarnation_of(c);
  job.client = c.name;
  job.command = command;
  if (!list) job.payload = ctx.ui.commands.payload;
  job.list = list;
  ctx.source.send_command(std::move(job));
}

// --send-command: select the client, open its Commands tab, press Send once the list is there.
void run_script(ViewContext& ctx) {
  CommandsUiState& cs = ctx.ui.commands;
  if (cs.script.empty() || cs.script_done) return;
  const std::size_t a = cs.script.find(':');
  const std::string client = cs.script.substr(0, a);
  const std::string rest = a == std::string::npos ? "" : cs.script.substr(a + 1);
  const std::size_t b = rest.find(':');
  const std::string command = rest.substr(0, b);
  const std::string payload = b == std::string::npos ? "" : rest.substr(b + 1);
  for (const ClientInfo& c : ctx.snap.clients) {
    if (c.name != client || c.kind != "app") continue;
    if (ctx.ui.selected_client != c.key()) {
      ctx.ui.selected_client = c.key();
      cs.select_tab = true;
    }
    ctx.ui.details_open = true;
    const auto it = ctx.snap.command_lists.find(c.slot);
    if (it == ctx.snap.command_lists.end() || it->second.incarnation != incarnation_of(c)) return;
    cs.selected = command;
    std::snprintf(cs.payload, sizeof cs.payload, "%s", payload.c_str());
    send(ctx, c, command);  // what the Send button does
    cs.script_done = true;
    return;
  }
}

void draw_commands_tab(ViewContext& ctx, const ClientInfo& c) {
  CommandsUiState& cs = ctx.ui.commands;
  const auto it = ctx.snap.command_lists.find(c.slot);
  const bool have =
      it != ctx.snap.command_lists.end() && it->second.incarnation == incarnation_of(c);
  if (!have && cs.list_requested != c.key()) {
    cs.list_requested = c.key();
    send(ctx, c, "commands", /*list=*/true);
  }
  if (ImGui::Button("Refresh list")) send(ctx, c, "commands", true);
  if (!have) {
    ImGui::SameLine();
    ImGui::TextDisabled("asking the client for its commands...");
  } else if (!it->second.error.empty()) {
    ImGui::SameLine();
    ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s",
                       escape_for_terminal(it->second.error).c_str());
    ui_dump().row({"commands error", escape_for_terminal(it->second.error)});
  }
  if (have && ImGui::BeginTable(
                  "cmds", 2,
                  ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV,
                  ImVec2(0, 150))) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("command", ImGuiTableColumnFlags_WidthFixed, 140);
    ImGui::TableSetupColumn("description", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    for (const CommandInfo& info : it->second.commands) {
      const std::string name = escape_for_terminal(info.name);
      const std::string desc = escape_for_terminal(info.description);
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      if (ImGui::Selectable(name.c_str(), cs.selected == info.name,
                            ImGuiSelectableFlags_SpanAllColumns)) {
        cs.selected = info.name;
      }
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(desc.c_str());
      ui_dump().row({"command", name, desc});
    }
    ImGui::EndTable();
  }
  ImGui::SetNextItemWidth(-90);
  ImGui::InputTextWithHint("##payload", "payload (up to 1024 bytes)", cs.payload,
                           sizeof cs.payload);
  ImGui::SameLine();
  ImGui::BeginDisabled(cs.selected.empty());
  if (ImGui::Button("Send")) send(ctx, c, cs.selected);
  ImGui::EndDisabled();
  ImGui::TextDisabled("%s", cs.selected.empty() ? "select a command above"
                                                : ("sends '" + cs.selected + "'").c_str());

  if (ImGui::BeginTable("replies", 5, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("at", kFitColumn);
    ImGui::TableSetupColumn("command", kFitColumn);
    ImGui::TableSetupColumn("status", kFitColumn);
    ImGui::TableSetupColumn("round trip", kFitColumn);
    ImGui::TableSetupColumn("reply", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    if (ctx.snap.command_log) {
      for (auto e = ctx.snap.command_log->rbegin(); e != ctx.snap.command_log->rend(); ++e) {
        if (e->slot != c.slot || e->client != c.name) continue;
        const std::vector<std::string> cells = {
            fmt_duration_s(e->t), escape_for_terminal(e->command), e->status,
            fmt_ns(e->round_trip_ms * 1e6) + " (agent " + fmt_ns(e->agent_ms * 1e6) + ")",
            escape_for_terminal(e->reply)};
        ImGui::TableNextRow();
        for (std::size_t i = 0; i < cells.size(); ++i) {
          ImGui::TableNextColumn();
          if (i == 2 && !e->ok)
            ImGui::TextColored(ImVec4(1, 0.4f, 0.4f, 1), "%s", cells[i].c_str());
          else
            ImGui::TextUnformatted(cells[i].c_str());
        }
        std::vector<std::string> row = {"reply"};
        row.insert(row.end(), cells.begin(), cells.end());
        ui_dump().row(std::move(row));
      }
    }
    ImGui::EndTable();
  }
}

void draw_overview_tab(const ClientInfo& c) {
  if (ImGui::BeginTable("kv", 2, ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingStretchProp)) {
    ImGui::TableSetupColumn("k", kFitColumn);
    ImGui::TableSetupColumn("v", ImGuiTableColumnFlags_WidthStretch);
    key_value_row("kind / state", c.kind + " / " + c.state);
    const auto n = [](std::uint64_t v) { return fmt_count(double(v)); };
    key_value_row("requests", n(c.requests) + " (" + fmt_rate(c.requests_per_s) + ", " +
                                  n(c.request_errors) + " errors)");
    key_value_row("events", n(c.events_written) + " written, " + n(c.events_received) +
                                " received (" + fmt_rate(c.events_per_s) + ")");
    key_value_row("metrics", n(c.metric_count));
    key_value_row("data region", fmt_bytes(double(c.data_region_bytes)));
    key_value_row("reconnects", n(c.reconnects));
    key_value_row("drops", "ring full " + n(c.drops.ring_full) + ", too large " +
                               n(c.drops.payload_too_large) + ", offline " +
                               n(c.drops.not_connected) + ", table full " +
                               n(c.drops.metric_table_full) + ", wait " + n(c.drops.wait_timeout));
    key_value_row("timeouts", "lock " + n(c.lock_timeouts) + ", done " + n(c.done_timeouts));
    key_value_row("mutex", n(c.mutex.acquired) + " acquired, wait p50 " +
                               fmt_ns(double(c.mutex.wait_p50_ns)) + ", p99 " +
                               fmt_ns(double(c.mutex.wait_p99_ns)) + ", max " +
                               fmt_ns(double(c.mutex.wait_max_ns)) + ", revoked " +
                               n(c.mutex.revocations_seen));
    ImGui::EndTable();
  }
  ImGui::TextDisabled("mutex wait distribution (log count)");
  plot::wait_histogram("##cwait", c.mutex.hist, ImVec2(0, 90), plot::palette(1));
}

void draw_metrics_tab(ViewContext& ctx, const ClientInfo& c) {
  if (ImGui::BeginTable(
          "cm", 4,
          ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_BordersInnerV)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("metric", kFitColumn);
    ImGui::TableSetupColumn("kind", kFitColumn);
    ImGui::TableSetupColumn("value", kFitColumn);
    ImGui::TableSetupColumn("unit", kFitColumn);
    ImGui::TableHeadersRow();
    for (const MetricInfo& m : ctx.snap.metrics) {
      for (const MetricClientValue& v : m.clients) {
        if (v.slot != c.slot || v.pid != c.pid) continue;
        const std::vector<std::string> cells = {m.name, m.kind, fmt_value(v.value, m.unit), m.unit};
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
}

void draw_events_tab(ViewContext& ctx, const ClientInfo& c) {
  if (ImGui::BeginTable("ce", 4, ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY)) {
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("time", kFitColumn);
    ImGui::TableSetupColumn("level", kFitColumn);
    ImGui::TableSetupColumn("event", kFitColumn);
    ImGui::TableSetupColumn("text", ImGuiTableColumnFlags_WidthStretch);
    ImGui::TableHeadersRow();
    int shown = 0;
    if (ctx.snap.events) {
      for (auto it = ctx.snap.events->rbegin(); it != ctx.snap.events->rend() && shown < 500;
           ++it) {
        if (it->slot != c.slot || it->pid != c.pid) continue;
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
}

}  // namespace

void draw_client_details(ViewContext& ctx) {
  UiState& ui = ctx.ui;
  run_script(ctx);
  if (!ui.details_open) return;
  const ClientInfo* c = find_client(ctx.snap, ui.selected_client);
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
      draw_overview_tab(*c);
      ImGui::EndTabItem();
    }
    if (c->kind == "app" &&
        ImGui::BeginTabItem("Commands", nullptr,
                            ui.commands.select_tab ? ImGuiTabItemFlags_SetSelected : 0)) {
      ui.commands.select_tab = false;
      draw_commands_tab(ctx, *c);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Metrics")) {
      draw_metrics_tab(ctx, *c);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Events")) {
      draw_events_tab(ctx, *c);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
  ImGui::End();
}

}  // namespace shmon::inspector
