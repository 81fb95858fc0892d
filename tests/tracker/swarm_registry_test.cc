// The store conformance suite on the in-memory SwarmRegistry.

#include "tests/tracker/swarm_store_conformance.h"

namespace pytorrent::tracker {
namespace {

MemoryStoreFactory factory;
INSTANTIATE_TEST_SUITE_P(Memory, SwarmStoreConformanceTest, ::testing::Values(&factory));

}  // namespace
}  // namespace pytorrent::tracker
