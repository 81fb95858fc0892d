// Swarm benchmark: a real tracker, N seeders and one leecher as separate
// processes on loopback; times one download from request to verified
// completion and prints ONE JSON line:
//   {"bytes":…, "seconds":…, "mb_per_s":…, "leecher_cpu_s":…,
//    "leecher_peak_rss_mib":…, "sha256_ceiling_mb_per_s":…, "sha256_ok":true,
//    …, "machine_cpu_busy":… (share of all cores busy during the download)}
// `seconds` is the leecher's own measure (download requested -> whole file
// verified, fsynced and renamed); leecher CPU and peak RSS come from wait4's
// rusage of the leecher process (ru_maxrss is VmHWM). The ceiling hashes
// 256 MiB in memory with OpenSSL in this process.
//
// Run: bazel run -c opt //tests/bench:swarm_bench -- --size=1GiB --seeders=3

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "peer/content/chunk_digest.h"
#include "tests/bench/work_dir.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"

namespace {

using pytorrent::testing::LastJsonLineWith;
using pytorrent::testing::PeerProcess;
using pytorrent::testing::ReadFile;
using pytorrent::testing::TrackerProcess;

bool ParseSize(std::string text, uint64_t& out) {
  text = absl::AsciiStrToLower(text);
  uint64_t unit = 1;
  for (auto [suffix, mult] : std::vector<std::pair<std::string, uint64_t>>{{"gib", 1ull << 30},
                                                                           {"mib", 1ull << 20},
                                                                           {"kib", 1ull << 10},
                                                                           {"g", 1ull << 30},
                                                                           {"m", 1ull << 20},
                                                                           {"k", 1ull << 10}}) {
    if (text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix) {
      unit = mult;
      text = text.substr(0, text.size() - suffix.size());
      break;
    }
  }
  uint64_t n = 0;
  if (!absl::SimpleAtoi(text, &n) || n == 0) return false;
  out = n * unit;
  return true;
}

// Fast pseudo-random file (xorshift), written in 1 MiB blocks.
void WriteRandom(const std::string& path, uint64_t size, uint64_t seed) {
  std::vector<uint64_t> block(1 << 17);
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  for (uint64_t left = size; left > 0;) {
    for (auto& w : block) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w = x;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size() * 8));
    if (::write(fd, block.data(), n) != static_cast<ssize_t>(n)) break;
    left -= n;
  }
  // Written back now, so the kernel is not still flushing the benchmark's
  // own input (several GiB of dirty pages) on these two cores while the
  // download is timed: seeders share files that are already on disk.
  ::fsync(fd);
  ::close(fd);
  struct timespec times[2] = {{::time(nullptr) - 60, 0}, {::time(nullptr) - 60, 0}};
  ::utimensat(AT_FDCWD, path.c_str(), times, 0);
}

double Sha256CeilingMBps(uint64_t bytes) {
  std::vector<uint8_t> data(bytes);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + (i >> 9));
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  auto start = std::chrono::steady_clock::now();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (size_t off = 0; off < data.size(); off += 1 << 20) {
    EVP_DigestUpdate(ctx, data.data() + off, std::min<size_t>(1 << 20, data.size() - off));
  }
  EVP_DigestFinal_ex(ctx, digest, &len);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EVP_MD_CTX_free(ctx);
  return static_cast<double>(bytes) / 1e6 / s;
}

int Fail(const std::string& message) {
  std::cerr << "swarm_bench: " << message << "\n";
  return 1;
}

// A loopback TCP port free now (the seeder binds it right after).
uint16_t FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

// Starts the fault proxy in front of a seeder (a far link: delay each way,
// rate cap) and returns its pid and listening port, or pid -1.
std::pair<pid_t, uint16_t> StartLinkProxy(const std::string& binary, const std::string& dir,
                                          int index, uint16_t seeder_port, int rtt_ms,
                                          double mbit) {
  const std::string port_file = absl::StrCat(dir, "/link", index, ".port");
  std::vector<std::string> args = {binary,        "--tcp",
                                   "--listen",    "127.0.0.1:0",
                                   "--target",    absl::StrCat("127.0.0.1:", seeder_port),
                                   "--delay-ms",  absl::StrCat(rtt_ms / 2),
                                   "--mbit",      absl::StrCat(mbit),
                                   "--port-file", port_file};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {  // bounded: 10 s
    uint32_t port = 0;
    if (absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(port_file)), &port) && port > 0) {
      return {pid, static_cast<uint16_t>(port)};
    }
    ::usleep(50 * 1000);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  return {-1, 0};
}

}  // namespace

