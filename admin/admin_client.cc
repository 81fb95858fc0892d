#include "admin/admin_client.h"

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "admin/grpc_status.h"
#include "admin/unix_socket_path.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace pytorrent::admin {
namespace {

constexpr std::streamsize kMaxCaFileBytes = 1 << 20;

absl::string_view Sv(const std::string& s) { return absl::string_view(s.data(), s.size()); }

}  // namespace

absl::StatusOr<std::unique_ptr<AdminClient>> AdminClient::Create(const ClientOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("no node address given");
  std::shared_ptr<grpc::ChannelCredentials> creds;
  std::optional<UnixSocketPath> socket;
  std::string dial = options.target;
  if (absl::StartsWith(Sv(options.target), "unix:")) {
    creds = grpc::InsecureChannelCredentials();  // local socket, mode 0600
    // Dial through the folder's /proc/self/fd alias: any path length works.
    std::string path = options.target.substr(5);
    if (absl::StartsWith(Sv(path), "//")) path.erase(0, 2);  // unix:///abs/path
    absl::StatusOr<UnixSocketPath> opened = UnixSocketPath::Open(path);
    if (!opened.ok()) {
      if (opened.status().code() == absl::StatusCode::kInvalidArgument) return opened.status();
      return absl::UnavailableError(absl::StrCat("cannot reach the node at ", options.target, " (",
                                                 opened.status().message(),
                                                 "; is the peer running? check --home/--socket)"));
    }
    socket.emplace(*std::move(opened));
    dial = socket->GrpcTarget();
  } else {
    if (options.token.empty()) {
      return absl::InvalidArgumentError(
          "--addr needs --token (or PYTORRENT_ADMIN_TOKEN): remote admin always uses a token");
    }
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca_file.empty()) {
      std::ifstream in(options.tls_ca_file, std::ios::binary);
      if (!in) {
        return absl::NotFoundError(
            absl::StrCat("cannot read the CA file '", options.tls_ca_file, "' (--tls-ca)"));
      }
      std::string pem(static_cast<size_t>(kMaxCaFileBytes) + 1, '\0');
      in.read(pem.data(), kMaxCaFileBytes + 1);
      pem.resize(static_cast<size_t>(in.gcount()));
      if (pem.size() > static_cast<size_t>(kMaxCaFileBytes)) {
        return absl::InvalidArgumentError(
            absl::StrCat("the CA file '", options.tls_ca_file, "' is larger than 1 MiB"));
      }
      ssl.pem_root_certs = std::move(pem);
    }
    creds = grpc::CompositeChannelCredentials(grpc::SslCredentials(ssl),
                                              grpc::AccessTokenCredentials(options.token));
  }
  grpc::ChannelArguments args;
  // Subchannels stay with this channel (a global pool could keep dialing the
  // /proc/self/fd alias after `socket` is closed).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  auto channel = grpc::CreateCustomChannel(dial, creds, args);
  return std::unique_ptr<AdminClient>(
      new AdminClient(options.target, std::move(socket), std::move(channel), options.call_timeout));
}

AdminClient::AdminClient(std::string target, std::optional<UnixSocketPath> socket,
                         std::shared_ptr<grpc::Channel> channel, absl::Duration timeout)
    : target_(std::move(target)),
      socket_(std::move(socket)),
      channel_(std::move(channel)),
      stub_(v1::PeerAdmin::NewStub(channel_)),
      tracker_stub_(v1::TrackerAdmin::NewStub(channel_)),
      timeout_(timeout) {}

void AdminClient::Prepare(grpc::ClientContext& context) const {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout_)));
}

