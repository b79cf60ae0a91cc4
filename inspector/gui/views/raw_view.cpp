// SPDX-License-Identifier: Apache-2.0
// Raw region: the bytes of the control region, the mailbox or a client's data region as hex and
// text, with the decoded layout laid over them (hover or move the cursor onto a byte: section,
// field, type, value), a section navigator, bytes changed recently highlighted, freeze, and save.
// It works on a private copy taken each frame; the mapping itself is read-only.
#include <GLFW/glfw3.h>

#include <algorithm>
#include <cstring>
#include <ctime>
#include <fstream>

#include "format.hpp"
#include "region_layout.hpp"
#include "ui_dump.hpp"
#include "views/views.hpp"

namespace shmon::inspector {
namespace {

constexpr int kBytesPerLine = 16;
constexpr std::uint32_t kChangeFadeFrames = 45;

ImU32 section_color(int i) {
  static const ImU32 kColors[] = {
      IM_COL32(70, 130, 220, 55), IM_COL32(60, 170, 120, 45),  IM_COL32(60, 150, 170, 45),
      IM_COL32(200, 140, 60, 45), IM_COL32(120, 120, 130, 30), IM_COL32(170, 90, 190, 45),
      IM_COL32(200, 90, 90, 50),  IM_COL32(90, 110, 200, 40),
  };
  return kColors[static_cast<unsigned>(i) % 8];
}

const RegionImage* current_image(ViewContext& ctx, std::string* why) {
  const Snapshot& s = ctx.snap;
  RawViewState& st = ctx.ui.raw;
  switch (st.target) {
    case 0:
      if (!s.control) *why = s.raw_error.empty() ? "connecting" : s.raw_error;
      return s.control.get();
    case 1:
      if (!s.mailbox) *why = s.raw_error.empty() ? "connecting" : s.raw_error;
      return s.mailbox.get();
    default:
      if (st.slot < 0) {
        *why = "choose a client";
        return nullptr;
      }
      if (s.data_slot != st.slot) {
        *why = "requesting the region of slot " + std::to_string(st.slot);
        return nullptr;
      }
      if (!s.data) *why = s.data_error.empty() ? "no region" : s.data_error;
      return s.data.get();
  }
}

// The layout of the frame's copy: geometry from a validated private copy of the header.
RegionLayout decode(const RegionImage& img, const std::vector<std::byte>& bytes,
                    std::string* warning) {
  switch (img.kind) {
    case RegionKind::kControl: {
      ControlHeader h;
      if (bytes.size() < sizeof h) break;
      std::memcpy(static_cast<void*>(&h), bytes.data(), sizeof h);
      if (auto st = validate_control_header(h, bytes.size()); !st) {
        *warning = st.error();
        break;
      }
      return RegionLayout::control(h, bytes.size());
    }
    case RegionKind::kMailbox:
      if (bytes.size() >= MailboxLayout::kRegionSize) return RegionLayout::mailbox(bytes.size());
      *warning = "mailbox smaller than its layout";
      break;
    case RegionKind::kData: {
      DataHeader h;
      if (bytes.size() < sizeof h) break;
      std::memcpy(static_cast<void*>(&h), bytes.data(), sizeof h);
      auto g = validate_data_header(h, bytes.size());
      if (!g) {
        *warning = g.error();
        break;
      }
      return RegionLayout::data(*g, bytes.size());
    }
  }
  return RegionLayout::unknown(bytes.size());
}

void take_copy(RawViewState& st, const RegionImage& img) {
  if (st.source != &img || st.now.size() != img.size) {
    st.source = &img;
    st.now.assign(img.bytes(), img.bytes() + img.size);
    st.before = st.now;
    st.changed_frame.assign(img.size, 0);
    st.cursor = std::min<std::int64_t>(st.cursor, std::int64_t(img.size) - 1);
    return;
  }
  st.before.swap(st.now);
  std::memcpy(st.now.data(), img.bytes(), img.size);
  // Compare word by word; only differing words are examined byte by byte.
  const std::size_t words = img.size / 8;
  const auto* a = st.now.data();
  const auto* b = st.before.data();
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t x, y;
    std::memcpy(&x, a + w * 8, 8);
    std::memcpy(&y, b + w * 8, 8);
    if (x == y) continue;
    for (std::size_t i = w * 8; i < w * 8 + 8; ++i) {
      if (a[i] != b[i]) st.changed_frame[i] = std::uint32_t(st.frame);
    }
  }
}

std::string hex_line(const std::vector<std::byte>& bytes, std::size_t offset) {
  char buf[128];
  int n = std::snprintf(buf, sizeof buf, "%08zx  ", offset);
  std::string text;
  for (int i = 0; i < kBytesPerLine; ++i) {
    const std::size_t at = offset + std::size_t(i);
    if (at < bytes.size()) {
      n += std::snprintf(buf + n, sizeof buf - std::size_t(n), "%02x ", unsigned(bytes[at]));
      const auto c = static_cast<unsigned char>(bytes[at]);
      text += (c >= 32 && c < 127) ? char(c) : '.';
    } else {
      n += std::snprintf(buf + n, sizeof buf - std::size_t(n), "   ");
    }
    if (i == 7) buf[n++] = ' ';
  }
  buf[n] = '\0';
  return std::string(buf) + " " + text;
}

float byte_x(int i, float cw, bool text_column) {
  if (text_column) return cw * float(10 + kBytesPerLine * 3 + 2 + i);
  return cw * float(10 + i * 3 + (i >= 8 ? 1 : 0));
}

void save_snapshot(RawViewState& st, const RegionImage& img) {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  const char* kind = img.kind == RegionKind::kControl   ? "control"
                     : img.kind == RegionKind::kMailbox ? "mailbox"
                                                        : "data";
  std::string path = std::string("shmon-") + kind +
                     (img.kind == RegionKind::kData ? "-slot" + std::to_string(img.slot) : "") +
                     "-" + stamp + ".bin";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(st.now.data()), std::streamsize(st.now.size()));
  st.status =
      out ? "saved " + std::to_string(st.now.size()) + " bytes to " + path : "cannot write " + path;
}

