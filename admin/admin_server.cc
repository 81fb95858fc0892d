#include "admin/admin_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "admin/bearer_token_auth.h"
#include "admin/drain_signal.h"
#include "admin/peer_admin_service.h"
#include "admin/reflection_v1_service.h"
#include "admin/tracker_admin_service.h"
#include "admin/unix_socket_path.h"
#include "common/log.h"
#include "common/mutex.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"

namespace pytorrent::admin {
namespace {

constexpr int kMaxHandlerThreads = 32;
constexpr int kMaxRequestBytes = 1 << 20;
constexpr std::streamsize kMaxPemFileBytes = 1 << 20;

absl::Status Err(absl::StatusCode code, const std::string& message) {
  return absl::Status(code, absl::string_view(message.data(), message.size()));
}

std::string ErrnoText(int err) { return std::strerror(err); }

// Reads a PEM file of bounded size.
absl::StatusOr<std::string> ReadPemFile(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Err(absl::StatusCode::kNotFound,
               absl::StrCat("cannot read the admin TLS ", what, " file '", path, "'"));
  }
  std::string data(static_cast<size_t>(kMaxPemFileBytes) + 1, '\0');
  in.read(data.data(), kMaxPemFileBytes + 1);
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > static_cast<size_t>(kMaxPemFileBytes)) {
    return Err(absl::StatusCode::kInvalidArgument,
               absl::StrCat("the admin TLS ", what, " file '", path, "' is larger than 1 MiB"));
  }
  if (data.find("-----BEGIN") == std::string::npos) {
    return Err(absl::StatusCode::kInvalidArgument,
               absl::StrCat("the admin TLS ", what, " file '", path, "' is not PEM"));
  }
  return data;
}

// Makes the socket's name free for a new listener: a stale socket (nobody
// accepts on it) is removed; a live socket or any other kind of file is left
// alone and reported. Works relative to the opened folder, so the path's
// length does not matter.
absl::Status PrepareSocketPath(const UnixSocketPath& sock) {
  const std::string& path = sock.path();
  struct stat st {};
  if (fstatat(sock.dir_fd(), sock.name().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return Err(absl::StatusCode::kFailedPrecondition,
               absl::StrCat("cannot inspect admin socket path '", path, "': ", ErrnoText(errno)));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Err(absl::StatusCode::kFailedPrecondition,
               absl::StrCat("'", path, "' exists and is not a socket; refusing to replace it"));
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Err(absl::StatusCode::kInternal, absl::StrCat("socket(): ", ErrnoText(errno)));
  }
  sockaddr_un addr{};
  const std::string alias = sock.Alias();  // fits: checked by UnixSocketPath::Open
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, alias.c_str(), alias.size() + 1);
  const bool live = connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  if (live) {
    return Err(absl::StatusCode::kAlreadyExists,
               absl::StrCat("another process is serving the admin socket '", path,
                            "'; stop it or pick another --home/--admin-socket"));
  }
  if (unlinkat(sock.dir_fd(), sock.name().c_str(), 0) != 0 && errno != ENOENT) {
    return Err(absl::StatusCode::kFailedPrecondition,
               absl::StrCat("cannot remove stale admin socket '", path, "': ", ErrnoText(errno)));
  }
  return absl::OkStatus();
}

absl::StatusCode CodeForErrno(int err) {
  return err == EACCES || err == EPERM || err == EROFS ? absl::StatusCode::kPermissionDenied
                                                       : absl::StatusCode::kFailedPrecondition;
}

class AdminServerImpl final : public AdminServer {
 public:
  using ServiceFactory = absl::AnyInvocable<std::unique_ptr<grpc::Service>(const DrainSignal&)>;

  // The service may keep a reference to this server's drain signal.
  AdminServerImpl(std::string service_name, ServiceFactory make_service)
      : service_name_(std::move(service_name)), service_(make_service(drain_)) {}

  ~AdminServerImpl() override {
    Shutdown(absl::Seconds(2));
    if (background_stop_.joinable()) background_stop_.join();
  }

