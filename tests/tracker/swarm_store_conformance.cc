#include "tests/tracker/swarm_store_conformance.h"

#include <gmock/gmock.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>

#include "common/file_limits.h"
#include "tracker/swarm_registry.h"

namespace pytorrent::tracker {

absl::StatusOr<std::unique_ptr<SwarmStore>> MemoryStoreFactory::Make(const RegistryLimits& limits,
                                                                     std::shared_ptr<void>*) {
  return std::make_unique<SwarmRegistry>(limits, /*seed=*/1);
}

namespace {

using ::testing::ElementsAre;

constexpr uint32_t kChunk = 256 * 1024;

std::string Root(int n) {
  std::string h(32, '\0');
  h[0] = static_cast<char>(n);
  h[1] = static_cast<char>(n >> 8);
  h[31] = 'r';
  return h;
}

v1::FileAvailability File(const std::string& name, int root, uint32_t chunks_have,
                          uint32_t chunks = 4) {
  v1::FileAvailability f;
  f.set_name(name);
  f.set_size_bytes(uint64_t{chunks} * kChunk);
  f.set_chunk_size_bytes(kChunk);
  f.set_root_hash(Root(root));
  f.set_chunks_have(chunks_have);
  return f;
}

v1::AnnounceRequest Peer(uint64_t id, const std::string& name,
                         std::vector<v1::FileAvailability> files = {}) {
  v1::AnnounceRequest a;
  a.set_peer_id(id);
  a.set_peer_key(id * 1000 + 7);
  a.set_username(name);
  a.set_chunk_endpoint("tcp://127.0.0.1:" + std::to_string(7000 + id));
  for (auto& f : files) *a.add_files() = f;
  return a;
}

}  // namespace

void SwarmStoreConformanceTest::Reset(const RegistryLimits& limits) {
  store_.reset();
  keepalive_.reset();
  absl::StatusOr<std::unique_ptr<SwarmStore>> store = GetParam()->Make(limits, &keepalive_);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = std::move(*store);
}

std::vector<std::string> SwarmStoreConformanceTest::Usernames() {
  std::vector<std::string> names;
  std::string token;
  do {
    google::protobuf::RepeatedPtrField<v1::PeerInfo> page;
    std::string next;
    EXPECT_TRUE(store_->ListPeers({.token = token}, clock_.Now(), &page, &next).ok());
    for (const auto& p : page) names.push_back(p.username());
    token = next;
  } while (!token.empty());
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<v1::FileSummary> SwarmStoreConformanceTest::Summary(int root) {
  v1::GetFilePeersResponse out;
  absl::Status s = store_->GetFilePeers(Root(root), 0, 0, SIZE_MAX, clock_.Now(), &out);
  if (!s.ok()) return s;
  return out.file();
}

namespace {

TEST_P(SwarmStoreConformanceTest, AnnounceRegistersPeerAndFiles) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a.bin", 1, 4), File("b.bin", 2, 1)})).ok());
  EXPECT_EQ(store_->CountPeers(), 1u);
  EXPECT_EQ(store_->CountFiles(), 2u);
  auto a = Summary(1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->name(), "a.bin");
  EXPECT_EQ(a->seeders(), 1u);
  EXPECT_EQ(a->leechers(), 0u);
  auto b = Summary(2);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->seeders(), 0u);
  EXPECT_EQ(b->leechers(), 1u);
}

TEST_P(SwarmStoreConformanceTest, SilentPeerExpiresAfterTwiceTheInterval) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a.bin", 1, 4)})).ok());
  clock_.Advance(absl::Seconds(19));
  EXPECT_EQ(store_->ExpireIdle(clock_.Now()), 0);
  EXPECT_EQ(store_->CountPeers(), 1u);
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(store_->ExpireIdle(clock_.Now()), 1);
  EXPECT_EQ(store_->CountPeers(), 0u);
  EXPECT_EQ(store_->CountFiles(), 0u);  // its only holder left
  EXPECT_EQ(Summary(1).status().code(), absl::StatusCode::kNotFound);
  // The username is free again.
  EXPECT_TRUE(Announce(Peer(2, "alice")).ok());
}

TEST_P(SwarmStoreConformanceTest, RefreshKeepsPeerAlive) {
  ASSERT_TRUE(Announce(Peer(1, "alice")).ok());
  ASSERT_TRUE(Announce(Peer(2, "bob")).ok());
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(absl::Seconds(15));
    ASSERT_TRUE(Announce(Peer(1, "alice")).ok());
  }
  EXPECT_THAT(Usernames(), ElementsAre("alice"));
}

TEST_P(SwarmStoreConformanceTest, ExpiryDropsOnlyTheExpiredHoldersAvailability) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a.bin", 1, 4)})).ok());
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(Announce(Peer(2, "bob", {File("a.bin", 1, 2)})).ok());
  clock_.Advance(absl::Seconds(10));  // alice: 20 s silent
  auto a = Summary(1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->seeders(), 0u);
  EXPECT_EQ(a->leechers(), 1u);
}

TEST_P(SwarmStoreConformanceTest, UsernamesAreUnique) {
  ASSERT_TRUE(Announce(Peer(1, "alice")).ok());
  EXPECT_EQ(Announce(Peer(2, "alice")).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->CountPeers(), 1u);
  ASSERT_TRUE(Announce(Peer(2, "bob")).ok());
  // A registered peer announcing another's name is refused too.
  EXPECT_EQ(Announce(Peer(2, "alice")).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Usernames(), ElementsAre("alice", "bob"));
}

