// Soak benchmark: does a long-running node keep its threads, descriptors
// and memory flat? A real tracker and seeders share many small files and a
// few large ones; one leecher node downloads them all through its admin
// socket, first one at a time, then `--parallel` at a time, and the
// leecher's threads (/proc/PID/status), open descriptors (/proc/PID/fd) and
// RSS are sampled after the first `--checkpoint` downloads, after all small
// files and after the large ones. Prints ONE JSON line; exits 1 if any
// download failed or a figure grew past its stated bound (--max-*).
//
// Run: bazel run -c opt //tests/bench:soak_bench
//      (2,000 small files and 5 large ones; --leecher-binary for A/B runs)

#include <dirent.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "common/sha256.h"
#include "grpcpp/grpcpp.h"
#include "proto/admin.grpc.pb.h"
#include "tests/bench/work_dir.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

using pytorrent::testing::PeerProcess;
using pytorrent::testing::TrackerProcess;

int Fail(const std::string& message) {
  std::cerr << "soak_bench: " << message << "\n";
  return 1;
}

// What the leecher process holds at one moment.
struct Footprint {
  int threads = 0;
  int fds = 0;
  double rss_mib = 0;
};

Footprint Measure(pid_t pid) {
  Footprint f;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) (void)absl::SimpleAtoi(line.substr(8), &f.threads);
    if (line.rfind("VmRSS:", 0) == 0) {
      std::string kib = line.substr(6);
      kib = kib.substr(0, kib.find("kB"));
      int64_t value = 0;
      if (absl::SimpleAtoi(kib, &value)) f.rss_mib = static_cast<double>(value) / 1024.0;
    }
  }
  if (DIR* dir = ::opendir(absl::StrCat("/proc/", pid, "/fd").c_str()); dir != nullptr) {
    while (const dirent* entry = ::readdir(dir)) f.fds += entry->d_name[0] != '.' ? 1 : 0;
    ::closedir(dir);
  }
  return f;
}

// A finished download's resources are released on the node's loop shortly
// after its final state is published: polls (bounded) until the thread
// count is back at `threads` or `settle` passes, then measures.
Footprint MeasureSettled(pid_t pid, int threads, absl::Duration settle) {
  absl::Time deadline = absl::Now() + settle;
  Footprint f = Measure(pid);
  while (f.threads > threads && absl::Now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling interval
    f = Measure(pid);
  }
  return f;
}

std::string Json(const Footprint& f) {
  return absl::StrFormat("{\"threads\":%d,\"fds\":%d,\"rss_mib\":%.1f}", f.threads, f.fds,
                         f.rss_mib);
}

bool IsTerminal(pytorrent::v1::DownloadState s) {
  return s == pytorrent::v1::DOWNLOAD_STATE_COMPLETED ||
         s == pytorrent::v1::DOWNLOAD_STATE_FAILED || s == pytorrent::v1::DOWNLOAD_STATE_CANCELLED;
}

// Downloads `roots` through the node's admin socket, `workers` at a time;
// returns how many did not complete.
int DownloadAll(pytorrent::v1::PeerAdmin::Stub& admin, const std::vector<std::string>& roots,
                int workers, absl::Duration per_download) {
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  auto work = [&] {
    for (size_t i = next++; i < roots.size(); i = next++) {
      pytorrent::v1::StartDownloadRequest start;
      start.set_root_hash(roots[i]);
      pytorrent::v1::StartDownloadResponse started;
      grpc::ClientContext start_context;
      start_context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
      if (!admin.StartDownload(&start_context, start, &started).ok()) {
        ++failed;
        continue;
      }
      pytorrent::v1::WatchDownloadRequest watch;
      watch.set_download_id(started.download_id());
      watch.set_min_interval_ms(1);
      grpc::ClientContext watch_context;
      watch_context.set_deadline(absl::ToChronoTime(absl::Now() + per_download));
      auto reader = admin.WatchDownload(&watch_context, watch);
      pytorrent::v1::DownloadProgress progress;
      pytorrent::v1::DownloadState last = pytorrent::v1::DOWNLOAD_STATE_UNSPECIFIED;
      while (reader->Read(&progress)) last = progress.state();
      (void)reader->Finish();
      if (last != pytorrent::v1::DOWNLOAD_STATE_COMPLETED) {
        ++failed;
        if (failed <= 3) {
          std::cerr << "soak_bench: download of file " << i << " ended "
                    << (IsTerminal(last) ? pytorrent::v1::DownloadState_Name(last) : "unfinished")
                    << " " << progress.error() << "\n";
        }
      }
    }
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  return failed.load();
}

}  // namespace