  absl::Status Start(const AdminServerOptions& options) {
    if (options.unix_socket_path.empty() && options.tcp_address.empty()) {
      return Err(absl::StatusCode::kInvalidArgument,
                 "the admin server needs a Unix socket path or a TCP address");
    }
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    grpc::ResourceQuota quota("pytorrent-admin");
    quota.SetMaxThreads(kMaxHandlerThreads);
    builder.SetResourceQuota(quota);
    builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
    builder.RegisterService(service_.get());
    builder.SetOption(std::make_unique<ReflectionV1Option>());

    // TLS files first: a bad one must not leave anything behind.
    std::shared_ptr<grpc::ServerCredentials> tls_creds;
    if (!options.tcp_address.empty()) {
      if (options.tls_cert_file.empty() || options.tls_key_file.empty() || options.token.empty()) {
        return Err(absl::StatusCode::kInvalidArgument,
                   "a TCP admin listener requires a TLS certificate file, a TLS key file and a "
                   "token (config keys admin_tls_cert, admin_tls_key, admin_token_file)");
      }
      absl::StatusOr<std::string> cert = ReadPemFile(options.tls_cert_file, "certificate");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadPemFile(options.tls_key_file, "key");
      if (!key.ok()) return key.status();
      grpc::SslServerCredentialsOptions ssl;
      ssl.pem_key_cert_pairs.push_back({*key, *cert});
      tls_creds = grpc::SslServerCredentials(ssl);
      tls_creds->SetAuthMetadataProcessor(std::make_shared<BearerTokenAuth>(options.token));
    }
    if (!options.unix_socket_path.empty()) {
      // Everything below goes through the opened folder (bind and connect
      // via its /proc/self/fd alias), so any path length works.
      absl::StatusOr<UnixSocketPath> socket = UnixSocketPath::Open(options.unix_socket_path);
      if (!socket.ok()) return socket.status();
      if (absl::Status s = PrepareSocketPath(*socket); !s.ok()) return s;
      // Bind inside a fresh 0700 folder beside the final path, make the
      // socket 0600, then rename it into place: it is never reachable with
      // the umask's permissions.
      std::string staging = socket->AliasOf(".admin-XXXXXX");
      if (mkdtemp(staging.data()) == nullptr) {
        const int err = errno;
        return Err(CodeForErrno(err),
                   absl::StrCat("cannot create a private folder beside the admin socket '",
                                options.unix_socket_path, "': ", ErrnoText(err)));
      }
      staging_name_ = staging.substr(staging.rfind('/') + 1);
      socket_.emplace(*std::move(socket));
      builder.AddListeningPort("unix:" + socket_->AliasOf(StagedSocketName()),
                               grpc::InsecureServerCredentials());
    }
    int selected_port = 0;
    if (tls_creds != nullptr)
      builder.AddListeningPort(options.tcp_address, tls_creds, &selected_port);

    server_ = builder.BuildAndStart();
    if (server_ == nullptr) {
      RemoveStagingDir();
      return Err(absl::StatusCode::kUnavailable,
                 absl::StrCat("cannot start the admin server on ",
                              options.unix_socket_path.empty()
                                  ? ""
                                  : absl::StrCat("unix:", options.unix_socket_path, " "),
                              options.tcp_address, " (address in use or bad TLS files?)"));
    }
    if (!options.tcp_address.empty() && selected_port == 0) {
      server_->Shutdown();
      RemoveStagingDir();
      return Err(absl::StatusCode::kUnavailable,
                 absl::StrCat("cannot listen on ", options.tcp_address));
    }
    tcp_port_ = selected_port;
    if (socket_.has_value()) {
      socket_path_ = options.unix_socket_path;
      const int dir = socket_->dir_fd();
      const std::string staged = StagedSocketName();
      struct stat st {};
      const bool ok = fchmodat(dir, staged.c_str(), 0600, 0) == 0 &&
                      renameat(dir, staged.c_str(), dir, socket_->name().c_str()) == 0 &&
                      fstatat(dir, socket_->name().c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
      const std::string error = ok ? "" : ErrnoText(errno);
      RemoveStagingDir();
      if (!ok) {
        server_->Shutdown();
        return Err(absl::StatusCode::kInternal,
                   absl::StrCat("cannot put admin socket '", socket_path_,
                                "' in place with mode 0600: ", error));
      }
      socket_inode_ = st.st_ino;
    }
    grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
    if (health != nullptr) {
      health->SetServingStatus(true);
      health->SetServingStatus(service_name_, true);
    }
    PT_LOG_INFO("admin server ({}) listening on {}{}{}", service_name_,
                socket_path_.empty() ? "" : "unix:" + socket_path_,
                socket_path_.empty() || tcp_port_ == 0 ? "" : " and ",
                tcp_port_ == 0 ? "" : absl::StrCat("TLS port ", tcp_port_));
    return absl::OkStatus();
  }

  int tcp_port() const override { return tcp_port_; }

  void SetServing(bool serving) override {
    MutexLock lock(mu_);
    if (shut_down_ || server_ == nullptr) return;
    if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
      health->SetServingStatus(serving);
      health->SetServingStatus(service_name_, serving);
    }
  }

