// Download, the state machine, against a scripted swarm: fake peer links
// (no sockets), a fake clock, and the real storage pipeline (DiskStorage on
// $TEST_TMPDIR, its threads delivering through a test loop). Every wait is
// bounded by a real-time deadline; time inside the download moves only
// when the test advances the fake clock.

#include "peer/download/download.h"

#include <fcntl.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/time_source.h"
#include "gtest/gtest.h"
#include "peer/storage/background_executor.h"
#include "peer/storage/disk_storage.h"

namespace pytorrent::peer {
namespace {

constexpr uint32_t kChunk = 16 * 1024;

std::string Tmp() { return std::string(std::getenv("TEST_TMPDIR")); }

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// The loop of the test: storage threads post completions here; the test
// runs them on its own thread (the download's "loop").
class TestLoop {
 public:
  void Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_all();
  }
  // Runs posted tasks until none is left, waiting up to `wait` for one.
  bool RunOnce(absl::Duration wait) {
    std::deque<std::function<void()>> tasks;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, absl::ToChronoNanoseconds(wait), [&] { return !tasks_.empty(); });
      tasks.swap(tasks_);
    }
    for (auto& t : tasks) t();
    return !tasks.empty();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
};

// How a scripted seeder behaves.
enum class Behaviour {
  kGood,        // answers everything correctly
  kCorrupt,     // sends chunks with flipped bytes
  kSilent,      // answers the manifest and bitfield, never a chunk
  kLiar,        // claims every chunk, rejects each request as UNKNOWN_CHUNK
  kDuplicate,   // sends every chunk twice
  kNoBitfield,  // answers the manifest without the Bitfield that must follow
};

// The other end of the links: seeders by endpoint, each answering what the
// download sends through its links. Replies are queued, not delivered
// inside Send (a real network never re-enters the sender).
class Swarm {
 public:
  struct Seeder {
    Behaviour behaviour = Behaviour::kGood;
    uint64_t chunks_sent = 0;
  };
  Swarm(std::string data, Manifest manifest)
      : data_(std::move(data)), manifest_(std::move(manifest)) {}

  void Add(const std::string& endpoint, Behaviour behaviour) {
    seeders_[endpoint].behaviour = behaviour;
  }
  Seeder& seeder(const std::string& endpoint) { return seeders_.at(endpoint); }
  // Stops answering at all (the peer vanished: nothing more comes back).
  void Vanish(const std::string& endpoint) { seeders_.erase(endpoint); }

  v1::GetFilePeersResponse Peers() const {
    v1::GetFilePeersResponse r;
    uint64_t id = 100;
    for (const auto& [endpoint, s] : seeders_) {
      v1::FilePeer* p = r.add_peers();
      p->set_peer_id(id++);
      p->set_username(endpoint.substr(endpoint.rfind('/') + 1));
      p->set_chunk_endpoint(endpoint);
    }
    return r;
  }

  // From the download's links.
  void Open(PeerHandle h, const std::string& endpoint) {
    open_[static_cast<uint32_t>(h)] = endpoint;
  }
  void Close(PeerHandle h) { open_.erase(static_cast<uint32_t>(h)); }
  void Receive(PeerHandle h, const v1::PeerMessage& m);

  // Delivers every queued reply to `d`; returns how many.
  int Deliver(Download& d, absl::Time now) {
    int n = 0;
    while (!replies_.empty()) {
      Reply r = std::move(replies_.front());
      replies_.pop_front();
      if (open_.count(static_cast<uint32_t>(r.handle)) == 0) continue;
      d.OnMessage(r.handle, r.message, r.data, now);
      d.AfterMessages(r.handle, now);
      ++n;
    }
    return n;
  }
  size_t open_links() const { return open_.size(); }

 private:
  struct Reply {
    PeerHandle handle;
    v1::PeerMessage message;
    ChunkBytes data;
  };
  void Queue(PeerHandle h, v1::PeerMessage m, ChunkBytes data = {}) {
    replies_.push_back({h, std::move(m), std::move(data)});
  }

  const std::string data_;
  const Manifest manifest_;
  std::map<std::string, Seeder> seeders_;
  std::map<uint32_t, std::string> open_;
  std::deque<Reply> replies_;
};

