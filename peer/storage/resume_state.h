#ifndef PYTORRENT_PEER_STORAGE_RESUME_STATE_H_
#define PYTORRENT_PEER_STORAGE_RESUME_STATE_H_

// Which chunks of a download are verified on disk, persisted so a killed
// leecher resumes without re-fetching them.
//
// File format (binary, little-endian):
//   "PTRS0001" | root (32 bytes) | u32 chunk_count | bitmap (ceil(n/8) bytes,
//   bit i = byte i/8, most significant bit first, as wire Bitfield) |
//   SHA-256 of everything before (32 bytes).
// Saved with WriteFileAtomically (temp, fsync, rename). A truncated or
// corrupted file, or one for another root or chunk count, is rejected with
// DATA_LOSS / FAILED_PRECONDITION and never half-applied.
//
// Example:
//   ResumeState state(root, chunk_count);
//   state.Set(7);
//   state.Save(path);
//   absl::StatusOr<ResumeState> back = ResumeState::Load(path, root, chunk_count);
//
// Thread-compatible value type.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/sha256.h"

namespace pytorrent::peer {

class ResumeState {
 public:
  ResumeState(const Sha256Digest& root, uint32_t chunk_count);

  uint32_t chunk_count() const { return chunk_count_; }
  const Sha256Digest& root() const { return root_; }
  bool Test(uint32_t chunk) const;
  // Marks `chunk` verified; ignores an out-of-range index.
  void Set(uint32_t chunk);
  // Clears `chunk` (found damaged); no-op if not set or out of range.
  void Reset(uint32_t chunk);
  uint32_t CountSet() const { return count_set_; }
  bool Complete() const { return count_set_ == chunk_count_; }
  // The bitmap in wire Bitfield layout.
  const std::string& bits() const { return bits_; }

  std::string Encode() const;
  // DATA_LOSS for truncated/corrupted bytes; FAILED_PRECONDITION for a state
  // of another root or chunk count.
  static absl::StatusOr<ResumeState> Decode(std::string_view bytes, const Sha256Digest& root,
                                            uint32_t chunk_count);

  absl::Status Save(const std::string& path) const;
  // NOT_FOUND if there is no file; otherwise as Decode.
  static absl::StatusOr<ResumeState> Load(const std::string& path, const Sha256Digest& root,
                                          uint32_t chunk_count);

 private:
  Sha256Digest root_;
  uint32_t chunk_count_;
  uint32_t count_set_ = 0;
  std::string bits_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_STORAGE_RESUME_STATE_H_
