// PeerAdmin and TrackerAdmin served by //admin:admin_server over a REAL Unix
// socket (and a TLS TCP listener), against the fakes in tests/fakes.

#include "admin/admin_server.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "admin/unix_socket_path.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/admin.grpc.pb.h"
#include "tests/admin/health.grpc.pb.h"
#include "tests/admin/reflection_messages.pb.h"
#include "tests/admin/test_support.h"
#include "tests/fakes/fake_peer_control.h"
#include "tests/fakes/fake_tracker_control.h"
#include "third_party/grpc_reflection/reflection_v1.grpc.pb.h"

namespace pytorrent::admin {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::pytorrent::testing::FakePeerControl;
using ::pytorrent::testing::FakeRootHash;
using ::pytorrent::testing::FakeTrackerControl;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Every call in these tests is bounded.
std::chrono::system_clock::time_point Deadline(int seconds = 10) {
  return std::chrono::system_clock::now() + std::chrono::seconds(seconds);
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(Deadline());
  return ctx;
}

// A channel to the Unix socket at `path` (any length) through its folder's
// /proc/self/fd alias; `keep` holds the folder open and must outlive it.
std::shared_ptr<grpc::Channel> DialUnix(const std::string& path,
                                        std::optional<UnixSocketPath>& keep) {
  absl::StatusOr<UnixSocketPath> socket = UnixSocketPath::Open(path);
  EXPECT_TRUE(socket.ok()) << socket.status();
  if (!socket.ok()) return nullptr;
  keep.emplace(*std::move(socket));
  return grpc::CreateChannel(keep->GrpcTarget(), grpc::InsecureChannelCredentials());
}

class PeerAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeSocketDir();
    socket_path_ = dir_ + "/admin.sock";
    FakePeerControl::FillDemo(node_, "dave");
    auto server = StartPeerAdminServer(node_, {.unix_socket_path = socket_path_});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = DialUnix(socket_path_, dial_);
    stub_ = v1::PeerAdmin::NewStub(channel_);
  }

  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
    testing::RemoveTree(dir_);
  }

  // Starts a download of `name` and returns its id.
  uint64_t Start(const std::string& name) {
    v1::StartDownloadRequest request;
    request.set_name(name);
    v1::StartDownloadResponse response;
    grpc::Status s = stub_->StartDownload(Ctx().get(), request, &response);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return response.download_id();
  }

  FakePeerControl node_;
  std::string dir_;
  std::string socket_path_;  // > 150 bytes (MakeSocketDir)
  std::unique_ptr<AdminServer> server_;
  std::optional<UnixSocketPath> dial_;  // outlives channel_
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PeerAdmin::Stub> stub_;
};

