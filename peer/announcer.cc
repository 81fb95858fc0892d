#include "peer/announcer.h"

#include <algorithm>

namespace pytorrent::peer {

bool Announcer::Due(const AnnounceInputs& in, absl::Time now) const {
  if (!in.scanned) return false;
  return in.files_changed || now >= next_announce_ ||
         (in.chunks_changed && now >= last_announce_ + options_.chunk_interval);
}

absl::Time Announcer::NextCheck(const AnnounceInputs& in, absl::Time now) const {
  if (!in.scanned) return now + options_.scan_poll;
  if (Due(in, now)) return now;
  absl::Time next = next_announce_;
  if (in.chunks_changed) next = std::min(next, last_announce_ + options_.chunk_interval);
  return std::max(next, now);
}

void Announcer::OnAnnounced(bool ok, absl::Time now) {
  last_announce_ = now;
  next_announce_ = now + (ok ? options_.interval : std::min(options_.interval, options_.retry));
}

std::vector<v1::AnnounceRequest> AnnounceRequests(const AnnounceIdentity& who,
                                                  const std::vector<v1::FileAvailability>& files) {
  std::vector<v1::AnnounceRequest> requests;
  size_t sent = 0;
  do {
    v1::AnnounceRequest& request = requests.emplace_back();
    request.set_peer_id(who.peer_id);
    request.set_peer_key(who.peer_key);
    request.set_username(who.username);
    request.set_chunk_port(who.chunk_port);
    request.set_chunk_endpoint(who.chunk_endpoint);
    request.set_replace_files(sent == 0);
    for (size_t i = sent; i < files.size() && i < sent + kFilesPerAnnounce; ++i) {
      *request.add_files() = files[i];
    }
    sent += kFilesPerAnnounce;
  } while (sent < files.size());
  return requests;
}

}  // namespace pytorrent::peer