TEST_P(SwarmStoreConformanceTest, RenameConflictsAndOwnership) {
  ASSERT_TRUE(Announce(Peer(1, "alice")).ok());
  ASSERT_TRUE(Announce(Peer(2, "bob")).ok());
  const absl::Time now = clock_.Now();
  EXPECT_EQ(store_->Rename(2, 2007, "alice", now).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store_->Rename(2, 1234, "carol", now).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->Rename(3, 3007, "carol", now).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->Rename(2, 2007, "bad name", now).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(store_->Rename(2, 2007, "bob", now).ok());  // own name
  EXPECT_TRUE(store_->Rename(2, 2007, "carol", now).ok());
  EXPECT_THAT(Usernames(), ElementsAre("alice", "carol"));
  // "bob" is free now.
  EXPECT_TRUE(store_->Rename(1, 1007, "bob", now).ok());
  EXPECT_THAT(Usernames(), ElementsAre("bob", "carol"));
}

TEST_P(SwarmStoreConformanceTest, LeaveNeedsTheKey) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a.bin", 1, 4)})).ok());
  EXPECT_EQ(store_->Leave(1, 42, clock_.Now()).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->CountPeers(), 1u);
  v1::AnnounceRequest stolen = Peer(1, "alice");
  stolen.set_peer_key(42);
  EXPECT_EQ(Announce(stolen).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(store_->Leave(1, 1007, clock_.Now()).ok());
  EXPECT_EQ(store_->CountPeers(), 0u);
  EXPECT_EQ(store_->CountFiles(), 0u);
  EXPECT_EQ(store_->Leave(1, 1007, clock_.Now()).code(), absl::StatusCode::kNotFound);
}

TEST_P(SwarmStoreConformanceTest, EvictRemovesWithoutKey) {
  ASSERT_TRUE(Announce(Peer(1, "alice")).ok());
  EXPECT_TRUE(store_->Evict(1, clock_.Now()).ok());
  EXPECT_EQ(store_->Evict(1, clock_.Now()).code(), absl::StatusCode::kNotFound);
}

TEST_P(SwarmStoreConformanceTest, SameNameDifferentRootIsTwoFiles) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("same.txt", 1, 4)})).ok());
  ASSERT_TRUE(Announce(Peer(2, "bob", {File("same.txt", 2, 4)})).ok());
  EXPECT_EQ(store_->CountFiles(), 2u);
  google::protobuf::RepeatedPtrField<v1::FileSummary> found;
  std::string next;
  ASSERT_TRUE(store_->SearchFiles("SAME", {}, clock_.Now(), &found, &next).ok());
  EXPECT_EQ(found.size(), 2);
  EXPECT_TRUE(next.empty());
}

TEST_P(SwarmStoreConformanceTest, KnownRootWithOtherSizeIsRejected) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a.bin", 1, 4, /*chunks=*/4)})).ok());
  EXPECT_EQ(Announce(Peer(2, "bob", {File("a.bin", 1, 1, /*chunks=*/5)})).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CountPeers(), 1u);  // nothing changed
}

TEST_P(SwarmStoreConformanceTest, RejectsMalformedFiles) {
  auto bad_hash = File("a.bin", 1, 4);
  bad_hash.set_root_hash("short");
  EXPECT_EQ(Announce(Peer(1, "a", {bad_hash})).code(), absl::StatusCode::kInvalidArgument);
  auto bad_chunk = File("a.bin", 1, 4);
  bad_chunk.set_chunk_size_bytes(1000);
  EXPECT_EQ(Announce(Peer(1, "a", {bad_chunk})).code(), absl::StatusCode::kInvalidArgument);
  auto too_many = File("a.bin", 1, 5, /*chunks=*/4);
  EXPECT_EQ(Announce(Peer(1, "a", {too_many})).code(), absl::StatusCode::kInvalidArgument);
  auto bad_name = File("../etc", 1, 4);
  EXPECT_EQ(Announce(Peer(1, "a", {bad_name})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Announce(Peer(1, "a", {File("x", 1, 4), File("y", 1, 4)})).code(),
            absl::StatusCode::kInvalidArgument);  // duplicate root
  EXPECT_EQ(Announce(Peer(0, "a")).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Announce(Peer(1, "")).code(), absl::StatusCode::kInvalidArgument);
  v1::AnnounceRequest long_endpoint = Peer(1, "a");
  long_endpoint.set_chunk_endpoint(std::string(kMaxEndpointBytes + 1, 'x'));
  EXPECT_EQ(Announce(long_endpoint).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CountPeers(), 0u);
}

TEST_P(SwarmStoreConformanceTest, LeecherBecomesSeeder) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a.bin", 1, 1)})).ok());
  ASSERT_TRUE(Announce(Peer(2, "bob", {File("a.bin", 1, 2)})).ok());
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a.bin", 1, 4)})).ok());
  auto a = Summary(1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->seeders(), 1u);
  EXPECT_EQ(a->leechers(), 1u);
  // The same again changes nothing; a seeder that lost chunks leeches again;
  // a leecher's progress keeps it a leecher.
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a.bin", 1, 4)})).ok());
  ASSERT_TRUE(Announce(Peer(2, "bob", {File("a.bin", 1, 3)})).ok());
  a = Summary(1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->seeders(), 1u);
  EXPECT_EQ(a->leechers(), 1u);
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a.bin", 1, 0)})).ok());
  a = Summary(1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->seeders(), 0u);
  EXPECT_EQ(a->leechers(), 2u);
  EXPECT_EQ(store_->CountHoldings(), 2u);
}

