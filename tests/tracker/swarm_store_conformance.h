#ifndef PYTORRENT_TESTS_TRACKER_SWARM_STORE_CONFORMANCE_H_
#define PYTORRENT_TESTS_TRACKER_SWARM_STORE_CONFORMANCE_H_

// One conformance suite for every `SwarmStore` (the contracts of
// tracker/swarm_store.h, plus a random-operation model test). Each store's
// test binary instantiates it with a factory of fresh, empty stores:
//
//   MemoryStoreFactory factory;
//   INSTANTIATE_TEST_SUITE_P(Memory, SwarmStoreConformanceTest,
//                            ::testing::Values(&factory));

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/time_source.h"
#include "tracker/swarm_rules.h"
#include "tracker/swarm_store.h"

namespace pytorrent::tracker {

class StoreFactory {
 public:
  virtual ~StoreFactory() = default;
  // A store with no peers and no files, independent of earlier ones.
  // `keepalive` holds whatever the store needs to outlive it.
  virtual absl::StatusOr<std::unique_ptr<SwarmStore>> Make(const RegistryLimits& limits,
                                                           std::shared_ptr<void>* keepalive) = 0;
};

class SwarmStoreConformanceTest : public ::testing::TestWithParam<StoreFactory*> {
 protected:
  void SetUp() override { Reset({.announce_interval = absl::Seconds(10)}); }
  // Replaces the store with a fresh one with `limits`.
  void Reset(const RegistryLimits& limits);

  absl::Status Announce(const v1::AnnounceRequest& a) { return store_->Announce(a, clock_.Now()); }
  std::vector<std::string> Usernames();
  absl::StatusOr<v1::FileSummary> Summary(int root);

  FakeTimeSource clock_;
  std::shared_ptr<void> keepalive_;
  std::unique_ptr<SwarmStore> store_;
};

// The in-memory SwarmRegistry.
class MemoryStoreFactory final : public StoreFactory {
 public:
  absl::StatusOr<std::unique_ptr<SwarmStore>> Make(const RegistryLimits& limits,
                                                   std::shared_ptr<void>* keepalive) override;
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TESTS_TRACKER_SWARM_STORE_CONFORMANCE_H_
