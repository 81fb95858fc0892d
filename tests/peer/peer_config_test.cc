#include "peer/peer_config.h"

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

TEST(PeerConfigTest, EmptyTextGivesDefaults) {
  absl::StatusOr<PeerConfig> c = ParsePeerConfig("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tracker_port, 6969);
  EXPECT_EQ(c->chunk_size_kib, 256u);
  EXPECT_TRUE(c->reseed);
  // Reachable from other machines with no set-up (issue #12).
  EXPECT_EQ(c->chunk_listen, "tcp://*:6881");
}

TEST(PeerConfigTest, PublicEndpointRoundTrips) {
  absl::StatusOr<PeerConfig> c = ParsePeerConfig("chunk_public_endpoint=tcp://203.0.113.5:16881\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->chunk_public_endpoint, "tcp://203.0.113.5:16881");
  absl::StatusOr<PeerConfig> again = ParsePeerConfig(FormatPeerConfig(*c));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->chunk_public_endpoint, "tcp://203.0.113.5:16881");
}

TEST(PeerConfigTest, TrackerHostTakesIpv6WithOrWithoutBrackets) {
  for (const char* text : {"tracker_host=[2001:db8::1]\n", "tracker_host=2001:db8::1\n"}) {
    absl::StatusOr<PeerConfig> c = ParsePeerConfig(text);
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->tracker_host, "2001:db8::1");
    // Written back without brackets, read back the same.
    absl::StatusOr<PeerConfig> again = ParsePeerConfig(FormatPeerConfig(*c));
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->tracker_host, "2001:db8::1");
  }
}

// Several instances of one tracker network: the first entry is the host
// (with tracker_port), later ones may carry their own port.
TEST(PeerConfigTest, TrackerHostListsSeveralInstances) {
  absl::StatusOr<PeerConfig> c = ParsePeerConfig(
      "tracker_port=7000\ntracker_host=a.lan, 10.0.0.2:7001,[2001:db8::3],2001:db8::4\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tracker_host, "a.lan");
  EXPECT_EQ(c->tracker_port, 7000);
  std::vector<std::string> fallbacks;
  for (const HostPort& f : c->tracker_fallbacks)
    fallbacks.push_back(FormatHostPort(f.host, f.port));
  EXPECT_EQ(fallbacks, (std::vector<std::string>{"10.0.0.2:7001", "[2001:db8::3]:7000",
                                                 "[2001:db8::4]:7000"}));
  absl::StatusOr<PeerConfig> again = ParsePeerConfig(FormatPeerConfig(*c));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->tracker_host, "a.lan");
  ASSERT_EQ(again->tracker_fallbacks.size(), 3u);
  EXPECT_EQ(again->tracker_fallbacks[1].host, "2001:db8::3");
  EXPECT_EQ(again->tracker_fallbacks[1].port, 7000);

  for (const char* bad : {"tracker_host=a,\n", "tracker_host=a,b c\n", "tracker_host=a,b:0\n",
                          "tracker_host=a,,b\n", "tracker_host=a:1,b\n"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParsePeerConfig(bad).status())) << bad;
  }
  // inih cuts lines past 199 bytes and reads the rest as another line (a
  // list of 16 long names came back with 2 entries): such lines are refused,
  // and so is a list that would not fit one line once written with ports.
  std::string longest = "tracker_host=" + std::string(60, 'h');
  for (size_t i = 1; i < kMaxTrackerAddresses; ++i) {
    longest += "," + std::string(56, 'h') + std::to_string(1000 + i) + ":6970";
  }
  EXPECT_TRUE(absl::IsInvalidArgument(ParsePeerConfig(longest + "\n").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParsePeerConfig("username=alice\nadmin_socket=/" + std::string(200, 's') + "\n").status()));
  std::string fits = "tracker_host=a";
  for (int i = 0; i < 11; ++i) fits += ",b" + std::to_string(i);  // 11 x 9 bytes with ports
  absl::StatusOr<PeerConfig> fitting = ParsePeerConfig("tracker_port=6969\n" + fits + "\n");
  ASSERT_TRUE(fitting.ok()) << fitting.status();
  absl::StatusOr<PeerConfig> fitting_again = ParsePeerConfig(FormatPeerConfig(*fitting));
  ASSERT_TRUE(fitting_again.ok()) << fitting_again.status();
  EXPECT_EQ(FormatPeerConfig(*fitting_again), FormatPeerConfig(*fitting));
  std::string too_long_written = "tracker_host=a";
  for (int i = 0; i < 15; ++i) too_long_written += "," + std::string(8, 'b') + std::to_string(i);
  ASSERT_LE(too_long_written.size(), kMaxConfigLineBytes);
  EXPECT_TRUE(absl::IsInvalidArgument(ParsePeerConfig(too_long_written + "\n").status()));

  std::string many = "tracker_host=a";
  for (size_t i = 0; i < kMaxTrackerAddresses; ++i) many += ",b" + std::to_string(i);
  EXPECT_TRUE(absl::IsInvalidArgument(ParsePeerConfig(many + "\n").status()));
}

