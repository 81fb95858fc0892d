#include "peer/transfer/loop_worker_pool.h"

#include "absl/strings/str_cat.h"

namespace pytorrent::peer::loop_worker_pool_internal {

std::string NextEndpoint(const std::string& name) {
  static std::atomic<uint64_t> next{0};
  return absl::StrCat("inproc://pt-", name, "-", next.fetch_add(1));
}

}  // namespace pytorrent::peer::loop_worker_pool_internal
