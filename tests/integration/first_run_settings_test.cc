// First run against the real binaries: a peer started without a username
// reports none over its admin socket (the CLI then asks for one) while it is
// registered on the tracker under a placeholder; UpdateSettings renames it at
// once and a new tracker address is used at once (the node leaves the old
// tracker and announces to the new one), and both are saved to the config;
// a seeding switch survives a restart.
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "peer/tracker_client.h"
#include "proto/admin.grpc.pb.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace pytorrent::testing {
namespace {

std::unique_ptr<peer::TrackerClient> ClientFor(uint16_t port) {
  auto client = peer::TrackerClient::Create({.host = "127.0.0.1",
                                             .port = port,
                                             .initial_timeout = absl::Milliseconds(200),
                                             .max_retries = 3});
  return client.ok() ? *std::move(client) : nullptr;
}

// Usernames the tracker lists.
std::vector<std::string> UsernamesOn(peer::TrackerClient& tracker) {
  std::vector<std::string> names;
  absl::StatusOr<v1::ListPeersResponse> peers = tracker.ListPeers({});
  if (!peers.ok()) return {"<unreachable>"};
  for (const auto& p : peers->peers()) names.push_back(p.username());
  return names;
}

// Polls `done` until it holds or 20 s pass.
bool WaitFor(const std::function<bool()>& done) {
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    if (done()) return true;
    usleep(50'000);  // polling interval of the deadline wait
  }
  return done();
}

std::unique_ptr<v1::PeerAdmin::Stub> AdminOf(PeerProcess& peer) {
  return v1::PeerAdmin::NewStub(
      grpc::CreateChannel(peer.admin_target(), grpc::InsecureChannelCredentials()));
}

grpc::Status Call(const std::function<grpc::Status(grpc::ClientContext*)>& rpc) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.set_wait_for_ready(true);
  return rpc(&context);
}

TEST(FirstRunSettingsTest, NoUsernameUntilSetThenRenameAndTrackerSwitchApplyAtOnce) {
  std::string dir = TestDir("first_run");
  auto tracker_a = TrackerProcess::Start({.dir = dir + "/tracker_a"});
  ASSERT_TRUE(tracker_a.ok()) << tracker_a.status();
  auto tracker_b = TrackerProcess::Start({.dir = dir + "/tracker_b"});
  ASSERT_TRUE(tracker_b.ok()) << tracker_b.status();
  std::string home = dir + "/node";
  WriteRandomFile(home + "/user/shared_files/song.bin", 100'000, 5);
  auto node =
      PeerProcess::Start({.home = home,
                          .args = {"--tracker", absl::StrCat("127.0.0.1:", (*tracker_a)->port()),
                                   "--announce-interval-s", "600"}});
  ASSERT_TRUE(node.ok()) << node.status();
  auto a = ClientFor((*tracker_a)->port());
  auto b = ClientFor((*tracker_b)->port());
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto admin = AdminOf(**node);

  v1::PeerStatus status;
  ASSERT_TRUE(Call([&](grpc::ClientContext* c) {
                return admin->GetStatus(c, v1::GetStatusRequest(), &status);
              }).ok());
  EXPECT_EQ(status.username(), "");
  std::vector<std::string> on_a = UsernamesOn(*a);
  ASSERT_EQ(on_a.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(on_a[0], "peer-")) << on_a[0];

  // Username only: renamed on tracker A before the call returns.
  v1::UpdateSettingsRequest rename;
  rename.set_username("erin");
  v1::UpdateSettingsResponse ignored;
  grpc::Status s =
      Call([&](grpc::ClientContext* c) { return admin->UpdateSettings(c, rename, &ignored); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(UsernamesOn(*a), std::vector<std::string>{"erin"});
  ASSERT_TRUE(Call([&](grpc::ClientContext* c) {
                return admin->GetStatus(c, v1::GetStatusRequest(), &status);
              }).ok());
  EXPECT_EQ(status.username(), "erin");

  // Tracker B: used at once, with the 600 s announce interval still running.
  v1::UpdateSettingsRequest move;
  move.set_username("erin2");
  move.set_tracker_host("127.0.0.1");
  move.set_tracker_port((*tracker_b)->port());
  s = Call([&](grpc::ClientContext* c) { return admin->UpdateSettings(c, move, &ignored); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(WaitFor([&] { return UsernamesOn(*b) == std::vector<std::string>{"erin2"}; }));
  EXPECT_TRUE(WaitFor([&] { return UsernamesOn(*a).empty(); }));
  v1::SearchFilesRequest search;
  search.set_query("song");
  absl::StatusOr<v1::SearchFilesResponse> found = b->SearchFiles(search);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->files_size(), 1);
  std::string root = found->files(0).root_hash();

  std::string config = ReadFile(home + "/config/config.txt");
  EXPECT_TRUE(absl::StrContains(config, "username=erin2")) << config;
  EXPECT_TRUE(absl::StrContains(config, absl::StrCat("tracker_port=", (*tracker_b)->port())))
      << config;

  // Seeding switched off survives a restart (which uses the saved tracker).
  v1::SetSeedingRequest off;
  off.set_root_hash(root);
  off.set_seeding(false);
  v1::SetSeedingResponse off_reply;
  s = Call([&](grpc::ClientContext* c) { return admin->SetSeeding(c, off, &off_reply); });
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(WaitFor([&] {
    absl::StatusOr<v1::SearchFilesResponse> f = b->SearchFiles(search);
    return f.ok() && f->files_size() == 0;
  }));
  admin.reset();
  ASSERT_EQ((*node)->Stop(), 0);
  node = PeerProcess::Start({.home = home});
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_TRUE(WaitFor([&] { return UsernamesOn(*b) == std::vector<std::string>{"erin2"}; }));
  found = b->SearchFiles(search);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->files_size(), 0) << "seeding switch lost at restart";
  admin = AdminOf(**node);
  v1::ListSharedFilesResponse files;
  ASSERT_TRUE(Call([&](grpc::ClientContext* c) {
                return admin->ListSharedFiles(c, v1::ListSharedFilesRequest(), &files);
              }).ok());
  ASSERT_EQ(files.files_size(), 1);
  EXPECT_FALSE(files.files(0).seeding());
  EXPECT_EQ((*node)->Stop(), 0);
}

}  // namespace
}  // namespace pytorrent::testing
