#ifndef PYTORRENT_TESTS_PEER_PEER_NODE_FIXTURE_H_
#define PYTORRENT_TESTS_PEER_PEER_NODE_FIXTURE_H_

// What the in-process PeerNode tests share: a fresh folder per test under
// $TEST_TMPDIR, one in-memory tracker registry, nodes started against it,
// and bounded waits on a node's state.

#include <cstdint>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "peer/peer_node.h"
#include "tests/peer/fake_tracker_client.h"

namespace pytorrent::peer {

class PeerNodeFixture : public ::testing::Test {
 protected:
  void SetUp() override;

  // Writes a random shared file into `node`'s shared folder, stable at once.
  std::string Share(const std::string& node, const std::string& name, size_t size, int seed);
  // Options for a node called `node` (home under this test's folder, 16 KiB
  // chunks, fast scans, config saved in its home).
  PeerNodeOptions Options(const std::string& node, const std::string& username);
  // Starts a node against the registry and waits for its first scan;
  // null (with a test failure) if it cannot start.
  std::unique_ptr<PeerNode> Start(PeerNodeOptions options);
  // Waits (30 s at most) for a download's terminal state; the last snapshot.
  static DownloadSnapshot AwaitEnd(PeerNode& node, uint64_t id);

  std::string base_;
  std::shared_ptr<FakeTrackerRegistry> registry_;
};

// The whole file (empty if missing).
std::string ReadAll(const std::string& path);

}  // namespace pytorrent::peer

#endif  // PYTORRENT_TESTS_PEER_PEER_NODE_FIXTURE_H_
