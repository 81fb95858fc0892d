#include "common/host_port.h"

#include "gtest/gtest.h"

namespace pytorrent {
namespace {

TEST(HostPortTest, ParsesNamesIpv4AndBracketedIpv6) {
  struct Case {
    const char* text;
    const char* host;
    uint16_t port;
  };
  for (const Case& c :
       {Case{"tracker.lan:6969", "tracker.lan", 6969}, Case{"10.9.0.1:1", "10.9.0.1", 1},
        Case{"[::1]:6969", "::1", 6969}, Case{"[2001:db8::1]:65535", "2001:db8::1", 65535},
        Case{"[fe80::1%eth0]:7", "fe80::1%eth0", 7},
        Case{"[::ffff:10.0.0.1]:80", "::ffff:10.0.0.1", 80}}) {
    absl::StatusOr<HostPort> a = ParseHostPort(c.text);
    ASSERT_TRUE(a.ok()) << c.text << ": " << a.status();
    EXPECT_EQ(a->host, c.host) << c.text;
    EXPECT_EQ(a->port, c.port) << c.text;
  }
}

TEST(HostPortTest, RefusesWhatIsNotHostPort) {
  for (const char* text :
       {"", ":6969", "host", "host:", "host:0", "host:65536", "host:+80", "host:80x", "::1:6969",
        "2001:db8::1", "[::1]", "[::1:6969", "[10.0.0.1]:80", "[not:v6]:80", "a b:80",
        "tcp://host:80", "[]:80", "host/x:80"}) {
    EXPECT_FALSE(ParseHostPort(text).ok()) << text;
  }
  EXPECT_FALSE(ParseHostPort(std::string(300, 'a') + ":80").ok());
}

TEST(HostPortTest, PortZeroOnlyWhereAllowed) {
  EXPECT_FALSE(ParseHostPort("[::]:0").ok());
  absl::StatusOr<HostPort> any = ParseHostPort("[::]:0", /*min_port=*/0);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->host, "::");
  EXPECT_EQ(any->port, 0);
}

TEST(HostPortTest, HostAloneTakesIpv6WithOrWithoutBrackets) {
  EXPECT_EQ(*ParseHost("[::1]"), "::1");
  EXPECT_EQ(*ParseHost("::1"), "::1");
  EXPECT_EQ(*ParseHost("10.9.0.1"), "10.9.0.1");
  EXPECT_EQ(*ParseHost("tracker.lan"), "tracker.lan");
  for (const char* text : {"", "[", "[]", "[::1", "a:b", "[host]", "a;b", "1.2.3.4:80"}) {
    EXPECT_FALSE(ParseHost(text).ok()) << text;
  }
}

TEST(HostPortTest, FormatBracketsIpv6Only) {
  EXPECT_EQ(FormatHostPort("::1", 6969), "[::1]:6969");
  EXPECT_EQ(FormatHostPort("10.0.0.1", 6969), "10.0.0.1:6969");
  EXPECT_EQ(FormatHostPort("tracker.lan", 1), "tracker.lan:1");
  // What FormatHostPort writes, ParseHostPort reads back.
  absl::StatusOr<HostPort> back = ParseHostPort(FormatHostPort("2001:db8::7", 80));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->host, "2001:db8::7");
}

TEST(HostPortTest, Ipv6LiteralDetection) {
  EXPECT_TRUE(IsIpv6Literal("::"));
  EXPECT_TRUE(IsIpv6Literal("2001:db8::1"));
  EXPECT_TRUE(IsIpv6Literal("fe80::1%eth0"));
  EXPECT_FALSE(IsIpv6Literal("10.0.0.1"));
  EXPECT_FALSE(IsIpv6Literal("host"));
  EXPECT_FALSE(IsIpv6Literal(""));
}

}  // namespace
}  // namespace pytorrent