TEST(PeerConfigTest, ANulByteIsRefusedNotAnEndOfFile) {
  // inih stops at a NUL: the username after it would have been ignored.
  const std::string text("# header\0\nusername=alice\n", 25);
  absl::StatusOr<PeerConfig> config = ParsePeerConfig(text);
  EXPECT_TRUE(absl::IsInvalidArgument(config.status())) << config.status();
}

TEST(PeerConfigTest, ARepeatedKeyIsRefused) {
  // INIReader would join the two values with a line break.
  absl::StatusOr<PeerConfig> config = ParsePeerConfig("tracker_host=a\ntracker_host=b\n");
  EXPECT_TRUE(absl::IsInvalidArgument(config.status())) << config.status();
}

TEST(PeerConfigTest, EveryKeyRepeatedIsRefused) {
  for (const char* line :
       {"tracker_host=a", "tracker_port=1", "username=u", "chunk_listen=tcp://127.0.0.1:1",
        "chunk_public_endpoint=tcp://a:1", "chunk_size_kib=16", "announce_interval_s=5",
        "serve_budget_mib=8", "reseed=true", "download_history=5", "admin_socket=/s",
        "admin_tcp=127.0.0.1:1", "admin_tls_cert=/c", "admin_tls_key=/k", "admin_token_file=/t"}) {
    const std::string text = std::string(line) + "\n" + line + "\n";
    absl::StatusOr<PeerConfig> config = ParsePeerConfig(text);
    EXPECT_TRUE(absl::IsInvalidArgument(config.status())) << line << ": " << config.status();
  }
}

TEST(PeerConfigTest, ServeBudgetKey) {
  absl::StatusOr<PeerConfig> config = ParsePeerConfig("serve_budget_mib=64\n");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->serve_budget_mib, 64u);
  EXPECT_NE(FormatPeerConfig(*config).find("serve_budget_mib=64"), std::string::npos);
  EXPECT_EQ(FormatPeerConfig(PeerConfig{}).find("serve_budget_mib"), std::string::npos);
  EXPECT_FALSE(ParsePeerConfig("serve_budget_mib=1\n").ok());
}

TEST(PeerConfigTest, ParsesEveryKey) {
  absl::StatusOr<PeerConfig> c = ParsePeerConfig(
      "tracker_host=10.0.0.1\ntracker_port=7000\nusername=alice\n"
      "chunk_listen=tcp://0.0.0.0:6881\nchunk_size_kib=1024\nannounce_interval_s=5\n"
      "reseed=false\nadmin_socket=/tmp/a.sock\nunknown_key=whatever\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tracker_host, "10.0.0.1");
  EXPECT_EQ(c->tracker_port, 7000);
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->chunk_listen, "tcp://0.0.0.0:6881");
  EXPECT_EQ(c->chunk_size_kib, 1024u);
  EXPECT_EQ(c->announce_interval_s, 5u);
  EXPECT_FALSE(c->reseed);
  EXPECT_EQ(c->admin_socket, "/tmp/a.sock");
}