TEST_P(SwarmStoreConformanceTest, RemovedAndReplacedFiles) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a", 1, 4), File("b", 2, 4), File("c", 3, 4)})).ok());
  v1::AnnounceRequest remove = Peer(1, "alice");
  remove.add_removed_root_hashes(Root(2));
  ASSERT_TRUE(Announce(remove).ok());
  EXPECT_EQ(store_->CountFiles(), 2u);
  v1::AnnounceRequest replace = Peer(1, "alice", {File("d", 4, 4)});
  replace.set_replace_files(true);
  ASSERT_TRUE(Announce(replace).ok());
  EXPECT_EQ(store_->CountFiles(), 1u);
  EXPECT_TRUE(Summary(4).ok());
  EXPECT_FALSE(Summary(1).ok());
}

TEST_P(SwarmStoreConformanceTest, PeerCap) {
  Reset({.max_peers = 2, .max_files_per_peer = 2, .announce_interval = absl::Seconds(10)});
  ASSERT_TRUE(Announce(Peer(1, "a")).ok());
  ASSERT_TRUE(Announce(Peer(2, "b")).ok());
  EXPECT_EQ(Announce(Peer(3, "c")).code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(Announce(Peer(2, "b")).ok());  // refreshing is fine at the cap
  ASSERT_TRUE(store_->Leave(1, 1007, clock_.Now()).ok());
  EXPECT_TRUE(Announce(Peer(3, "c")).ok());
}

TEST_P(SwarmStoreConformanceTest, FilesPerPeerCap) {
  Reset({.max_peers = 2, .max_files_per_peer = 2, .announce_interval = absl::Seconds(10)});
  EXPECT_EQ(Announce(Peer(1, "a", {File("x", 1, 4), File("y", 2, 4), File("z", 3, 4)})).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_->CountPeers(), 0u);
  ASSERT_TRUE(Announce(Peer(1, "a", {File("x", 1, 4), File("y", 2, 4)})).ok());
  EXPECT_EQ(Announce(Peer(1, "a", {File("z", 3, 4)})).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_->CountFiles(), 2u);
  // Updating a held file, or swapping one for another, stays within the cap.
  EXPECT_TRUE(Announce(Peer(1, "a", {File("x", 1, 2)})).ok());
  v1::AnnounceRequest swap = Peer(1, "a", {File("z", 3, 4)});
  swap.add_removed_root_hashes(Root(2));
  EXPECT_TRUE(Announce(swap).ok());
  v1::AnnounceRequest replace = Peer(1, "a", {File("p", 5, 4), File("q", 6, 4)});
  replace.set_replace_files(true);
  EXPECT_TRUE(Announce(replace).ok());
  EXPECT_EQ(store_->CountFiles(), 2u);
}

TEST_P(SwarmStoreConformanceTest, DistinctFileCap) {
  Reset({.max_files_per_peer = 10,
         .max_files = 3,
         .max_holdings = 5,
         .announce_interval = absl::Seconds(10)});
  ASSERT_TRUE(Announce(Peer(1, "a", {File("x", 1, 4), File("y", 2, 4)})).ok());
  // Two new files would make four: the whole announce fails, nothing changes.
  EXPECT_EQ(Announce(Peer(2, "b", {File("x", 1, 4), File("z", 3, 4), File("w", 4, 4)})).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_->CountFiles(), 2u);
  EXPECT_EQ(store_->CountPeers(), 1u);
  EXPECT_EQ(store_->CountHoldings(), 2u);
  // Known files are never refused by the file cap; one new file fits.
  ASSERT_TRUE(Announce(Peer(2, "b", {File("x", 1, 4), File("z", 3, 4)})).ok());
  EXPECT_EQ(store_->CountFiles(), 3u);
  EXPECT_EQ(Announce(Peer(3, "c", {File("w", 4, 4)})).code(), absl::StatusCode::kResourceExhausted);
  ASSERT_TRUE(Announce(Peer(3, "c", {File("y", 2, 1)})).ok());
  // When the last holder of a file leaves, its slot is free again.
  v1::AnnounceRequest drop = Peer(2, "b");
  drop.add_removed_root_hashes(Root(3));
  ASSERT_TRUE(Announce(drop).ok());
  EXPECT_EQ(store_->CountFiles(), 2u);
  EXPECT_TRUE(Announce(Peer(3, "c", {File("w", 4, 4)})).ok());
  EXPECT_EQ(store_->CountFiles(), 3u);
}

TEST_P(SwarmStoreConformanceTest, HoldingsCap) {
  Reset({.max_files_per_peer = 10,
         .max_files = 3,
         .max_holdings = 5,
         .announce_interval = absl::Seconds(10)});
  // Holdings so far: a has 2, b has 2 -> 4 of 5.
  ASSERT_TRUE(Announce(Peer(1, "a", {File("x", 1, 4), File("y", 2, 4)})).ok());
  ASSERT_TRUE(Announce(Peer(2, "b", {File("x", 1, 4), File("y", 2, 4)})).ok());
  EXPECT_EQ(store_->CountHoldings(), 4u);
  EXPECT_EQ(Announce(Peer(3, "c", {File("x", 1, 4), File("y", 2, 4)})).code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(store_->CountPeers(), 2u);
  ASSERT_TRUE(Announce(Peer(3, "c", {File("x", 1, 4)})).ok());
  EXPECT_EQ(store_->CountHoldings(), 5u);
  // Refreshing or replacing without growing is fine at the cap.
  ASSERT_TRUE(Announce(Peer(1, "a", {File("x", 1, 2)})).ok());
  v1::AnnounceRequest replace = Peer(2, "b", {File("y", 2, 4)});
  replace.set_replace_files(true);
  ASSERT_TRUE(Announce(replace).ok());
  EXPECT_EQ(store_->CountHoldings(), 4u);
  ASSERT_TRUE(store_->Leave(1, 1007, clock_.Now()).ok());
  EXPECT_EQ(store_->CountHoldings(), 2u);
}

TEST_P(SwarmStoreConformanceTest, PagingCoversEveryPeerOnce) {
  for (uint64_t id = 1; id <= 120; ++id) {
    ASSERT_TRUE(Announce(Peer(id, "user" + std::to_string(id))).ok());
  }
  ASSERT_TRUE(store_->Leave(50, 50007, clock_.Now()).ok());
  std::set<uint64_t> seen;
  std::string token;
  int pages = 0;
  do {
    google::protobuf::RepeatedPtrField<v1::PeerInfo> page;
    std::string next;
    ASSERT_TRUE(store_
                    ->ListPeers({.token = token, .page_size = 7, .max_bytes = 300}, clock_.Now(),
                                &page, &next)
                    .ok());
    EXPECT_LE(page.size(), 7);
    size_t bytes = 0;
    for (const auto& p : page) {
      EXPECT_TRUE(seen.insert(p.peer_id()).second);
      bytes += p.ByteSizeLong() + 2;
    }
    EXPECT_LE(bytes, 300u);
    token = next;
    ++pages;
  } while (!token.empty() && pages < 1000);
  EXPECT_EQ(seen.size(), 119u);
  EXPECT_FALSE(seen.contains(50));
}

// Every page of ListPeers/SearchFiles comes in key order (peer id as an
// unsigned number; root hash as unsigned bytes), and a token resumes after
// the last key the page covered: a peer or file registered for the whole
// listing is listed exactly once and none twice, whatever changes between
// pages (a listed peer that leaves and comes back, new peers, the token's
// own key leaving). On position tokens a re-joining peer landed in a later
// slot and was listed twice (issue 14, finding 6).
TEST_P(SwarmStoreConformanceTest, PagingResumesAfterTheLastKeyDespiteChanges) {
  for (uint64_t id = 1; id <= 6; ++id) {
    ASSERT_TRUE(Announce(Peer(id, "user" + std::to_string(id))).ok());
  }
  std::multiset<uint64_t> seen;
  std::vector<uint64_t> order;
  auto page = [&](const std::string& token) {
    google::protobuf::RepeatedPtrField<v1::PeerInfo> peers;
    std::string next;
    EXPECT_TRUE(
        store_->ListPeers({.token = token, .page_size = 2}, clock_.Now(), &peers, &next).ok());
    for (const auto& p : peers) {
      seen.insert(p.peer_id());
      order.push_back(p.peer_id());
    }
    return next;
  };
  std::string token = page("");
  ASSERT_EQ(seen, (std::multiset<uint64_t>{1, 2}));
  ASSERT_TRUE(store_->Leave(1, 1007, clock_.Now()).ok());
  ASSERT_TRUE(store_->Leave(2, 2007, clock_.Now()).ok());  // the token's own key
  ASSERT_TRUE(store_->Leave(5, 5007, clock_.Now()).ok());
  ASSERT_TRUE(Announce(Peer(1, "user1")).ok());  // back, before the cursor
  ASSERT_TRUE(Announce(Peer(9, "user9")).ok());  // new, after the cursor
  for (int pages = 0; !token.empty() && pages < 10; ++pages) {
    token = page(token);
    if (pages == 0) {
      ASSERT_TRUE(store_->Leave(3, 3007, clock_.Now()).ok());  // already listed
      ASSERT_TRUE(Announce(Peer(3, "user3")).ok());            // and back
    }
  }
  EXPECT_EQ(seen, (std::multiset<uint64_t>{1, 2, 3, 4, 6, 9}));
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));

  // Files likewise, in root hash order: a listed file dropped and announced
  // again is not listed twice.
  for (int f = 1; f <= 4; ++f) {
    ASSERT_TRUE(Announce(Peer(10 + f, "f" + std::to_string(f), {File("x", f, 4)})).ok());
  }
  std::multiset<std::string> roots;
  std::vector<std::string> root_order;
  google::protobuf::RepeatedPtrField<v1::FileSummary> files;
  std::string next;
  ASSERT_TRUE(
      store_->SearchFiles("", {.token = "", .page_size = 2}, clock_.Now(), &files, &next).ok());
  ASSERT_EQ(files.size(), 2);
  for (const auto& f : files) {
    roots.insert(f.root_hash());
    root_order.push_back(f.root_hash());
  }
  const std::string first_root = files[0].root_hash();
  int first = 0;
  for (int f = 1; f <= 4; ++f) {
    if (Root(f) == first_root) first = f;
  }
  ASSERT_NE(first, 0);
  ASSERT_TRUE(store_->Leave(10 + first, (10 + first) * 1000 + 7, clock_.Now()).ok());
  ASSERT_TRUE(Announce(Peer(10 + first, "again", {File("x", first, 4)})).ok());
  for (int pages = 0; !next.empty() && pages < 10; ++pages) {
    files.Clear();
    const std::string token = next;
    ASSERT_TRUE(store_->SearchFiles("", {.token = token}, clock_.Now(), &files, &next).ok());
    for (const auto& f : files) {
      roots.insert(f.root_hash());
      root_order.push_back(f.root_hash());
    }
  }
  EXPECT_EQ(roots.size(), 4u);
  EXPECT_EQ(std::set<std::string>(roots.begin(), roots.end()).size(), 4u);
  EXPECT_TRUE(std::is_sorted(
      root_order.begin(), root_order.end(), [](const std::string& a, const std::string& b) {
        return std::lexicographical_compare(
            a.begin(), a.end(), b.begin(), b.end(),
            [](char x, char y) { return static_cast<uint8_t>(x) < static_cast<uint8_t>(y); });
      }));
}

