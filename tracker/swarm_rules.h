#ifndef PYTORRENT_TRACKER_SWARM_RULES_H_
#define PYTORRENT_TRACKER_SWARM_RULES_H_

// What every `SwarmStore` enforces the same way, whatever keeps the state:
// the configured limits, the checks of an announce that need no state, and
// the encoded sizes used to fit listings into one datagram.
//
// Example:
//   if (absl::Status s = CheckAnnounce(request); !s.ok()) return s;  // nothing changed
//
// Pure functions; thread-safe.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "proto/tracker.pb.h"

namespace pytorrent::tracker {

inline constexpr size_t kRootHashBytes = 32;
inline constexpr size_t kMaxEndpointBytes = 200;
inline constexpr size_t kMaxQueryBytes = 255;
// Slots (peers or files) a single page may scan, so a page costs bounded CPU
// however sparse the tables are.
inline constexpr uint32_t kMaxScanPerPage = 4096;

struct RegistryLimits {
  // Peers that may be registered at once.
  uint32_t max_peers = 1'000'000;
  // Files one peer may offer.
  uint32_t max_files_per_peer = 1'000;
  // Distinct files (swarms) known tracker-wide. An announce that would add
  // files past it fails as a whole (RESOURCE_EXHAUSTED); announces of known
  // files still succeed.
  uint32_t max_files = 1'000'000;
  // (peer, file) pairs tracker-wide: the sum over peers of the files each
  // offers. Bounds memory that max_peers x max_files_per_peer would not.
  uint64_t max_holdings = 10'000'000;
  // Peers announce this often; they expire after twice this.
  absl::Duration announce_interval = absl::Seconds(60);
  // Page size when a request asks for 0, and the most a page may hold.
  uint32_t default_page_size = 50;
  uint32_t max_page_size = 200;
  // Peers returned by GetFilePeers when asked for 0, and the most returned.
  uint32_t default_file_peers = 30;
  uint32_t max_file_peers = 64;
};

// The checks of an announce that need no state: peer_id not 0, username,
// endpoint (printable, at most kMaxEndpointBytes), every file (name, 32-byte
// root, geometry per common/file_limits.h: chunk size a power of two from
// 16 KiB to 16 MiB, at most kMaxChunkCount chunks; chunks_have within the
// chunk count), 32-byte removed hashes, no root hash twice in
// `files` or in `removed_root_hashes`. INVALID_ARGUMENT says which failed.
absl::Status CheckAnnounce(const v1::AnnounceRequest& request);

// The file's chunk count (common/file_limits.h ChunkCountFor); checked by
// CheckAnnounce to be at most kMaxChunkCount.
uint32_t ChunkCount(const v1::FileAvailability& file);

// Page size for a request asking `asked` (0: the default), within the cap.
uint32_t PageSize(const RegistryLimits& limits, uint32_t asked);
// Peers for GetFilePeers asking `asked` (0: the default), within the caps.
uint32_t FilePeersWanted(const RegistryLimits& limits, uint32_t asked);

// Encoded size of a varint.
size_t VarintBytes(uint64_t value);

// Encoded size of one element of a repeated message field (or of any
// length-delimited field with a one-byte tag).
inline size_t RepeatedElementBytes(size_t message_bytes) {
  return 1 + VarintBytes(message_bytes) + message_bytes;
}

// Encoded size of one `FilePeer` as an element of a repeated field, without
// building it: peer_id (fixed64, never 0), username and chunk_endpoint
// (omitted when empty), chunks_have (omitted when 0).
size_t FilePeerElementBytes(std::string_view username, std::string_view endpoint,
                            uint32_t chunks_have);

// Lowercases ASCII letters of `query` into `out` (which holds at least
// kMaxQueryBytes); INVALID_ARGUMENT when the query is longer than that.
absl::Status LowerQuery(std::string_view query, char* out, std::string_view* lower);

// Whether `haystack` contains `lower_needle` (already lowercase), ignoring
// ASCII case.
bool ContainsIgnoreCase(std::string_view haystack, std::string_view lower_needle);

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_SWARM_RULES_H_
