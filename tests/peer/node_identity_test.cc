#include "peer/node_identity.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "peer/storage/atomic_file.h"

namespace pytorrent::peer {
namespace {

std::string TempPath(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") / "identity";
  std::filesystem::create_directories(dir);
  std::filesystem::remove(dir / name);
  return (dir / name).string();
}

uint64_t Counter() {
  static uint64_t next = 0x1234;
  return next++;
}

TEST(NodeIdentityTest, EncodedIdentityDecodesBack) {
  const NodeIdentity identity{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  absl::StatusOr<NodeIdentity> back = DecodeNodeIdentity(EncodeNodeIdentity(identity));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->peer_id, identity.peer_id);
  EXPECT_EQ(back->peer_key, identity.peer_key);
}

TEST(NodeIdentityTest, DamageIsDataLoss) {
  const std::string good = EncodeNodeIdentity({0x0123456789abcdefULL, 0xfedcba9876543210ULL});
  for (const std::string& bad : {
           std::string(""),
           good.substr(0, good.size() / 2),                                  // truncated
           absl::StrReplaceAll(good, {{"peer_key=fedc", "peer_key=fedd"}}),  // flipped digit
           absl::StrReplaceAll(good, {{"peer_id=", "peer_id=0"}}),           // 17 digits
           good + "peer_id=0123456789abcdef\n",                              // duplicate
           good + "extra=1\n",
           std::string("\xff\xfe garbage"),
       }) {
    absl::StatusOr<NodeIdentity> decoded = DecodeNodeIdentity(bad);
    EXPECT_TRUE(absl::IsDataLoss(decoded.status())) << bad << " -> " << decoded.status();
  }
}

TEST(NodeIdentityTest, CreatedOncePrivateThenReadBack) {
  const std::string path = TempPath("created");
  absl::StatusOr<NodeIdentity> first = LoadOrCreateNodeIdentity(path, Counter);
  ASSERT_TRUE(first.ok()) << first.status();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  absl::StatusOr<NodeIdentity> second = LoadOrCreateNodeIdentity(path, Counter);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->peer_id, first->peer_id);
  EXPECT_EQ(second->peer_key, first->peer_key);
}

TEST(NodeIdentityTest, ADamagedFileIsAClearErrorAndIsKept) {
  const std::string path = TempPath("damaged");
  ASSERT_TRUE(WriteFileAtomically(path, "peer_id=12\n").ok());
  absl::StatusOr<NodeIdentity> loaded = LoadOrCreateNodeIdentity(path, Counter);
  EXPECT_TRUE(absl::IsDataLoss(loaded.status()));
  EXPECT_NE(loaded.status().message().find(path), std::string::npos);
  EXPECT_NE(loaded.status().message().find("move it away"), std::string::npos);
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "peer_id=12\n");
}

TEST(NodeIdentityTest, ZeroIsNeverAPeerId) {
  const std::string path = TempPath("zero");
  int calls = 0;
  absl::StatusOr<NodeIdentity> identity =
      LoadOrCreateNodeIdentity(path, [&calls] { return calls++ < 2 ? uint64_t{0} : uint64_t{7}; });
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_NE(identity->peer_id, 0u);
}

}  // namespace
}  // namespace pytorrent::peer
