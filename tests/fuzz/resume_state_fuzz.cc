// libFuzzer target for resume state files (state/<root>.resume, read back by
// a restarted leecher through peer/resume_state.h).
//
// The file ends in a SHA-256 of everything before it, which random mutation
// never gets right, so each input is tried twice: as the whole file (the
// checksum path), and as the body with its correct checksum appended and
// the root and chunk count it names expected (the parser behind the
// checksum). Invariants (trap otherwise): a state that decodes re-encodes
// to exactly the same bytes and never counts more chunks than it has.
//
// bazel build --config=fuzz //tests/fuzz:resume_state_fuzz
// bazel-bin/tests/fuzz/resume_state_fuzz tests/fuzz/resume_state_fuzz_corpus -max_total_time=30

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/sha256.h"
#include "peer/storage/resume_state.h"
#include "tests/fuzz/le_reader.h"

namespace {

using pytorrent::Sha256;
using pytorrent::Sha256Digest;
using pytorrent::peer::ResumeState;

constexpr size_t kMagicBytes = 8;

void DecodeChecked(std::string_view file, const Sha256Digest& root, uint32_t chunk_count) {
  absl::StatusOr<ResumeState> state = ResumeState::Decode(file, root, chunk_count);
  if (!state.ok()) return;
  if (state->CountSet() > state->chunk_count()) __builtin_trap();
  if (state->Encode() != file) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1u << 20)) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  // Whole file, expected root/count fixed: almost always a checksum miss.
  DecodeChecked(bytes, Sha256::Of("fuzz root"), static_cast<uint32_t>(size % 4096));

  // Body with a valid checksum; expect the root and count the body names.
  Sha256Digest root = Sha256::Of("fuzz root");
  uint32_t chunk_count = 0;
  if (size >= kMagicBytes + 32) std::memcpy(root.data(), data + kMagicBytes, 32);
  if (size >= kMagicBytes + 32 + 4) {
    pytorrent::fuzz::LeReader header(bytes.substr(kMagicBytes + 32, 4));
    header.Read(chunk_count);
  }
  std::string file(bytes);
  const Sha256Digest check = Sha256::Of(bytes);
  file.append(reinterpret_cast<const char*>(check.data()), check.size());
  DecodeChecked(file, root, chunk_count);
  return 0;
}