void field_tooltip(const RegionLayout& layout, const std::vector<std::byte>& bytes,
                   std::uint64_t offset) {
  auto f = layout.describe(offset, bytes.data(), bytes.size());
  if (!f) return;
  ImGui::BeginTooltip();
  ImGui::TextDisabled("offset 0x%llx (%llu)", static_cast<unsigned long long>(offset),
                      static_cast<unsigned long long>(offset));
  ImGui::Text("section  %s", f->section.c_str());
  ImGui::Text("field    %s", f->field.c_str());
  ImGui::Text("type     %s  (%u bytes at 0x%llx)", f->type_text().c_str(), f->size,
              static_cast<unsigned long long>(f->offset));
  ImGui::Text("value    %s", format_value(*f, bytes.data(), bytes.size()).c_str());
  ImGui::EndTooltip();
}

void handle_keys(RawViewState& st, std::int64_t size, int page_lines) {
  auto pressed = [](int key) { return ImGui::IsKeyPressed(key, true); };
  std::int64_t c = st.cursor;
  if (pressed(GLFW_KEY_RIGHT)) c += 1;
  if (pressed(GLFW_KEY_LEFT)) c -= 1;
  if (pressed(GLFW_KEY_DOWN)) c += kBytesPerLine;
  if (pressed(GLFW_KEY_UP)) c -= kBytesPerLine;
  if (pressed(GLFW_KEY_PAGE_DOWN)) c += std::int64_t(kBytesPerLine) * page_lines;
  if (pressed(GLFW_KEY_PAGE_UP)) c -= std::int64_t(kBytesPerLine) * page_lines;
  if (pressed(GLFW_KEY_HOME)) c = 0;
  if (pressed(GLFW_KEY_END)) c = size - 1;
  if (pressed(GLFW_KEY_F)) st.freeze = !st.freeze;
  c = std::clamp<std::int64_t>(c, 0, std::max<std::int64_t>(0, size - 1));
  if (c != st.cursor) {
    st.cursor = c;
    st.scroll_to = c;
  }
}

