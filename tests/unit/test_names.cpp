// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "shmon/names.hpp"

using namespace shmon;

// One rule for the agent, the probe and every tool: --instance, else $SHMON_INSTANCE, else
// "default" (an empty variable counts as unset).
TEST(InstanceName, ResolvesGivenThenEnvironmentThenDefault) {
  const char* saved = std::getenv("SHMON_INSTANCE");
  const std::string restore = saved ? saved : "";
  ::unsetenv("SHMON_INSTANCE");
  EXPECT_EQ(resolve_instance_name(""), "default");
  ::setenv("SHMON_INSTANCE", "", 1);
  EXPECT_EQ(resolve_instance_name(""), "default");
  ::setenv("SHMON_INSTANCE", "from-env", 1);
  EXPECT_EQ(resolve_instance_name(""), "from-env");
  EXPECT_EQ(resolve_instance_name("given"), "given");
  if (saved) {
    ::setenv("SHMON_INSTANCE", restore.c_str(), 1);
  } else {
    ::unsetenv("SHMON_INSTANCE");
  }
}

TEST(InstanceName, AcceptsValidNames) {
  EXPECT_FALSE(check_instance_name("default"));
  EXPECT_FALSE(check_instance_name("a"));
  EXPECT_FALSE(check_instance_name("web-1.prod_eu"));
  EXPECT_FALSE(check_instance_name(std::string(64, 'x')));
}

TEST(InstanceName, RefusesSlashNamingTheByte) {
  auto err = check_instance_name("a/b");
  ASSERT_TRUE(err);
  EXPECT_EQ(*err,
            "instance name 'a/b' contains '/' at byte 1: use letters, digits, '.', '_' or '-'");
}

TEST(InstanceName, RefusesDotDotAndLeadingDot) {
  EXPECT_TRUE(check_instance_name(".."));
  EXPECT_TRUE(check_instance_name("."));
  EXPECT_TRUE(check_instance_name(".hidden"));
  EXPECT_FALSE(check_instance_name("a..b"));  // harmless inside a single path component
}

TEST(InstanceName, RefusesControlCharacters) {
  auto err = check_instance_name(std::string("ab\ncd"));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("byte 2"), std::string::npos) << *err;
  EXPECT_EQ(err->find('\n'), std::string::npos) << "message must stay on one line";
  EXPECT_TRUE(check_instance_name(std::string("a\0b", 3)));
  EXPECT_TRUE(check_instance_name("caf\xc3\xa9"));
  EXPECT_TRUE(check_instance_name("a b"));
}

TEST(InstanceName, RefusesTooLongAndEmpty) {
  auto err = check_instance_name(std::string(65, 'a'));
  ASSERT_TRUE(err);
  EXPECT_EQ(*err, "instance name is 65 bytes; the limit is 64");
  auto err70 = check_instance_name(std::string(70, 'a'));
  ASSERT_TRUE(err70);
  EXPECT_EQ(*err70, "instance name is 70 bytes; the limit is 64");
  EXPECT_TRUE(check_instance_name(""));
}

TEST(ClientName, AcceptsPrintableAndRefusesSeparatorsAndQuotes) {
  EXPECT_FALSE(check_client_name("loadgen 1 (worker)"));
  EXPECT_TRUE(check_client_name("a/b"));
  EXPECT_TRUE(check_client_name("a\\b"));
  EXPECT_TRUE(check_client_name("a\"b"));
  EXPECT_TRUE(check_client_name("a'b"));
  EXPECT_TRUE(check_client_name("a\tb"));
  EXPECT_TRUE(check_client_name("a\x7f"));
  EXPECT_TRUE(check_client_name(""));
  EXPECT_FALSE(check_client_name(std::string(63, 'c')));
  EXPECT_TRUE(check_client_name(std::string(64, 'c')));
}

TEST(MetricName, FirstCharacterAndAlphabet) {
  EXPECT_FALSE(check_metric_name("requests"));
  EXPECT_FALSE(check_metric_name("_http.latency:p99-x"));
  EXPECT_TRUE(check_metric_name("1abc"));
  EXPECT_TRUE(check_metric_name(".abc"));
  EXPECT_TRUE(check_metric_name("a b"));
  EXPECT_TRUE(check_metric_name("a/b"));
  EXPECT_TRUE(check_metric_name(""));
  EXPECT_FALSE(check_metric_name(std::string(63, 'm')));
  EXPECT_TRUE(check_metric_name(std::string(64, 'm')));
}

TEST(FixedName, RoundTripAndMissingNul) {
  char field[8];
  std::memset(field, 'Z', sizeof(field));
  write_fixed_name(field, sizeof(field), "abc");
  EXPECT_EQ(field[3], '\0');
  EXPECT_EQ(field[7], '\0');  // NUL padded
  EXPECT_EQ(read_fixed_name(field, sizeof(field)), "abc");

  char full[4] = {'a', 'b', 'c', 'd'};
  EXPECT_FALSE(read_fixed_name(full, sizeof(full)));

  write_fixed_name(field, sizeof(field), "toolongname");  // truncated, still terminated
  EXPECT_EQ(read_fixed_name(field, sizeof(field)), "toolong");
}
