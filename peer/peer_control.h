#ifndef PYTORRENT_PEER_PEER_CONTROL_H_
#define PYTORRENT_PEER_PEER_CONTROL_H_

// What the admin plane may ask of a running peer node. //admin codes against
// this interface only; the peer node implements it, tests fake it.
//
// Every method is thread-safe and may be called from gRPC threads; none
// blocks for long except AwaitDownloadChange, which waits at most until
// `deadline`. Errors use the most specific absl code: INVALID_ARGUMENT (bad
// input, the message names the field), NOT_FOUND, ALREADY_EXISTS,
// UNAVAILABLE (tracker unreachable).

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/admin.pb.h"
#include "proto/tracker.pb.h"

namespace pytorrent::peer {

// A download's state plus a counter that grows with every change, so a
// watcher can wait for "something newer than what I saw".
struct DownloadSnapshot {
  v1::DownloadProgress progress;
  uint64_t version = 0;
};

// COMPLETED, FAILED or CANCELLED: the download will not change again. The
// one definition for the node, the admin plane and the CLI.
inline bool IsTerminalDownloadState(v1::DownloadState state) {
  return state == v1::DOWNLOAD_STATE_COMPLETED || state == v1::DOWNLOAD_STATE_FAILED ||
         state == v1::DOWNLOAD_STATE_CANCELLED;
}

class PeerControl {
 public:
  virtual ~PeerControl() = default;

  virtual v1::PeerStatus GetStatus() = 0;
  // Peers registered on the tracker (menu 1).
  virtual absl::StatusOr<v1::ListPeersResponse> ListPeers(const v1::ListPeersRequest& request) = 0;
  // Files this node shares (menu 2).
  virtual v1::ListSharedFilesResponse ListSharedFiles() = 0;
  // Files on the network (via the tracker).
  virtual absl::StatusOr<v1::SearchFilesResponse> SearchFiles(
      const v1::SearchFilesRequest& request) = 0;
  // Starts a download (menu 3); returns its id at once.
  virtual absl::StatusOr<uint64_t> StartDownload(const v1::StartDownloadRequest& request) = 0;
  // Returns the download's snapshot as soon as its version exceeds
  // `after_version` (at once if it already does), or the current snapshot
  // at `deadline`. NOT_FOUND for an unknown id.
  virtual absl::StatusOr<DownloadSnapshot> AwaitDownloadChange(uint64_t download_id,
                                                               uint64_t after_version,
                                                               absl::Time deadline) = 0;
  virtual v1::ListDownloadsResponse ListDownloads() = 0;
  virtual absl::Status CancelDownload(uint64_t download_id) = 0;
  // Copies a local file into the shared folder and shares it.
  virtual absl::StatusOr<v1::SharedFile> ShareFile(const std::string& path) = 0;
  virtual absl::Status SetSeeding(const std::string& root_hash, bool seeding) = 0;
  // Renames on the tracker, then saves to the config (menu 4).
  virtual absl::Status ChangeUsername(const std::string& new_username) = 0;
  // First-run settings saved to the config; empty fields are left alone.
  virtual absl::Status UpdateSettings(const v1::UpdateSettingsRequest& request) = 0;
  // Leaves the tracker and asks the node to exit (menu 5). Returns once the
  // shutdown has begun; the node exits after the admin reply is sent.
  virtual absl::Status Disconnect() = 0;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_PEER_CONTROL_H_
