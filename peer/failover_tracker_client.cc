#include "peer/failover_tracker_client.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace pytorrent::peer {
namespace {

// No answer from that instance (or it cannot serve for now): try another.
bool IsSilence(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable ||
         status.code() == absl::StatusCode::kDeadlineExceeded;
}

template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& result) {
  return result.status();
}
const absl::Status& StatusOf(const absl::Status& status) { return status; }

const RealTimeSource kRealClock;

}  // namespace

FailoverTrackerClient::FailoverTrackerClient(std::vector<std::unique_ptr<TrackerClient>> instances,
                                             const TrackerFailoverOptions& options,
                                             const TimeSource& clock)
    : instances_(std::move(instances)), failover_(instances_.size(), options, clock) {}

size_t FailoverTrackerClient::current() const {
  MutexLock lock(mu_);
  return failover_.current();
}

template <typename Call>
auto FailoverTrackerClient::Try(Call call) -> decltype(call(std::declval<TrackerClient&>())) {
  std::vector<size_t> plan;
  {
    MutexLock lock(mu_);
    plan = failover_.PlanCall();
  }
  decltype(call(std::declval<TrackerClient&>())) result =
      absl::UnavailableError("no tracker instance");
  for (size_t instance : plan) {
    if (instance >= instances_.size()) continue;
    result = call(*instances_[instance]);
    const bool silent = IsSilence(StatusOf(result));
    MutexLock lock(mu_);
    if (!silent) {
      failover_.OnAnswered(instance);
      return result;
    }
    failover_.OnSilent(instance);
  }
  return result;
}

absl::StatusOr<v1::AnnounceResponse> FailoverTrackerClient::Announce(
    const v1::AnnounceRequest& request) {
  return Try([&](TrackerClient& c) { return c.Announce(request); });
}

absl::Status FailoverTrackerClient::Leave(uint64_t peer_id, uint64_t peer_key) {
  size_t instance = 0;
  {
    MutexLock lock(mu_);
    instance = failover_.PlanCall().front();
  }
  return instances_[instance]->Leave(peer_id, peer_key);
}

absl::StatusOr<v1::ListPeersResponse> FailoverTrackerClient::ListPeers(
    const v1::ListPeersRequest& request) {
  return Try([&](TrackerClient& c) { return c.ListPeers(request); });
}

absl::StatusOr<v1::SearchFilesResponse> FailoverTrackerClient::SearchFiles(
    const v1::SearchFilesRequest& request) {
  return Try([&](TrackerClient& c) { return c.SearchFiles(request); });
}

absl::StatusOr<v1::GetFilePeersResponse> FailoverTrackerClient::GetFilePeers(
    const v1::GetFilePeersRequest& request) {
  return Try([&](TrackerClient& c) { return c.GetFilePeers(request); });
}

absl::Status FailoverTrackerClient::Rename(uint64_t peer_id, uint64_t peer_key,
                                           const std::string& new_username) {
  return Try([&](TrackerClient& c) { return c.Rename(peer_id, peer_key, new_username); });
}

absl::StatusOr<v1::GetStatsResponse> FailoverTrackerClient::GetStats() {
  return Try([&](TrackerClient& c) { return c.GetStats(); });
}

absl::StatusOr<std::vector<std::string>> ResolveTrackerHost(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve tracker host ", host, ": ", gai_strerror(rc)));
  }
  std::vector<std::string> out;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    char numeric[NI_MAXHOST];
    if (getnameinfo(ai->ai_addr, ai->ai_addrlen, numeric, sizeof(numeric), nullptr, 0,
                    NI_NUMERICHOST) == 0) {
      out.emplace_back(numeric);
    }
  }
  freeaddrinfo(found);
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat("no address for ", host));
  return out;
}

absl::StatusOr<std::vector<HostPort>> ExpandTrackerAddresses(const std::vector<HostPort>& addresses,
                                                             const TrackerResolver& resolve) {
  if (addresses.empty()) return absl::InvalidArgumentError("no tracker address");
  std::vector<HostPort> out;
  for (const HostPort& address : addresses) {
    absl::StatusOr<std::vector<std::string>> hosts = resolve(address.host);
    if (!hosts.ok()) return hosts.status();
    for (const std::string& host : *hosts) {
      if (out.size() == kMaxTrackerInstances) return out;
      const bool seen = std::any_of(out.begin(), out.end(), [&](const HostPort& o) {
        return o.host == host && o.port == address.port;
      });
      if (!seen) out.push_back({.host = host, .port = address.port});
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<TrackerClient>> CreateTrackerClient(
    const std::vector<HostPort>& addresses, const TrackerClientOptions& base,
    const TrackerResolver& resolve) {
  absl::StatusOr<std::vector<HostPort>> instances = ExpandTrackerAddresses(addresses, resolve);
  if (!instances.ok()) return instances.status();
  if (instances->size() == 1) {
    TrackerClientOptions options = base;
    options.host = instances->front().host;
    options.port = instances->front().port;
    return TrackerClient::Create(options);
  }
  // One turn per instance is kAttemptsPerTurn attempts; a call gets as many
  // turns as one tracker's retry ladder has attempts for (at least one per
  // instance up to that), so failing over costs no more than giving up did.
  const int attempts = std::max(base.max_retries + 1, kAttemptsPerTurn);
  const int turns = std::max<int>(2, (attempts + kAttemptsPerTurn - 1) / kAttemptsPerTurn);
  std::vector<std::unique_ptr<TrackerClient>> clients;
  for (const HostPort& instance : *instances) {
    TrackerClientOptions options = base;
    options.host = instance.host;
    options.port = instance.port;
    options.max_retries = std::min(base.max_retries, kAttemptsPerTurn - 1);
    absl::StatusOr<std::unique_ptr<TrackerClient>> client = TrackerClient::Create(options);
    if (!client.ok()) {
      return absl::Status(client.status().code(),
                          absl::StrCat(FormatHostPort(instance.host, instance.port), ": ",
                                       client.status().message()));
    }
    clients.push_back(*std::move(client));
  }
  return std::unique_ptr<TrackerClient>(
      new FailoverTrackerClient(std::move(clients), {.turns_per_call = turns}, kRealClock));
}

}  // namespace pytorrent::peer
