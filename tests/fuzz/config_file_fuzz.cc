// libFuzzer target for the peer's config file (config/config.txt, parsed by
// peer/peer_config.h), which a person edits by hand.
//
// Invariants (trap otherwise): a text that parses formats to a text that
// parses back to the same config (FormatPeerConfig's promise), and editing
// a key in place with UpdatePeerConfigText keeps the file parseable with the
// new value.
//
// bazel build --config=fuzz //tests/fuzz:config_file_fuzz
// bazel-bin/tests/fuzz/config_file_fuzz tests/fuzz/config_file_fuzz_corpus -max_total_time=30

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "peer/peer_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using pytorrent::peer::FormatPeerConfig;
  using pytorrent::peer::ParsePeerConfig;
  using pytorrent::peer::PeerConfig;
  if (size > (1u << 20)) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const absl::StatusOr<PeerConfig> parsed = ParsePeerConfig(text);
  if (parsed.ok()) {
    const std::string formatted = FormatPeerConfig(*parsed);
    const absl::StatusOr<PeerConfig> again = ParsePeerConfig(formatted);
    if (!again.ok() || FormatPeerConfig(*again) != formatted) __builtin_trap();
  }

  const absl::StatusOr<std::string> edited =
      pytorrent::peer::UpdatePeerConfigText(text, {{"username", "fuzz-user"}});
  if (edited.ok() && parsed.ok()) {
    const absl::StatusOr<PeerConfig> after = ParsePeerConfig(*edited);
    if (!after.ok() || after->username != "fuzz-user") __builtin_trap();
  }
  return 0;
}