// The key order is the same in every store, so a listing reads the same
// whichever store (or tracker instance) answers: peer ids compare as
// unsigned 64-bit numbers (high bit set sorts last), root hashes as
// unsigned bytes (0x80.. after 0x7f..).
TEST_P(SwarmStoreConformanceTest, ListingsAreInUnsignedKeyOrder) {
  const std::vector<uint64_t> ids = {0xff00000000000001ull, 2, 0x8000000000000000ull, 0x100,
                                     0x7fffffffffffffffull, 1};
  for (size_t i = 0; i < ids.size(); ++i) {
    v1::AnnounceRequest a = Peer(ids[i], "p" + std::to_string(i));
    a.set_peer_key(77);
    v1::FileAvailability f = File("k", 0, 4);
    std::string root(32, static_cast<char>(0x11 * (i + 1) + 0x30));  // 0x41 .. 0x96
    f.set_root_hash(root);
    *a.add_files() = f;
    ASSERT_TRUE(Announce(a).ok());
  }
  std::vector<uint64_t> listed;
  std::string token;
  for (int pages = 0; pages < 20; ++pages) {
    google::protobuf::RepeatedPtrField<v1::PeerInfo> page;
    std::string next;
    ASSERT_TRUE(
        store_->ListPeers({.token = token, .page_size = 4}, clock_.Now(), &page, &next).ok());
    for (const auto& p : page) listed.push_back(p.peer_id());
    token = next;
    if (token.empty()) break;
  }
  std::vector<uint64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(listed, sorted);

  std::vector<uint8_t> first_bytes;
  token.clear();
  for (int pages = 0; pages < 20; ++pages) {
    google::protobuf::RepeatedPtrField<v1::FileSummary> page;
    std::string next;
    ASSERT_TRUE(
        store_->SearchFiles("k", {.token = token, .page_size = 4}, clock_.Now(), &page, &next)
            .ok());
    for (const auto& f : page) first_bytes.push_back(static_cast<uint8_t>(f.root_hash()[0]));
    token = next;
    if (token.empty()) break;
  }
  EXPECT_THAT(first_bytes, ElementsAre(0x41, 0x52, 0x63, 0x74, 0x85, 0x96));
}