absl::Status AdminClient::Failed(const grpc::Status& status) const {
  const std::string& message = status.error_message();
  const bool transport = (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
                          (channel_->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE ||
                           absl::StrContains(Sv(message), "failed to connect") ||
                           absl::StrContains(Sv(message), "Socket closed") ||
                           absl::StrContains(Sv(message), "Connection reset"))) ||
                         (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
                          channel_->GetState(false) != GRPC_CHANNEL_READY);
  if (transport && (absl::StrContains(Sv(message), "andshake") ||
                    absl::StrContains(Sv(message), "certificate"))) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach the node at ", target_,
                     ": the TLS handshake failed (is --tls-ca the CA that signed the node's "
                     "certificate, and does the certificate name match the host?)"));
  }
  if (transport) {
    return absl::UnavailableError(absl::StrCat("cannot reach the node at ", target_,
                                               " (is the peer running? check --home/--socket)"));
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return absl::DeadlineExceededError(absl::StrCat(
        "the node at ", target_, " did not answer within ", absl::FormatDuration(timeout_)));
  }
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    return absl::UnimplementedError(
        absl::StrCat(target_,
                     " does not serve this call: is it a tracker (use `cli tracker ...`) or a peer "
                     "node (drop `tracker`)?"));
  }
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    return absl::UnauthenticatedError(
        absl::StrCat("the node at ", target_, " refused the token (check --token)"));
  }
  return FromGrpcStatus(status);
}

absl::StatusOr<v1::PeerStatus> AdminClient::GetStatus() {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::PeerStatus response;
  grpc::Status s = stub_->GetStatus(&ctx, v1::GetStatusRequest(), &response);
  if (!s.ok()) return Failed(s);
  return response;
}

