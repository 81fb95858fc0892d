#include "peer/content/manifest_cache.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace pytorrent::peer {
namespace {

std::string Tmp() { return std::string(getenv("TEST_TMPDIR")); }

TEST(ManifestCacheTest, HitAfterStoreMissOnChangedSizeOrMtime) {
  std::string path = Tmp() + "/cached.bin";
  std::ofstream(path, std::ios::binary) << std::string(50000, 'x');
  ManifestCache cache(Tmp() + "/cache1");
  ManifestKey key{path, 50000, 123456789, 16 * 1024};
  bool cached = true;
  absl::StatusOr<Manifest> first = cache.GetOrBuild(key, "cached.bin", &cached);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(cached);
  absl::StatusOr<Manifest> second = cache.GetOrBuild(key, "cached.bin", &cached);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(cached);
  EXPECT_EQ(second->root, first->root);

  ManifestKey newer = key;
  newer.mtime_ns += 1;
  EXPECT_FALSE(cache.Lookup(newer).has_value());
  ManifestKey bigger = key;
  bigger.size_bytes += 1;
  EXPECT_FALSE(cache.Lookup(bigger).has_value());
  ManifestKey other_chunk = key;
  other_chunk.chunk_size_bytes = 32 * 1024;
  EXPECT_FALSE(cache.Lookup(other_chunk).has_value());
}

TEST(ManifestCacheTest, CorruptedEntryIsAMiss) {
  Manifest m;
  m.name = "f";
  m.size_bytes = 3;
  m.chunk_size_bytes = 16 * 1024;
  m.chunk_hashes = {Sha256::Of("abc")};
  m.file_sha256 = Sha256::Of("abc");
  m.root = m.chunk_hashes[0];
  ManifestKey key{"/some/path", 3, 42, 16 * 1024};
  std::string entry = EncodeManifestCacheEntry(key, m);
  ASSERT_TRUE(DecodeManifestCacheEntry(entry, key).has_value());
  for (size_t i = 0; i < entry.size(); i += 7) {
    std::string bad = entry;
    bad[i] ^= 0x20;
    EXPECT_FALSE(DecodeManifestCacheEntry(bad, key).has_value()) << i;
  }
  EXPECT_FALSE(DecodeManifestCacheEntry(entry.substr(0, entry.size() - 1), key).has_value());
  EXPECT_FALSE(DecodeManifestCacheEntry("", key).has_value());
  ManifestKey other = key;
  other.path = "/other";
  EXPECT_FALSE(DecodeManifestCacheEntry(entry, other).has_value());
}

}  // namespace
}  // namespace pytorrent::peer