// A byte budget smaller than one item still lists one item per page, so
// paging always advances and ends.
TEST_P(SwarmStoreConformanceTest, TinyByteBudgetStillAdvances) {
  for (uint64_t id = 1; id <= 5; ++id) {
    ASSERT_TRUE(
        Announce(Peer(id, "user" + std::to_string(id), {File("n" + std::to_string(id), id, 4)}))
            .ok());
  }
  std::vector<uint64_t> listed;
  std::string token;
  int pages = 0;
  do {
    google::protobuf::RepeatedPtrField<v1::PeerInfo> page;
    std::string next;
    ASSERT_TRUE(
        store_->ListPeers({.token = token, .max_bytes = 1}, clock_.Now(), &page, &next).ok());
    EXPECT_EQ(page.size(), 1);
    for (const auto& p : page) listed.push_back(p.peer_id());
    token = next;
  } while (!token.empty() && ++pages < 20);
  EXPECT_THAT(listed, ElementsAre(1, 2, 3, 4, 5));

  std::set<std::string> roots;
  token.clear();
  pages = 0;
  do {
    google::protobuf::RepeatedPtrField<v1::FileSummary> page;
    std::string next;
    ASSERT_TRUE(
        store_->SearchFiles("n", {.token = token, .max_bytes = 1}, clock_.Now(), &page, &next)
            .ok());
    EXPECT_LE(page.size(), 1);
    for (const auto& f : page) EXPECT_TRUE(roots.insert(f.root_hash()).second);
    token = next;
  } while (!token.empty() && ++pages < 20);
  EXPECT_EQ(roots.size(), 5u);
}

