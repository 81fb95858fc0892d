// PeerNode through its PeerControl surface: several nodes in one process,
// real ZeroMQ on loopback, an in-memory tracker.
#include "peer/peer_node.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/peer/peer_node_fixture.h"

namespace pytorrent::peer {
namespace {

class PeerNodeTest : public PeerNodeFixture {
 protected:
  using PeerNodeFixture::Start;
  // A node named `node`, announcing every second.
  std::unique_ptr<PeerNode> Start(const std::string& node) {
    PeerNodeOptions options = Options(node, node);
    options.config.announce_interval_s = 1;
    return Start(std::move(options));
  }
};

TEST_F(PeerNodeTest, TwoDownloadsAtOnceCompleteAndAreReseeded) {
  std::string a = Share("seeder", "a.bin", 300 * 1024, 1);
  std::string b = Share("seeder", "b.bin", 500 * 1024 + 7, 2);
  auto seeder = Start("seeder");
  auto leecher = Start("leecher");
  ASSERT_NE(seeder, nullptr);
  ASSERT_NE(leecher, nullptr);
  EXPECT_EQ(seeder->ListSharedFiles().files_size(), 2);

  v1::StartDownloadRequest by_name;
  by_name.set_name("a.bin");
  const absl::Time started = absl::Now();
  absl::StatusOr<uint64_t> first = leecher->StartDownload(by_name);
  ASSERT_TRUE(first.ok()) << first.status();
  std::string b_root;
  v1::ListSharedFilesResponse listed = seeder->ListSharedFiles();
  for (const auto& f : listed.files()) {
    if (f.name() == "b.bin") b_root = f.root_hash();
  }
  v1::StartDownloadRequest by_root;
  by_root.set_root_hash(b_root);
  absl::StatusOr<uint64_t> second = leecher->StartDownload(by_root);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*first, *second);
  // Asking again for an active download returns the same id.
  EXPECT_EQ(*leecher->StartDownload(by_root), *second);

