// SPDX-License-Identifier: Apache-2.0
// Label rules, canonical text and series keys (shmon/labels.hpp): what the probe writes, the
// agent accepts from a region and the exporter prints must be one spelling.
#include <gtest/gtest.h>

#include "shmon/labels.hpp"

namespace shmon {
namespace {

TEST(Labels, CanonicalTextIsSortedAndEscaped) {
  auto text = canonical_labels({{"method", "GET"}, {"code", "200"}, {"path", R"(a"b\c)"}});
  ASSERT_TRUE(text.ok()) << text.error();
  EXPECT_EQ(*text, R"(code="200",method="GET",path="a\"b\\c")");
  auto back = parse_labels(*text);
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, (LabelPairs{{"code", "200"}, {"method", "GET"}, {"path", R"(a"b\c)"}}));
  EXPECT_EQ(series_key("http.requests", *text), "http.requests{" + *text + "}");
  const std::string key = series_key("http.requests", *text);
  const SeriesName split = split_series_key(key);
  EXPECT_EQ(split.metric, "http.requests");
  EXPECT_EQ(split.labels, *text);
  EXPECT_EQ(split_series_key("plain").metric, "plain");
  EXPECT_EQ(split_series_key("plain").labels, "");
  EXPECT_EQ(*canonical_labels({}), "");
  EXPECT_EQ(series_key("plain", ""), "plain");
}

TEST(Labels, EveryRuleIsEnforcedWithAReason) {
  const auto why = [](LabelPairs set) {
    auto r = canonical_labels(set);
    return r.ok() ? std::string("accepted") : r.error();
  };
  EXPECT_NE(why({{"1x", "v"}}).find("bad byte"), std::string::npos);
  EXPECT_NE(why({{"a-b", "v"}}).find("bad byte"), std::string::npos);
  EXPECT_NE(why({{"__name__", "v"}}).find("'__'"), std::string::npos);
  for (const char* reserved : {"le", "quantile", "client", "slot"}) {
    EXPECT_NE(why({{reserved, "v"}}).find("reserved"), std::string::npos) << reserved;
  }
  EXPECT_NE(why({{"a", ""}}).find("empty value"), std::string::npos);
  EXPECT_NE(why({{"a", "x\ny"}}).find("control character"), std::string::npos);
  EXPECT_NE(why({{"a", "\x1b[2J"}}).find("control character"), std::string::npos);
  EXPECT_NE(why({{"a", "\xc3"}}).find("invalid UTF-8"), std::string::npos);
  EXPECT_NE(why({{"a", "\xc0\xaf"}}).find("invalid UTF-8"), std::string::npos);  // overlong
  EXPECT_NE(why({{"a", "1"}, {"a", "2"}}).find("twice"), std::string::npos);
  EXPECT_NE(why({{"a", std::string(65, 'v')}}).find("limit is 64"), std::string::npos);
  LabelPairs nine;
  for (int i = 0; i < 9; ++i) nine.emplace_back("l" + std::to_string(i), "v");
  EXPECT_NE(why(nine).find("limit is 8"), std::string::npos);
  LabelPairs long_text;
  for (int i = 0; i < 4; ++i) long_text.emplace_back("l" + std::to_string(i), std::string(40, 'v'));
  EXPECT_NE(why(long_text).find("limit is 159"), std::string::npos);
  EXPECT_EQ(why({{"city", "Zürich"}, {"_x9", "ok"}}), "accepted");
  // Issue 18: bidirectional and invisible format characters would make a terminal show another
  // value than the one stored (U+202E "gnp.exe" reads "exe.png").
  for (const char* format : {"\u200b", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069"}) {
    EXPECT_NE(why({{"file", std::string("a") + format + "gnp.exe"}}).find("format character"),
              std::string::npos)
        << format;
    EXPECT_FALSE(parse_labels(std::string("file=\"") + format + "x\"").ok()) << format;
  }
  // Neighbours of the ranges are ordinary characters.
  for (const char* fine : {"\u200a", "\u2010", "\u2029", "\u202f", "\u2065", "\u206a"}) {
    EXPECT_EQ(why({{"a", fine}}), "accepted") << fine;
  }
}

TEST(Labels, ParsingAcceptsOnlyCanonicalText) {
  for (const char* bad : {R"(b="1",a="2")", R"(a="1",)", R"(a="1)", R"(a=1)", R"(a="\n")",
                          R"(a="1"b="2")", R"(="1")", R"(a="")", "a=\"\x7f\""}) {
    EXPECT_FALSE(parse_labels(bad).ok()) << bad;
  }
  EXPECT_TRUE(parse_labels("").ok());
  EXPECT_TRUE(parse_labels(R"(a="1",b="2")").ok());
}

}  // namespace
}  // namespace shmon
