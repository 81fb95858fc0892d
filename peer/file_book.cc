#include "peer/file_book.h"

#include <fcntl.h>

#include <tuple>
#include <utility>

namespace pytorrent::peer {

bool FileBook::AddSharedPath(const std::string& path, std::shared_ptr<const Manifest> manifest) {
  const Sha256Digest root = manifest->root;
  if (auto old = root_by_path_.find(path); old != root_by_path_.end() && old->second != root) {
    // The file at `path` was rewritten with other content.
    const Sha256Digest old_root = old->second;
    root_by_path_.erase(old);
    entries_[old_root].shared_paths.erase(path);
    Refresh(old_root);
  }
  const bool added = entries_.count(root) == 0;
  root_by_path_[path] = root;
  entries_[root].shared_paths[path] = std::move(manifest);
  Refresh(root);
  return added;
}

void FileBook::RemoveSharedPath(const std::string& path) {
  auto it = root_by_path_.find(path);
  if (it == root_by_path_.end()) return;
  const Sha256Digest root = it->second;
  root_by_path_.erase(it);
  entries_[root].shared_paths.erase(path);
  Refresh(root);
}

void FileBook::AddPartial(std::shared_ptr<const Manifest> manifest, std::shared_ptr<SharedFd> fd,
                          std::string path, const std::vector<bool>& verified) {
  const Sha256Digest root = manifest->root;
  auto partial = std::make_unique<Partial>();
  const uint32_t count = manifest->chunk_count();
  partial->verified = std::make_shared<std::vector<bool>>(count);
  for (uint32_t c = 0; c < count && c < verified.size(); ++c) {
    if (verified[c]) {
      (*partial->verified)[c] = true;
      ++partial->chunks_have;
    }
  }
  partial->manifest = std::move(manifest);
  partial->fd = std::move(fd);
  partial->path = std::move(path);
  entries_[root].partial = std::move(partial);
  Refresh(root);
}

bool FileBook::MarkChunk(const Sha256Digest& root, uint32_t chunk) {
  auto it = entries_.find(root);
  if (it == entries_.end() || it->second.partial == nullptr) return false;
  Partial& partial = *it->second.partial;
  if (chunk >= partial.verified->size() || (*partial.verified)[chunk]) return false;
  (*partial.verified)[chunk] = true;
  ++partial.chunks_have;
  ++chunks_version_;
  return true;
}

void FileBook::EndDownload(const Sha256Digest& root, const std::string& final_path) {
  auto it = entries_.find(root);
  if (it == entries_.end()) return;
  Entry& entry = it->second;
  if (!final_path.empty() && entry.partial != nullptr) {
    entry.downloaded_path = final_path;
    entry.downloaded_manifest = entry.partial->manifest;
  }
  entry.partial.reset();
  Refresh(root);
}

void FileBook::SetSeedingOff(std::set<Sha256Digest> roots) {
  for (const Sha256Digest& root : roots) {
    if (seeding_off_.count(root) == 0 && entries_.count(root) != 0) withdrawn_.insert(root);
  }
  seeding_off_ = std::move(roots);
  ++files_version_;
}

absl::Status FileBook::SetSeeding(const Sha256Digest& root, bool seeding) {
  if (entries_.count(root) == 0) return absl::NotFoundError("this node does not hold that file");
  if (seeding) {
    if (seeding_off_.erase(root) > 0) ++files_version_;
  } else if (seeding_off_.insert(root).second) {
    withdrawn_.insert(root);
    ++files_version_;
  }
  return absl::OkStatus();
}

std::vector<Sha256Digest> FileBook::TakeWithdrawn() {
  std::vector<Sha256Digest> roots(withdrawn_.begin(), withdrawn_.end());
  withdrawn_.clear();
  return roots;
}

std::vector<HeldFile> FileBook::View() const {
  std::vector<HeldFile> rows;
  rows.reserve(entries_.size());
  for (const auto& [root, entry] : entries_) {
    HeldFile row;
    row.manifest = entry.served.manifest;
    row.complete = entry.complete();
    row.chunks_have = row.complete ? row.manifest->chunk_count() : entry.partial->chunks_have;
    row.seeding = seeding_off_.count(root) == 0;
    rows.push_back(std::move(row));
  }
  return rows;
}

size_t FileBook::partial_files() const {
  size_t n = 0;
  for (const auto& [root, entry] : entries_) n += entry.partial != nullptr ? 1 : 0;
  return n;
}

const ServedFile* FileBook::Find(const Sha256Digest& root) const {
  if (seeding_off_.count(root) != 0) return nullptr;
  auto it = entries_.find(root);
  return it == entries_.end() ? nullptr : &it->second.served;
}

std::shared_ptr<SharedFd> FileBook::OpenForRead(const ServedFile& file) const {
  if (file.fd != nullptr) return file.fd;
  const Sha256Digest& root = file.manifest->root;
  if (auto it = open_.find(root); it != open_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second.second);
    return it->second.first;
  }
  int fd = ::open(file.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return nullptr;
  auto shared = std::make_shared<SharedFd>(fd);
  recent_.push_front(root);
  open_[root] = {shared, recent_.begin()};
  while (open_.size() > kMaxOpenFiles) {
    open_.erase(recent_.back());
    recent_.pop_back();
  }
  return shared;
}

void FileBook::Refresh(const Sha256Digest& root) {
  auto it = entries_.find(root);
  if (it == entries_.end()) return;
  Entry& entry = it->second;
  // What other threads see of this root, before and after.
  auto visible = [](const ServedFile& f) {
    return std::make_tuple(f.has_chunk == nullptr,
                           f.manifest == nullptr ? std::string() : f.manifest->name);
  };
  const bool existed = entry.served.manifest != nullptr;
  const auto before = visible(entry.served);

  ServedFile served;
  if (!entry.downloaded_path.empty()) {
    served.manifest = entry.downloaded_manifest;
    served.path = entry.downloaded_path;
  } else if (!entry.shared_paths.empty()) {
    served.manifest = entry.shared_paths.begin()->second;
    served.path = entry.shared_paths.begin()->first;
  } else if (entry.partial != nullptr) {
    served.manifest = entry.partial->manifest;
    served.path = entry.partial->path;
    served.fd = entry.partial->fd;
    served.has_chunk = [verified = entry.partial->verified](uint32_t c) {
      return c < verified->size() && (*verified)[c];
    };
  } else {
    // No source left: the root is withdrawn.
    CloseOnDemand(root);
    if (existed) {
      if (seeding_off_.count(root) == 0) withdrawn_.insert(root);
      ++files_version_;
    }
    entries_.erase(it);
    return;
  }
  if (served.path != entry.served.path) CloseOnDemand(root);  // opened from elsewhere now
  // The manifest response is built once per root (identical copies share
  // it; a copy under another name is served with the first one's name).
  served.manifest_bytes =
      entry.served.manifest_bytes != nullptr && entry.served.manifest->name == served.manifest->name
          ? entry.served.manifest_bytes
          : std::make_shared<const std::string>(
                ManifestToProto(*served.manifest).SerializeAsString());
  entry.served = std::move(served);
  if (!existed || visible(entry.served) != before) ++files_version_;
}

void FileBook::CloseOnDemand(const Sha256Digest& root) {
  if (auto it = open_.find(root); it != open_.end()) {
    recent_.erase(it->second.second);
    open_.erase(it);
  }
}

}  // namespace pytorrent::peer
