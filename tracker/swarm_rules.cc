#include "tracker/swarm_rules.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "common/file_limits.h"
#include "common/names.h"

namespace pytorrent::tracker {

namespace {

absl::Status CheckEndpoint(std::string_view endpoint) {
  if (endpoint.size() > kMaxEndpointBytes) {
    return absl::InvalidArgumentError("chunk endpoint is too long");
  }
  for (char c : endpoint) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return absl::InvalidArgumentError("chunk endpoint must be printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckFile(const v1::FileAvailability& f) {
  if (absl::Status s = ValidateFileName(f.name()); !s.ok()) return s;
  if (f.root_hash().size() != kRootHashBytes) {
    return absl::InvalidArgumentError("root hash must be 32 bytes");
  }
  // Chunk counts and indices are uint32 on the wire, and a manifest carries
  // at most kMaxChunkCount digests: refuse what no peer could transfer.
  if (absl::Status s = ValidateFileGeometry(f.size_bytes(), f.chunk_size_bytes()); !s.ok()) {
    return s;
  }
  if (f.chunks_have() > ChunkCount(f)) {
    return absl::InvalidArgumentError("chunks_have exceeds the file's chunk count");
  }
  return absl::OkStatus();
}

}  // namespace

uint32_t ChunkCount(const v1::FileAvailability& f) {
  // At most kMaxChunkCount once CheckAnnounce passed; the guard keeps an
  // unchecked file from dividing by zero.
  return static_cast<uint32_t>(
      ChunkCountFor(f.size_bytes(), std::max<uint64_t>(f.chunk_size_bytes(), 1)));
}

absl::Status CheckAnnounce(const v1::AnnounceRequest& request) {
  if (request.peer_id() == 0) return absl::InvalidArgumentError("peer_id must not be 0");
  if (absl::Status s = ValidateUsername(request.username()); !s.ok()) return s;
  if (absl::Status s = CheckEndpoint(request.chunk_endpoint()); !s.ok()) return s;
  for (const v1::FileAvailability& f : request.files()) {
    if (absl::Status s = CheckFile(f); !s.ok()) return s;
  }
  for (const std::string& r : request.removed_root_hashes()) {
    if (r.size() != kRootHashBytes) return absl::InvalidArgumentError("root hash must be 32 bytes");
  }
  // Duplicates make the file count ambiguous: reject them.
  const int n_files = request.files_size();
  if (n_files + request.removed_root_hashes_size() > 1) {
    absl::flat_hash_set<std::string_view> seen_files, seen_removed;
    for (const v1::FileAvailability& f : request.files()) {
      if (!seen_files.insert(f.root_hash()).second) {
        return absl::InvalidArgumentError("a root hash appears twice in files");
      }
    }
    for (const std::string& r : request.removed_root_hashes()) {
      if (!seen_removed.insert(r).second) {
        return absl::InvalidArgumentError("a root hash appears twice in removed_root_hashes");
      }
    }
  }
  return absl::OkStatus();
}

uint32_t PageSize(const RegistryLimits& limits, uint32_t asked) {
  return std::min(asked == 0 ? limits.default_page_size : asked, limits.max_page_size);
}

uint32_t FilePeersWanted(const RegistryLimits& limits, uint32_t asked) {
  return std::min(asked == 0 ? limits.default_file_peers : asked, limits.max_file_peers);
}

size_t VarintBytes(uint64_t value) {
  size_t bytes = 1;
  for (; value >= 0x80; value >>= 7) ++bytes;
  return bytes;
}

// FilePeerElementBytes counts one tag byte per field and 8 bytes for the
// fixed64 peer id: true while every field number is below 16.
static_assert(v1::FilePeer::kPeerIdFieldNumber < 16 && v1::FilePeer::kUsernameFieldNumber < 16 &&
              v1::FilePeer::kChunkEndpointFieldNumber < 16 &&
              v1::FilePeer::kChunksHaveFieldNumber < 16);
// RepeatedElementBytes assumes a one-byte tag for the repeated fields that
// hold listings.
static_assert(v1::GetFilePeersResponse::kPeersFieldNumber < 16 &&
              v1::AnnounceResponse::kPeersFieldNumber < 16);
static_assert(v1::ListPeersResponse::kPeersFieldNumber < 16);
static_assert(v1::SearchFilesResponse::kFilesFieldNumber < 16);

size_t FilePeerElementBytes(std::string_view username, std::string_view endpoint,
                            uint32_t chunks_have) {
  size_t bytes = 1 + sizeof(uint64_t);  // peer_id: tag + fixed64
  if (!username.empty()) bytes += RepeatedElementBytes(username.size());
  if (!endpoint.empty()) bytes += RepeatedElementBytes(endpoint.size());
  if (chunks_have != 0) bytes += 1 + VarintBytes(chunks_have);
  return RepeatedElementBytes(bytes);
}

absl::Status LowerQuery(std::string_view query, char* out, std::string_view* lower) {
  if (query.size() > kMaxQueryBytes) return absl::InvalidArgumentError("query is too long");
  for (size_t i = 0; i < query.size(); ++i) {
    out[i] = absl::ascii_tolower(static_cast<unsigned char>(query[i]));
  }
  *lower = std::string_view(out, query.size());
  return absl::OkStatus();
}

bool ContainsIgnoreCase(std::string_view haystack, std::string_view lower_needle) {
  if (lower_needle.empty()) return true;
  if (haystack.size() < lower_needle.size()) return false;
  for (size_t i = 0; i + lower_needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < lower_needle.size() &&
           absl::ascii_tolower(static_cast<unsigned char>(haystack[i + j])) == lower_needle[j]) {
      ++j;
    }
    if (j == lower_needle.size()) return true;
  }
  return false;
}

}  // namespace pytorrent::tracker
