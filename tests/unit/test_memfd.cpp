// SPDX-License-Identifier: Apache-2.0
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "multiprocess.hpp"
#include "shmon/memfd.hpp"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

using namespace shmon;

namespace {
constexpr std::size_t kSize = 3 * 4096;
}

TEST(Memfd, CreateSizesAndSealShared) {
  auto fd = create_region("test-region", kSize);
  ASSERT_TRUE(fd) << fd.error();
  struct stat st;
  ASSERT_EQ(::fstat(fd->get(), &st), 0);
  EXPECT_EQ(std::size_t(st.st_size), kSize);
  EXPECT_EQ(::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_EQ(::fcntl(fd->get(), F_GET_SEALS), 0) << "unsealed until the caller seals it";

  ASSERT_TRUE(seal_shared(fd->get()));
  EXPECT_EQ(::fcntl(fd->get(), F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  EXPECT_NE(::ftruncate(fd->get(), kSize / 2), 0);
  EXPECT_NE(::ftruncate(fd->get(), kSize * 2), 0);
  EXPECT_NE(::fcntl(fd->get(), F_ADD_SEALS, F_SEAL_WRITE), 0) << "F_SEAL_SEAL freezes the seals";

  auto size = verify_region(fd->get(), 4096, kSize);
  ASSERT_TRUE(size) << size.error();
  EXPECT_EQ(*size, kSize);

  auto m = Mapping::map(fd->get(), kSize, true);
  ASSERT_TRUE(m) << m.error();
  m->data()[kSize - 1] = std::byte{42};
  auto m2 = Mapping::map(fd->get(), kSize, false);
  ASSERT_TRUE(m2) << m2.error();
  EXPECT_EQ(m2->data()[kSize - 1], std::byte{42}) << "MAP_SHARED mappings see each other";
}

TEST(Memfd, VerifyRefusesUnsealedPipeAndWrongSizes) {
  auto fd = create_region("test-unsealed", kSize);
  ASSERT_TRUE(fd);
  auto unsealed = verify_region(fd->get(), 0, kSize);
  ASSERT_FALSE(unsealed);
  EXPECT_NE(unsealed.error().find("not sealed"), std::string::npos) << unsealed.error();

  ASSERT_TRUE(seal_shared(fd->get()));
  auto small = verify_region(fd->get(), kSize + 1, kSize * 2);
  ASSERT_FALSE(small);
  EXPECT_NE(small.error().find(std::to_string(kSize)), std::string::npos) << small.error();
  auto large = verify_region(fd->get(), 0, kSize - 1);
  ASSERT_FALSE(large);
  EXPECT_NE(large.error().find("limit"), std::string::npos) << large.error();

  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  UniqueFd r(p[0]), w(p[1]);
  auto piped = verify_region(r.get(), 0, kSize);
  ASSERT_FALSE(piped);
  EXPECT_NE(piped.error().find("not a memfd"), std::string::npos) << piped.error();
}

TEST(Memfd, FutureWriteSealKeepsCreatorWritableOnly) {
  auto fd = create_region("test-ro", kSize);
  ASSERT_TRUE(fd);
  auto writer = Mapping::map(fd->get(), kSize, true);
  ASSERT_TRUE(writer) << writer.error();
  auto st = seal_read_only(fd->get());
  ASSERT_TRUE(st) << st.error();
  const int seals = ::fcntl(fd->get(), F_GET_SEALS);
  EXPECT_EQ(seals, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL);

  auto second_writer = Mapping::map(fd->get(), kSize, true);
  EXPECT_FALSE(second_writer) << "a new writable mapping must be refused";
  EXPECT_NE(::write(fd->get(), "x", 1), 1) << "write(2) must be refused too";

  auto reader = Mapping::map(fd->get(), kSize, false);
  ASSERT_TRUE(reader) << reader.error();
  std::memcpy(writer->data() + 100, "hello", 5);
  EXPECT_EQ(std::memcmp(reader->data() + 100, "hello", 5), 0);
  EXPECT_TRUE(verify_region(fd->get(), kSize, kSize));
}

TEST(Memfd, ReopenReadOnlyCannotBeMappedWritable) {
  auto fd = create_region("test-reopen", kSize);
  ASSERT_TRUE(fd);
  ASSERT_TRUE(seal_shared(fd->get()));
  auto ro = reopen_read_only(fd->get());
  ASSERT_TRUE(ro) << ro.error();
  EXPECT_EQ(::fcntl(ro->get(), F_GETFL) & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(::fcntl(ro->get(), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
  EXPECT_FALSE(Mapping::map(ro->get(), kSize, true));
  auto reader = Mapping::map(ro->get(), kSize, false);
  ASSERT_TRUE(reader);
  auto writer = Mapping::map(fd->get(), kSize, true);
  ASSERT_TRUE(writer);
  writer->data()[7] = std::byte{9};
  EXPECT_EQ(reader->data()[7], std::byte{9});
  EXPECT_TRUE(verify_region(ro->get(), kSize, kSize))
      << "seals are visible through the reopened fd";
}

TEST(Memfd, MappingMovesOwnership) {
  auto fd = create_region("test-move", 4096);
  ASSERT_TRUE(fd);
  auto m = Mapping::map(fd->get(), 4096, true);
  ASSERT_TRUE(m);
  Mapping a = std::move(*m);
  EXPECT_FALSE(m->valid());
  Mapping b;
  b = std::move(a);
  EXPECT_FALSE(a.valid());
  EXPECT_TRUE(b.valid());
  EXPECT_EQ(b.size(), 4096u);
}

// A reservation the system cannot honour must fail with a clear message. A file-size limit in a
// child makes the failure deterministic without exhausting the machine's memory.
TEST(Memfd, HugeRegionFailsWithClearMessage) {
  struct Out {
    char message[256];
  };
  shmon::testing::SharedBlock<Out> out;
  ASSERT_TRUE(out.ok());
  const pid_t child = shmon::testing::spawn([&] {
    ::signal(SIGXFSZ, SIG_IGN);
    rlimit lim{1 << 20, 1 << 20};
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return 10;
    auto fd = create_region("test-huge", std::size_t(1) << 30);
    if (fd) return 11;
    std::snprintf(out->message, sizeof(out->message), "%s", fd.error().c_str());
    return 0;
  });
  ASSERT_GT(child, 0);
  ASSERT_EQ(shmon::testing::wait_child(child, 10000), 0);
  const std::string msg = out->message;
  EXPECT_NE(msg.find("not enough shared memory"), std::string::npos) << msg;
  EXPECT_NE(msg.find("1073741824 bytes"), std::string::npos) << msg;
  EXPECT_NE(msg.find("test-huge"), std::string::npos) << msg;
}

// A memfd whose pages were never reserved, or were punched out, would make a reader's later
// fault allocate (or, on hugetlbfs, SIGBUS): verify_region refuses both.
TEST(Memfd, VerifyRefusesHolesAndNonMemfds) {
  UniqueFd sparse(::memfd_create("test-sparse", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  ASSERT_TRUE(sparse);
  ASSERT_EQ(::ftruncate(sparse.get(), kSize), 0);
  ASSERT_TRUE(seal_shared(sparse.get()));
  auto holes = verify_region(sparse.get(), 0, kSize);
  ASSERT_FALSE(holes);
  EXPECT_NE(holes.error().find("punched out"), std::string::npos) << holes.error();

  auto fd = create_region("test-punch", kSize);
  ASSERT_TRUE(fd);
  ASSERT_TRUE(seal_shared(fd->get()));
  EXPECT_TRUE(verify_region(fd->get(), 0, kSize));
  EXPECT_TRUE(verify_region_pages(fd->get(), kSize));
  ASSERT_EQ(::fallocate(fd->get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096), 0);
  EXPECT_FALSE(verify_region_pages(fd->get(), kSize));
  EXPECT_FALSE(verify_region(fd->get(), 0, kSize));

  UniqueFd file(::open("/var/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600));
  if (file) {
    ASSERT_EQ(::ftruncate(file.get(), kSize), 0);
    auto disk = verify_region(file.get(), 0, kSize);
    ASSERT_FALSE(disk);
    EXPECT_NE(disk.error().find("not a memfd"), std::string::npos) << disk.error();
  }
}
