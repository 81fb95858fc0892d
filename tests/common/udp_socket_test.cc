#include "common/udp_socket.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace pytorrent {
namespace {

uint16_t LocalPort(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
}

TEST(UdpSocketTest, BoundAndConnectedSocketsTalk) {
  absl::StatusOr<int> server = OpenUdpSocket("127.0.0.1", 0, UdpRole::kBind, true);
  ASSERT_TRUE(server.ok()) << server.status();
  const uint16_t port = LocalPort(*server);
  ASSERT_NE(port, 0);
  absl::StatusOr<int> client = OpenUdpSocket("127.0.0.1", port, UdpRole::kConnect);
  ASSERT_TRUE(client.ok()) << client.status();
  ASSERT_EQ(send(*client, "ping", 4, 0), 4);
  pollfd p{*server, POLLIN, 0};
  ASSERT_EQ(poll(&p, 1, 10000), 1);
  char buffer[8] = {};
  EXPECT_EQ(recv(*server, buffer, sizeof(buffer), 0), 4);
  EXPECT_EQ(std::string(buffer, 4), "ping");
  close(*client);
  close(*server);
}

TEST(UdpSocketTest, AddressInUseIsUnavailableWithTheReason) {
  absl::StatusOr<int> first = OpenUdpSocket("127.0.0.1", 0, UdpRole::kBind);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<int> second = OpenUdpSocket("127.0.0.1", LocalPort(*first), UdpRole::kBind);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find(std::strerror(EADDRINUSE)), std::string::npos)
      << second.status();
  close(*first);
}

}  // namespace
}  // namespace pytorrent
