#include "peer/content/manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/names.h"
#include "peer/content/chunk_digest.h"
#include "peer/content/merkle.h"
#include "peer/storage/errno_status.h"

namespace pytorrent::peer {

// Every chunk is a whole, aligned subtree of 16 KiB Merkle blocks.
static_assert(kMinChunkSizeBytes % kMerkleBlockBytes == 0);

uint32_t Manifest::ChunkLength(uint32_t chunk) const {
  uint64_t offset = ChunkOffset(chunk);
  if (offset >= size_bytes) return 0;
  uint64_t left = size_bytes - offset;
  return static_cast<uint32_t>(left < chunk_size_bytes ? left : chunk_size_bytes);
}

absl::StatusOr<Manifest> BuildManifest(const std::string& path, const std::string& name,
                                       uint32_t chunk_size_bytes) {
  if (absl::Status s = ValidateFileName(name); !s.ok()) return s;
  if (absl::Status s = ValidateChunkSize(chunk_size_bytes); !s.ok()) return s;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("open ", path));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, absl::StrCat("stat ", path));
  if (!S_ISREG(st.st_mode)) return absl::InvalidArgumentError(path + " is not a regular file");
  Manifest manifest;
  manifest.name = name;
  manifest.size_bytes = static_cast<uint64_t>(st.st_size);
  manifest.chunk_size_bytes = chunk_size_bytes;
  uint64_t count = ChunkCountFor(manifest.size_bytes, chunk_size_bytes);
  if (count > kMaxChunkCount) {
    return absl::InvalidArgumentError(absl::StrCat(path, " needs ", count, " chunks, more than ",
                                                   kMaxChunkCount, "; use a larger chunk size"));
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  manifest.chunk_hashes.resize(count);
  // Read a window of whole chunks at a time (at least 1 MiB, so small
  // chunks still fill the multi-buffer hasher's lanes), feed it to the
  // whole-file hash, and digest its chunks in one batch.
  const uint64_t window_chunks = std::max<uint64_t>(1, (1u << 20) / chunk_size_bytes);
  const uint64_t window_bytes = window_chunks * chunk_size_bytes;
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[window_bytes]);
  std::vector<absl::Span<const uint8_t>> chunks;
  chunks.reserve(window_chunks);
  ChunkDigester digester;
  Sha256 whole;
  for (uint64_t first = 0; first < count; first += window_chunks) {
    const uint64_t offset = first * chunk_size_bytes;
    const uint64_t length = std::min<uint64_t>(window_bytes, manifest.size_bytes - offset);
    uint64_t done = 0;
    while (done < length) {
      ssize_t n = ::pread(fd, buffer.get() + done, length - done, offset + done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus(errno, absl::StrCat("read ", path));
      if (n == 0) return absl::AbortedError(path + " shrank while being hashed");
      done += static_cast<uint64_t>(n);
    }
    whole.Update(absl::MakeConstSpan(buffer.get(), length));
    chunks.clear();
    for (uint64_t at = 0; at < length; at += chunk_size_bytes) {
      chunks.emplace_back(buffer.get() + at, std::min<uint64_t>(chunk_size_bytes, length - at));
    }
    digester.DigestChunks(chunks, absl::MakeSpan(&manifest.chunk_hashes[first], chunks.size()));
  }
  struct stat after {};
  if (::fstat(fd, &after) != 0 || after.st_size != st.st_size ||
      after.st_mtim.tv_sec != st.st_mtim.tv_sec || after.st_mtim.tv_nsec != st.st_mtim.tv_nsec) {
    return absl::AbortedError(path + " changed while being hashed");
  }
  manifest.file_sha256 = whole.Finish();
  manifest.root = MerkleRoot(manifest.chunk_hashes);
  return manifest;
}

v1::ManifestResponse ManifestToProto(const Manifest& manifest) {
  v1::ManifestResponse proto;
  proto.set_root_hash(DigestToBytes(manifest.root));
  proto.set_name(manifest.name);
  proto.set_size_bytes(manifest.size_bytes);
  proto.set_chunk_size_bytes(manifest.chunk_size_bytes);
  std::string* hashes = proto.mutable_chunk_hashes();
  hashes->reserve(manifest.chunk_hashes.size() * 32);
  for (const Sha256Digest& d : manifest.chunk_hashes) {
    hashes->append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  proto.set_file_sha256(DigestToBytes(manifest.file_sha256));
  return proto;
}

absl::StatusOr<Manifest> ManifestFromProto(const v1::ManifestResponse& proto,
                                           const Sha256Digest& expected_root) {
  Manifest manifest;
  if (absl::Status s = ValidateFileName(proto.name()); !s.ok()) return s;
  if (absl::Status s = ValidateChunkSize(proto.chunk_size_bytes()); !s.ok()) return s;
  Sha256Digest root{};
  if (!DigestFromBytes(proto.root_hash(), root)) {
    return absl::InvalidArgumentError("root_hash must be 32 bytes");
  }
  if (root != expected_root) return absl::DataLossError("manifest is for another root hash");
  if (!DigestFromBytes(proto.file_sha256(), manifest.file_sha256)) {
    return absl::InvalidArgumentError("file_sha256 must be 32 bytes");
  }
  uint64_t count = ChunkCountFor(proto.size_bytes(), proto.chunk_size_bytes());
  if (count > kMaxChunkCount) return absl::InvalidArgumentError("too many chunks");
  if (proto.chunk_hashes().size() != count * 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chunk_hashes must hold ", count, " digests of 32 bytes for size ", proto.size_bytes()));
  }
  manifest.name = proto.name();
  manifest.size_bytes = proto.size_bytes();
  manifest.chunk_size_bytes = proto.chunk_size_bytes();
  manifest.chunk_hashes.resize(count);
  for (uint64_t i = 0; i < count; ++i) {
    std::memcpy(manifest.chunk_hashes[i].data(), proto.chunk_hashes().data() + i * 32, 32);
  }
  if (absl::Status s = VerifyHashList(manifest.chunk_hashes, expected_root); !s.ok()) return s;
  manifest.root = expected_root;
  return manifest;
}

}  // namespace pytorrent::peer
