#include "peer/node_identity.h"

#include <sys/stat.h>

#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/sha256.h"
#include "peer/storage/atomic_file.h"

namespace pytorrent::peer {
namespace {

constexpr size_t kMaxIdentityBytes = 4096;

std::string Hex16(uint64_t v) { return absl::StrFormat("%016x", v); }

std::string CheckOf(uint64_t peer_id, uint64_t peer_key) {
  return ToHex(Sha256::Of(absl::StrCat(Hex16(peer_id), ":", Hex16(peer_key)))).substr(0, 16);
}

bool ParseHex16(std::string_view text, uint64_t& out) {
  if (text.size() != 16) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return absl::SimpleHexAtoi(absl::string_view(text.data(), text.size()), &out);
}

}  // namespace

std::string EncodeNodeIdentity(const NodeIdentity& identity) {
  return absl::StrCat(
      "# PyTorrent node identity: keep it private (the key proves this node to the\n"
      "# tracker). Delete it only to start as a new node.\n",
      "peer_id=", Hex16(identity.peer_id), "\n", "peer_key=", Hex16(identity.peer_key), "\n",
      "check=", CheckOf(identity.peer_id, identity.peer_key), "\n");
}

absl::StatusOr<NodeIdentity> DecodeNodeIdentity(std::string_view text) {
  std::map<std::string, std::string, std::less<>> fields;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == absl::string_view::npos) return absl::DataLossError("a line without '='");
    if (!fields.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1))).second) {
      return absl::DataLossError(absl::StrCat("'", line.substr(0, eq), "' appears twice"));
    }
  }
  NodeIdentity identity;
  uint64_t check = 0, want = 0;
  for (const auto& [key, target] : std::vector<std::pair<std::string, uint64_t*>>{
           {"peer_id", &identity.peer_id}, {"peer_key", &identity.peer_key}, {"check", &check}}) {
    auto it = fields.find(key);
    if (it == fields.end()) return absl::DataLossError(absl::StrCat("no ", key, " line"));
    if (!ParseHex16(it->second, *target)) {
      return absl::DataLossError(absl::StrCat(key, " is not 16 lower-case hex digits"));
    }
  }
  if (fields.size() != 3) return absl::DataLossError("unexpected lines");
  if (identity.peer_id == 0) return absl::DataLossError("peer_id is 0");
  ParseHex16(CheckOf(identity.peer_id, identity.peer_key), want);
  if (check != want) return absl::DataLossError("check does not match peer_id and peer_key");
  return identity;
}

absl::StatusOr<NodeIdentity> LoadOrCreateNodeIdentity(const std::string& path,
                                                      const std::function<uint64_t()>& random) {
  absl::StatusOr<std::string> text = ReadSmallFile(path, kMaxIdentityBytes);
  if (text.ok()) {
    absl::StatusOr<NodeIdentity> identity = DecodeNodeIdentity(*text);
    if (!identity.ok()) {
      return absl::DataLossError(
          absl::StrCat(path, " is damaged (", identity.status().message(),
                       "); restore it from a backup, or move it away to start as a new node"));
    }
    return identity;
  }
  if (absl::IsResourceExhausted(text.status())) {
    return absl::DataLossError(absl::StrCat(path, " is damaged (too long); restore it from a ",
                                            "backup, or move it away to start as a new node"));
  }
  if (!absl::IsNotFound(text.status())) return text.status();
  NodeIdentity identity;
  while (identity.peer_id == 0) identity.peer_id = random();
  identity.peer_key = random();
  if (absl::Status s = WriteFileAtomically(path, EncodeNodeIdentity(identity), S_IRUSR | S_IWUSR);
      !s.ok()) {
    return s;
  }
  return identity;
}

}  // namespace pytorrent::peer
