#include "tracker/tracker_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace pytorrent::tracker {

namespace {
// The announce rate is averaged over this window.
constexpr absl::Duration kRateWindow = absl::Seconds(5);
// At most one rejected-requests line this often.
constexpr absl::Duration kRejectLogEvery = absl::Seconds(10);
}  // namespace

class TrackerService::Shard final : public DatagramHandler {
 public:
  Shard(TrackerService& service, RequestHandler& handler, bool primary)
      : service_(service), handler_(handler), primary_(primary) {}
  size_t OnDatagram(absl::Span<const uint8_t> datagram, const SourceAddress& from, absl::Time now,
                    absl::Span<uint8_t> out) override {
    return handler_.Handle(datagram, from, now, out);
  }
  void OnBatch(absl::Span<Datagram> batch, absl::Time now) override {
    items_.resize(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      items_[i].datagram = batch[i].in;
      items_[i].from = batch[i].from;
      items_[i].out = batch[i].out;
      items_[i].reply_bytes = 0;
    }
    handler_.HandleBatch(absl::MakeSpan(items_), now);
    for (size_t i = 0; i < batch.size(); ++i) batch[i].reply_bytes = items_[i].reply_bytes;
  }
  void OnTick(absl::Time now) override {
    if (primary_) service_.Tick(now);
  }

 private:
  std::vector<RequestHandler::BatchItem> items_;  // reused by this loop thread
  TrackerService& service_;
  RequestHandler& handler_;
  bool primary_;
};

TrackerService::TrackerService(SwarmStore& registry, std::mutex& registry_mu,
                               std::vector<RequestHandler*> handlers, absl::Time start)
    : registry_(registry),
      registry_mu_(registry_mu),
      handlers_(std::move(handlers)),
      start_(start) {
  for (size_t i = 0; i < handlers_.size(); ++i) {
    shards_.push_back(std::make_unique<Shard>(*this, *handlers_[i], i == 0));
  }
}

TrackerService::~TrackerService() = default;

DatagramHandler& TrackerService::shard(size_t i) { return *shards_[i]; }

HandlerCounters TrackerService::Counters() const {
  HandlerCounters total;
  for (const RequestHandler* h : handlers_) total += h->counters();
  return total;
}

std::unique_lock<std::mutex> TrackerService::LockStore() {
  if (registry_.thread_safe()) return std::unique_lock<std::mutex>();
  return std::unique_lock<std::mutex>(registry_mu_);
}

void TrackerService::Tick(absl::Time now) {
  {
    auto lock = LockStore();
    registry_.ExpireIdle(now);
  }
  // ExpireIdle reached the store (or failed to): serving() is current.
  const int serving = registry_.serving() ? 1 : 0;
  if (serving != reported_serving_ && on_serving_change_) {
    on_serving_change_(serving == 1);
    reported_serving_ = serving;
  }
  const HandlerCounters c = Counters();
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    samples_.push_back({now, c.announces()});
    while (samples_.size() > 2 && samples_.front().at < now - kRateWindow) samples_.pop_front();
  }
  // One line per burst of rejected requests.
  const uint64_t rejects = c.TotalRejects();
  if (rejects != logged_.TotalRejects() && now - last_reject_log_ >= kRejectLogEvery) {
    std::string by_kind;
    for (size_t i = 0; i < c.rejects.size(); ++i) {
      const uint64_t delta = c.rejects[i] - logged_.rejects[i];
      if (delta == 0) continue;
      const std::string_view name = RejectKindName(static_cast<RejectKind>(i));
      absl::StrAppend(&by_kind, by_kind.empty() ? "" : ", ",
                      absl::string_view(name.data(), name.size()), "=", delta);
    }
    PT_LOG_WARN("rejected {} requests since the last report ({})", rejects - logged_.TotalRejects(),
                by_kind);
    logged_ = c;
    last_reject_log_ = now;
  }
}

v1::TrackerStats TrackerService::GetStats() {
  const absl::Time now = absl::Now();
  v1::TrackerStats stats;
  {
    auto lock = LockStore();
    registry_.ExpireIdle(now);
    stats.set_peers(static_cast<uint32_t>(registry_.CountPeers()));
    stats.set_files(static_cast<uint32_t>(registry_.CountFiles()));
  }
  const HandlerCounters c = Counters();
  stats.set_requests(c.datagrams);
  stats.set_announces(c.announces());
  {
    std::lock_guard<std::mutex> lock(stats_mu_);
    if (!samples_.empty()) {
      const Sample& first = samples_.front();
      const double seconds = absl::ToDoubleSeconds(now - first.at);
      if (seconds > 0.5) {
        stats.set_announces_per_s(static_cast<double>(c.announces() - first.announces) / seconds);
      }
    }
  }
  for (size_t i = 0; i < c.rejects.size(); ++i) {
    if (c.rejects[i] == 0) continue;
    const std::string_view name = RejectKindName(static_cast<RejectKind>(i));
    (*stats.mutable_errors_by_kind())[std::string(name)] = c.rejects[i];
  }
  stats.set_uptime_seconds(
      static_cast<uint64_t>(std::max<int64_t>(0, absl::ToInt64Seconds(now - start_))));
  return stats;
}

absl::StatusOr<v1::ListSwarmsResponse> TrackerService::ListSwarms(
    const v1::ListSwarmsRequest& request) {
  v1::ListSwarmsResponse result;
  auto lock = LockStore();
  absl::Status s =
      registry_.SearchFiles("", {.token = request.page_token(), .page_size = request.page_size()},
                            absl::Now(), result.mutable_swarms(), result.mutable_next_page_token());
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<v1::ListTrackerPeersResponse> TrackerService::ListPeers(
    const v1::ListTrackerPeersRequest& request) {
  v1::ListTrackerPeersResponse result;
  auto lock = LockStore();
  absl::Status s =
      registry_.ListPeers({.token = request.page_token(), .page_size = request.page_size()},
                          absl::Now(), result.mutable_peers(), result.mutable_next_page_token());
  if (!s.ok()) return s;
  return result;
}

absl::Status TrackerService::EvictPeer(uint64_t peer_id) {
  auto lock = LockStore();
  return registry_.Evict(peer_id, absl::Now());
}

}  // namespace pytorrent::tracker
