#ifndef PYTORRENT_PEER_FAILOVER_TRACKER_CLIENT_H_
#define PYTORRENT_PEER_FAILOVER_TRACKER_CLIENT_H_

// `FailoverTrackerClient` is one `TrackerClient` over several tracker
// instances of one network (tracker/README.md, "Running a tracker fleet"):
// each call goes to the instance that answered last; when that one gives no
// answer within its turn (UNAVAILABLE or DEADLINE_EXCEEDED: silence, or
// TRACKER_ERROR_CODE_TRY_AGAIN from an instance that lost its store) the
// same call moves on to the next, as `TrackerFailover` plans. Any other
// reply, an error included, is the answer and returns at once.
//
// `CreateTrackerClient` builds the client a peer uses: one address gives a
// plain `TrackerClient` (unchanged); several (configured, or one host name
// resolving to several addresses) give a `FailoverTrackerClient` whose
// instances each get a short turn of kAttemptsPerTurn attempts, so a silent
// instance is left after ~2 s (0.3 + 0.6 + 1.2 s with the peer's timeouts)
// and a call that fails over still ends within the time one tracker's full
// retry ladder takes.
//
// Example:
//   auto client = CreateTrackerClient({{"10.0.0.1", 6969}, {"tracker.lan", 6969}},
//                                     {.initial_timeout = absl::Milliseconds(300)});
//   (*client)->Announce(request);  // 10.0.0.1 silent: answered by tracker.lan
//
// Thread-safe: calls may run concurrently; the failover state is locked
// only between network exchanges, never across them.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/host_port.h"
#include "common/mutex.h"
#include "common/time_source.h"
#include "peer/tracker_client.h"
#include "peer/tracker_failover.h"

namespace pytorrent::peer {

// Attempts an instance gets in one turn before the call moves on.
inline constexpr int kAttemptsPerTurn = 3;
// Tracker instances one peer keeps (a name resolving to more is cut here:
// DNS answers are untrusted input).
inline constexpr size_t kMaxTrackerInstances = 16;

class FailoverTrackerClient final : public TrackerClient {
 public:
  // `instances` (at least one) in the order configured; `clock` must
  // outlive this.
  FailoverTrackerClient(std::vector<std::unique_ptr<TrackerClient>> instances,
                        const TrackerFailoverOptions& options, const TimeSource& clock);

  absl::StatusOr<v1::AnnounceResponse> Announce(const v1::AnnounceRequest& request) override;
  // Best effort on shutdown with a short deadline: goes to the current
  // instance only (no failover), so it never takes longer than one Leave.
  absl::Status Leave(uint64_t peer_id, uint64_t peer_key) override;
  absl::StatusOr<v1::ListPeersResponse> ListPeers(const v1::ListPeersRequest& request) override;
  absl::StatusOr<v1::SearchFilesResponse> SearchFiles(
      const v1::SearchFilesRequest& request) override;
  absl::StatusOr<v1::GetFilePeersResponse> GetFilePeers(
      const v1::GetFilePeersRequest& request) override;
  absl::Status Rename(uint64_t peer_id, uint64_t peer_key,
                      const std::string& new_username) override;
  absl::StatusOr<v1::GetStatsResponse> GetStats() override;

  // The instance calls go to first (index into `instances`).
  size_t current() const;

 private:
  // Runs `call` on the planned instances until one answers.
  template <typename Call>
  auto Try(Call call) -> decltype(call(std::declval<TrackerClient&>()));

  const std::vector<std::unique_ptr<TrackerClient>> instances_;
  mutable Mutex mu_;
  TrackerFailover failover_ ABSL_GUARDED_BY(mu_);
};

// Numeric addresses (no brackets) `host` resolves to, in resolver order.
using TrackerResolver =
    std::function<absl::StatusOr<std::vector<std::string>>(const std::string& host)>;

// getaddrinfo (UDP, IPv4 and IPv6). INVALID_ARGUMENT naming the host when it
// does not resolve.
absl::StatusOr<std::vector<std::string>> ResolveTrackerHost(const std::string& host);

// Each of `addresses` in order, a host name replaced by every address it
// resolves to; duplicates dropped; at most kMaxTrackerInstances.
// INVALID_ARGUMENT when `addresses` is empty or one does not resolve.
absl::StatusOr<std::vector<HostPort>> ExpandTrackerAddresses(const std::vector<HostPort>& addresses,
                                                             const TrackerResolver& resolve);

// The peer's tracker client for `addresses` (see above); `base` gives the
// timeouts (its host and port are ignored). Errors: ExpandTrackerAddresses's
// and TrackerClient::Create's.
absl::StatusOr<std::unique_ptr<TrackerClient>> CreateTrackerClient(
    const std::vector<HostPort>& addresses, const TrackerClientOptions& base,
    const TrackerResolver& resolve = ResolveTrackerHost);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_FAILOVER_TRACKER_CLIENT_H_