// Chunk counts and indices are uint32 and a manifest carries at most
// kMaxChunkCount digests (common/file_limits.h): a 2^47-byte file of 16 KiB
// chunks (2^33 chunks) is refused by every store; the limit itself is
// accepted; a zero-byte file has no chunks and its announcer is a seeder.
TEST_P(SwarmStoreConformanceTest, FilesNeedingMoreChunksThanAManifestCarriesAreRefused) {
  v1::FileAvailability huge = File("huge.bin", 1, 0);
  huge.set_size_bytes(uint64_t{1} << 47);
  huge.set_chunk_size_bytes(16 * 1024);
  EXPECT_EQ(Announce(Peer(1, "alice", {huge})).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->CountPeers(), 0u);

  v1::FileAvailability at_limit = File("max.bin", 2, 0);
  at_limit.set_chunk_size_bytes(16 * 1024);
  at_limit.set_size_bytes(uint64_t{kMaxChunkCount} * 16 * 1024);
  EXPECT_TRUE(Announce(Peer(2, "bob", {at_limit})).ok());
  v1::FileAvailability one_byte_more = at_limit;
  one_byte_more.set_root_hash(Root(3));
  one_byte_more.set_size_bytes(at_limit.size_bytes() + 1);
  EXPECT_EQ(Announce(Peer(3, "carol", {one_byte_more})).code(), absl::StatusCode::kInvalidArgument);

  v1::FileAvailability empty = File("empty.txt", 4, 0);
  empty.set_size_bytes(0);
  ASSERT_TRUE(Announce(Peer(4, "dave", {empty})).ok());
  absl::StatusOr<v1::FileSummary> summary = Summary(4);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->seeders(), 1u);
}