  DownloadSnapshot end_a = AwaitEnd(*leecher, *first);
  DownloadSnapshot end_b = AwaitEnd(*leecher, *second);
  ASSERT_EQ(end_a.progress.state(), v1::DOWNLOAD_STATE_COMPLETED) << end_a.progress.error();
  ASSERT_EQ(end_b.progress.state(), v1::DOWNLOAD_STATE_COMPLETED) << end_b.progress.error();
  EXPECT_EQ(end_a.progress.file_sha256(), DigestToBytes(Sha256::Of(a)));
  EXPECT_EQ(end_b.progress.bytes_done(), b.size());
  // Every byte came from the seeder; the elapsed time is frozen at the end.
  EXPECT_EQ(end_b.progress.bytes_received(), b.size());
  EXPECT_LE(end_b.progress.elapsed_ms(), absl::ToInt64Milliseconds(absl::Now() - started) + 1);
  EXPECT_EQ(leecher->ListDownloads().downloads(1).elapsed_ms() +
                leecher->ListDownloads().downloads(0).elapsed_ms(),
            end_a.progress.elapsed_ms() + end_b.progress.elapsed_ms());
  EXPECT_EQ(ReadAll(base_ + "/leecher/user/downloads/a.bin"), a);
  EXPECT_EQ(ReadAll(base_ + "/leecher/user/downloads/b.bin"), b);
  EXPECT_EQ(end_a.progress.path(), base_ + "/leecher/user/downloads/a.bin");
  EXPECT_EQ(leecher->ListDownloads().downloads_size(), 2);
  EXPECT_EQ(leecher->GetStatus().downloaded_bytes(), a.size() + b.size());
  EXPECT_EQ(leecher->GetStatus().active_downloads(), 0u);
  // Re-seeded: listed as shared and now offered by two peers.
  EXPECT_EQ(leecher->ListSharedFiles().files_size(), 2);
  auto counters = leecher->GetDownloadCounters(*first);
  ASSERT_TRUE(counters.ok());
  EXPECT_EQ(counters->chunks_fetched, 19u);  // ceil(300 KiB / 16 KiB)
  // download.log is appended off the loop: its lines follow the completions.
  const absl::Time log_deadline = absl::Now() + absl::Seconds(10);
  std::string log;
  auto both_logged = [&] {
    log = ReadAll(base_ + "/leecher/logs/download.log");
    return log.find(" a.bin ") != std::string::npos && log.find(" b.bin ") != std::string::npos;
  };
  while (!both_logged() && absl::Now() < log_deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_NE(log.find(" a.bin size=307200 "), std::string::npos) << log;
  EXPECT_NE(log.find(" b.bin size="), std::string::npos) << log;

  // Already held now.
  v1::StartDownloadRequest again;
  again.set_name("a.bin");
  again.set_root_hash(end_a.progress.root_hash());
  EXPECT_EQ(leecher->StartDownload(again).status().code(), absl::StatusCode::kAlreadyExists);
}

TEST_F(PeerNodeTest, FinishedDownloadsAreReleasedAndOnlyTheLastFewAreKept) {
  std::vector<std::string> roots;
  for (int i = 0; i < 3; ++i) {
    std::string name = absl::StrCat("f", i, ".bin");
    Share("seeder", name, 40 * 1024 + i, 10 + i);
  }
  auto seeder = Start("seeder");
  ASSERT_NE(seeder, nullptr);
  const v1::ListSharedFilesResponse shared = seeder->ListSharedFiles();
  for (const auto& f : shared.files()) roots.push_back(f.root_hash());
  ASSERT_EQ(roots.size(), 3u);
  PeerNodeOptions options = Options("leecher", "leecher");
  options.download_history = 2;
  auto leecher = Start(std::move(options));
  ASSERT_NE(leecher, nullptr);

  std::vector<uint64_t> ids;
  for (const std::string& root : roots) {
    v1::StartDownloadRequest request;
    request.set_root_hash(root);
    absl::StatusOr<uint64_t> id = leecher->StartDownload(request);
    ASSERT_TRUE(id.ok()) << id.status();
    ids.push_back(*id);
    ASSERT_EQ(AwaitEnd(*leecher, *id).progress.state(), v1::DOWNLOAD_STATE_COMPLETED);
  }
  // The two most recent finished downloads stay queryable; the oldest is gone.
  v1::ListDownloadsResponse listed = leecher->ListDownloads();
  ASSERT_EQ(listed.downloads_size(), 2);
  EXPECT_EQ(listed.downloads(0).download_id(), ids[1]);
  EXPECT_EQ(listed.downloads(1).download_id(), ids[2]);
  EXPECT_EQ(leecher->AwaitDownloadChange(ids[0], 0, absl::Now()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(leecher->GetDownloadCounters(ids[0]).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(leecher->GetDownloadCounters(ids[2]).ok());
  // Nothing of the downloads themselves is left on the loop (released right
  // after their final snapshot; polled, bounded).
  absl::StatusOr<PeerNode::LoopSizes> sizes;
  for (absl::Time end = absl::Now() + absl::Seconds(10); absl::Now() < end;) {
    sizes = leecher->GetLoopSizes(absl::Seconds(5));
    ASSERT_TRUE(sizes.ok()) << sizes.status();
    if (sizes->downloads == 0) break;
  }
  EXPECT_EQ(sizes->downloads, 0u);
  EXPECT_EQ(sizes->partial_files, 0u);
  // Still held and served: all three are shared files of the leecher now.
  EXPECT_EQ(leecher->ListSharedFiles().files_size(), 3);
  EXPECT_EQ(leecher->GetStatus().active_downloads(), 0u);
}

TEST_F(PeerNodeTest, EmptyFileDownloadsToAnEmptyFile) {
  Share("seeder", "empty.txt", 0, 4);
  auto seeder = Start("seeder");
  auto leecher = Start("leecher");
  ASSERT_NE(leecher, nullptr);
  v1::StartDownloadRequest request;
  request.set_name("empty.txt");
  absl::StatusOr<uint64_t> id = leecher->StartDownload(request);
  ASSERT_TRUE(id.ok()) << id.status();
  DownloadSnapshot end = AwaitEnd(*leecher, *id);
  ASSERT_EQ(end.progress.state(), v1::DOWNLOAD_STATE_COMPLETED) << end.progress.error();
  EXPECT_EQ(end.progress.file_sha256(), DigestToBytes(Sha256::Of(std::string_view())));
  EXPECT_TRUE(std::filesystem::exists(base_ + "/leecher/user/downloads/empty.txt"));
  EXPECT_EQ(std::filesystem::file_size(base_ + "/leecher/user/downloads/empty.txt"), 0u);
}

TEST_F(PeerNodeTest, AwaitReturnsAtDeadlineAndCancelStopsADownload) {
  auto leecher = Start("lonely");
  ASSERT_NE(leecher, nullptr);
  EXPECT_EQ(leecher->AwaitDownloadChange(99, 0, absl::Now()).status().code(),
            absl::StatusCode::kNotFound);
  v1::StartDownloadRequest request;
  request.set_root_hash(DigestToBytes(Sha256::Of("nobody has this")));
  absl::StatusOr<uint64_t> id = leecher->StartDownload(request);
  ASSERT_TRUE(id.ok());
  auto now = leecher->AwaitDownloadChange(*id, 0, absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(now.ok());
  // Nothing changes without peers: the wait ends at its deadline.
  absl::Time before = absl::Now();
  auto later =
      leecher->AwaitDownloadChange(*id, now->version + 100, absl::Now() + absl::Milliseconds(300));
  ASSERT_TRUE(later.ok());
  EXPECT_GE(absl::Now() - before, absl::Milliseconds(250));
  EXPECT_EQ(later->progress.state(), v1::DOWNLOAD_STATE_STARTING);
  ASSERT_TRUE(leecher->CancelDownload(*id).ok());
  EXPECT_EQ(AwaitEnd(*leecher, *id).progress.state(), v1::DOWNLOAD_STATE_CANCELLED);
  EXPECT_EQ(leecher->CancelDownload(12345).code(), absl::StatusCode::kNotFound);
}

TEST_F(PeerNodeTest, StartDownloadValidatesItsInput) {
  Share("seeder", "x.bin", 1000, 3);
  auto seeder = Start("seeder");
  ASSERT_NE(seeder, nullptr);
  v1::StartDownloadRequest bad_root;
  bad_root.set_root_hash("short");
  EXPECT_EQ(seeder->StartDownload(bad_root).status().code(), absl::StatusCode::kInvalidArgument);
  v1::StartDownloadRequest bad_name;
  bad_name.set_name("../etc/passwd");
  EXPECT_EQ(seeder->StartDownload(bad_name).status().code(), absl::StatusCode::kInvalidArgument);
  v1::StartDownloadRequest missing;
  missing.set_name("missing.bin");
  EXPECT_EQ(seeder->StartDownload(missing).status().code(), absl::StatusCode::kNotFound);
  v1::StartDownloadRequest own;
  own.set_name("x.bin");
  EXPECT_EQ(seeder->StartDownload(own).status().code(), absl::StatusCode::kAlreadyExists);
  registry_->mu.lock();
  registry_->down = true;
  registry_->mu.unlock();
  EXPECT_EQ(seeder->StartDownload(missing).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(seeder->GetStatus().tracker_reachable());
}

TEST_F(PeerNodeTest, ShareFileUsernameAndSeedingSwitch) {
  auto node = Start("alice");
  auto other = Start("bob");
  ASSERT_NE(node, nullptr);
  std::string outside = base_ + "/outside.txt";
  std::ofstream(outside) << "shared via admin";
  absl::StatusOr<v1::SharedFile> shared = node->ShareFile(outside);
  ASSERT_TRUE(shared.ok()) << shared.status();
  EXPECT_EQ(shared->file_sha256(), DigestToBytes(Sha256::Of("shared via admin")));
  EXPECT_EQ(ReadAll(base_ + "/alice/user/shared_files/outside.txt"), "shared via admin");
  EXPECT_EQ(node->ShareFile(outside).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(node->ShareFile("relative.txt").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(node->ShareFile(base_ + "/nope").status().code(), absl::StatusCode::kNotFound);

  EXPECT_EQ(node->ChangeUsername("bob").code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(node->ChangeUsername("bad name").code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(node->ChangeUsername("alice2").ok());
  EXPECT_EQ(node->GetStatus().username(), "alice2");
  EXPECT_NE(ReadAll(base_ + "/alice/config/config.txt").find("username=alice2"), std::string::npos);

  // The live scan announces the new file; switching seeding off withdraws it.
  auto announced = [&](bool want) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline) {
      {
        std::lock_guard<std::mutex> lock(registry_->mu);
        bool has = false;
        for (const auto& [id, peer] : registry_->peers) {
          has = has || peer.files.count(shared->root_hash()) > 0;
        }
        if (has == want) return true;
      }
      usleep(20'000);  // polling interval of the deadline wait
    }
    return false;
  };
  EXPECT_TRUE(announced(true));
  ASSERT_TRUE(node->SetSeeding(shared->root_hash(), false).ok());
  EXPECT_TRUE(announced(false));
  EXPECT_FALSE(node->ListSharedFiles().files(0).seeding());
  ASSERT_TRUE(node->SetSeeding(shared->root_hash(), true).ok());
  EXPECT_TRUE(announced(true));
  EXPECT_EQ(node->SetSeeding(std::string(32, 'z'), true).code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(node->Disconnect().ok());
  EXPECT_TRUE(node->stop_requested());
}

}  // namespace
}  // namespace pytorrent::peer