absl::StatusOr<v1::ListPeersResponse> AdminClient::ListPeers() {
  v1::ListPeersResponse all;
  v1::ListPeersRequest request;
  // Follow pages; bounded so a misbehaving node cannot loop us forever.
  for (int page = 0; page < 1000; ++page) {
    grpc::ClientContext ctx;
    Prepare(ctx);
    v1::ListPeersResponse response;
    grpc::Status s = stub_->ListPeers(&ctx, request, &response);
    if (!s.ok()) return Failed(s);
    for (v1::PeerInfo& p : *response.mutable_peers()) *all.add_peers() = std::move(p);
    all.set_total_peers(response.total_peers());
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return all;
}

absl::StatusOr<v1::ListSharedFilesResponse> AdminClient::ListSharedFiles() {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::ListSharedFilesResponse response;
  grpc::Status s = stub_->ListSharedFiles(&ctx, v1::ListSharedFilesRequest(), &response);
  if (!s.ok()) return Failed(s);
  return response;
}

absl::StatusOr<v1::SearchFilesResponse> AdminClient::SearchFiles(const std::string& query) {
  v1::SearchFilesResponse all;
  v1::SearchFilesRequest request;
  request.set_query(query);
  for (int page = 0; page < 1000; ++page) {
    grpc::ClientContext ctx;
    Prepare(ctx);
    v1::SearchFilesResponse response;
    grpc::Status s = stub_->SearchFiles(&ctx, request, &response);
    if (!s.ok()) return Failed(s);
    for (v1::FileSummary& f : *response.mutable_files()) *all.add_files() = std::move(f);
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return all;
}

absl::StatusOr<uint64_t> AdminClient::StartDownload(const v1::StartDownloadRequest& request) {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::StartDownloadResponse response;
  grpc::Status s = stub_->StartDownload(&ctx, request, &response);
  if (!s.ok()) return Failed(s);
  return response.download_id();
}

absl::StatusOr<v1::DownloadProgress> AdminClient::WatchDownload(
    uint64_t download_id, uint32_t min_interval_ms,
    const std::function<void(const v1::DownloadProgress&)>& on_update) {
  grpc::ClientContext ctx;
  v1::WatchDownloadRequest request;
  request.set_download_id(download_id);
  request.set_min_interval_ms(min_interval_ms);
  auto reader = stub_->WatchDownload(&ctx, request);
  v1::DownloadProgress progress;
  v1::DownloadProgress last;
  bool any = false;
  while (reader->Read(&progress)) {
    any = true;
    last = progress;
    on_update(last);
  }
  grpc::Status s = reader->Finish();
  if (!s.ok()) return Failed(s);
  if (!any) return absl::InternalError("the node ended the watch without any progress");
  return last;
}

absl::StatusOr<v1::ListDownloadsResponse> AdminClient::ListDownloads() {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::ListDownloadsResponse response;
  grpc::Status s = stub_->ListDownloads(&ctx, v1::ListDownloadsRequest(), &response);
  if (!s.ok()) return Failed(s);
  return response;
}

absl::Status AdminClient::CancelDownload(uint64_t download_id) {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::CancelDownloadRequest request;
  request.set_download_id(download_id);
  v1::CancelDownloadResponse response;
  grpc::Status s = stub_->CancelDownload(&ctx, request, &response);
  return s.ok() ? absl::OkStatus() : Failed(s);
}

absl::StatusOr<v1::SharedFile> AdminClient::ShareFile(const std::string& path) {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::ShareFileRequest request;
  request.set_path(path);
  v1::ShareFileResponse response;
  grpc::Status s = stub_->ShareFile(&ctx, request, &response);
  if (!s.ok()) return Failed(s);
  return response.file();
}

absl::Status AdminClient::SetSeeding(const std::string& root_hash, bool seeding) {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::SetSeedingRequest request;
  request.set_root_hash(root_hash);
  request.set_seeding(seeding);
  v1::SetSeedingResponse response;
  grpc::Status s = stub_->SetSeeding(&ctx, request, &response);
  return s.ok() ? absl::OkStatus() : Failed(s);
}

absl::Status AdminClient::ChangeUsername(const std::string& new_username) {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::ChangeUsernameRequest request;
  request.set_new_username(new_username);
  v1::ChangeUsernameResponse response;
  grpc::Status s = stub_->ChangeUsername(&ctx, request, &response);
  return s.ok() ? absl::OkStatus() : Failed(s);
}

absl::Status AdminClient::UpdateSettings(const v1::UpdateSettingsRequest& request) {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::UpdateSettingsResponse response;
  grpc::Status s = stub_->UpdateSettings(&ctx, request, &response);
  return s.ok() ? absl::OkStatus() : Failed(s);
}

absl::Status AdminClient::Disconnect() {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::DisconnectResponse response;
  grpc::Status s = stub_->Disconnect(&ctx, v1::DisconnectRequest(), &response);
  return s.ok() ? absl::OkStatus() : Failed(s);
}

absl::StatusOr<v1::TrackerStats> AdminClient::GetTrackerStats() {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::TrackerStats response;
  grpc::Status s = tracker_stub_->GetTrackerStats(&ctx, v1::GetTrackerStatsRequest(), &response);
  if (!s.ok()) return Failed(s);
  return response;
}

absl::StatusOr<v1::ListSwarmsResponse> AdminClient::ListSwarms() {
  v1::ListSwarmsResponse all;
  v1::ListSwarmsRequest request;
  for (int page = 0; page < 1000; ++page) {
    grpc::ClientContext ctx;
    Prepare(ctx);
    v1::ListSwarmsResponse response;
    grpc::Status s = tracker_stub_->ListSwarms(&ctx, request, &response);
    if (!s.ok()) return Failed(s);
    for (v1::FileSummary& f : *response.mutable_swarms()) *all.add_swarms() = std::move(f);
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return all;
}

absl::StatusOr<v1::ListTrackerPeersResponse> AdminClient::ListTrackerPeers() {
  v1::ListTrackerPeersResponse all;
  v1::ListTrackerPeersRequest request;
  for (int page = 0; page < 1000; ++page) {
    grpc::ClientContext ctx;
    Prepare(ctx);
    v1::ListTrackerPeersResponse response;
    grpc::Status s = tracker_stub_->ListTrackerPeers(&ctx, request, &response);
    if (!s.ok()) return Failed(s);
    for (v1::PeerInfo& p : *response.mutable_peers()) *all.add_peers() = std::move(p);
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return all;
}

absl::Status AdminClient::EvictPeer(uint64_t peer_id) {
  grpc::ClientContext ctx;
  Prepare(ctx);
  v1::EvictPeerRequest request;
  request.set_peer_id(peer_id);
  v1::EvictPeerResponse response;
  grpc::Status s = tracker_stub_->EvictPeer(&ctx, request, &response);
  return s.ok() ? absl::OkStatus() : Failed(s);
}

}  // namespace pytorrent::admin