// A batch of announces (what the tracker hands the store per received
// batch: one Redis round trip) acts exactly as the same announces one after
// another: earlier ones are seen by later ones, and each gets its own status.
TEST_P(SwarmStoreConformanceTest, AnnounceBatchActsAsOneAfterAnother) {
  std::vector<v1::AnnounceRequest> requests = {
      Peer(1, "alice", {File("f", 1, 4)}),
      Peer(2, "bob", {File("f", 1, 1)}),
      Peer(0, "nobody"),  // peer_id 0: INVALID_ARGUMENT, changes nothing
      Peer(3, "alice"),   // alice was registered earlier in the batch
      Peer(1, "alice"),   // wrong key below: PERMISSION_DENIED
      Peer(4, "dave", {File("f", 1, 2)}),
  };
  requests[1].set_peers_for_root_hash(Root(1));
  requests[4].set_peer_key(999);
  requests[5].set_peers_for_root_hash("short");
  std::vector<v1::GetFilePeersResponse> peers(requests.size());
  std::vector<SwarmStore::AnnounceCall> calls(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    calls[i].request = &requests[i];
    calls[i].max_bytes = 1100;
    calls[i].peers = &peers[i];
  }
  store_->AnnounceBatch(absl::MakeSpan(calls), clock_.Now());
  EXPECT_TRUE(calls[0].status.ok()) << calls[0].status;
  EXPECT_TRUE(calls[1].status.ok()) << calls[1].status;
  EXPECT_EQ(calls[2].status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(calls[3].status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(calls[4].status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(calls[5].status.code(), absl::StatusCode::kInvalidArgument);
  // bob's reply lists alice (announced before him in the batch), not bob.
  ASSERT_TRUE(calls[1].peers_found);
  ASSERT_EQ(peers[1].peers_size(), 1);
  EXPECT_EQ(peers[1].peers(0).peer_id(), 1u);
  EXPECT_EQ(peers[1].file().seeders(), 1u);
  EXPECT_EQ(peers[1].file().leechers(), 1u);
  EXPECT_FALSE(calls[0].peers_found);
  EXPECT_EQ(store_->CountPeers(), 2u);
  EXPECT_THAT(Usernames(), ElementsAre("alice", "bob"));
}

TEST_P(SwarmStoreConformanceTest, ForgedPageTokenIsInvalid) {
  google::protobuf::RepeatedPtrField<v1::PeerInfo> page;
  std::string next;
  EXPECT_EQ(store_->ListPeers({.token = "garbage"}, clock_.Now(), &page, &next).code(),
            absl::StatusCode::kInvalidArgument);
  google::protobuf::RepeatedPtrField<v1::FileSummary> files;
  EXPECT_EQ(store_
                ->SearchFiles("", {.token = std::string("pv1\0\xff\xff\xff\x7f", 8)}, clock_.Now(),
                              &files, &next)
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_P(SwarmStoreConformanceTest, FilePeersAreBoundedRandomSeedersFirst) {
  for (uint64_t id = 1; id <= 40; ++id) {
    ASSERT_TRUE(
        Announce(Peer(id, "u" + std::to_string(id), {File("f", 1, id <= 20 ? 4 : 1)})).ok());
  }
  std::set<uint64_t> seen;
  for (int round = 0; round < 20; ++round) {
    v1::GetFilePeersResponse out;
    ASSERT_TRUE(store_->GetFilePeers(Root(1), 5, /*exclude=*/3, SIZE_MAX, clock_.Now(), &out).ok());
    ASSERT_EQ(out.peers_size(), 5);
    EXPECT_EQ(out.file().seeders(), 20u);
    EXPECT_EQ(out.file().leechers(), 20u);
    for (const auto& p : out.peers()) {
      EXPECT_EQ(p.chunks_have(), 4u);  // seeders first: there are 20 of them
      EXPECT_NE(p.peer_id(), 3u);
      seen.insert(p.peer_id());
    }
  }
  EXPECT_GT(seen.size(), 5u);  // a random subset, not always the same one
  // Asking for more than there are seeders fills up with leechers.
  v1::GetFilePeersResponse out;
  ASSERT_TRUE(store_->GetFilePeers(Root(1), 30, 0, SIZE_MAX, clock_.Now(), &out).ok());
  ASSERT_EQ(out.peers_size(), 30);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(out.peers(i).chunks_have(), i < 20 ? 4u : 1u) << i;
  // And never more than the byte budget.
  out.Clear();
  ASSERT_TRUE(store_->GetFilePeers(Root(1), 30, 0, 400, clock_.Now(), &out).ok());
  EXPECT_LE(out.ByteSizeLong(), 400u);
  EXPECT_GT(out.peers_size(), 0);
  // The registry sizes peers itself: every budget holds, and a page stops
  // only when the next peer would not fit.
  for (size_t budget = 60; budget < 1300; budget += 7) {
    out.Clear();
    ASSERT_TRUE(store_->GetFilePeers(Root(1), 64, 0, budget, clock_.Now(), &out).ok());
    ASSERT_LE(out.ByteSizeLong(), budget);
    if (out.peers_size() < 40) {
      v1::GetFilePeersResponse more = out;
      *more.add_peers() = out.peers_size() > 0 ? out.peers(0) : v1::FilePeer();
      more.mutable_peers()->rbegin()->set_peer_id(40);  // the longest username
      more.mutable_peers()->rbegin()->set_username("u40");
      more.mutable_peers()->rbegin()->set_chunk_endpoint("tcp://127.0.0.1:7040");
      more.mutable_peers()->rbegin()->set_chunks_have(4);
      EXPECT_GT(more.ByteSizeLong(), budget - 2) << budget;
    }
  }
}

// A file's peer list shows each holder as it is now: its current username
// (after a rename), its current endpoint (after an announce that changed it
// without naming this file) and its chunks_have for this file.
TEST_P(SwarmStoreConformanceTest, FilePeersShowHoldersAsTheyAreNow) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a", 1, 1), File("b", 2, 4)})).ok());
  ASSERT_TRUE(Announce(Peer(2, "bob", {File("b", 2, 2)})).ok());
  auto holder = [&](int root, uint64_t id) -> absl::StatusOr<v1::FilePeer> {
    v1::GetFilePeersResponse out;
    absl::Status s = store_->GetFilePeers(Root(root), 0, 0, SIZE_MAX, clock_.Now(), &out);
    if (!s.ok()) return s;
    for (const v1::FilePeer& p : out.peers()) {
      if (p.peer_id() == id) return p;
    }
    return absl::NotFoundError("not listed");
  };
  ASSERT_TRUE(store_->Rename(1, 1007, "alicia", clock_.Now()).ok());
  absl::StatusOr<v1::FilePeer> a = holder(2, 1);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->username(), "alicia");
  EXPECT_EQ(a->chunks_have(), 4u);
  // A new endpoint, announced with file 1 only (file 2 is kept).
  v1::AnnounceRequest moved = Peer(1, "alicia", {File("a", 1, 3)});
  moved.set_chunk_endpoint("tcp://127.0.0.1:9999");
  ASSERT_TRUE(Announce(moved).ok());
  a = holder(2, 1);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->chunk_endpoint(), "tcp://127.0.0.1:9999");
  EXPECT_EQ(a->username(), "alicia");
  EXPECT_EQ(a->chunks_have(), 4u);
  a = holder(1, 1);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->chunks_have(), 3u);
  absl::StatusOr<v1::FilePeer> b = holder(2, 2);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->username(), "bob");
  EXPECT_EQ(b->chunks_have(), 2u);
  // A renamed-back name and a dropped file.
  v1::AnnounceRequest dropped = Peer(1, "alice");
  dropped.add_removed_root_hashes(Root(2));
  ASSERT_TRUE(Announce(dropped).ok());
  EXPECT_EQ(holder(2, 1).status().code(), absl::StatusCode::kNotFound);
  a = holder(1, 1);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->username(), "alice");
  EXPECT_EQ(a->chunk_endpoint(), "tcp://127.0.0.1:7001");
}

TEST_P(SwarmStoreConformanceTest, EndpointsRoundTrip) {
  for (const char* endpoint :
       {"tcp://127.0.0.1:6881", "tcp://010.0.0.1:5", "ipc:///tmp/x", "tcp://[::1]:80", "",
        "tcp://255.255.255.255:65535", "tcp://1.2.3.4:65536"}) {
    v1::AnnounceRequest a = Peer(1, "alice");
    a.set_chunk_endpoint(endpoint);
    ASSERT_TRUE(Announce(a).ok()) << endpoint;
    google::protobuf::RepeatedPtrField<v1::PeerInfo> page;
    std::string next;
    ASSERT_TRUE(store_->ListPeers({}, clock_.Now(), &page, &next).ok());
    ASSERT_EQ(page.size(), 1);
    EXPECT_EQ(page[0].chunk_endpoint(), endpoint);
  }
}

