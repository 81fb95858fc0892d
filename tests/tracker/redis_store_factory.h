#ifndef PYTORRENT_TESTS_TRACKER_REDIS_STORE_FACTORY_H_
#define PYTORRENT_TESTS_TRACKER_REDIS_STORE_FACTORY_H_

// Fresh `RedisSwarmStore`s for the conformance suite: each has its own
// client and its own key tag (so its own empty state) on a Redis the
// factory starts on first use and keeps for the test binary's life.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/tracker/swarm_store_conformance.h"

namespace pytorrent::tracker {

class RedisStoreFactory final : public StoreFactory {
 public:
  // `start` brings Redis up once and returns its addresses (host:port).
  explicit RedisStoreFactory(std::function<absl::StatusOr<std::vector<std::string>>()> start)
      : start_(std::move(start)) {}

  absl::StatusOr<std::unique_ptr<SwarmStore>> Make(const RegistryLimits& limits,
                                                   std::shared_ptr<void>* keepalive) override;

  // Where Redis runs (starting it if needed).
  absl::StatusOr<std::vector<std::string>> Addresses();

 private:
  std::function<absl::StatusOr<std::vector<std::string>>()> start_;
  std::vector<std::string> addresses_;
  int made_ = 0;
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TESTS_TRACKER_REDIS_STORE_FACTORY_H_
