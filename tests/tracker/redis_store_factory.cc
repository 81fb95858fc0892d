#include "tests/tracker/redis_store_factory.h"

#include "absl/strings/str_cat.h"
#include "tracker/redis_client.h"
#include "tracker/redis_swarm_store.h"

namespace pytorrent::tracker {

absl::StatusOr<std::vector<std::string>> RedisStoreFactory::Addresses() {
  if (addresses_.empty()) {
    absl::StatusOr<std::vector<std::string>> started = start_();
    if (!started.ok()) return started.status();
    addresses_ = *started;
  }
  return addresses_;
}

absl::StatusOr<std::unique_ptr<SwarmStore>> RedisStoreFactory::Make(
    const RegistryLimits& limits, std::shared_ptr<void>* keepalive) {
  absl::StatusOr<std::vector<std::string>> addresses = Addresses();
  if (!addresses.ok()) return addresses.status();
  absl::StatusOr<std::unique_ptr<RedisClient>> client =
      RedisClient::Create({.addresses = *addresses});
  if (!client.ok()) return client.status();
  std::shared_ptr<RedisClient> owned = std::move(*client);
  auto store = std::make_unique<RedisSwarmStore>(*owned, limits, absl::StrCat("t", ++made_));
  *keepalive = owned;
  return store;
}

}  // namespace pytorrent::tracker