// Random operations checked against a simple model: catches bookkeeping
// slips in the swap-remove indexes.
TEST_P(SwarmStoreConformanceTest, RandomOperationsMatchModel) {
  std::mt19937 rng(7);
  struct ModelPeer {
    std::map<int, uint32_t> files;  // root -> chunks_have
    absl::Time last_seen;
  };
  std::map<uint64_t, ModelPeer> model;
  for (int step = 0; step < 3000; ++step) {
    for (auto it = model.begin(); it != model.end();) {
      it = it->second.last_seen + absl::Seconds(20) <= clock_.Now() ? model.erase(it) : ++it;
    }
    const uint64_t id = 1 + rng() % 30;
    const int op = static_cast<int>(rng() % 10);
    if (op < 7) {
      v1::AnnounceRequest a = Peer(id, "u" + std::to_string(id));
      a.set_replace_files(rng() % 4 == 0);
      std::map<int, uint32_t> next =
          a.replace_files() ? std::map<int, uint32_t>{} : model[id].files;
      std::set<int> used;
      for (int k = static_cast<int>(rng() % 3); k > 0; --k) {
        const int root = 1 + static_cast<int>(rng() % 12);
        if (!used.insert(root).second) continue;
        a.add_removed_root_hashes(Root(root));
        next.erase(root);
      }
      std::set<int> added;
      for (int k = static_cast<int>(rng() % 4); k > 0; --k) {
        const int root = 1 + static_cast<int>(rng() % 12);
        if (!added.insert(root).second) continue;
        const uint32_t have = rng() % 5;
        *a.add_files() = File("f" + std::to_string(root), root, have);
        next[root] = have;
      }
      ASSERT_TRUE(Announce(a).ok()) << step;
      model[id].files = next;
      model[id].last_seen = clock_.Now();
    } else if (op < 9) {
      const bool known = model.count(id) > 0;
      EXPECT_EQ(store_->Leave(id, id * 1000 + 7, clock_.Now()).ok(), known);
      model.erase(id);
    } else {
      clock_.Advance(absl::Seconds(1));
    }
    if (step % 50 == 0) {
      ASSERT_EQ(store_->CountPeers(), model.size());
      std::map<int, std::pair<uint32_t, uint32_t>> counts;
      for (const auto& [pid, p] : model) {
        for (const auto& [root, have] : p.files) {
          (have >= 4 ? counts[root].first : counts[root].second)++;
        }
      }
      ASSERT_EQ(store_->CountFiles(), counts.size()) << step;
      for (const auto& [root, c] : counts) {
        auto s = Summary(root);
        ASSERT_TRUE(s.ok()) << root;
        EXPECT_EQ(s->seeders(), c.first) << "root " << root << " step " << step;
        EXPECT_EQ(s->leechers(), c.second) << "root " << root << " step " << step;
      }
    }
  }
}

TEST_P(SwarmStoreConformanceTest, AnnounceAndGetPeersListsOthersAfterTheAnnounce) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a.bin", 1, 4)})).ok());
  v1::AnnounceRequest bob = Peer(2, "bob", {File("a.bin", 1, 1)});
  bob.set_peers_for_root_hash(Root(1));
  v1::GetFilePeersResponse peers;
  bool found = false;
  ASSERT_TRUE(store_->AnnounceAndGetPeers(bob, 1160, clock_.Now(), &peers, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(peers.file().seeders(), 1u);
  EXPECT_EQ(peers.file().leechers(), 1u);  // bob, counted after his announce
  ASSERT_EQ(peers.peers_size(), 1);        // never bob himself
  EXPECT_EQ(peers.peers(0).peer_id(), 1u);
  EXPECT_EQ(peers.peers(0).username(), "alice");
  EXPECT_EQ(peers.peers(0).chunk_endpoint(), "tcp://127.0.0.1:7001");
  EXPECT_EQ(peers.peers(0).chunks_have(), 4u);
  // An unknown file: the announce succeeds without peers.
  bob.set_peers_for_root_hash(Root(9));
  peers.Clear();
  ASSERT_TRUE(store_->AnnounceAndGetPeers(bob, 1160, clock_.Now(), &peers, &found).ok());
  EXPECT_FALSE(found);
  // A failed announce changes nothing and lists nothing.
  v1::AnnounceRequest thief = Peer(1, "alice", {File("b.bin", 2, 4)});
  thief.set_peer_key(5);
  thief.set_peers_for_root_hash(Root(1));
  EXPECT_EQ(store_->AnnounceAndGetPeers(thief, 1160, clock_.Now(), &peers, &found).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(found);
  EXPECT_EQ(store_->CountFiles(), 1u);
}

TEST_P(SwarmStoreConformanceTest, CountsFollowEveryChange) {
  ASSERT_TRUE(Announce(Peer(1, "alice", {File("a", 1, 4), File("b", 2, 4)})).ok());
  ASSERT_TRUE(Announce(Peer(2, "bob", {File("a", 1, 1)})).ok());
  EXPECT_EQ(store_->CountPeers(), 2u);
  EXPECT_EQ(store_->CountFiles(), 2u);
  EXPECT_EQ(store_->CountHoldings(), 3u);
  ASSERT_TRUE(store_->Evict(1, clock_.Now()).ok());
  EXPECT_EQ(store_->CountPeers(), 1u);
  EXPECT_EQ(store_->CountFiles(), 1u);
  EXPECT_EQ(store_->CountHoldings(), 1u);
  EXPECT_EQ(store_->announce_interval(), absl::Seconds(10));
}

}  // namespace
}  // namespace pytorrent::tracker