void draw_hex(ViewContext& ctx, const RegionLayout& layout, float height) {
  RawViewState& st = ctx.ui.raw;
  const auto& bytes = st.now;
  if (ctx.mono) ImGui::PushFont(ctx.mono);
  ImGui::BeginChild("hex", ImVec2(0, height), true, ImGuiWindowFlags_HorizontalScrollbar);
  const float cw = ImGui::CalcTextSize("0").x;
  const float lh = ImGui::GetTextLineHeightWithSpacing();
  const std::int64_t lines = (std::int64_t(bytes.size()) + kBytesPerLine - 1) / kBytesPerLine;
  const int page = std::max(1, int(ImGui::GetWindowHeight() / lh) - 2);
  if (ImGui::IsWindowFocused()) handle_keys(st, std::int64_t(bytes.size()), page);
  if (st.scroll_to >= 0) {
    const float y = float(st.scroll_to / kBytesPerLine) * lh;
    if (y < ImGui::GetScrollY() || y > ImGui::GetScrollY() + ImGui::GetWindowHeight() - 2 * lh) {
      ImGui::SetScrollY(std::max(0.0f, y - lh * 2));
    }
    st.scroll_to = -1;
  }
  ImDrawList* dl = ImGui::GetWindowDrawList();
  const ImVec2 mouse = ImGui::GetIO().MousePos;
  std::int64_t hovered = -1;
  std::optional<FieldInfo> hovered_field;
  ImGuiListClipper clipper;
  clipper.Begin(int(lines), lh);
  while (clipper.Step()) {
    for (int line = clipper.DisplayStart; line < clipper.DisplayEnd; ++line) {
      const std::size_t off = std::size_t(line) * kBytesPerLine;
      const ImVec2 p = ImGui::GetCursorScreenPos();
      for (int i = 0; i < kBytesPerLine && off + std::size_t(i) < bytes.size(); ++i) {
        const std::size_t at = off + std::size_t(i);
        const Section* sec = layout.section_at(at);
        ImU32 bg = sec ? section_color(sec->color) : 0;
        const std::uint32_t age = std::uint32_t(st.frame) - st.changed_frame[at];
        if (st.changed_frame[at] && age < kChangeFadeFrames) {
          const int alpha = 230 - int(age * 180 / kChangeFadeFrames);
          bg = IM_COL32(255, 210, 60, alpha);
        }
        for (bool text_col : {false, true}) {
          const float x0 = p.x + byte_x(i, cw, text_col);
          const float x1 = x0 + cw * (text_col ? 1.0f : 2.0f);
          if (bg) dl->AddRectFilled(ImVec2(x0, p.y), ImVec2(x1, p.y + lh - 1), bg);
          if (std::int64_t(at) == st.cursor) {
            dl->AddRect(ImVec2(x0 - 1, p.y), ImVec2(x1 + 1, p.y + lh - 1),
                        IM_COL32(120, 200, 255, 255), 0, 0, 1.5f);
          }
          if (ImGui::IsWindowHovered() && mouse.y >= p.y && mouse.y < p.y + lh && mouse.x >= x0 &&
              mouse.x < x1 + (text_col ? 0 : cw)) {
            hovered = std::int64_t(at);
          }
        }
      }
      const std::string text = hex_line(bytes, off);
      ImGui::TextUnformatted(text.c_str());
    }
  }
  // Outline the hovered field across the visible lines.
  if (hovered >= 0) {
    hovered_field = layout.describe(std::uint64_t(hovered), bytes.data(), bytes.size());
    field_tooltip(layout, bytes, std::uint64_t(hovered));
    if (ImGui::IsMouseClicked(0)) st.cursor = hovered;
  }
  ImGui::EndChild();
  if (ctx.mono) ImGui::PopFont();
}