int main(int argc, char** argv) {
  int small_files = 2000, large_files = 5, seeders = 2, parallel = 8, checkpoint = 100;
  uint64_t small_kib = 24, large_mib = 64;
  int max_thread_growth = 2, max_fd_growth = 8;
  double max_rss_growth_mib = 24, max_rss_growth_after_large_mib = 112;
  std::string dir, leecher_binary = "peer/peer";
  bool keep = false;
  CLI::App app{"PyTorrent soak benchmark: one node downloads many files; its footprint stays flat"};
  app.add_option("--small-files", small_files, "Small files to download")->capture_default_str();
  app.add_option("--small-kib", small_kib, "Size of each small file")->capture_default_str();
  app.add_option("--large-files", large_files, "Large files to download")->capture_default_str();
  app.add_option("--large-mib", large_mib, "Size of each large file")->capture_default_str();
  app.add_option("--seeders", seeders, "Seeder processes")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  app.add_option("--parallel", parallel, "Downloads at a time in the parallel phase")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--checkpoint", checkpoint, "Downloads before the reference measurement")
      ->capture_default_str();
  app.add_option("--max-thread-growth", max_thread_growth, "Bound: threads over the reference")
      ->capture_default_str();
  app.add_option("--max-fd-growth", max_fd_growth, "Bound: descriptors over the reference")
      ->capture_default_str();
  app.add_option("--max-rss-growth-mib", max_rss_growth_mib,
                 "Bound: RSS over the reference after all small files")
      ->capture_default_str();
  app.add_option("--max-rss-growth-after-large-mib", max_rss_growth_after_large_mib,
                 "Bound: RSS over the reference after the large files (the heap keeps up to "
                 "64 MiB of freed chunk buffers for reuse, see peer/main.cc)")
      ->capture_default_str();
  app.add_option("--leecher-binary", leecher_binary, "Peer binary for the leecher (A/B runs)")
      ->capture_default_str();
  app.add_option("--dir", dir, "Work folder (default: a fresh one under $TEST_TMPDIR or /tmp)");
  app.add_flag("--keep", keep, "Keep the work folder");
  CLI11_PARSE(app, argc, argv);
  if (checkpoint < 1 || checkpoint >= small_files) {
    return Fail("--checkpoint must be 1..--small-files - 1");
  }
  signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  // Removed on every exit path (unless --keep).
  absl::StatusOr<std::unique_ptr<pytorrent::testing::WorkDir>> work =
      pytorrent::testing::WorkDir::Make(dir, "soak_bench", keep);
  if (!work.ok()) return Fail(work.status().ToString());
  dir = (*work)->path();

  // Seeder 0 holds the files; the others hard-link them.
  std::vector<std::string> small_roots, large_roots;
  const std::string first_shared = dir + "/s0/user/shared_files";
  std::filesystem::create_directories(first_shared, ec);
  for (int i = 0; i < small_files + large_files; ++i) {
    bool large = i >= small_files;
    std::string path = absl::StrFormat("%s/%s%05d.bin", first_shared, large ? "large" : "small", i);
    pytorrent::testing::WriteRandomFile(path, large ? large_mib << 20 : small_kib << 10,
                                        1000 + static_cast<uint64_t>(i));
    pytorrent::Sha256Digest root{};
    if (!pytorrent::DigestFromHex(pytorrent::testing::RootHexOf(path, 256), root)) {
      return Fail("cannot hash " + path);
    }
    (large ? large_roots : small_roots).push_back(pytorrent::DigestToBytes(root));
  }
  for (int s = 1; s < seeders; ++s) {
    std::string shared = absl::StrCat(dir, "/s", s, "/user/shared_files");
    std::filesystem::create_directories(shared, ec);
    for (const auto& entry : std::filesystem::directory_iterator(first_shared)) {
      std::string to = shared + "/" + entry.path().filename().string();
      if (::link(entry.path().c_str(), to.c_str()) != 0) {
        std::filesystem::copy_file(entry.path(), to, ec);
      }
    }
  }

  const std::string max_files = std::to_string(2 * (small_files + large_files) + 100);
  auto tracker =
      TrackerProcess::Start({.dir = dir + "/tracker",
                             .args = {"--max-files-per-peer", max_files, "--log-level", "warn"}});
  if (!tracker.ok()) return Fail(tracker.status().ToString());
  const std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  std::vector<std::unique_ptr<PeerProcess>> seeder_processes;
  for (int s = 0; s < seeders; ++s) {
    auto seeder = PeerProcess::Start({.home = absl::StrCat(dir, "/s", s),
                                      .args = {"--tracker", addr, "--username",
                                               absl::StrCat("seeder", s), "--log-level", "warn"},
                                      .start_timeout = absl::Minutes(10)});
    if (!seeder.ok()) return Fail(seeder.status().ToString());
    seeder_processes.push_back(*std::move(seeder));
  }
  auto leecher = PeerProcess::Start(
      {.binary = leecher_binary,
       .home = dir + "/leecher",
       .args = {"--tracker", addr, "--username", "soak", "--log-level", "warn"}});
  if (!leecher.ok()) return Fail(leecher.status().ToString());
  const pid_t pid = (*leecher)->pid();
  auto admin = pytorrent::v1::PeerAdmin::NewStub(
      grpc::CreateChannel((*leecher)->admin_target(), grpc::InsecureChannelCredentials()));

  const absl::Time started = absl::Now();
  const absl::Duration per_download = absl::Seconds(120);
  const absl::Duration settle = absl::Seconds(10);
  Footprint idle = Measure(pid);
  // One at a time up to the checkpoint and on to half of the small files,
  // then `parallel` at a time.
  std::vector<std::string> head(small_roots.begin(), small_roots.begin() + checkpoint);
  int failed = DownloadAll(*admin, head, 1, per_download);
  Footprint reference = MeasureSettled(pid, idle.threads, settle);
  size_t half = std::max<size_t>(checkpoint, small_roots.size() / 2);
  std::vector<std::string> sequential(small_roots.begin() + checkpoint, small_roots.begin() + half);
  std::vector<std::string> at_once(small_roots.begin() + half, small_roots.end());
  failed += DownloadAll(*admin, sequential, 1, per_download);
  failed += DownloadAll(*admin, at_once, parallel, per_download);
  Footprint after_small = MeasureSettled(pid, reference.threads, settle);
  failed += DownloadAll(*admin, large_roots, parallel, per_download);
  Footprint after_large = MeasureSettled(pid, reference.threads, settle);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - started);
  // A leecher that died is not "within bounds": a zombie still answers
  // kill(pid, 0) but has no descriptors and one thread left.
  const bool alive = (*leecher)->running() && ::kill(pid, 0) == 0 && Measure(pid).fds > 0;
  (*leecher)->Stop();
  for (auto& s : seeder_processes) s->Stop();
  (*tracker)->Stop();

  const int thread_growth = std::max(after_small.threads, after_large.threads) - reference.threads;
  const int fd_growth = std::max(after_small.fds, after_large.fds) - reference.fds;
  const double rss_growth = after_small.rss_mib - reference.rss_mib;
  const double rss_growth_large = after_large.rss_mib - reference.rss_mib;
  const bool measured = reference.fds > 0 && after_small.fds > 0 && after_large.fds > 0;
  // Sanitized builds (the suite under asan/ubsan) hold freed memory in
  // quarantine and shadow it: RSS says nothing there, threads and
  // descriptors still do.
  const bool rss_within = kSanitized || (rss_growth <= max_rss_growth_mib &&
                                         rss_growth_large <= max_rss_growth_after_large_mib);
  const bool within =
      measured && thread_growth <= max_thread_growth && fd_growth <= max_fd_growth && rss_within;
  const int downloads = small_files + large_files;
  std::printf(
      "{\"downloads\":%d,\"small_files\":%d,\"small_kib\":%llu,\"large_files\":%d,"
      "\"large_mib\":%llu,\"parallel\":%d,\"failed\":%d,\"seconds\":%.1f,"
      "\"downloads_per_s\":%.1f,\"idle\":%s,\"after_%d\":%s,\"after_small\":%s,"
      "\"after_large\":%s,\"thread_growth\":%d,\"fd_growth\":%d,\"rss_growth_mib\":%.1f,"
      "\"rss_growth_after_large_mib\":%.1f,\"bounds\":{\"threads\":%d,\"fds\":%d,"
      "\"rss_mib\":%.0f,\"rss_after_large_mib\":%.0f},\"within_bounds\":%s,\"leecher_alive\":%s}\n",
      downloads, small_files, static_cast<unsigned long long>(small_kib), large_files,
      static_cast<unsigned long long>(large_mib), parallel, failed, seconds,
      static_cast<double>(downloads) / seconds, Json(idle).c_str(), checkpoint,
      Json(reference).c_str(), Json(after_small).c_str(), Json(after_large).c_str(), thread_growth,
      fd_growth, rss_growth, rss_growth_large, max_thread_growth, max_fd_growth, max_rss_growth_mib,
      max_rss_growth_after_large_mib, within ? "true" : "false", alive ? "true" : "false");
  return failed == 0 && within && alive ? 0 : 1;
}
