#ifndef PYTORRENT_TESTS_FAKES_FAKE_PEER_CONTROL_H_
#define PYTORRENT_TESTS_FAKES_FAKE_PEER_CONTROL_H_

// An in-memory peer node for admin and CLI tests. Deterministic contents
// (see MakeDemo), downloads advanced explicitly by the test (Advance, Fail)
// or by Tick() from a driver thread in the fake node binary.
//
// Thread-safe: every method locks one mutex.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "peer/peer_control.h"

namespace pytorrent::testing {

class FakePeerControl final : public peer::PeerControl {
 public:
  FakePeerControl();

  // A node named `username` ("" = first run) with three peers, two shared
  // files and four files on the network (see the .cc for the exact values).
  static void FillDemo(FakePeerControl& fake, const std::string& username);

  // --- test setup ---
  void SetStatus(const v1::PeerStatus& status);
  void AddPeer(const v1::PeerInfo& peer);
  void AddSharedFile(const v1::SharedFile& file);
  void AddNetworkFile(const v1::FileSummary& file);
  // Makes ListPeers/SearchFiles fail with UNAVAILABLE (tracker down).
  void SetTrackerDown(bool down);
  // Usernames ChangeUsername answers ALREADY_EXISTS for.
  void AddTakenUsername(const std::string& username);
  // Called (outside the lock) after Disconnect() succeeded.
  void SetOnDisconnect(std::function<void()> on_disconnect);

  // --- driving downloads ---
  // Adds `bytes` to a download (STARTING -> DOWNLOADING -> COMPLETED when all
  // bytes are done). Returns false for an unknown or finished download.
  bool Advance(uint64_t download_id, uint64_t bytes);
  bool Fail(uint64_t download_id, const std::string& error);
  // Advances every active download by `bytes`.
  void Tick(uint64_t bytes);

  // --- what the admin plane did ---
  std::string username() const;
  v1::UpdateSettingsRequest last_settings() const;
  // root hash -> seeding, from SetSeeding calls.
  std::map<std::string, bool> seeding_calls() const;
  int disconnect_calls() const;
  std::vector<std::string> shared_paths() const;

  // --- peer::PeerControl ---
  v1::PeerStatus GetStatus() override;
  absl::StatusOr<v1::ListPeersResponse> ListPeers(const v1::ListPeersRequest& request) override;
  v1::ListSharedFilesResponse ListSharedFiles() override;
  absl::StatusOr<v1::SearchFilesResponse> SearchFiles(
      const v1::SearchFilesRequest& request) override;
  absl::StatusOr<uint64_t> StartDownload(const v1::StartDownloadRequest& request) override;
  absl::StatusOr<peer::DownloadSnapshot> AwaitDownloadChange(uint64_t download_id,
                                                             uint64_t after_version,
                                                             absl::Time deadline) override;
  v1::ListDownloadsResponse ListDownloads() override;
  absl::Status CancelDownload(uint64_t download_id) override;
  absl::StatusOr<v1::SharedFile> ShareFile(const std::string& path) override;
  absl::Status SetSeeding(const std::string& root_hash, bool seeding) override;
  absl::Status ChangeUsername(const std::string& new_username) override;
  absl::Status UpdateSettings(const v1::UpdateSettingsRequest& request) override;
  absl::Status Disconnect() override;

 private:
  bool AdvanceLocked(uint64_t download_id, uint64_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  // Signalled when a download's version grows (AwaitDownloadChange).
  CondVar download_changed_;
  v1::PeerStatus status_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::PeerInfo> peers_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::SharedFile> shared_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::FileSummary> network_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, peer::DownloadSnapshot> downloads_ ABSL_GUARDED_BY(mu_);
  uint64_t next_download_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool tracker_down_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::string> taken_usernames_ ABSL_GUARDED_BY(mu_);
  v1::UpdateSettingsRequest last_settings_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool> seeding_calls_ ABSL_GUARDED_BY(mu_);
  int disconnect_calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> shared_paths_ ABSL_GUARDED_BY(mu_);
  std::function<void()> on_disconnect_ ABSL_GUARDED_BY(mu_);
};

// A deterministic 32-byte "root hash" for test file `name`.
std::string FakeRootHash(const std::string& name);

}  // namespace pytorrent::testing

#endif  // PYTORRENT_TESTS_FAKES_FAKE_PEER_CONTROL_H_
