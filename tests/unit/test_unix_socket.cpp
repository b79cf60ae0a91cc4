// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "shmon/clock.hpp"
#include "shmon/memfd.hpp"
#include "shmon/unix_socket.hpp"

using namespace shmon;

namespace {

struct Pair {
  UniqueFd a, b;
};

Pair make_pair() {
  int sv[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return {};
  return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

std::span<const std::byte> as_bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/shmon-sock-test-XXXXXX";
    if (::mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;  // a leftover scratch directory is not the test's failure
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST(UnixSocket, PassesBytesAndDescriptors) {
  Pair p = make_pair();
  ASSERT_TRUE(p.a && p.b);
  auto region = create_region("test-pass", 4096);
  ASSERT_TRUE(region);
  ASSERT_EQ(::pwrite(region->get(), "shared!", 7, 0), 7);

  const std::string msg = "0123456789abcdef";
  const int fds[] = {region->get()};
  ASSERT_TRUE(send_message(p.a.get(), as_bytes(msg), fds));

  std::array<std::byte, 16> buf{};
  auto got = receive_message(p.b.get(), buf, 2, deadline_after_ms(5000));
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->size, 16u);
  EXPECT_EQ(std::memcmp(buf.data(), msg.data(), 16), 0);
  ASSERT_EQ(got->fds.size(), 1u);
  EXPECT_EQ(::fcntl(got->fds[0].get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  char text[8] = {};
  ASSERT_EQ(::pread(got->fds[0].get(), text, 7, 0), 7);
  EXPECT_STREQ(text, "shared!");
}

TEST(UnixSocket, ClosesDescriptorsBeyondMax) {
  Pair p = make_pair();
  ASSERT_TRUE(p.a && p.b);
  const std::string msg = "abcd";
  const int fds[] = {p.a.get(), p.a.get(), p.a.get()};
  ASSERT_TRUE(send_message(p.a.get(), as_bytes(msg), fds));
  std::array<std::byte, 4> buf{};
  auto got = receive_message(p.b.get(), buf, 1, deadline_after_ms(5000));
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(got->fds.size(), 1u);
}

TEST(UnixSocket, RefusesTooManyDescriptorsToSend) {
  Pair p = make_pair();
  const std::string msg = "x";
  const int fds[] = {0, 0, 0, 0, 0};
  EXPECT_FALSE(send_message(p.a.get(), as_bytes(msg), fds));
}

TEST(UnixSocket, ReceiveDeadlineExpires) {
  Pair p = make_pair();
  std::array<std::byte, 8> buf{};
  const std::uint64_t deadline = deadline_after_ms(30);
  auto got = receive_message(p.b.get(), buf, 0, deadline);
  ASSERT_FALSE(got);
  EXPECT_GE(monotonic_ns(), deadline);
  EXPECT_NE(got.error().find("timed out"), std::string::npos) << got.error();
}

TEST(UnixSocket, PartialMessageIsCompletedOrReported) {
  Pair p = make_pair();
  std::array<std::byte, 8> buf{};
  ASSERT_EQ(::write(p.a.get(), "abcd", 4), 4);
  auto partial = receive_message(p.b.get(), buf, 0, deadline_after_ms(30));
  ASSERT_FALSE(partial);
  EXPECT_NE(partial.error().find("4 of 8"), std::string::npos) << partial.error();

  ASSERT_EQ(::write(p.a.get(), "0123", 4), 4);
  ASSERT_EQ(::write(p.a.get(), "4567", 4), 4);
  auto whole = receive_message(p.b.get(), buf, 0, deadline_after_ms(5000));
  ASSERT_TRUE(whole) << whole.error();
  EXPECT_EQ(std::memcmp(buf.data(), "01234567", 8), 0);
}

TEST(UnixSocket, EndOfFileIsReported) {
  Pair p = make_pair();
  p.a.reset();
  std::array<std::byte, 8> buf{};
  auto got = receive_message(p.b.get(), buf, 0, deadline_after_ms(5000));
  ASSERT_FALSE(got);
  EXPECT_NE(got.error().find("peer closed the connection"), std::string::npos) << got.error();
  // Sending to a closed peer must fail without SIGPIPE killing the test.
  const std::string msg = "x";
  EXPECT_FALSE(send_message(p.b.get(), as_bytes(msg)));
}

TEST(UnixSocket, PeerCredentialsAreOurs) {
  Pair p = make_pair();
  auto cred = peer_credentials(p.b.get());
  ASSERT_TRUE(cred) << cred.error();
  EXPECT_EQ(cred->pid, ::getpid());
  EXPECT_EQ(cred->uid, ::getuid());
  EXPECT_EQ(cred->gid, ::getgid());
}

TEST(UnixSocket, ConnectToMissingPathIsNoAgent) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Connected c = connect_unix(dir.path() + "/missing.sock");
  EXPECT_FALSE(c.fd);
  EXPECT_EQ(c.error, ConnectError::kNoAgent);
  EXPECT_FALSE(c.message.empty());
}

TEST(UnixSocket, ListenConnectAndStaleSocket) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string path = dir.path() + "/inst.sock";
  {
    auto listener = listen_unix(path);
    ASSERT_TRUE(listener) << listener.error();
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_NE(::fcntl(listener->get(), F_GETFL) & O_NONBLOCK, 0);

    Connected c = connect_unix(path);
    ASSERT_TRUE(c.fd) << c.message;
    EXPECT_EQ(c.error, ConnectError::kNone);
    EXPECT_EQ(::fcntl(c.fd.get(), F_GETFL) & O_NONBLOCK, 0) << "client socket is blocking";
    UniqueFd server(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
    ASSERT_TRUE(server);
    auto cred = peer_credentials(server.get());
    ASSERT_TRUE(cred);
    EXPECT_EQ(cred->pid, ::getpid());
  }
  // The listener is gone but its file remains: "no agent", and a new listener replaces it.
  Connected stale = connect_unix(path);
  EXPECT_EQ(stale.error, ConnectError::kNoAgent);
  auto again = listen_unix(path);
  ASSERT_TRUE(again) << again.error();
  EXPECT_TRUE(connect_unix(path).fd);
}

TEST(UnixSocket, PidfdOpens) {
  UniqueFd fd = open_pidfd(::getpid());
  EXPECT_TRUE(fd);
}
