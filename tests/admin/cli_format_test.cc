#include "admin/cli_format.h"

#include "gtest/gtest.h"

namespace pytorrent::admin {
namespace {

TEST(CliFormatTest, Bytes) {
  EXPECT_EQ(FormatBytes(0), "0 B");
  EXPECT_EQ(FormatBytes(999), "999 B");
  EXPECT_EQ(FormatBytes(1500), "1.5 kB");
  EXPECT_EQ(FormatBytes(20'971'520), "21.0 MB");
  EXPECT_EQ(FormatBytes(1'073'741'824), "1.07 GB");
  EXPECT_EQ(FormatBytes(2'000'000'000'000), "2.00 TB");
}

TEST(CliFormatTest, Rates) {
  EXPECT_EQ(FormatRate(0), "0 B/s");
  EXPECT_EQ(FormatRate(512), "512 B/s");
  EXPECT_EQ(FormatRate(250'000), "250.0 kB/s");
  EXPECT_EQ(FormatRate(2'500'000), "2.50 MB/s");
  EXPECT_EQ(FormatRate(999'990'000), "999.99 MB/s");
  EXPECT_EQ(FormatRate(1'250'000'000), "1.25 GB/s");
}

TEST(CliFormatTest, Eta) {
  EXPECT_EQ(FormatEta(0), "--:--");
  EXPECT_EQ(FormatEta(6), "0:06");
  EXPECT_EQ(FormatEta(754), "12:34");
  EXPECT_EQ(FormatEta(3723), "1:02:03");
  EXPECT_EQ(FormatEta(400 * 3600), ">99h");
}

TEST(CliFormatTest, PercentFloorsAndTreatsEmptyAsDone) {
  EXPECT_EQ(FormatPercent(0, 100), "0.0%");
  EXPECT_EQ(FormatPercent(1, 3), "33.3%");
  EXPECT_EQ(FormatPercent(9999, 10000), "99.9%");
  EXPECT_EQ(FormatPercent(10, 10), "100.0%");
  EXPECT_EQ(FormatPercent(0, 0), "100.0%");
  EXPECT_EQ(FormatPercent(UINT64_MAX - 1, UINT64_MAX), "99.9%");
}

TEST(CliFormatTest, ProgressBar) {
  ProgressView v{.bytes_done = 5'000'000,
                 .size_bytes = 20'000'000,
                 .rate_bytes_per_s = 2'500'000,
                 .eta_seconds = 6,
                 .seeders = 3};
  EXPECT_EQ(RenderProgressBar(v, 20),
            "[#####---------------]   25.0%  2.50 MB/s  ETA 0:06  seeders 3");
  v.bytes_done = 20'000'000;
  v.eta_seconds = 0;
  v.rate_bytes_per_s = 0;
  EXPECT_EQ(RenderProgressBar(v, 4), "[####]  100.0%  0 B/s  ETA --:--  seeders 3");
  v.bytes_done = 30'000'000;  // more than the size: clamped
  EXPECT_EQ(RenderProgressBar(v, 4).substr(0, 6), "[####]");
  v.size_bytes = 0;
  EXPECT_EQ(RenderProgressBar(v, 0).substr(0, 3), "[#]");
}

TEST(CliFormatTest, Elapsed) {
  EXPECT_EQ(FormatElapsed(absl::ZeroDuration()), "0.0s");
  EXPECT_EQ(FormatElapsed(absl::Milliseconds(-5)), "0.0s");
  EXPECT_EQ(FormatElapsed(absl::Milliseconds(420)), "0.4s");
  EXPECT_EQ(FormatElapsed(absl::Milliseconds(8'299)), "8.2s");
  EXPECT_EQ(FormatElapsed(absl::Milliseconds(59'999)), "59.9s");
  EXPECT_EQ(FormatElapsed(absl::Seconds(65)), "1:05");
  EXPECT_EQ(FormatElapsed(absl::Seconds(3723)), "1:02:03");
}

TEST(CliFormatTest, AverageRateIsBytesOverElapsed) {
  EXPECT_EQ(AverageRate({.bytes = 20'000'000, .elapsed = absl::Seconds(8)}), 2'500'000u);
  EXPECT_EQ(AverageRate({.bytes = 1'000, .elapsed = absl::Milliseconds(250)}), 4'000u);
  EXPECT_EQ(AverageRate({.bytes = 1'000, .elapsed = absl::ZeroDuration()}), 0u);
  // No overflow for huge files.
  EXPECT_EQ(AverageRate({.bytes = 1ULL << 62, .elapsed = absl::Seconds(1)}), 1ULL << 62);
  EXPECT_EQ(AverageRate({.bytes = ~0ULL, .elapsed = absl::Microseconds(1)}), ~0ULL);
}

TEST(CliFormatTest, FinishedBarShowsAverageRateAndElapsedNotTheLastInstant) {
  // What the node reports at completion: rate, ETA and seeders all 0.
  ProgressView done{.bytes_done = 20'000'000, .size_bytes = 20'000'000, .seeders = 0};
  EXPECT_EQ(RenderFinishedBar(done, {.bytes = 20'000'000, .elapsed = absl::Milliseconds(8'000)}, 4),
            "[####]  100.0%  avg 2.50 MB/s  took 8.0s");
  EXPECT_EQ(RenderFinishedBar(done, {.bytes = 20'000'000, .elapsed = absl::Seconds(125)}, 4),
            "[####]  100.0%  avg 160.0 kB/s  took 2:05");
  EXPECT_EQ(RenderFinishedBar(done, {.bytes = 0, .elapsed = absl::ZeroDuration()}, 4),
            "[####]  100.0%  avg --  took 0.0s");
  // A final snapshot that lags its size still shows a full bar.
  done.bytes_done = 0;
  EXPECT_EQ(RenderFinishedBar(done, {.bytes = 5, .elapsed = absl::Seconds(1)}, 4),
            "[####]  100.0%  avg 5 B/s  took 1.0s");
}

TEST(CliFormatTest, ProgressBarNeverWrapsTheTerminal) {
  EXPECT_EQ(ProgressBarWidth(200, 0), 40);
  EXPECT_EQ(ProgressBarWidth(80, 0), 26);
  EXPECT_EQ(ProgressBarWidth(40, 0), 10);  // floor: still readable
  ProgressView worst{.bytes_done = 1,
                     .size_bytes = 3,
                     .rate_bytes_per_s = 9'999'990'000,
                     .eta_seconds = 99 * 3600 + 3599,
                     .seeders = 9999};
  // Whenever the floor of 10 cells fits, the worst-case line fits.
  for (int columns : {80, 100, 120, 200}) {
    for (int prefix : {0, 10, 16}) {
      const int width = ProgressBarWidth(columns, prefix);
      EXPECT_LT(static_cast<int>(DisplayWidth(RenderProgressBar(worst, width))) + prefix, columns)
          << columns << " " << prefix;
      const DownloadSummary slow{.bytes = ~0ULL, .elapsed = absl::Hours(99)};
      EXPECT_LT(static_cast<int>(DisplayWidth(RenderFinishedBar(worst, slow, width))) + prefix,
                columns)
          << columns << " " << prefix;
    }
  }
}

TEST(CliFormatTest, TableAlignsByDisplayWidthAndTrims) {
  EXPECT_EQ(RenderTable({{"NAME", "SIZE", "X"}, {"é.txt", "1 B", ""}, {"long_name", "10 kB", ""}},
                        {Align::kLeft, Align::kRight}),
            "NAME        SIZE  X\n"
            "é.txt        1 B\n"
            "long_name  10 kB\n");
  EXPECT_EQ(RenderTable({}, {}), "");
}

TEST(CliFormatTest, NetworkTextCannotDriveTheTerminal) {
  EXPECT_EQ(SanitizeForTerminal("evil\033[2J\r\nname"), "evil?[2J??name");
  v1::SearchFilesResponse files;
  files.add_files()->set_name("a\033]0;pwned\007");
  EXPECT_EQ(FormatSearchResults(files, false).find('\033'), std::string::npos);
}

TEST(CliFormatTest, ShortHex) {
  EXPECT_EQ(ShortHex(std::string("\x01\xab\xff", 3)), "01abff");
  EXPECT_EQ(ShortHex(std::string(32, '\x11'), 5), "11111");
}

TEST(CliFormatTest, EmptyListsSaySo) {
  EXPECT_EQ(FormatPeers({}), "no peers are connected to the tracker\n");
  EXPECT_EQ(FormatDownloads({}), "no downloads\n");
  EXPECT_EQ(FormatSearchResults({}, true), "no files on the network match\n");
}

TEST(CliFormatTest, AFailedDownloadShowsItsReasonAndNoRate) {
  v1::ListDownloadsResponse downloads;
  v1::DownloadProgress* ok = downloads.add_downloads();
  ok->set_download_id(1);
  ok->set_name("a.bin");
  ok->set_state(v1::DOWNLOAD_STATE_DOWNLOADING);
  ok->set_rate_bytes_per_s(2'000'000);
  v1::DownloadProgress* failed = downloads.add_downloads();
  failed->set_download_id(2);
  failed->set_name("b.bin");
  failed->set_state(v1::DOWNLOAD_STATE_FAILED);
  failed->set_size_bytes(100);
  failed->set_bytes_done(62);
  failed->set_rate_bytes_per_s(425'320'000);  // stale: the last rate before it failed
  failed->set_bytes_received(62);
  failed->set_elapsed_ms(1);
  failed->set_error("not enough disk space in /h/state: needs 64.0 MiB, 40.0 MiB free");
  const std::string table = FormatDownloads(downloads);
  EXPECT_NE(table.find("REASON"), std::string::npos) << table;
  EXPECT_NE(table.find("needs 64.0 MiB, 40.0 MiB free"), std::string::npos) << table;
  EXPECT_EQ(table.find("425"), std::string::npos) << table;
  EXPECT_NE(table.find("2.00 MB/s"), std::string::npos) << table;
  // Without a failure there is no REASON column.
  downloads.mutable_downloads()->RemoveLast();
  EXPECT_EQ(FormatDownloads(downloads).find("REASON"), std::string::npos);
}

TEST(CliFormatTest, DownloadResults) {
  v1::DownloadProgress p;
  p.set_name("a.bin");
  p.set_size_bytes(2048);
  p.set_state(v1::DOWNLOAD_STATE_COMPLETED);
  p.set_file_sha256(std::string(32, '\xab'));
  p.set_path("/d/a.bin");
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "ab";
  EXPECT_EQ(FormatDownloadResult(p),
            "completed a.bin (2.0 kB)\nsha256 " + hex + " (verified)\nsaved to /d/a.bin\n");
  p.set_state(v1::DOWNLOAD_STATE_FAILED);
  p.set_error("every seeder sent bad chunks");
  EXPECT_EQ(FormatDownloadResult(p), "failed a.bin: every seeder sent bad chunks\n");
}

TEST(CliFormatTest, SearchLinesAlwaysCarrySeeders) {
  v1::SearchFilesResponse files;
  auto* f = files.add_files();
  f->set_name("x.iso");
  f->set_size_bytes(100);
  f->set_seeders(3);
  f->set_root_hash(std::string(32, '\0'));
  EXPECT_EQ(FormatSearchResults(files, true),
            "1)  x.iso  100 B  seeders 3  leechers 0  root 000000000000\n");
}

TEST(CliFormatTest, Contributions) {
  v1::DownloadProgress p;
  EXPECT_EQ(FormatContributions(p), "");
  auto* a = p.add_peers();
  a->set_username("alice");
  a->set_bytes_received(10'500'000);
  auto* b = p.add_peers();
  b->set_peer_id(0xab);
  b->set_bytes_received(262144);
  b->set_strikes(2);
  b->set_banned(true);
  EXPECT_EQ(FormatContributions(p),
            "from alice 10.5 MB, 00000000000000ab 262.1 kB (2 strikes, banned)");
}

}  // namespace
}  // namespace pytorrent::admin