TEST_F(PeerAdminTest, SocketIsMode0600) {
  ASSERT_GT(socket_path_.size(), 150u);  // far beyond sun_path: served via the folder alias
  struct stat st {};
  ASSERT_EQ(lstat(socket_path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // The private folder the socket was bound in is gone.
  std::vector<std::string> entries;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    entries.push_back(e.path().filename().string());
  }
  EXPECT_THAT(entries, ElementsAre("admin.sock"));
}

TEST_F(PeerAdminTest, GetStatus) {
  v1::PeerStatus status;
  ASSERT_TRUE(stub_->GetStatus(Ctx().get(), {}, &status).ok());
  EXPECT_EQ(status.username(), "dave");
  EXPECT_EQ(status.peer_id(), 0x1111222233334444ULL);
  EXPECT_EQ(status.shared_files(), 2u);
}

TEST_F(PeerAdminTest, ListPeers) {
  v1::ListPeersResponse response;
  ASSERT_TRUE(stub_->ListPeers(Ctx().get(), {}, &response).ok());
  ASSERT_EQ(response.peers_size(), 3);
  EXPECT_EQ(response.peers(0).username(), "alice");

  v1::ListPeersRequest huge;
  huge.set_page_size(5000);
  grpc::Status s = stub_->ListPeers(Ctx().get(), huge, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("page_size"));

  node_.SetTrackerDown(true);
  s = stub_->ListPeers(Ctx().get(), {}, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("tracker"));
}

TEST_F(PeerAdminTest, ListSharedFiles) {
  v1::ListSharedFilesResponse response;
  ASSERT_TRUE(stub_->ListSharedFiles(Ctx().get(), {}, &response).ok());
  ASSERT_EQ(response.files_size(), 2);
  EXPECT_EQ(response.files(0).name(), "holiday.jpg");
  EXPECT_EQ(response.files(0).root_hash().size(), 32u);
}

TEST_F(PeerAdminTest, SearchFiles) {
  v1::SearchFilesRequest request;
  request.set_query("BUNNY");
  v1::SearchFilesResponse response;
  ASSERT_TRUE(stub_->SearchFiles(Ctx().get(), request, &response).ok());
  ASSERT_EQ(response.files_size(), 1);
  EXPECT_EQ(response.files(0).name(), "big_buck_bunny.mp4");

  request.set_query(std::string("a\nb"));
  grpc::Status s = stub_->SearchFiles(Ctx().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_query(std::string(300, 'x'));
  s = stub_->SearchFiles(Ctx().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("query is 300 bytes"));
}

TEST_F(PeerAdminTest, StartDownloadValidatesAndStarts) {
  v1::StartDownloadResponse response;
  v1::StartDownloadRequest request;
  grpc::Status s = stub_->StartDownload(Ctx().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("root_hash"));

  request.set_root_hash("short");
  s = stub_->StartDownload(Ctx().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("32-byte"));

  request.Clear();
  request.set_name("../etc/passwd");
  s = stub_->StartDownload(Ctx().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("name:"));

  request.set_name("nope.bin");
  s = stub_->StartDownload(Ctx().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("nope.bin"));

  request.Clear();
  request.set_root_hash(FakeRootHash("readme.md"));
  ASSERT_TRUE(stub_->StartDownload(Ctx().get(), request, &response).ok());
  EXPECT_NE(response.download_id(), 0u);
  EXPECT_NE(Start("debian-12.iso"), response.download_id());
}

TEST_F(PeerAdminTest, WatchDownloadStreamsSnapshotUpdatesAndEnds) {
  const uint64_t id = Start("readme.md");  // 4096 bytes
  v1::WatchDownloadRequest request;
  request.set_download_id(id);
  request.set_min_interval_ms(1);
  auto ctx = Ctx();
  auto reader = stub_->WatchDownload(ctx.get(), request);
  v1::DownloadProgress p;
  ASSERT_TRUE(reader->Read(&p));
  EXPECT_EQ(p.state(), v1::DOWNLOAD_STATE_STARTING);
  EXPECT_EQ(p.name(), "readme.md");
  EXPECT_EQ(p.size_bytes(), 4096u);

  ASSERT_TRUE(node_.Advance(id, 1000));
  ASSERT_TRUE(reader->Read(&p));
  EXPECT_EQ(p.state(), v1::DOWNLOAD_STATE_DOWNLOADING);
  EXPECT_EQ(p.bytes_done(), 1000u);
  EXPECT_EQ(p.peers_size(), 2);

  ASSERT_TRUE(node_.Advance(id, 5000));
  ASSERT_TRUE(reader->Read(&p));
  EXPECT_EQ(p.state(), v1::DOWNLOAD_STATE_COMPLETED);
  EXPECT_EQ(p.bytes_done(), 4096u);
  EXPECT_EQ(p.file_sha256().size(), 32u);
  EXPECT_FALSE(reader->Read(&p));
  EXPECT_TRUE(reader->Finish().ok());
}

TEST_F(PeerAdminTest, ShutdownEndsAWatcherParkedInALongInterval) {
  const uint64_t id = Start("big_buck_bunny.mp4");
  v1::WatchDownloadRequest request;
  request.set_download_id(id);
  request.set_min_interval_ms(60'000);  // parks the handler for a minute
  auto ctx = Ctx();
  auto reader = stub_->WatchDownload(ctx.get(), request);
  v1::DownloadProgress p;
  ASSERT_TRUE(reader->Read(&p));
  EXPECT_EQ(p.state(), v1::DOWNLOAD_STATE_STARTING);
  ASSERT_TRUE(node_.Advance(id, 1024));
  const absl::Time start = absl::Now();
  server_->Shutdown(absl::Seconds(30));
  // The drain signal wakes the handler: no waiting out the grace period.
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_FALSE(reader->Read(&p));
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(s.error_message(), HasSubstr("shutting down"));
}

TEST_F(PeerAdminTest, WatchDownloadSendsLatestStateAfterInterval) {
  const uint64_t id = Start("big_buck_bunny.mp4");
  v1::WatchDownloadRequest request;
  request.set_download_id(id);
  request.set_min_interval_ms(200);
  auto ctx = Ctx();
  auto reader = stub_->WatchDownload(ctx.get(), request);
  v1::DownloadProgress p;
  ASSERT_TRUE(reader->Read(&p));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(node_.Advance(id, 1024));
  ASSERT_TRUE(node_.Fail(id, "no seeders left"));
  std::vector<v1::DownloadProgress> seen;
  while (reader->Read(&p)) seen.push_back(p);
  EXPECT_TRUE(reader->Finish().ok());
  ASSERT_FALSE(seen.empty());
  EXPECT_LT(seen.size(), 21u);  // coalesced
  EXPECT_EQ(seen.back().state(), v1::DOWNLOAD_STATE_FAILED);
  EXPECT_EQ(seen.back().error(), "no seeders left");
}

TEST_F(PeerAdminTest, WatchDownloadRejectsBadIds) {
  v1::WatchDownloadRequest request;
  v1::DownloadProgress p;
  auto ctx = Ctx();
  auto reader = stub_->WatchDownload(ctx.get(), request);
  EXPECT_FALSE(reader->Read(&p));
  grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("download_id"));

  request.set_download_id(99);
  auto ctx2 = Ctx();
  reader = stub_->WatchDownload(ctx2.get(), request);
  EXPECT_FALSE(reader->Read(&p));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(PeerAdminTest, ListAndCancelDownloads) {
  const uint64_t a = Start("readme.md");
  const uint64_t b = Start("debian-12.iso");
  v1::ListDownloadsResponse list;
  ASSERT_TRUE(stub_->ListDownloads(Ctx().get(), {}, &list).ok());
  ASSERT_EQ(list.downloads_size(), 2);
  EXPECT_EQ(list.downloads(0).download_id(), a);

  v1::CancelDownloadRequest cancel;
  v1::CancelDownloadResponse none;
  EXPECT_EQ(stub_->CancelDownload(Ctx().get(), cancel, &none).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  cancel.set_download_id(12345);
  EXPECT_EQ(stub_->CancelDownload(Ctx().get(), cancel, &none).error_code(),
            grpc::StatusCode::NOT_FOUND);
  cancel.set_download_id(b);
  ASSERT_TRUE(stub_->CancelDownload(Ctx().get(), cancel, &none).ok());
  ASSERT_TRUE(stub_->ListDownloads(Ctx().get(), {}, &list).ok());
  EXPECT_EQ(list.downloads(1).state(), v1::DOWNLOAD_STATE_CANCELLED);
}

TEST_F(PeerAdminTest, ShareFile) {
  v1::ShareFileRequest request;
  v1::ShareFileResponse response;
  request.set_path("relative/file.txt");
  grpc::Status s = stub_->ShareFile(Ctx().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("absolute"));
  request.set_path("/nonexistent/x.bin");
  EXPECT_EQ(stub_->ShareFile(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_path("/srv/data/song.ogg");
  ASSERT_TRUE(stub_->ShareFile(Ctx().get(), request, &response).ok());
  EXPECT_EQ(response.file().name(), "song.ogg");
  EXPECT_THAT(node_.shared_paths(), ElementsAre("/srv/data/song.ogg"));
}

TEST_F(PeerAdminTest, SetSeeding) {
  v1::SetSeedingRequest request;
  v1::SetSeedingResponse response;
  request.set_root_hash("abc");
  EXPECT_EQ(stub_->SetSeeding(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_root_hash(FakeRootHash("notes.txt"));
  request.set_seeding(false);
  ASSERT_TRUE(stub_->SetSeeding(Ctx().get(), request, &response).ok());
  EXPECT_EQ(node_.seeding_calls().at(FakeRootHash("notes.txt")), false);
  request.set_root_hash(FakeRootHash("unknown"));
  EXPECT_EQ(stub_->SetSeeding(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(PeerAdminTest, ChangeUsername) {
  v1::ChangeUsernameRequest request;
  v1::ChangeUsernameResponse response;
  request.set_new_username("bad name!");
  grpc::Status s = stub_->ChangeUsername(Ctx().get(), request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("new_username: username may contain only"));
  node_.AddTakenUsername("alice");
  request.set_new_username("alice");
  EXPECT_EQ(stub_->ChangeUsername(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  request.set_new_username("dave_2");
  ASSERT_TRUE(stub_->ChangeUsername(Ctx().get(), request, &response).ok());
  EXPECT_EQ(node_.username(), "dave_2");
}

TEST_F(PeerAdminTest, UpdateSettings) {
  v1::UpdateSettingsRequest request;
  v1::UpdateSettingsResponse response;
  request.set_tracker_port(70000);
  EXPECT_EQ(stub_->UpdateSettings(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_tracker_port(6969);
  request.set_tracker_host("tracker.example; rm -rf /");
  EXPECT_EQ(stub_->UpdateSettings(Ctx().get(), request, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  request.set_tracker_host("10.0.0.1");
  request.set_username("erin");
  ASSERT_TRUE(stub_->UpdateSettings(Ctx().get(), request, &response).ok());
  EXPECT_EQ(node_.last_settings().tracker_host(), "10.0.0.1");
  EXPECT_EQ(node_.username(), "erin");
}

TEST_F(PeerAdminTest, Disconnect) {
  v1::DisconnectResponse response;
  ASSERT_TRUE(stub_->Disconnect(Ctx().get(), {}, &response).ok());
  EXPECT_EQ(node_.disconnect_calls(), 1);
}

TEST_F(PeerAdminTest, DisconnectMayShutTheServerDownFromInsideTheCall) {
  // A grace period far longer than any scheduling delay, so "the reply did
  // not wait for it" is a wide, load-proof bound (a few ms when it works).
  node_.SetOnDisconnect([this] { server_->Shutdown(absl::Seconds(90)); });
  v1::DisconnectResponse response;
  const absl::Time start = absl::Now();
  grpc::Status s = stub_->Disconnect(Ctx().get(), {}, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_LT(absl::Now() - start, absl::Seconds(45)) << "the reply waited for the grace period";
  // The server stops in the background: the socket goes away.
  struct stat st {};
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (lstat(socket_path_.c_str(), &st) == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));  // polling a condition with a deadline
  }
  EXPECT_NE(lstat(socket_path_.c_str(), &st), 0);
  server_.reset();  // joins the background stop
}

TEST_F(PeerAdminTest, HealthServesThenFlipsToNotServingOnShutdown) {
  auto health = Health::NewStub(channel_);
  for (const char* service : {"", "pytorrent.v1.PeerAdmin"}) {
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    ASSERT_TRUE(health->Check(Ctx().get(), request, &response).ok()) << service;
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << service;
  }

  // A download watcher keeps the drain busy; Shutdown must still end it.
  const uint64_t id = Start("debian-12.iso");
  v1::WatchDownloadRequest watch;
  watch.set_download_id(id);
  auto watch_ctx = Ctx();
  auto watcher = stub_->WatchDownload(watch_ctx.get(), watch);
  v1::DownloadProgress p;
  ASSERT_TRUE(watcher->Read(&p));

  HealthCheckRequest request;
  request.set_service("pytorrent.v1.PeerAdmin");
  auto health_ctx = Ctx();
  auto health_watch = health->Watch(health_ctx.get(), request);
  HealthCheckResponse response;
  ASSERT_TRUE(health_watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  std::thread stopper([this] { server_->Shutdown(absl::Seconds(5)); });
  ASSERT_TRUE(health_watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  // The watcher is told the node is going away.
  EXPECT_FALSE(watcher->Read(&p));
  EXPECT_EQ(watcher->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  health_ctx->TryCancel();
  stopper.join();
  struct stat st {};
  EXPECT_NE(lstat(socket_path_.c_str(), &st), 0) << "socket removed on shutdown";
}

// Calls grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo through
// a generic stub and returns the service names it lists.
std::vector<std::string> ListServicesByReflection(const std::shared_ptr<grpc::Channel>& channel) {
  namespace refl = ::pytorrent::testing::reflection;
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  grpc::CompletionQueue cq;
  void* tag = nullptr;
  bool ok = false;
  auto next = [&](intptr_t want) {
    return cq.Next(&tag, &ok) && ok && reinterpret_cast<intptr_t>(tag) == want;
  };
  auto call =
      stub.PrepareCall(&ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  if (!next(1)) return {};
  refl::ServerReflectionRequest request;
  request.set_list_services("*");
  const std::string bytes = request.SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  if (!next(2)) return {};
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(3));
  if (!next(3)) return {};
  std::vector<grpc::Slice> slices;
  if (!in.Dump(&slices).ok()) return {};
  std::string received;
  for (const grpc::Slice& s : slices)
    received.append(reinterpret_cast<const char*>(s.begin()), s.size());
  call->WritesDone(reinterpret_cast<void*>(4));
  next(4);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  next(5);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  refl::ServerReflectionResponse response;
  if (!response.ParseFromString(received)) return {};
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  return names;
}

TEST_F(PeerAdminTest, ReflectionListsTheServices) {
  std::vector<std::string> names = ListServicesByReflection(channel_);
  EXPECT_THAT(names, ::testing::IsSupersetOf({"pytorrent.v1.PeerAdmin", "grpc.health.v1.Health",
                                              "grpc.reflection.v1alpha.ServerReflection"}));
}

// What grpcurl and other current tools do first: reflection v1. Lists the
// services, then fetches the file defining PeerAdmin with its imports.
TEST_F(PeerAdminTest, ReflectionV1ListsServicesAndDescribesThem) {
  namespace refl = ::grpc::reflection::v1;
  auto stub = refl::ServerReflection::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(Deadline());
  auto stream = stub->ServerReflectionInfo(&ctx);
  refl::ServerReflectionRequest request;
  refl::ServerReflectionResponse response;

  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> names;
  for (const auto& service : response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, ::testing::IsSupersetOf({"pytorrent.v1.PeerAdmin", "grpc.health.v1.Health",
                                              "grpc.reflection.v1.ServerReflection",
                                              "grpc.reflection.v1alpha.ServerReflection"}));

  request.set_file_containing_symbol("pytorrent.v1.PeerAdmin");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> files;
  for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    files.push_back(file.name());
  }
  EXPECT_THAT(files, ::testing::ElementsAre("proto/admin.proto", "proto/tracker.proto"));

  request.set_file_containing_symbol("pytorrent.v1.NoSuchService");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  EXPECT_EQ(response.error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST(AdminServerSocketTest, ReplacesStaleSocketButNotLiveOneOrOtherFiles) {
  const std::string dir = testing::MakeSocketDir();
  const std::string path = dir + "/admin.sock";
  FakePeerControl node;
  FakePeerControl::FillDemo(node, "dave");

  // A stale socket: bound, then its owner went away.
  {
    absl::StatusOr<UnixSocketPath> alias = UnixSocketPath::Open(path);
    ASSERT_TRUE(alias.ok()) << alias.status();
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, alias->Alias().c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    close(fd);
  }
  auto server = StartPeerAdminServer(node, {.unix_socket_path = path});
  ASSERT_TRUE(server.ok()) << server.status();

  // A second server on the live socket is refused.
  auto second = StartPeerAdminServer(node, {.unix_socket_path = path});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  (*server)->Shutdown(absl::Seconds(1));

  // A regular file is never replaced.
  { std::ofstream(path) << "precious"; }
  auto third = StartPeerAdminServer(node, {.unix_socket_path = path});
  EXPECT_EQ(third.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(testing::ReadFileOrDie(path), "precious");

  auto too_long =
      StartPeerAdminServer(node, {.unix_socket_path = dir + "/" + std::string(120, 's')});
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  testing::RemoveTree(dir);
}

class TlsAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeSocketDir();
    cert_ = dir_ + "/cert.pem";
    key_ = dir_ + "/key.pem";
    ASSERT_TRUE(testing::WriteSelfSignedCert(cert_, key_).ok());
    FakePeerControl::FillDemo(node_, "dave");
  }
  void TearDown() override { testing::RemoveTree(dir_); }

  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& token) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = testing::ReadFileOrDie(cert_);
    std::shared_ptr<grpc::ChannelCredentials> creds = grpc::SslCredentials(ssl);
    if (!token.empty()) {
      creds = grpc::CompositeChannelCredentials(creds, grpc::AccessTokenCredentials(token));
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), creds, args);
  }

  FakePeerControl node_;
  std::string dir_, cert_, key_;
};

TEST_F(TlsAdminTest, TcpRequiresTlsFilesAndToken) {
  auto server = StartPeerAdminServer(node_, {.tcp_address = "127.0.0.1:0"});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  server = StartPeerAdminServer(
      node_, {.tcp_address = "127.0.0.1:0", .tls_cert_file = cert_, .tls_key_file = key_});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(server.status().message()), HasSubstr("token"));
  server = StartPeerAdminServer(node_, {.tcp_address = "127.0.0.1:0",
                                        .tls_cert_file = dir_ + "/missing.pem",
                                        .tls_key_file = key_,
                                        .token = "t"});
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);

  // A corrupt certificate or an address that cannot be bound: an error, no
  // crash, and nothing left behind in the socket folder.
  {
    std::ofstream(dir_ + "/bad.pem")
        << "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n";
  }
  const std::string sock = dir_ + "/admin.sock";
  server = StartPeerAdminServer(node_, {.unix_socket_path = sock,
                                        .tcp_address = "127.0.0.1:0",
                                        .tls_cert_file = dir_ + "/bad.pem",
                                        .tls_key_file = key_,
                                        .token = "t"});
  EXPECT_FALSE(server.ok());
  server = StartPeerAdminServer(node_, {.unix_socket_path = sock,
                                        .tcp_address = "256.1.1.1:0",
                                        .tls_cert_file = cert_,
                                        .tls_key_file = key_,
                                        .token = "t"});
  EXPECT_FALSE(server.ok());
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    EXPECT_THAT(e.path().filename().string(), ::testing::EndsWith(".pem"));
  }
}

TEST_F(TlsAdminTest, UnauthenticatedWithoutTheRightToken) {
  const std::string token = "s3cret-token-0123456789";
  auto server = StartPeerAdminServer(
      node_,
      {.tcp_address = "127.0.0.1:0", .tls_cert_file = cert_, .tls_key_file = key_, .token = token});
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->tcp_port();
  ASSERT_GT(port, 0);

  v1::PeerStatus status;
  grpc::Status s = v1::PeerAdmin::NewStub(Channel(port, ""))->GetStatus(Ctx().get(), {}, &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr(token)));
  s = v1::PeerAdmin::NewStub(Channel(port, "wrong"))->GetStatus(Ctx().get(), {}, &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();

  // A plaintext client cannot talk to the TLS port at all.
  auto plain =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  auto ctx = Ctx();
  ctx->set_deadline(Deadline(3));
  s = v1::PeerAdmin::NewStub(plain)->GetStatus(ctx.get(), {}, &status);
  EXPECT_FALSE(s.ok());

  s = v1::PeerAdmin::NewStub(Channel(port, token))->GetStatus(Ctx().get(), {}, &status);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(status.username(), "dave");
  (*server)->Shutdown(absl::Seconds(1));
}

class TrackerAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeSocketDir();
    v1::TrackerStats stats;
    stats.set_announces(42);
    (*stats.mutable_errors_by_kind())["malformed"] = 3;
    tracker_.SetStats(stats);
    v1::PeerInfo peer;
    peer.set_peer_id(7);
    peer.set_username("alice");
    tracker_.AddPeer(peer);
    v1::FileSummary swarm;
    swarm.set_name("a.bin");
    swarm.set_seeders(1);
    tracker_.AddSwarm(swarm);
    auto server = StartTrackerAdminServer(tracker_, {.unix_socket_path = dir_ + "/admin.sock"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = DialUnix(dir_ + "/admin.sock", dial_);
    stub_ = v1::TrackerAdmin::NewStub(channel_);
  }
  void TearDown() override {
    server_->Shutdown(absl::Seconds(1));
    testing::RemoveTree(dir_);
  }

  FakeTrackerControl tracker_;
  std::string dir_;
  std::unique_ptr<AdminServer> server_;
  std::optional<UnixSocketPath> dial_;  // outlives channel_
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TrackerAdmin::Stub> stub_;
};

TEST_F(TrackerAdminTest, EveryRpc) {
  v1::TrackerStats stats;
  ASSERT_TRUE(stub_->GetTrackerStats(Ctx().get(), {}, &stats).ok());
  EXPECT_EQ(stats.announces(), 42u);
  EXPECT_EQ(stats.peers(), 1u);
  EXPECT_EQ(stats.errors_by_kind().at("malformed"), 3u);

  v1::ListSwarmsRequest swarms_request;
  swarms_request.set_page_size(10);
  v1::ListSwarmsResponse swarms;
  ASSERT_TRUE(stub_->ListSwarms(Ctx().get(), swarms_request, &swarms).ok());
  ASSERT_EQ(swarms.swarms_size(), 1);
  EXPECT_EQ(tracker_.last_swarms_request().page_size(), 10u);
  swarms_request.set_page_token(std::string(1000, 'x'));
  EXPECT_EQ(stub_->ListSwarms(Ctx().get(), swarms_request, &swarms).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::ListTrackerPeersResponse peers;
  ASSERT_TRUE(stub_->ListTrackerPeers(Ctx().get(), {}, &peers).ok());
  ASSERT_EQ(peers.peers_size(), 1);

  v1::EvictPeerRequest evict;
  v1::EvictPeerResponse none;
  EXPECT_EQ(stub_->EvictPeer(Ctx().get(), evict, &none).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  evict.set_peer_id(8);
  EXPECT_EQ(stub_->EvictPeer(Ctx().get(), evict, &none).error_code(), grpc::StatusCode::NOT_FOUND);
  evict.set_peer_id(7);
  ASSERT_TRUE(stub_->EvictPeer(Ctx().get(), evict, &none).ok());
  ASSERT_TRUE(stub_->ListTrackerPeers(Ctx().get(), {}, &peers).ok());
  EXPECT_EQ(peers.peers_size(), 0);
}

TEST_F(TrackerAdminTest, ReflectionAndHealth) {
  EXPECT_THAT(ListServicesByReflection(channel_),
              ::testing::IsSupersetOf({"pytorrent.v1.TrackerAdmin", "grpc.health.v1.Health"}));
  HealthCheckRequest request;
  request.set_service("pytorrent.v1.TrackerAdmin");
  HealthCheckResponse response;
  ASSERT_TRUE(Health::NewStub(channel_)->Check(Ctx().get(), request, &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
}

}  // namespace
}  // namespace pytorrent::admin
