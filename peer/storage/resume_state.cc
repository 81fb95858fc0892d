#include "peer/storage/resume_state.h"

#include <cstring>

#include "peer/storage/atomic_file.h"
#include "peer/storage/byte_codec.h"

namespace pytorrent::peer {
namespace {
constexpr std::string_view kMagic = "PTRS0001";
}  // namespace

ResumeState::ResumeState(const Sha256Digest& root, uint32_t chunk_count)
    : root_(root), chunk_count_(chunk_count), bits_((chunk_count + 7) / 8, '\0') {}

bool ResumeState::Test(uint32_t chunk) const {
  if (chunk >= chunk_count_) return false;
  return (static_cast<uint8_t>(bits_[chunk / 8]) >> (7 - chunk % 8)) & 1;
}

void ResumeState::Set(uint32_t chunk) {
  if (chunk >= chunk_count_ || Test(chunk)) return;
  bits_[chunk / 8] =
      static_cast<char>(static_cast<uint8_t>(bits_[chunk / 8]) | (0x80 >> (chunk % 8)));
  ++count_set_;
}

void ResumeState::Reset(uint32_t chunk) {
  if (chunk >= chunk_count_ || !Test(chunk)) return;
  bits_[chunk / 8] =
      static_cast<char>(static_cast<uint8_t>(bits_[chunk / 8]) & ~(0x80 >> (chunk % 8)));
  --count_set_;
}

std::string ResumeState::Encode() const {
  std::string out(kMagic);
  out.append(reinterpret_cast<const char*>(root_.data()), root_.size());
  PutU32(out, chunk_count_);
  out.append(bits_);
  Sha256Digest check = Sha256::Of(std::string_view(out));
  out.append(reinterpret_cast<const char*>(check.data()), check.size());
  return out;
}

absl::StatusOr<ResumeState> ResumeState::Decode(std::string_view bytes, const Sha256Digest& root,
                                                uint32_t chunk_count) {
  size_t expected = kMagic.size() + 32 + 4 + (static_cast<size_t>(chunk_count) + 7) / 8 + 32;
  if (bytes.size() < kMagic.size() + 32 + 4 + 32 || bytes.substr(0, kMagic.size()) != kMagic) {
    return absl::DataLossError("resume state is truncated or not a resume state");
  }
  std::string_view body = bytes.substr(0, bytes.size() - 32);
  Sha256Digest check = Sha256::Of(body);
  if (std::memcmp(check.data(), bytes.data() + body.size(), 32) != 0) {
    return absl::DataLossError("resume state checksum mismatch");
  }
  ByteReader in(body.substr(kMagic.size()));
  std::string_view stored_root;
  uint32_t stored_count = 0;
  if (!in.Bytes(32, stored_root) || !in.U32(stored_count)) {
    return absl::DataLossError("resume state header is truncated");
  }
  if (std::memcmp(stored_root.data(), root.data(), 32) != 0 || stored_count != chunk_count) {
    return absl::FailedPreconditionError("resume state belongs to another file");
  }
  if (bytes.size() != expected) return absl::DataLossError("resume state has the wrong length");
  ResumeState state(root, chunk_count);
  std::string_view bits;
  in.Bytes(in.remaining(), bits);
  for (uint32_t i = 0; i < chunk_count; ++i) {
    if ((static_cast<uint8_t>(bits[i / 8]) >> (7 - i % 8)) & 1) state.Set(i);
  }
  // Padding bits past chunk_count must be zero.
  if (chunk_count % 8 != 0 &&
      (static_cast<uint8_t>(bits.back()) & (0xff >> (chunk_count % 8))) != 0) {
    return absl::DataLossError("resume state has bits past the last chunk");
  }
  return state;
}

absl::Status ResumeState::Save(const std::string& path) const {
  return WriteFileAtomically(path, Encode());
}

absl::StatusOr<ResumeState> ResumeState::Load(const std::string& path, const Sha256Digest& root,
                                              uint32_t chunk_count) {
  absl::StatusOr<std::string> bytes =
      ReadSmallFile(path, 8 + 32 + 4 + (static_cast<uint64_t>(chunk_count) + 7) / 8 + 32);
  if (!bytes.ok()) {
    if (absl::IsResourceExhausted(bytes.status())) {
      return absl::DataLossError("resume state is longer than expected");
    }
    return bytes.status();
  }
  return Decode(*bytes, root, chunk_count);
}

}  // namespace pytorrent::peer
