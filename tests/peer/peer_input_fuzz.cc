// libFuzzer target for every parser of untrusted peer input: wire header
// frames (and the manifests inside them), the config file, resume state and
// manifest cache entries. Build and run:
//   bazel build --config=fuzz //tests/peer:peer_input_fuzz
//   bazel-bin/tests/peer/peer_input_fuzz -max_total_time=30
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "peer/content/manifest.h"
#include "peer/content/manifest_cache.h"
#include "peer/peer_config.h"
#include "peer/storage/resume_state.h"
#include "peer/transfer/wire_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pytorrent;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Sha256Digest root = Sha256::Of("fuzz root");

  v1::PeerMessage message;
  if (peer::ParsePeerMessage(data, size, peer::kMaxManifestHeaderBytes, message).ok() &&
      message.has_manifest()) {
    Sha256Digest claimed{};
    if (DigestFromBytes(message.manifest().root_hash(), claimed)) {
      (void)peer::ManifestFromProto(message.manifest(), claimed);
    }
  }
  (void)peer::ParsePeerConfig(bytes);
  (void)peer::ResumeState::Decode(bytes, root, static_cast<uint32_t>(size % 4096));
  (void)peer::DecodeManifestCacheEntry(bytes, {"/p", size, 1, peer::kDefaultChunkSizeBytes});
  return 0;
}