TEST(PeerConfigTest, BadValuesNameTheKey) {
  struct Case {
    const char* text;
    const char* key;
  } cases[] = {{"tracker_port=0", "tracker_port"},
               {"tracker_port=70000", "tracker_port"},
               {"tracker_port=abc", "tracker_port"},
               {"tracker_host=10.0.0.1:6969", "tracker_host"},
               {"tracker_host=[::1", "tracker_host"},
               {"tracker_host=a b", "tracker_host"},
               {"chunk_public_endpoint=ipc:///x", "chunk_public_endpoint"},
               {"chunk_public_endpoint=tcp://1.2.3.4:0", "chunk_public_endpoint"},
               {"chunk_size_kib=100", "chunk_size_kib"},
               {"chunk_size_kib=8", "chunk_size_kib"},
               {"username=bad name!", "username"},
               {"reseed=maybe", "reseed"},
               {"chunk_listen=http://x", "chunk_listen"},
               {"announce_interval_s=-1", "announce_interval_s"}};
  for (const Case& c : cases) {
    absl::StatusOr<PeerConfig> r = ParsePeerConfig(c.text);
    ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.key), std::string::npos) << r.status();
  }
}

TEST(PeerConfigTest, GarbageIsRejected) {
  EXPECT_EQ(ParsePeerConfig("this is not key value\n").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PeerConfigTest, FormatRoundTrips) {
  PeerConfig c;
  c.username = "bob";
  c.tracker_port = 1234;
  c.reseed = false;
  c.chunk_size_kib = 64;
  absl::StatusOr<PeerConfig> back = ParsePeerConfig(FormatPeerConfig(c));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->username, "bob");
  EXPECT_EQ(back->tracker_port, 1234);
  EXPECT_FALSE(back->reseed);
  EXPECT_EQ(back->chunk_size_kib, 64u);
}

TEST(PeerConfigTest, UpdateKeepsEverythingElseAsWritten) {
  const std::string before =
      "# my node\n"
      "Tracker_Host = old.example\n"
      "; chunk size picked by hand\n"
      "chunk_size_kib=64\n"
      "tracker_port: 6969\n";
  absl::StatusOr<std::string> after = UpdatePeerConfigText(
      before, {{"tracker_host", "new.example"}, {"tracker_port", "7000"}, {"username", "eve"}});
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(*after,
            "# my node\n"
            "tracker_host=new.example\n"
            "; chunk size picked by hand\n"
            "chunk_size_kib=64\n"
            "tracker_port=7000\n"
            "username=eve\n");
  absl::StatusOr<PeerConfig> parsed = ParsePeerConfig(*after);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->tracker_host, "new.example");
  EXPECT_EQ(parsed->tracker_port, 7000);
  EXPECT_EQ(parsed->username, "eve");
  EXPECT_EQ(parsed->chunk_size_kib, 64u);
}

TEST(PeerConfigTest, UpdateReachesSectionsAndAddsBeforeTheFirst) {
  absl::StatusOr<std::string> after = UpdatePeerConfigText(
      "reseed=false\n[peer]\nusername=old\n", {{"username", "new"}, {"tracker_port", "9"}});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, "reseed=false\ntracker_port=9\n[peer]\nusername=new\n");
  absl::StatusOr<PeerConfig> parsed = ParsePeerConfig(*after);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->username, "new");
  EXPECT_EQ(parsed->tracker_port, 9);
}

TEST(PeerConfigTest, UpdateLeavesOtherSectionsAloneAndAddsWhatIsRead) {
  absl::StatusOr<std::string> after =
      UpdatePeerConfigText("tracker_port=7000\n[other]\nusername=ignored\n", {{"username", "new"}});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, "tracker_port=7000\nusername=new\n[other]\nusername=ignored\n");
  EXPECT_EQ(ParsePeerConfig(*after)->username, "new");
}

TEST(PeerConfigTest, AnUpdateThatWouldNotReadBackIsRefused) {
  // The added key would swallow the indented header as a continuation line.
  EXPECT_TRUE(absl::IsFailedPrecondition(
      UpdatePeerConfigText(" [peer]\n", {{"username", "new"}}).status()));
}

TEST(PeerConfigTest, UpdateOfNothingStartsAFileAndRefusesLineBreaks) {
  absl::StatusOr<std::string> fresh = UpdatePeerConfigText("", {{"username", "zed"}});
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(ParsePeerConfig(*fresh)->username, "zed");
  EXPECT_EQ((*fresh)[0], '#');
  EXPECT_EQ(UpdatePeerConfigText("", {{"username", "a\nreseed=false"}}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UpdatePeerConfigText("", {{"username", std::string("a\0b", 3)}}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pytorrent::peer