void draw_header_table(RawViewState& st, const RegionLayout& layout) {
  if (!ImGui::BeginTable("header", 2,
                         ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY |
                             ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_Resizable)) {
    return;
  }
  ImGui::TableSetupScrollFreeze(0, 1);
  ImGui::TableSetupColumn("header field", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
  ImGui::TableHeadersRow();
  for (const auto& [field, value] : layout.header_fields(st.now.data(), st.now.size())) {
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::PushID(int(field.offset));
    if (ImGui::Selectable(field.field.c_str(), false, ImGuiSelectableFlags_SpanAllColumns)) {
      st.cursor = std::int64_t(field.offset);
      st.scroll_to = st.cursor;
    }
    ImGui::PopID();
    if (ImGui::IsItemHovered()) {
      ImGui::SetTooltip("%s, offset %llu", field.type_text().c_str(),
                        static_cast<unsigned long long>(field.offset));
    }
    ImGui::TableNextColumn();
    ImGui::TextUnformatted(value.c_str());
    ui_dump().row({field.section, field.field, field.type_text(), value});
  }
  ImGui::EndTable();
}

void draw_navigator(RawViewState& st, const RegionLayout& layout) {
  const auto& sections = layout.sections();
  const Section* at_cursor = layout.section_at(std::uint64_t(std::max<std::int64_t>(0, st.cursor)));
  ImGuiListClipper clipper;
  clipper.Begin(int(sections.size()));
  while (clipper.Step()) {
    for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
      const Section& sec = sections[std::size_t(i)];
      ImGui::PushID(i);
      const ImVec2 p = ImGui::GetCursorScreenPos();
      if (ImGui::Selectable(sec.name.c_str(), at_cursor == &sec)) {
        st.cursor = std::int64_t(sec.offset);
        st.scroll_to = st.cursor;
      }
      // Colour key of the section, and where it is.
      ImGui::GetWindowDrawList()->AddRectFilled(
          ImVec2(p.x - 6, p.y + 2), ImVec2(p.x - 2, p.y + ImGui::GetTextLineHeight() - 2),
          section_color(sec.color) | IM_COL32(0, 0, 0, 255));
      const std::string where = "0x" + [&] {
        char b[24];
        std::snprintf(b, sizeof b, "%llx", static_cast<unsigned long long>(sec.offset));
        return std::string(b);
      }() + "  " + fmt_bytes(double(sec.size));
      ImGui::SameLine(std::max(ImGui::GetContentRegionAvail().x * 0.5f, 130.0f));
      ImGui::TextDisabled("%s", where.c_str());
      ImGui::PopID();
    }
  }
}

}  // namespace

