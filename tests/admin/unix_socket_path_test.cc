// admin/unix_socket_path: a socket whose path is far longer than sun_path is
// bound and dialed through /proc/self/fd/<folder fd>/<name>.

#include "admin/unix_socket_path.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/admin/test_support.h"

namespace pytorrent::admin {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// socket() + bind()/connect() on `address`; returns the fd or -1.
int UnixSocketAt(const std::string& address, bool listen_on_it) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  if (address.size() >= sizeof(addr.sun_path)) {
    close(fd);
    return -1;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address.c_str(), address.size() + 1);
  const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
  const bool ok = listen_on_it ? bind(fd, sa, sizeof(addr)) == 0 && listen(fd, 4) == 0
                               : connect(fd, sa, sizeof(addr)) == 0;
  if (!ok) {
    close(fd);
    return -1;
  }
  return fd;
}

class UnixSocketPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeSocketDir();
    ASSERT_GT(dir_.size(), 150u) << "MakeSocketDir makes long paths on purpose";
  }
  void TearDown() override { testing::RemoveTree(dir_); }
  std::string dir_;
};

TEST_F(UnixSocketPathTest, BindsAndConnectsWhenThePathIsFarTooLongForSunPath) {
  const std::string path = dir_ + "/admin.sock";
  ASSERT_GT(path.size(), sizeof(sockaddr_un{}.sun_path));

  absl::StatusOr<UnixSocketPath> server_side = UnixSocketPath::Open(path);
  ASSERT_TRUE(server_side.ok()) << server_side.status();
  EXPECT_EQ(server_side->path(), path);
  EXPECT_EQ(server_side->name(), "admin.sock");
  EXPECT_THAT(server_side->Alias(), StartsWith("/proc/self/fd/"));
  EXPECT_LE(server_side->Alias().size(), UnixSocketPath::kMaxAddressBytes);
  EXPECT_EQ(server_side->GrpcTarget(), "unix:" + server_side->Alias());

  const int listener = UnixSocketAt(server_side->Alias(), /*listen_on_it=*/true);
  ASSERT_GE(listener, 0) << std::strerror(errno);
  // The socket really is at the long path.
  struct stat st {};
  ASSERT_EQ(lstat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));

  // A second, independent opener (as a client would be) reaches it.
  absl::StatusOr<UnixSocketPath> client_side = UnixSocketPath::Open(path);
  ASSERT_TRUE(client_side.ok()) << client_side.status();
  EXPECT_NE(client_side->dir_fd(), server_side->dir_fd());
  const int client = UnixSocketAt(client_side->Alias(), /*listen_on_it=*/false);
  ASSERT_GE(client, 0) << std::strerror(errno);
  const int accepted = accept(listener, nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  ASSERT_EQ(write(client, "hi", 2), 2);
  char buf[2] = {};
  ASSERT_EQ(read(accepted, buf, 2), 2);
  EXPECT_EQ(std::string(buf, 2), "hi");
  close(accepted);
  close(client);
  close(listener);

  // The folder fd works for *at() calls on the socket.
  EXPECT_EQ(fstatat(server_side->dir_fd(), "admin.sock", &st, AT_SYMLINK_NOFOLLOW), 0);
  EXPECT_EQ(unlinkat(server_side->dir_fd(), "admin.sock", 0), 0);
  EXPECT_NE(lstat(path.c_str(), &st), 0);
}

TEST_F(UnixSocketPathTest, RelativePathsAndAliasOf) {
  absl::StatusOr<UnixSocketPath> rel = UnixSocketPath::Open("admin.sock");
  ASSERT_TRUE(rel.ok()) << rel.status();
  EXPECT_EQ(rel->name(), "admin.sock");
  EXPECT_EQ(rel->AliasOf(".admin-1/s"),
            "/proc/self/fd/" + std::to_string(rel->dir_fd()) + "/.admin-1/s");

  absl::StatusOr<UnixSocketPath> root = UnixSocketPath::Open("/x.sock");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(root->name(), "x.sock");
}

TEST_F(UnixSocketPathTest, MoveKeepsTheFolderOpenAndDestructionClosesIt) {
  absl::StatusOr<UnixSocketPath> opened = UnixSocketPath::Open(dir_ + "/a.sock");
  ASSERT_TRUE(opened.ok());
  const int fd = opened->dir_fd();
  UnixSocketPath moved = *std::move(opened);
  EXPECT_EQ(moved.dir_fd(), fd);
  EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
  {
    UnixSocketPath gone = std::move(moved);
    EXPECT_EQ(moved.dir_fd(), -1);  // NOLINT(bugprone-use-after-move): moved-from is empty
  }
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
}

TEST_F(UnixSocketPathTest, TypedErrors) {
  EXPECT_EQ(UnixSocketPath::Open("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UnixSocketPath::Open(dir_ + "/").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UnixSocketPath::Open(dir_ + "/..").status().code(), absl::StatusCode::kInvalidArgument);

  absl::Status missing = UnixSocketPath::Open(dir_ + "/nope/admin.sock").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("/nope"));

  const std::string file = dir_ + "/file";
  { ASSERT_GE(close(open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600)), 0); }
  EXPECT_EQ(UnixSocketPath::Open(file + "/admin.sock").status().code(),
            absl::StatusCode::kFailedPrecondition);

  // Even the short alias cannot hold a 120-byte name.
  absl::Status long_name = UnixSocketPath::Open(dir_ + "/" + std::string(120, 's')).status();
  EXPECT_EQ(long_name.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(long_name.message()), HasSubstr("120 bytes"));

  if (geteuid() != 0) {  // root searches any folder
    const std::string closed = dir_ + "/closed";
    ASSERT_EQ(mkdir(closed.c_str(), 0), 0);
    EXPECT_EQ(UnixSocketPath::Open(closed + "/sub/admin.sock").status().code(),
              absl::StatusCode::kPermissionDenied);
    chmod(closed.c_str(), 0700);
  }
}

}  // namespace
}  // namespace pytorrent::admin