void Swarm::Receive(PeerHandle h, const v1::PeerMessage& m) {
  auto link = open_.find(static_cast<uint32_t>(h));
  if (link == open_.end()) return;
  auto it = seeders_.find(link->second);
  if (it == seeders_.end()) return;  // vanished
  Seeder& s = it->second;
  const std::string root = DigestToBytes(manifest_.root);
  switch (m.body_case()) {
    case v1::PeerMessage::kManifestRequest: {
      v1::PeerMessage reply;
      *reply.mutable_manifest() = ManifestToProto(manifest_);
      Queue(h, reply);
      if (s.behaviour == Behaviour::kNoBitfield) return;
      v1::PeerMessage bits;
      bits.mutable_bitfield()->set_root_hash(root);
      bits.mutable_bitfield()->set_chunk_count(manifest_.chunk_count());
      bits.mutable_bitfield()->set_bits(std::string((manifest_.chunk_count() + 7) / 8, '\xff'));
      Queue(h, bits);
      return;
    }
    case v1::PeerMessage::kChunkRequest: {
      const uint32_t c = m.chunk_request().chunk_index();
      if (s.behaviour == Behaviour::kSilent) return;
      if (s.behaviour == Behaviour::kLiar) {
        v1::PeerMessage reject;
        reject.mutable_reject()->set_root_hash(root);
        reject.mutable_reject()->set_chunk_index(c);
        reject.mutable_reject()->set_reason(v1::REJECT_REASON_UNKNOWN_CHUNK);
        Queue(h, reject);
        return;
      }
      std::string bytes = data_.substr(manifest_.ChunkOffset(c), manifest_.ChunkLength(c));
      if (s.behaviour == Behaviour::kCorrupt) bytes[bytes.size() / 2] ^= 0x5a;
      v1::PeerMessage header;
      header.mutable_chunk()->set_root_hash(root);
      header.mutable_chunk()->set_chunk_index(c);
      header.mutable_chunk()->set_size_bytes(static_cast<uint32_t>(bytes.size()));
      const int copies = s.behaviour == Behaviour::kDuplicate ? 2 : 1;
      for (int i = 0; i < copies; ++i) {
        Queue(h, header,
              ChunkBytes::Copy(absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                   bytes.size())));
        ++s.chunks_sent;
      }
      return;
    }
    default:
      return;
  }
}

class FakeLinks final : public PeerLinks {
 public:
  explicit FakeLinks(Swarm& swarm) : swarm_(swarm) {}
  absl::Status Open(PeerHandle h, const std::string& endpoint) override {
    if (endpoint.rfind("fake://", 0) != 0) return absl::InvalidArgumentError("not fake");
    swarm_.Open(h, endpoint);
    return absl::OkStatus();
  }
  void Close(PeerHandle h) override { swarm_.Close(h); }
  bool Send(PeerHandle h, const v1::PeerMessage& m) override {
    swarm_.Receive(h, m);
    return true;
  }
  uint64_t malformed() const override { return 0; }

 private:
  Swarm& swarm_;
};

class RecordingHost final : public DownloadHost {
 public:
  void RequestPeers(uint64_t, const Sha256Digest&) override { ++peer_requests; }
  void OnServable(Download&) override { servable = true; }
  void OnChunkStored(Download&, uint32_t chunk) override { stored.push_back(chunk); }
  void OnFinished(Download&) override { ++finished; }
  void OnProgress(const v1::DownloadProgress& p, const DownloadCounters& c) override {
    states.push_back(p.state());
    last = p;
    counters = c;
  }
  int peer_requests = 0;
  bool servable = false;
  int finished = 0;
  std::vector<uint32_t> stored;
  std::vector<v1::DownloadState> states;
  v1::DownloadProgress last;
  DownloadCounters counters;
};

class DownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = Tmp() + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(std::system(("rm -rf '" + home_ + "' && mkdir -p '" + home_ + "/state' '" + home_ +
                           "/downloads' '" + home_ + "/src'")
                              .c_str()),
              0);
  }

  // A source file of `chunks` chunks (the last one shorter) and its swarm.
  void MakeFile(uint32_t chunks, uint32_t seed = 1) {
    data_ = RandomBytes(static_cast<size_t>(chunks - 1) * kChunk + 1000, seed);
    const std::string src = home_ + "/src/file.bin";
    std::ofstream(src, std::ios::binary) << data_;
    absl::StatusOr<Manifest> m = BuildManifest(src, "file.bin", kChunk);
    ASSERT_TRUE(m.ok()) << m.status();
    manifest_ = *m;
    swarm_ = std::make_unique<Swarm>(data_, manifest_);
  }

  std::unique_ptr<Download> NewDownload(bool overwrite = false) {
    DownloadOptions options;
    options.id = 1;
    options.root = manifest_.root;
    options.overwrite = overwrite;
    options.self_peer_id = 1;
    options.scheduler.request_timeout = absl::Seconds(4);
    options.tie_break_seed = 7;
    DiskStorageOptions disk;
    disk.root = manifest_.root;
    disk.state_dir = home_ + "/state";
    disk.downloads_dir = home_ + "/downloads";
    disk.resume_sample_chunks = sample_chunks_;
    auto storage = [this, disk](DownloadStorage::Sink& sink) {
      return std::make_unique<DiskStorage>(
          disk, sink, [this](std::function<void()> t) { loop_.Post(std::move(t)); }, background_);
    };
    return std::make_unique<Download>(options, host_, clock_, std::make_unique<FakeLinks>(*swarm_),
                                      storage);
  }

  // Runs the loop (storage completions, network replies, ticks every
  // `tick` of fake time) until `done` or a real-time deadline.
  bool RunUntil(Download& d, const std::function<bool()>& done,
                absl::Duration tick = absl::Milliseconds(100)) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      bool busy = swarm_->Deliver(d, clock_.Now()) > 0;
      busy |= loop_.RunOnce(busy ? absl::ZeroDuration() : absl::Milliseconds(5));
      if (done()) return true;
      if (!busy) {
        clock_.Advance(tick);
        d.Tick(clock_.Now());
      }
    }
    return done();
  }

  bool Finished(Download& d) {
    return RunUntil(d, [&] { return d.finished(); });
  }

  // A download started and told of every peer in the swarm.
  std::unique_ptr<Download> StartWithSwarm() {
    auto d = NewDownload();
    d->Start(clock_.Now());
    d->OnPeers(swarm_->Peers(), clock_.Now());
    return d;
  }

  // Runs `d` to its end: COMPLETED, and the published file is the source.
  void ExpectCompletedIntact(Download& d) {
    ASSERT_TRUE(Finished(d));
    EXPECT_EQ(d.state(), v1::DOWNLOAD_STATE_COMPLETED) << host_.last.error();
    EXPECT_EQ(Published(), data_);
  }

  void DrainBackground() {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (background_.pending() > 0 && absl::Now() < deadline) {
      loop_.RunOnce(absl::Milliseconds(5));
    }
    ASSERT_EQ(background_.pending(), 0u);
  }

  // A first download that stops (is destroyed, as at a node's exit) once
  // `chunks` are stored; returns the chunks it stored. Its last resume-state
  // save runs in the background: this waits for it.
  std::vector<uint32_t> FirstRun(size_t chunks) {
    {
      auto d = NewDownload();
      d->Start(clock_.Now());
      d->OnPeers(swarm_->Peers(), clock_.Now());
      EXPECT_TRUE(RunUntil(*d, [&] { return host_.stored.size() >= chunks; }));
    }
    DrainBackground();
    return host_.stored;
  }

  // Overwrites 8 bytes inside `chunk` of the partial file.
  void Damage(uint32_t chunk) {
    const std::string part = home_ + "/state/" + ToHex(manifest_.root) + ".part";
    int fd = ::open(part.c_str(), O_RDWR);
    ASSERT_GE(fd, 0);
    const char junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    ASSERT_EQ(::pwrite(fd, junk, sizeof(junk), manifest_.ChunkOffset(chunk) + 100), 8);
    ::close(fd);
  }

  std::string Published() {
    std::ifstream in(home_ + "/downloads/file.bin", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string home_;
  uint32_t sample_chunks_ = 8;
  std::string data_;
  Manifest manifest_;
  std::unique_ptr<Swarm> swarm_;
  FakeTimeSource clock_;
  TestLoop loop_;
  RecordingHost host_;
  BackgroundExecutor background_{1};
};

TEST_F(DownloadTest, ThreeGoodSeedersCompleteAndThePublishedFileMatches) {
  MakeFile(40);
  for (const char* e : {"fake://a", "fake://b", "fake://c"}) swarm_->Add(e, Behaviour::kGood);
  auto d = NewDownload();
  d->Start(clock_.Now());
  EXPECT_EQ(host_.peer_requests, 1);
  d->OnPeers(swarm_->Peers(), clock_.Now());
  ASSERT_TRUE(Finished(*d)) << v1::DownloadState_Name(d->state());
  EXPECT_EQ(d->state(), v1::DOWNLOAD_STATE_COMPLETED) << host_.last.error();
  EXPECT_EQ(Published(), data_);
  EXPECT_EQ(d->counters().chunks_fetched, 40u);
  EXPECT_EQ(d->counters().chunks_corrupt, 0u);
  EXPECT_EQ(host_.stored.size(), 40u);
  EXPECT_TRUE(host_.servable);
  EXPECT_EQ(host_.finished, 1);
  // Every seeder contributed, and each link was closed at the end.
  for (const char* e : {"fake://a", "fake://b", "fake://c"}) {
    EXPECT_GT(swarm_->seeder(e).chunks_sent, 0u) << e;
  }
  EXPECT_EQ(swarm_->open_links(), 0u);
  // The states went through VERIFYING (open, then whole-file check).
  EXPECT_NE(std::find(host_.states.begin(), host_.states.end(), v1::DOWNLOAD_STATE_VERIFYING),
            host_.states.end());
  EXPECT_EQ(host_.last.state(), v1::DOWNLOAD_STATE_COMPLETED);
  EXPECT_EQ(host_.last.chunks_done(), 40u);
  // Nothing is left in the state folder.
  EXPECT_NE(::access((home_ + "/state/" + ToHex(manifest_.root) + ".part").c_str(), F_OK), 0);
  EXPECT_NE(::access((home_ + "/state/" + ToHex(manifest_.root) + ".resume").c_str(), F_OK), 0);
}

TEST_F(DownloadTest, CorruptSeederIsBannedAndTheFileStillVerifies) {
  MakeFile(30);
  swarm_->Add("fake://good", Behaviour::kGood);
  swarm_->Add("fake://evil", Behaviour::kCorrupt);
  auto d = StartWithSwarm();
  ExpectCompletedIntact(*d);
  EXPECT_GE(d->counters().chunks_corrupt, 3u);
  bool evil_banned = false;
  for (const v1::PeerContribution& p : host_.last.peers()) {
    if (p.chunk_endpoint() == "fake://evil") evil_banned = p.banned();
  }
  EXPECT_TRUE(evil_banned);
}

TEST_F(DownloadTest, SilentAndVanishingPeersAreDroppedAndOthersFinish) {
  MakeFile(24);
  swarm_->Add("fake://good", Behaviour::kGood);
  swarm_->Add("fake://silent", Behaviour::kSilent);
  swarm_->Add("fake://gone", Behaviour::kGood);
  auto d = StartWithSwarm();
  // "gone" answers the handshake, then vanishes before any chunk arrives.
  swarm_->Vanish("fake://gone");
  ExpectCompletedIntact(*d);
  EXPECT_EQ(swarm_->seeder("fake://silent").chunks_sent, 0u);
}

// Issue 14 finding 1: a seeder that answers the manifest but sends no
// Bitfield is never asked for a chunk (proto/wire.proto); the download says
// so within 10 s instead of waiting silently, and finishes once a seeder
// that follows the rule appears.
TEST_F(DownloadTest, SeederWithoutBitfieldIsReportedNotWaitedOn) {
  MakeFile(6);
  swarm_->Add("fake://nobits", Behaviour::kNoBitfield);
  auto d = StartWithSwarm();
  const absl::Time start = clock_.Now();
  ASSERT_TRUE(RunUntil(
      *d, [&] { return host_.last.error().find("sent no Bitfield") != std::string::npos; }));
  EXPECT_GE(clock_.Now() - start, absl::Seconds(10));
  EXPECT_LE(clock_.Now() - start, absl::Seconds(11));
  EXPECT_NE(host_.last.error().find("fake://nobits"), std::string::npos);
  EXPECT_FALSE(d->finished());
  EXPECT_EQ(swarm_->seeder("fake://nobits").chunks_sent, 0u);

  swarm_->Add("fake://good", Behaviour::kGood);
  d->OnPeers(swarm_->Peers(), clock_.Now());
  ExpectCompletedIntact(*d);
  EXPECT_EQ(swarm_->seeder("fake://nobits").chunks_sent, 0u);
}

TEST_F(DownloadTest, LiarsAndDuplicatesChangeNothing) {
  MakeFile(20);
  swarm_->Add("fake://liar", Behaviour::kLiar);
  swarm_->Add("fake://twice", Behaviour::kDuplicate);
  auto d = StartWithSwarm();
  ExpectCompletedIntact(*d);
  EXPECT_EQ(d->counters().chunks_fetched, 20u);
  EXPECT_GE(d->counters().chunks_duplicate, 1u);
}

TEST_F(DownloadTest, ResumesAPartialFileAndRepairsAChunkDamagedAfterACrash) {
  MakeFile(16);
  swarm_->Add("fake://a", Behaviour::kGood);
  const std::vector<uint32_t> first = FirstRun(8);
  // Damage a chunk the state lists as verified, after the state was saved
  // (as a crash mid-write would): resume re-checks every listed chunk.
  Damage(first[0]);
  host_ = RecordingHost();
  swarm_ = std::make_unique<Swarm>(data_, manifest_);
  swarm_->Add("fake://a", Behaviour::kGood);
  auto d = StartWithSwarm();
  ExpectCompletedIntact(*d);
  // Only the damaged chunk and the ones never fetched came again.
  EXPECT_EQ(d->counters().chunks_repaired, 1u);
  EXPECT_GE(d->counters().chunks_resumed, first.size() - 1);
  EXPECT_EQ(d->counters().chunks_fetched, 16u - d->counters().chunks_resumed);
}

TEST_F(DownloadTest, DamageTheResumeCheckMissesIsFoundAtTheEndAndRefetched) {
  MakeFile(40);
  swarm_->Add("fake://a", Behaviour::kGood);
  const std::vector<uint32_t> first = FirstRun(6);
  // Silent damage (bit rot: the resume state stays newer than the data) in
  // a chunk that resume does not sample: the whole-file check finds it.
  Damage(first[0]);
  const std::string resume = home_ + "/state/" + ToHex(manifest_.root) + ".resume";
  ASSERT_EQ(::utimensat(AT_FDCWD, resume.c_str(), nullptr, 0), 0);
  sample_chunks_ = 0;
  host_ = RecordingHost();
  swarm_ = std::make_unique<Swarm>(data_, manifest_);
  swarm_->Add("fake://a", Behaviour::kGood);
  auto d = StartWithSwarm();
  ExpectCompletedIntact(*d);
  EXPECT_EQ(d->counters().chunks_repaired, 1u);
  // Everything else stayed: one chunk more than the resume left to fetch.
  EXPECT_EQ(d->counters().chunks_fetched, 40u - d->counters().chunks_resumed + 1);
}

TEST_F(DownloadTest, ExistingDestinationFailsWithoutOverwrite) {
  MakeFile(4);
  swarm_->Add("fake://a", Behaviour::kGood);
  std::ofstream(home_ + "/downloads/file.bin") << "mine";
  auto d = NewDownload(/*overwrite=*/false);
  d->Start(clock_.Now());
  d->OnPeers(swarm_->Peers(), clock_.Now());
  ASSERT_TRUE(Finished(*d));
  EXPECT_EQ(d->state(), v1::DOWNLOAD_STATE_FAILED);
  EXPECT_NE(host_.last.error().find("exists"), std::string::npos) << host_.last.error();
  EXPECT_EQ(Published(), "mine");
}

TEST_F(DownloadTest, CancelDeletesThePartialFile) {
  MakeFile(30);
  swarm_->Add("fake://slow", Behaviour::kSilent);
  auto d = StartWithSwarm();
  const std::string part = home_ + "/state/" + ToHex(manifest_.root) + ".part";
  ASSERT_TRUE(RunUntil(*d, [&] { return host_.servable; }));
  ASSERT_EQ(::access(part.c_str(), F_OK), 0);
  d->Cancel(clock_.Now());
  EXPECT_EQ(d->state(), v1::DOWNLOAD_STATE_CANCELLED);
  DrainBackground();
  EXPECT_NE(::access(part.c_str(), F_OK), 0);
}

TEST_F(DownloadTest, UnreachablePeersAreNamedAndTheDownloadGivesUpWithTheReason) {
  MakeFile(8);
  swarm_->Add("fake://nobody-home", Behaviour::kGood);
  swarm_->Vanish("fake://nobody-home");  // listed by the tracker, never answers
  swarm_->Add("fake://evil", Behaviour::kCorrupt);
  auto d = NewDownload();
  d->Start(clock_.Now());
  v1::GetFilePeersResponse peers;
  for (const char* e : {"fake://nobody-home", "fake://evil"}) {
    v1::FilePeer* p = peers.add_peers();
    p->set_chunk_endpoint(e);
    p->set_username(e + 7);
  }
  d->OnPeers(peers, clock_.Now());
  // The corrupt seeder is banned; the other never answers.
  ASSERT_TRUE(RunUntil(
      *d, [&] { return host_.last.waiting_reason().find("none reachable") != std::string::npos; }));
  std::map<std::string, v1::PeerContribution> by_endpoint;
  for (const v1::PeerContribution& p : host_.last.peers()) by_endpoint[p.chunk_endpoint()] = p;
  EXPECT_EQ(by_endpoint["fake://evil"].state(), v1::PEER_LINK_STATE_BANNED);
  EXPECT_NE(by_endpoint["fake://evil"].detail().find("failed their SHA-256 check"),
            std::string::npos);
  const v1::PeerLinkState other = by_endpoint["fake://nobody-home"].state();
  EXPECT_TRUE(other == v1::PEER_LINK_STATE_CONNECTING || other == v1::PEER_LINK_STATE_UNREACHABLE)
      << v1::PeerLinkState_Name(other);
  // Nobody usable for the give-up time: FAILED, with the reason.
  ASSERT_TRUE(Finished(*d));
  EXPECT_EQ(d->state(), v1::DOWNLOAD_STATE_FAILED);
  EXPECT_NE(host_.last.error().find("none reachable"), std::string::npos) << host_.last.error();
  EXPECT_NE(host_.last.error().find("gave up after 120 s"), std::string::npos);
}

TEST_F(DownloadTest, ConnectedPeersSayNothingIsWaiting) {
  MakeFile(40);
  swarm_->Add("fake://a", Behaviour::kGood);
  auto d = StartWithSwarm();
  ASSERT_TRUE(RunUntil(*d, [&] { return host_.stored.size() >= 4; }));
  EXPECT_EQ(host_.last.waiting_reason(), "");
  ASSERT_GE(host_.last.peers_size(), 1);
  EXPECT_EQ(host_.last.peers(0).state(), v1::PEER_LINK_STATE_CONNECTED);
}

TEST_F(DownloadTest, NoPeersKeepsWaitingAndSaysWhy) {
  MakeFile(4);
  auto d = NewDownload();
  d->Start(clock_.Now());
  d->OnPeersFailed(absl::NotFoundError("no peer has this file yet"), clock_.Now());
  EXPECT_FALSE(d->finished());
  EXPECT_EQ(host_.last.state(), v1::DOWNLOAD_STATE_STARTING);
  EXPECT_NE(host_.last.error().find("no peer has this file yet"), std::string::npos);
  // Peer lookups are repeated as time passes, and nobody having the file is
  // no reason to give up, however long it takes.
  for (int i = 0; i < 3000; ++i) {
    clock_.Advance(absl::Milliseconds(100));
    d->Tick(clock_.Now());
    if (i % 50 == 0) d->OnPeers(v1::GetFilePeersResponse(), clock_.Now());
  }
  EXPECT_GE(host_.peer_requests, 2);
  EXPECT_FALSE(d->finished());
  EXPECT_EQ(host_.last.waiting_reason(), "no peer has this file yet");
}

}  // namespace
}  // namespace pytorrent::peer
