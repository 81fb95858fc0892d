#include "peer/tracker_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/mutex.h"
#include "common/udp_socket.h"

namespace pytorrent::peer {

namespace {

constexpr uint64_t kProtocolMagic = 0x41727101980ULL;
constexpr size_t kMaxRequestBytes = 8192;
constexpr size_t kReceiveBytes = 2048;
// Re-connects one call may make when the tracker rejects the id (it
// restarted with a new secret, or the id expired on its clock).
constexpr int kMaxReconnects = 2;
// How long Leave may take in all (see TrackerClient::Leave).
constexpr absl::Duration kLeaveDeadline = absl::Seconds(1);

absl::Status StatusFromTrackerError(const v1::TrackerError& error) {
  const std::string message =
      error.message().empty() ? v1::TrackerErrorCode_Name(error.code()) : error.message();
  switch (error.code()) {
    case v1::TRACKER_ERROR_CODE_MALFORMED:
      return absl::InvalidArgumentError(message);
    case v1::TRACKER_ERROR_CODE_USERNAME_TAKEN:
      return absl::AlreadyExistsError(message);
    case v1::TRACKER_ERROR_CODE_UNKNOWN_PEER:
    case v1::TRACKER_ERROR_CODE_NOT_FOUND:
      return absl::NotFoundError(message);
    case v1::TRACKER_ERROR_CODE_NOT_OWNER:
      return absl::PermissionDeniedError(message);
    case v1::TRACKER_ERROR_CODE_CAPACITY:
      return absl::ResourceExhaustedError(message);
    case v1::TRACKER_ERROR_CODE_UNSUPPORTED:
      return absl::UnimplementedError(message);
    case v1::TRACKER_ERROR_CODE_BAD_CONNECTION_ID:
    case v1::TRACKER_ERROR_CODE_TRY_AGAIN:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(absl::StrCat("tracker error: ", message));
  }
}

class UdpTrackerClient final : public TrackerClient {
 public:
  UdpTrackerClient(int fd, const TrackerClientOptions& options)
      : fd_(fd), options_(options), rng_(std::random_device{}()) {}
  ~UdpTrackerClient() override { close(fd_); }

  absl::StatusOr<v1::AnnounceResponse> Announce(const v1::AnnounceRequest& request) override {
    v1::TrackerRequest req;
    *req.mutable_announce() = request;
    absl::StatusOr<v1::TrackerResponse> reply = Call(req, v1::TrackerResponse::kAnnounce);
    if (!reply.ok()) return reply.status();
    return std::move(*reply->mutable_announce());
  }

  absl::Status Leave(uint64_t peer_id, uint64_t peer_key) override {
    v1::TrackerRequest req;
    req.mutable_leave()->set_peer_id(peer_id);
    req.mutable_leave()->set_peer_key(peer_key);
    // Best effort (the tracker expires us anyway), so it never holds up a
    // shutdown for the whole retry ladder.
    return Call(req, v1::TrackerResponse::kLeave, absl::Now() + kLeaveDeadline).status();
  }

  absl::StatusOr<v1::ListPeersResponse> ListPeers(const v1::ListPeersRequest& request) override {
    v1::TrackerRequest req;
    *req.mutable_list_peers() = request;
    absl::StatusOr<v1::TrackerResponse> reply = Call(req, v1::TrackerResponse::kListPeers);
    if (!reply.ok()) return reply.status();
    return std::move(*reply->mutable_list_peers());
  }

  absl::StatusOr<v1::SearchFilesResponse> SearchFiles(
      const v1::SearchFilesRequest& request) override {
    v1::TrackerRequest req;
    *req.mutable_search_files() = request;
    absl::StatusOr<v1::TrackerResponse> reply = Call(req, v1::TrackerResponse::kSearchFiles);
    if (!reply.ok()) return reply.status();
    return std::move(*reply->mutable_search_files());
  }

  absl::StatusOr<v1::GetFilePeersResponse> GetFilePeers(
      const v1::GetFilePeersRequest& request) override {
    v1::TrackerRequest req;
    *req.mutable_get_file_peers() = request;
    absl::StatusOr<v1::TrackerResponse> reply = Call(req, v1::TrackerResponse::kGetFilePeers);
    if (!reply.ok()) return reply.status();
    return std::move(*reply->mutable_get_file_peers());
  }

  absl::Status Rename(uint64_t peer_id, uint64_t peer_key,
                      const std::string& new_username) override {
    v1::TrackerRequest req;
    req.mutable_rename()->set_peer_id(peer_id);
    req.mutable_rename()->set_peer_key(peer_key);
    req.mutable_rename()->set_new_username(new_username);
    return Call(req, v1::TrackerResponse::kRename).status();
  }

  absl::StatusOr<v1::GetStatsResponse> GetStats() override {
    v1::TrackerRequest req;
    req.mutable_get_stats();
    absl::StatusOr<v1::TrackerResponse> reply = Call(req, v1::TrackerResponse::kGetStats);
    if (!reply.ok()) return reply.status();
    return std::move(*reply->mutable_get_stats());
  }

