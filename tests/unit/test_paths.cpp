// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "shmon/paths.hpp"

using namespace shmon;

namespace {

// A fresh private scratch directory per test, with SHMON_RUNTIME_DIR pointing below it.
class PathsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/shmon-paths-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    dir_ = base_ + "/nested/run";
    if (const char* old = std::getenv("SHMON_RUNTIME_DIR")) saved_ = old;
    ::setenv("SHMON_RUNTIME_DIR", dir_.c_str(), 1);
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("SHMON_RUNTIME_DIR", saved_->c_str(), 1);
    } else {
      ::unsetenv("SHMON_RUNTIME_DIR");
    }
    std::string cmd = "rm -rf '" + base_ + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string base_, dir_;
  std::optional<std::string> saved_;
};

}  // namespace

TEST_F(PathsTest, UsesEnvironmentAndBuildsPaths) {
  EXPECT_EQ(runtime_dir(), dir_);
  EXPECT_EQ(socket_path("default"), dir_ + "/default.sock");
  EXPECT_EQ(lock_path("x"), dir_ + "/x.lock");
}

TEST_F(PathsTest, FallsBackToXdgThenTmp) {
  ::unsetenv("SHMON_RUNTIME_DIR");
  std::optional<std::string> xdg;
  if (const char* v = std::getenv("XDG_RUNTIME_DIR")) xdg = v;
  ::setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
  EXPECT_EQ(runtime_dir(), "/run/user/4242/shmon");
  ::setenv("XDG_RUNTIME_DIR", "relative/run", 1);  // ignored, as the XDG spec says
  EXPECT_EQ(runtime_dir(), default_runtime_dir("/run/user"));
  ::unsetenv("XDG_RUNTIME_DIR");
  EXPECT_EQ(runtime_dir(), default_runtime_dir("/run/user"));
  if (xdg) ::setenv("XDG_RUNTIME_DIR", xdg->c_str(), 1);
}

// Without XDG_RUNTIME_DIR (cron, sudo, a service) the user's /run/user/UID comes before /tmp, so
// an app finds the agent that the user's systemd started; only a real directory of ours counts.
TEST_F(PathsTest, FallbackPrefersTheUsersRunDirectoryOverTmp) {
  const std::string root = base_ + "/run-user";
  const std::string uid = std::to_string(::geteuid());
  const std::string tmp_fallback = "/tmp/shmon-" + uid;
  ASSERT_EQ(::mkdir(root.c_str(), 0755), 0);
  EXPECT_EQ(default_runtime_dir(root), tmp_fallback) << "no " << root << "/" << uid << " yet";

  ASSERT_EQ(::symlink("/tmp", (root + "/" + uid).c_str()), 0);
  EXPECT_EQ(default_runtime_dir(root), tmp_fallback) << "a symbolic link is not the user's own";
  ASSERT_EQ(::unlink((root + "/" + uid).c_str()), 0);

  ASSERT_EQ(::mkdir((root + "/" + uid).c_str(), 0700), 0);
  EXPECT_EQ(default_runtime_dir(root), root + "/" + uid + "/shmon");
  if (::geteuid() == 0) {  // a directory of another user's is not ours
    ASSERT_EQ(::chown((root + "/" + uid).c_str(), 65534, 65534), 0);
    EXPECT_EQ(default_runtime_dir(root), tmp_fallback);
  }
}

TEST_F(PathsTest, RefusesARelativeRuntimeDirectory) {
  ::setenv("SHMON_RUNTIME_DIR", "shmon-here", 1);
  auto st = ensure_runtime_dir();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("relative path"), std::string::npos) << st.error();
  struct stat sb;
  EXPECT_NE(::lstat("shmon-here", &sb), 0) << "nothing may be created in the working directory";
  EXPECT_FALSE(check_runtime_dir("shmon-here"));
}

// A shared sticky directory such as /tmp stays open: the message points to a directory of its
// own instead of advising chmod 700 on it.
TEST_F(PathsTest, NeverAdvisesClosingASharedDirectory) {
  const std::string shared = base_ + "/shared";
  ASSERT_EQ(::mkdir(shared.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
  ::setenv("SHMON_RUNTIME_DIR", shared.c_str(), 1);
  auto st = ensure_runtime_dir();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().find("chmod"), std::string::npos) << st.error();
  EXPECT_NE(st.error().find("SHMON_RUNTIME_DIR to a directory of its own"), std::string::npos)
      << st.error();
}

TEST_F(PathsTest, CreatesDirectoryWithMode0700) {
  auto st = ensure_runtime_dir();
  ASSERT_TRUE(st) << st.error();
  struct stat sb;
  ASSERT_EQ(::lstat(dir_.c_str(), &sb), 0);
  EXPECT_TRUE(S_ISDIR(sb.st_mode));
  EXPECT_EQ(sb.st_mode & 0777, 0700u);
  EXPECT_TRUE(ensure_runtime_dir()) << "second call on a good directory must succeed";
}

TEST_F(PathsTest, RefusesWorldWritableDirectory) {
  ASSERT_TRUE(ensure_runtime_dir());
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  auto st = ensure_runtime_dir();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find(dir_), std::string::npos) << st.error();
  EXPECT_NE(st.error().find("0777"), std::string::npos) << st.error();
}

TEST_F(PathsTest, RefusesSymlink) {
  const std::string real = base_ + "/real";
  ASSERT_EQ(::mkdir(real.c_str(), 0700), 0);
  const std::string link = base_ + "/link";
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  ::setenv("SHMON_RUNTIME_DIR", link.c_str(), 1);
  auto st = ensure_runtime_dir();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("symbolic link"), std::string::npos) << st.error();
  EXPECT_NE(st.error().find(link), std::string::npos) << st.error();
}

TEST_F(PathsTest, RefusesRegularFile) {
  const std::string file = base_ + "/file";
  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  ::setenv("SHMON_RUNTIME_DIR", file.c_str(), 1);
  auto st = ensure_runtime_dir();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().find("not a directory"), std::string::npos) << st.error();
}
