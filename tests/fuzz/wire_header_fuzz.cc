// libFuzzer target for header frames from other peers (ZeroMQ, untrusted):
// every PeerMessage the seeder and leecher parse, and the manifests inside
// them, which must validate or be rejected with a typed error.
//
// bazel build --config=fuzz //tests/fuzz:wire_header_fuzz
// bazel-bin/tests/fuzz/wire_header_fuzz tests/fuzz/wire_header_fuzz_corpus -max_total_time=30

#include <cstddef>
#include <cstdint>

#include "common/sha256.h"
#include "google/protobuf/stubs/logging.h"
#include "peer/content/manifest.h"
#include "peer/transfer/wire_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  using namespace pytorrent;  // NOLINT: fuzz harness
  v1::PeerMessage message;
  if (!peer::ParsePeerMessage(data, size, peer::kMaxManifestHeaderBytes, message).ok()) return 0;
  if (!message.has_manifest()) return 0;
  Sha256Digest claimed{};
  if (!DigestFromBytes(message.manifest().root_hash(), claimed)) return 0;
  absl::StatusOr<peer::Manifest> manifest = peer::ManifestFromProto(message.manifest(), claimed);
  if (manifest.ok() && manifest->root != claimed) __builtin_trap();
  return 0;
}
