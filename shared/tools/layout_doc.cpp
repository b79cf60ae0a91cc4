// SPDX-License-Identifier: Apache-2.0
// shmon_layout_doc: writes the field tables of docs/REGIONS.md from the field lists
// (shmon/layout_fields.hpp), or checks that the file still matches them.
//
//   shmon_layout_doc                       print every table
//   shmon_layout_doc --check docs/REGIONS.md   exit 1 (and name the tables) when a table drifted
//   shmon_layout_doc --update docs/REGIONS.md  rewrite the tables in place
//
// In the document a table sits between "<!-- fields: Struct -->" and "<!-- end fields -->"; the
// text around the markers is written by hand and left alone. Every list must have a table.
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "shmon/layout_fields.hpp"

namespace {

using shmon::FieldDesc;
using shmon::FieldList;
using shmon::FieldType;

constexpr std::string_view kBegin = "<!-- fields: ";
constexpr std::string_view kEnd = "<!-- end fields -->";

std::string type_text(const FieldDesc& f) {
  if (f.type == FieldType::kStruct) return f.nested ? f.nested->struct_name : "struct";
  if (f.type == FieldType::kChars || f.type == FieldType::kBytes) {
    return std::string(to_string(f.type)) + "[" + std::to_string(f.size) + "]";
  }
  std::string t = to_string(f.type);
  if (f.count > 1) t += "[" + std::to_string(f.count) + "]";
  return t;
}

std::string table(const FieldList& list) {
  std::ostringstream o;
  o << "| offset | size | field | type | meaning |\n|---:|---:|---|---|---|\n";
  for (const FieldDesc& f : list.fields) {
    o << "| " << f.offset << " | " << f.size << " | `" << f.name << "` | " << type_text(f) << " | "
      << (f.reserved() ? "(reserved, zero)" : f.doc) << " |\n";
  }
  o << "\n" << list.struct_name << ": " << list.size << " bytes.\n";
  return o.str();
}

bool read_file(const char* path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

// Replaces every marked table with its generated text. Returns false (with a message) for an
// unknown or unterminated marker; `missing` gets the lists without a table.
bool regenerate(const std::string& doc, std::string& out, std::set<std::string>& drifted,
                std::set<std::string>& missing) {
  for (const FieldList* l : shmon::all_field_lists()) missing.insert(l->struct_name);
  std::size_t pos = 0;
  for (;;) {
    const std::size_t b = doc.find(kBegin, pos);
    if (b == std::string::npos) break;
    const std::size_t name_end = doc.find(" -->", b);
    const std::size_t line_end = doc.find('\n', b);
    const std::size_t e = doc.find(kEnd, b);
    if (name_end == std::string::npos || line_end == std::string::npos || e == std::string::npos) {
      std::fprintf(stderr, "shmon_layout_doc: unterminated table marker at byte %zu\n", b);
      return false;
    }
    const std::string name = doc.substr(b + kBegin.size(), name_end - b - kBegin.size());
    const FieldList* list = shmon::find_field_list(name);
    if (list == nullptr) {
      std::fprintf(stderr, "shmon_layout_doc: no field list named '%s'\n", name.c_str());
      return false;
    }
    missing.erase(name);
    const std::string generated = table(*list);
    const std::string current = doc.substr(line_end + 1, e - line_end - 1);
    if (current != generated) drifted.insert(name);
    out += doc.substr(pos, line_end + 1 - pos);
    out += generated;
    pos = e;
  }
  out += doc.substr(pos);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 1) {
    for (const FieldList* l : shmon::all_field_lists()) {
      std::printf("%s%s -->\n%s%s\n\n", kBegin.data(), l->struct_name, table(*l).c_str(),
                  kEnd.data());
    }
    return 0;
  }
  const std::string mode = argv[1];
  if (argc != 3 || (mode != "--check" && mode != "--update")) {
    std::fprintf(stderr, "usage: shmon_layout_doc [--check|--update FILE]\n");
    return 2;
  }
  std::string doc;
  if (!read_file(argv[2], doc)) {
    std::fprintf(stderr, "shmon_layout_doc: cannot read %s\n", argv[2]);
    return 1;
  }
  std::string out;
  std::set<std::string> drifted, missing;
  if (!regenerate(doc, out, drifted, missing)) return 1;
  for (const std::string& m : missing) {
    std::fprintf(stderr, "shmon_layout_doc: %s has no table (add \"%s%s -->\" ... \"%s\")\n",
                 m.c_str(), kBegin.data(), m.c_str(), kEnd.data());
  }
  if (mode == "--update") {
    std::ofstream(argv[2], std::ios::binary | std::ios::trunc) << out;
    return missing.empty() ? 0 : 1;
  }
  for (const std::string& d : drifted) {
    std::fprintf(stderr,
                 "shmon_layout_doc: the %s table in %s differs from the field list; run "
                 "shmon_layout_doc --update %s\n",
                 d.c_str(), argv[2], argv[2]);
  }
  return drifted.empty() && missing.empty() ? 0 : 1;
}