  std::string StagedSocketName() const { return staging_name_ + "/s"; }

  void RemoveStagingDir() {
    if (staging_name_.empty() || !socket_.has_value()) return;
    // The socket is only still there if the rename did not happen.
    unlinkat(socket_->dir_fd(), StagedSocketName().c_str(), 0);
    unlinkat(socket_->dir_fd(), staging_name_.c_str(), AT_REMOVEDIR);
    staging_name_.clear();
  }

  void Shutdown(absl::Duration grace) override {
    {
      MutexLock lock(mu_);
      if (shut_down_) return;
      shut_down_ = true;
    }
    if (server_ == nullptr) return;
    if (AdminHandlerScope::InHandler()) {
      // Waiting here would wait for our own call: stop in the background.
      background_stop_ = std::thread([this, grace] { Stop(grace); });
      return;
    }
    Stop(grace);
  }
  using AdminServer::Shutdown;

 private:
  void Stop(absl::Duration grace) {
    if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
      // Sets every service NOT_SERVING and tells health watchers so.
      health->Shutdown();
    }
    drain_.Begin();  // wakes WatchDownload handlers
    const auto deadline = std::chrono::system_clock::now() +
                          std::chrono::microseconds(absl::ToInt64Microseconds(grace));
    server_->Shutdown(deadline);
    server_->Wait();
    drain_.Stopped();
    if (!socket_path_.empty() && socket_.has_value()) {
      // Remove our socket, but never one a newer process bound meanwhile.
      struct stat st {};
      const char* name = socket_->name().c_str();
      if (fstatat(socket_->dir_fd(), name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode) &&
          st.st_ino == socket_inode_) {
        unlinkat(socket_->dir_fd(), name, 0);
      }
    }
    PT_LOG_INFO("admin server ({}) stopped", service_name_);
  }

  const std::string service_name_;
  DrainSignal drain_;  // before service_, which refers to it
  std::unique_ptr<grpc::Service> service_;
  // The socket's folder, opened; its /proc/self/fd alias is the address gRPC
  // bound, so it outlives server_ (declared before it).
  std::optional<UnixSocketPath> socket_;
  std::unique_ptr<grpc::Server> server_;
  std::string socket_path_;
  std::string staging_name_;  // private bind folder in socket_'s folder, removed once in place
  ino_t socket_inode_ = 0;
  int tcp_port_ = 0;
  Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  std::thread background_stop_;  // Shutdown() called from inside an admin call
};

}  // namespace

absl::StatusOr<std::unique_ptr<AdminServer>> StartPeerAdminServer(
    peer::PeerControl& node, const AdminServerOptions& options) {
  auto server = std::make_unique<AdminServerImpl>(
      "pytorrent.v1.PeerAdmin", [&node](const DrainSignal& drain) {
        return std::make_unique<PeerAdminService>(node, drain);
      });
  if (absl::Status s = server->Start(options); !s.ok()) return s;
  return std::unique_ptr<AdminServer>(std::move(server));
}

absl::StatusOr<std::unique_ptr<AdminServer>> StartTrackerAdminServer(
    tracker::TrackerControl& tracker, const AdminServerOptions& options) {
  auto server = std::make_unique<AdminServerImpl>(
      "pytorrent.v1.TrackerAdmin",
      [&tracker](const DrainSignal&) { return std::make_unique<TrackerAdminService>(tracker); });
  if (absl::Status s = server->Start(options); !s.ok()) return s;
  return std::unique_ptr<AdminServer>(std::move(server));
}

}  // namespace pytorrent::admin
