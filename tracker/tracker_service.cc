#include "tracker/tracker_service.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/log.h"

namespace pytorrent::tracker {

namespace {
// The announce rate is averaged over this window.
constexpr absl::Duration kRateWindow = absl::Seconds(5);
}  // namespace

TrackerService::TrackerService(RequestHandler& handler, SwarmRegistry& registry, UdpServer& loop,
                               absl::Time start, absl::Duration control_timeout)
    : handler_(handler),
      registry_(registry),
      loop_(loop),
      start_(start),
      control_timeout_(control_timeout) {}

size_t TrackerService::OnDatagram(absl::Span<const uint8_t> datagram, const SourceAddress& from,
                                  absl::Time now, absl::Span<uint8_t> out) {
  return handler_.Handle(datagram, from, now, out);
}

void TrackerService::OnTick(absl::Time now) {
  registry_.ExpireIdle(now);
  samples_.push_back({now, handler_.counters().announces()});
  while (samples_.size() > 2 && samples_.front().at < now - kRateWindow) samples_.pop_front();

  // One line per burst of rejected requests, at most one every 10 s.
  const HandlerCounters& c = handler_.counters();
  const uint64_t rejects = c.TotalRejects();
  if (rejects != logged_rejects_ && now - last_reject_log_ >= absl::Seconds(10)) {
    std::string by_kind;
    for (size_t i = 0; i < c.rejects.size(); ++i) {
      const uint64_t delta = c.rejects[i] - logged_by_kind_[i];
      if (delta == 0) continue;
      const std::string_view name = RejectKindName(static_cast<RejectKind>(i));
      absl::StrAppend(&by_kind, by_kind.empty() ? "" : ", ",
                      absl::string_view(name.data(), name.size()), "=", delta);
    }
    PT_LOG_WARN("rejected {} requests since the last report ({})", rejects - logged_rejects_,
                by_kind);
    logged_rejects_ = rejects;
    logged_by_kind_ = c.rejects;
    last_reject_log_ = now;
  }
}

v1::TrackerStats TrackerService::StatsNow(absl::Time now) const {
  v1::TrackerStats stats;
  const HandlerCounters& c = handler_.counters();
  stats.set_peers(static_cast<uint32_t>(registry_.CountPeers()));
  stats.set_files(static_cast<uint32_t>(registry_.CountFiles()));
  stats.set_requests(c.datagrams);
  stats.set_announces(c.announces());
  if (!samples_.empty()) {
    const Sample& first = samples_.front();
    const double seconds = absl::ToDoubleSeconds(now - first.at);
    if (seconds > 0.5) {
      stats.set_announces_per_s(static_cast<double>(c.announces() - first.announces) / seconds);
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

bool TrackerService::RunOnLoop(std::function<void()> task) {
  auto done = std::make_shared<absl::Notification>();
  if (!loop_.Post([task = std::move(task), done] {
        task();
        done->Notify();
      })) {
    return false;
  }
  return done->WaitForNotificationWithTimeout(control_timeout_);
}

v1::TrackerStats TrackerService::GetStats() {
  auto result = std::make_shared<v1::TrackerStats>();
  if (!RunOnLoop([this, result] {
        const absl::Time now = absl::Now();
        registry_.ExpireIdle(now);
        *result = StatsNow(now);
      })) {
    return {};
  }
  return *result;
}

v1::ListSwarmsResponse TrackerService::ListSwarms(const v1::ListSwarmsRequest& request) {
  auto result = std::make_shared<v1::ListSwarmsResponse>();
  if (!RunOnLoop([this, result, request] {
        absl::Status s = registry_.SearchFiles(
            "", {.token = request.page_token(), .page_size = request.page_size()}, absl::Now(),
            result->mutable_swarms(), result->mutable_next_page_token());
        if (!s.ok()) result->Clear();
      })) {
    return {};
  }
  return *result;
}

v1::ListTrackerPeersResponse TrackerService::ListPeers(const v1::ListTrackerPeersRequest& request) {
  auto result = std::make_shared<v1::ListTrackerPeersResponse>();
  if (!RunOnLoop([this, result, request] {
        absl::Status s = registry_.ListPeers(
            {.token = request.page_token(), .page_size = request.page_size()}, absl::Now(),
            result->mutable_peers(), result->mutable_next_page_token());
        if (!s.ok()) result->Clear();
      })) {
    return {};
  }
  return *result;
}

absl::Status TrackerService::EvictPeer(uint64_t peer_id) {
  auto result = std::make_shared<absl::Status>();
  if (!RunOnLoop([this, result, peer_id] { *result = registry_.Evict(peer_id, absl::Now()); })) {
    return absl::UnavailableError("the tracker loop did not answer in time");
  }
  return *result;
}

}  // namespace pytorrent::tracker