 private:
  // Sends `request` with a valid connection id (connecting first if needed)
  // and returns the reply of kind `want`, or the mapped error.
  // `deadline` bounds the whole call (connect, retries); DEADLINE_EXCEEDED
  // when it passes without an answer.
  absl::StatusOr<v1::TrackerResponse> Call(v1::TrackerRequest& request,
                                           v1::TrackerResponse::BodyCase want,
                                           absl::Time deadline = absl::InfiniteFuture()) {
    for (int reconnects = 0;; ++reconnects) {
      uint64_t connection_id = CurrentConnectionId();
      if (connection_id == 0) {
        absl::StatusOr<uint64_t> connected = Connect(deadline);
        if (!connected.ok()) return connected.status();
        connection_id = *connected;
      }
      request.set_connection_id(connection_id);
      absl::StatusOr<v1::TrackerResponse> reply = Exchange(request, deadline);
      if (!reply.ok()) return reply.status();
      if (reply->has_error()) {
        if (reply->error().code() == v1::TRACKER_ERROR_CODE_BAD_CONNECTION_ID &&
            reconnects < kMaxReconnects) {
          MutexLock lock(mu_);
          if (connection_id_ == connection_id) connection_id_ = 0;
          continue;
        }
        return StatusFromTrackerError(reply->error());
      }
      if (reply->body_case() != want) {
        return absl::InternalError("tracker answered with another reply kind");
      }
      return reply;
    }
  }

  // The connection id, or 0 when there is none or it expired.
  uint64_t CurrentConnectionId() {
    MutexLock lock(mu_);
    return absl::Now() >= id_expiry_ ? 0 : connection_id_;
  }

  // A connect exchange; returns the new connection id.
  absl::StatusOr<uint64_t> Connect(absl::Time call_deadline) {
    v1::TrackerRequest request;
    request.mutable_connect()->set_protocol_magic(kProtocolMagic);
    request.mutable_connect()->set_padding(std::string(16, '\0'));
    const absl::Time sent = absl::Now();
    absl::StatusOr<v1::TrackerResponse> reply = Exchange(request, call_deadline);
    if (!reply.ok()) return reply.status();
    if (reply->has_error()) return StatusFromTrackerError(reply->error());
    if (!reply->has_connect() || reply->connect().connection_id() == 0) {
      return absl::InternalError("tracker answered connect with another reply kind");
    }
    MutexLock lock(mu_);
    connection_id_ = reply->connect().connection_id();
    // Renew a little early (10%) so an id never reaches the tracker just
    // after its lifetime because of network or scheduling delay.
    id_expiry_ = sent + absl::Seconds(reply->connect().lifetime_seconds()) * 0.9;
    return connection_id_;
  }

  // One request/reply exchange with timeouts and exponential backoff;
  // replies with another transaction id are ignored. The socket is held
  // for one attempt at a time (send, then wait for that attempt's reply),
  // never across the retries, so a call to a silent tracker delays others
  // by one attempt's timeout at most; a reply that comes after its
  // attempt gave up is dropped by whoever reads it (its id matches no one).
  absl::StatusOr<v1::TrackerResponse> Exchange(v1::TrackerRequest& request,
                                               absl::Time call_deadline) {
    {
      MutexLock lock(mu_);
      request.set_transaction_id(static_cast<uint32_t>(rng_()));
    }
    const std::string bytes = request.SerializeAsString();
    if (bytes.size() > kMaxRequestBytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "request is ", bytes.size(), " bytes; the tracker accepts at most ", kMaxRequestBytes));
    }
    char buf[kReceiveBytes];
    absl::Duration timeout = options_.initial_timeout;
    for (int attempt = 0; attempt <= options_.max_retries;
         ++attempt, timeout = std::min(timeout * 2, options_.max_timeout)) {
      MutexLock socket_lock(socket_mu_);
      if (send(fd_, bytes.data(), bytes.size(), 0) < 0 && errno != ECONNREFUSED) {
        return absl::UnavailableError(absl::StrCat("send to tracker: ", std::strerror(errno)));
      }
      if (absl::Now() >= call_deadline) break;
      const absl::Time deadline = std::min(absl::Now() + timeout, call_deadline);
      for (;;) {
        const absl::Duration left = deadline - absl::Now();
        if (left <= absl::ZeroDuration()) break;
        pollfd pfd{fd_, POLLIN, 0};
        const int ready = poll(&pfd, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
        if (ready < 0 && errno != EINTR) {
          return absl::UnavailableError(absl::StrCat("poll: ", std::strerror(errno)));
        }
        if (ready <= 0) continue;
        const ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) continue;  // ECONNREFUSED (nobody listening yet), EAGAIN
        v1::TrackerResponse reply;
        if (!reply.ParseFromArray(buf, static_cast<int>(n))) continue;
        if (reply.transaction_id() != request.transaction_id()) continue;
        return reply;
      }
    }
    if (absl::Now() >= call_deadline) {
      return absl::DeadlineExceededError(absl::StrCat("no answer from the tracker at ",
                                                      options_.host, ":", options_.port,
                                                      " before the call's deadline"));
    }
    return absl::UnavailableError(absl::StrCat("no answer from the tracker at ", options_.host, ":",
                                               options_.port, " after ", options_.max_retries + 1,
                                               " attempts"));
  }

  const int fd_;
  const TrackerClientOptions options_;
  // Held while one attempt sends and waits for its reply on fd_.
  Mutex socket_mu_;
  // Guards the members below (briefly, never across network waits).
  Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  uint64_t connection_id_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time id_expiry_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::unique_ptr<TrackerClient>> TrackerClient::Create(
    const TrackerClientOptions& options) {
  if (options.port == 0) return absl::InvalidArgumentError("tracker port must not be 0");
  if (options.initial_timeout <= absl::ZeroDuration() || options.max_retries < 0) {
    return absl::InvalidArgumentError("timeout must be positive and retries non-negative");
  }
  // Connected: the kernel drops datagrams from anyone but the tracker.
  absl::StatusOr<int> fd = OpenUdpSocket(options.host, options.port, UdpRole::kConnect);
  if (!fd.ok()) return fd.status();
  return std::unique_ptr<TrackerClient>(new UdpTrackerClient(*fd, options));
}

}  // namespace pytorrent::peer