// Busy and total jiffies of the whole machine (/proc/stat's first line):
// the share of both cores the download used, by every process (seeders,
// proxies, leecher) and by anything else running.
struct CpuJiffies {
  uint64_t busy = 0;
  uint64_t total = 0;
};
CpuJiffies ReadMachineCpu() {
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;
  CpuJiffies j;
  uint64_t value = 0;
  for (int field = 0; field < 8 && stat >> value; ++field) {
    j.total += value;
    if (field != 3 && field != 4) j.busy += value;  // idle and iowait are not busy
  }
  return j;
}

int main(int argc, char** argv) {
  std::string size_text = "1GiB", dir;
  int seeders = 3;
  uint32_t chunk_kib = 256;
  uint64_t ceiling_mib = 256;
  bool keep = false;
  CLI::App app{"PyTorrent swarm benchmark: one leecher, N seeders, real processes on loopback"};
  app.add_option("--size", size_text, "File size, e.g. 4MiB, 1GiB")->capture_default_str();
  app.add_option("--seeders", seeders, "Seeder processes")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--chunk-size-kib", chunk_kib, "Chunk size")->capture_default_str();
  app.add_option("--ceiling-mib", ceiling_mib, "MiB hashed in memory for the SHA-256 ceiling")
      ->capture_default_str();
  app.add_option("--dir", dir, "Work folder (default: a fresh one under $TEST_TMPDIR or /tmp)");
  app.add_flag("--keep", keep, "Keep the work folder");
  std::string leecher_binary = "peer/peer";
  app.add_option("--leecher-binary", leecher_binary,
                 "Peer binary for the leecher (A/B runs of two builds); default the runfile")
      ->capture_default_str();
  std::string seeder_binary = "peer/peer";
  app.add_option("--seeder-binary", seeder_binary,
                 "Peer binary for the seeders (A/B runs of two builds); default the runfile")
      ->capture_default_str();
  std::string leecher_engine = "auto";
  app.add_option("--leecher-chunk-hash-engine", leecher_engine,
                 "The leecher's --chunk-hash-engine (auto or openssl), for A/B runs")
      ->check(CLI::IsMember({"auto", "openssl"}))
      ->capture_default_str();
  int link_rtt_ms = 0;
  double link_mbit = 0;
  std::string proxy_binary = "tests/fault_proxy/fault_proxy";
  app.add_option("--link-rtt-ms", link_rtt_ms,
                 "Put each seeder behind a link with this round-trip time (the test fault "
                 "proxy; 0: direct)")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  app.add_option("--link-mbit", link_mbit, "Rate cap of each seeder's link, Mbit/s (0: none)")
      ->check(CLI::Range(0.0, 100000.0))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  const bool far_links = link_rtt_ms > 0 || link_mbit > 0;
  uint64_t size = 0;
  if (!ParseSize(size_text, size)) return Fail("--size must look like 256MiB or 1GiB");
  signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  // Removed on every exit path (unless --keep).
  absl::StatusOr<std::unique_ptr<pytorrent::testing::WorkDir>> work =
      pytorrent::testing::WorkDir::Make(dir, "swarm_bench", keep);
  if (!work.ok()) return Fail(work.status().ToString());
  dir = (*work)->path();
  double ceiling = Sha256CeilingMBps(ceiling_mib << 20);

  std::string name = "bench.bin";
  std::string first = dir + "/s0/user/shared_files/" + name;
  std::filesystem::create_directories(dir + "/s0/user/shared_files", ec);
  WriteRandom(first, size, 42);
  for (int i = 1; i < seeders; ++i) {
    std::string shared = absl::StrCat(dir, "/s", i, "/user/shared_files");
    std::filesystem::create_directories(shared, ec);
    if (::link(first.c_str(), (shared + "/" + name).c_str()) != 0) {
      std::filesystem::copy_file(first, shared + "/" + name, ec);
    }
  }
  auto tracker = TrackerProcess::Start({.dir = dir + "/tracker"});
  if (!tracker.ok()) return Fail(tracker.status().ToString());
  std::string addr = absl::StrCat("127.0.0.1:", (*tracker)->port());
  std::vector<std::unique_ptr<PeerProcess>> seeder_processes;
  std::vector<pid_t> proxies;
  absl::Cleanup stop_proxies = [&] {
    for (pid_t p : proxies) ::kill(p, SIGTERM);
    for (pid_t p : proxies) ::waitpid(p, nullptr, 0);
  };
  for (int i = 0; i < seeders; ++i) {
    std::vector<std::string> seeder_args = {"--tracker",        addr,
                                            "--chunk-size-kib", std::to_string(chunk_kib),
                                            "--username",       absl::StrCat("seeder", i),
                                            "--log-level",      "warn"};
    if (far_links) {
      // The leecher reaches this seeder only through its link: the seeder
      // announces the proxy's port.
      const uint16_t seeder_port = FreeLoopbackPort();
      const auto [proxy, proxy_port] =
          StartLinkProxy(proxy_binary, dir, i, seeder_port, link_rtt_ms, link_mbit);
      if (proxy < 0) return Fail("the link proxy did not start");
      proxies.push_back(proxy);
      seeder_args.insert(seeder_args.end(),
                         {"--chunk-listen", absl::StrCat("tcp://127.0.0.1:", seeder_port),
                          "--chunk-public-endpoint", absl::StrCat("tcp://127.0.0.1:", proxy_port)});
    }
    auto seeder = PeerProcess::Start({.binary = seeder_binary,
                                      .home = absl::StrCat(dir, "/s", i),
                                      .args = seeder_args,
                                      .start_timeout = absl::Minutes(10)});
    if (!seeder.ok()) return Fail(seeder.status().ToString());
    seeder_processes.push_back(*std::move(seeder));
  }

  // The leecher, reaped with wait4 for its CPU time and peak RSS.
  std::string leecher_home = dir + "/leecher";
  std::filesystem::create_directories(leecher_home, ec);
  std::vector<std::string> args = {leecher_binary,
                                   "--home",
                                   leecher_home,
                                   "--tracker",
                                   addr,
                                   "--download",
                                   name,
                                   "--log-level",
                                   "warn",
                                   "--chunk-hash-engine",
                                   leecher_engine,
                                   "--chunk-listen",
                                   "tcp://127.0.0.1:0"};
  std::vector<char*> argv_child;
  for (auto& a : args) argv_child.push_back(a.data());
  argv_child.push_back(nullptr);
  std::string out_path = leecher_home + "/stdout.txt";
  auto wall_start = std::chrono::steady_clock::now();
  const CpuJiffies machine_start = ReadMachineCpu();
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    execv(argv_child[0], argv_child.data());
    _exit(127);
  }
  int status = 0;
  struct rusage usage {};
  if (::wait4(pid, &status, 0, &usage) != pid) return Fail("wait4 failed");
  double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  const CpuJiffies machine_end = ReadMachineCpu();
  const double machine_busy = machine_end.total > machine_start.total
                                  ? static_cast<double>(machine_end.busy - machine_start.busy) /
                                        static_cast<double>(machine_end.total - machine_start.total)
                                  : 0.0;
  auto result = LastJsonLineWith(ReadFile(out_path), "state");
  for (auto& s : seeder_processes) s->Stop();
  (*tracker)->Stop();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || result["state"] != "COMPLETED") {
    return Fail(absl::StrCat("leecher failed: ", ReadFile(out_path)));
  }
  std::string source_sha = pytorrent::testing::FileSha256Hex(first);
  bool sha_ok =
      pytorrent::testing::FileSha256Hex(leecher_home + "/user/downloads/" + name) == source_sha &&
      result["sha256"] == source_sha;
  double seconds = 0;
  if (!absl::SimpleAtod(result["seconds"], &seconds) || seconds <= 0) seconds = wall;
  double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
               usage.ru_stime.tv_usec / 1e6;
  double rss_mib = usage.ru_maxrss / 1024.0;
  std::printf(
      "{\"bytes\":%llu,\"seconds\":%.3f,\"mb_per_s\":%.1f,\"leecher_cpu_s\":%.3f,"
      "\"leecher_peak_rss_mib\":%.1f,\"sha256_ceiling_mb_per_s\":%.1f,\"sha256_ok\":%s,"
      "\"seeders\":%d,\"chunk_size_kib\":%u,\"leecher_wall_s\":%.3f,"
      "\"ratio_to_ceiling\":%.3f,\"leecher_cpu_s_per_gib\":%.3f,\"chunk_digest_engine\":\"%s\","
      "\"link_rtt_ms\":%d,\"link_mbit\":%.0f,\"ratio_to_link_rate\":%.3f,"
      "\"machine_cpu_busy\":%.3f}\n",
      static_cast<unsigned long long>(size), seconds, static_cast<double>(size) / 1e6 / seconds,
      cpu, rss_mib, ceiling, sha_ok ? "true" : "false", seeders, chunk_kib, wall,
      static_cast<double>(size) / 1e6 / seconds / ceiling,
      cpu / (static_cast<double>(size) / (1ull << 30)),
      leecher_engine == "openssl"
          ? "openssl"
          : std::string(pytorrent::peer::ChunkDigester().engine_name()).c_str(),
      link_rtt_ms, link_mbit,
      // The summed link rates are the reference: what the links can carry.
      link_mbit > 0 ? static_cast<double>(size) * 8 / 1e6 / seconds / (seeders * link_mbit) : 0.0,
      machine_busy);
  return sha_ok ? 0 : 1;
}