void draw_raw_view(ViewContext& ctx, bool* open) {
  RawViewState& st = ctx.ui.raw;
  ctx.source.want_data_region(st.target == 2 ? st.slot : -1);
  if (!ImGui::Begin("Raw region", open)) {
    ImGui::End();
    return;
  }
  ui_dump().window("Raw region");
  // It starts collapsed at the bottom of the screen (window_table.cpp): opened, it grows upwards
  // rather than off the screen.
  const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
  const float bottom = ImGui::GetIO().DisplaySize.y;
  if (pos.y + size.y > bottom + 1)
    ImGui::SetWindowPos(ImVec2(pos.x, std::max(0.0f, bottom - size.y)));
  const Snapshot& s = ctx.snap;
  ++st.frame;
  ImGui::RadioButton("control", &st.target, 0);
  ImGui::SameLine();
  ImGui::RadioButton("mailbox", &st.target, 1);
  ImGui::SameLine();
  ImGui::RadioButton("client data", &st.target, 2);
  ImGui::SameLine();
  std::string current = "choose client";
  for (const ClientInfo& c : s.clients) {
    if (std::int64_t(c.slot) == st.slot) current = c.name + " [" + std::to_string(c.slot) + "]";
  }
  ImGui::SetNextItemWidth(150);
  if (ImGui::BeginCombo("##client", current.c_str())) {
    for (const ClientInfo& c : s.clients) {
      ImGui::PushID(int(c.slot));
      const std::string label = c.name + " [" + std::to_string(c.slot) + "]";
      if (ImGui::Selectable(label.c_str(), std::int64_t(c.slot) == st.slot)) {
        st.slot = c.slot;
        st.target = 2;
      }
      ImGui::PopID();
    }
    ImGui::EndCombo();
  }
  std::string why;
  const RegionImage* img = current_image(ctx, &why);
  if (!img) {
    ImGui::TextColored(ImVec4(1, 0.7f, 0.4f, 1), "region view unavailable: %s", why.c_str());
    ui_dump().text("region view unavailable: " + why);
    ImGui::End();
    return;
  }
  ImGui::Checkbox("freeze (F)", &st.freeze);
  ImGui::SameLine();
  if (ImGui::Button("save snapshot")) save_snapshot(st, *img);
  if (ImGui::IsItemHovered()) ImGui::SetTooltip("writes the frame's copy to shmon-*.bin here");
  ImGui::SameLine();
  ImGui::TextDisabled("%s, %s", img->label.c_str(), fmt_bytes(double(img->size)).c_str());
  if (!st.freeze || st.source != img) take_copy(st, *img);
  std::string warning;
  const RegionLayout layout = decode(*img, st.now, &warning);
  if (!warning.empty())
    ImGui::TextColored(ImVec4(1, 0.5f, 0.4f, 1), "header invalid: %s", warning.c_str());
  if (!st.status.empty()) ImGui::TextDisabled("%s", st.status.c_str());

  const float avail_h = ImGui::GetContentRegionAvail().y;
  const float avail_w = ImGui::GetContentRegionAvail().x;
  // Wide: header and navigator left of the hex. Narrow: side by side above it.
  const bool wide = avail_w > 980;
  const float panel_h = wide ? avail_h : avail_h * 0.36f;
  const float panel_w = wide ? std::min(320.0f, avail_w * 0.34f) : avail_w * 0.5f - 4;
  ImGui::BeginChild("hdr", ImVec2(panel_w, wide ? panel_h * 0.55f : panel_h), false);
  draw_header_table(st, layout);
  ImGui::EndChild();
  if (!wide) ImGui::SameLine();
  ImGui::BeginChild("nav", ImVec2(panel_w, wide ? 0 : panel_h), true);
  draw_navigator(st, layout);
  ImGui::EndChild();
  if (wide) {
    ImGui::SetCursorScreenPos(
        ImVec2(ImGui::GetWindowPos().x + ImGui::GetStyle().WindowPadding.x + panel_w + 8,
               ImGui::GetCursorScreenPos().y - avail_h));
  }
  ImGui::BeginGroup();
  // The cursor's field, for keyboard users (the mouse gets a tooltip).
  if (auto f = layout.describe(std::uint64_t(std::max<std::int64_t>(0, st.cursor)), st.now.data(),
                               st.now.size())) {
    ImGui::Text("%s  %s : %s = %s", f->section.c_str(), f->field.c_str(), f->type_text().c_str(),
                format_value(*f, st.now.data(), st.now.size()).c_str());
  }
  draw_hex(ctx, layout, std::max(60.0f, ImGui::GetContentRegionAvail().y));
  ImGui::EndGroup();
  const auto& sections = layout.sections();
  if (ui_dump().enabled()) {
    for (const Section& sec : sections) {
      ui_dump().row({"section", sec.name, std::to_string(sec.offset), std::to_string(sec.size)});
    }
    for (std::size_t off = 0; off < st.now.size() && off < 16 * 32; off += kBytesPerLine) {
      ui_dump().row({"hex", hex_line(st.now, off)});
    }
  }
  ImGui::End();
}

}  // namespace shmon::inspector
