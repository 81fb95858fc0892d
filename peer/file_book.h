#ifndef PYTORRENT_PEER_FILE_BOOK_H_
#define PYTORRENT_PEER_FILE_BOOK_H_

// `FileBook` is the one record of the files a node holds, by Merkle root,
// and of every place each one can be read from:
//   - copies in the shared folder (several identical files: several paths;
//     the root is withdrawn only when the last one goes),
//   - a finished download kept in user/downloads (re-seeded),
//   - a download in progress: its partial file and its own bitmap of the
//     verified chunks (not a pointer into the download).
// It decides what the seeder serves (a whole copy before a partial one;
// nothing for a root whose seeding is switched off), what is announced
// (every seeded root with its chunk count) and what is listed as shared
// (complete files), and it keeps the seeding switches.
//
// The seeder reads it through FileCatalog. Whole files are opened on
// demand when a chunk is read, and at most kMaxOpenFiles of them are kept
// open (least recently read closed first): a node that holds thousands of
// files does not hold a descriptor for each.
//
// Example (loop thread):
//   book.AddSharedPath("/home/u/user/shared_files/song.mp3", manifest);
//   book.AddPartial(download_manifest, fd, part_path, verified);
//   book.MarkChunk(root, 17);
//   book.EndDownload(root, "/home/u/user/downloads/movie.mkv");
//   for (const Sha256Digest& r : book.TakeWithdrawn()) seeder.Forget(r);
//   std::vector<HeldFile> rows = book.View();  // published to other threads
//
// Pure bookkeeping apart from opening files for reads. Not thread-safe:
// owned by the node's loop thread; other threads read published copies of
// View().

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/sha256.h"
#include "peer/content/manifest.h"
#include "peer/file_catalog.h"

namespace pytorrent::peer {

// One row of the book as other threads see it.
struct HeldFile {
  std::shared_ptr<const Manifest> manifest;
  uint32_t chunks_have = 0;
  // A whole copy is on disk (else only a download's verified chunks).
  bool complete = false;
  bool seeding = true;
};

class FileBook final : public FileCatalog {
 public:
  // Whole files open at once (beyond it the least recently read is closed;
  // a read in progress keeps its descriptor until it ends).
  static constexpr size_t kMaxOpenFiles = 64;

  // The shared folder holds `manifest`'s file at `path`. A path that held
  // another root before now holds this one. True if the root is new to the
  // book.
  bool AddSharedPath(const std::string& path, std::shared_ptr<const Manifest> manifest);
  // `path` left the shared folder (unknown paths are ignored).
  void RemoveSharedPath(const std::string& path);

  // A download in progress serves its verified chunks (`verified[c]`) from
  // its partial file, read through `fd`.
  void AddPartial(std::shared_ptr<const Manifest> manifest, std::shared_ptr<SharedFd> fd,
                  std::string path, const std::vector<bool>& verified);
  // Chunk `chunk` of the download of `root` was verified. False if no
  // download of `root` is booked or the chunk was already held.
  bool MarkChunk(const Sha256Digest& root, uint32_t chunk);
  // The download of `root` ended: its partial file is no longer read. A
  // non-empty `final_path` is the finished file, kept and served.
  void EndDownload(const Sha256Digest& root, const std::string& final_path);

  // Seeding switches (they outlive the files they name: a switched-off file
  // removed and shared again stays off).
  void SetSeedingOff(std::set<Sha256Digest> roots);
  // NOT_FOUND if the book does not hold `root`.
  absl::Status SetSeeding(const Sha256Digest& root, bool seeding);
  const std::set<Sha256Digest>& seeding_off() const { return seeding_off_; }

  // Roots the seeder served and no longer may (withdrawn or switched off),
  // since the last call.
  std::vector<Sha256Digest> TakeWithdrawn();

  // Every root, in root order.
  std::vector<HeldFile> View() const;
  // Bumped when the set announced changes (roots, their names, seeding, a
  // download finishing); and when a download gains chunks.
  uint64_t files_version() const { return files_version_; }
  uint64_t chunks_version() const { return chunks_version_; }
  bool Holds(const Sha256Digest& root) const { return entries_.count(root) != 0; }
  size_t size() const { return entries_.size(); }
  // Downloads in progress booked.
  size_t partial_files() const;

  // FileCatalog: what the seeder may serve now.
  const ServedFile* Find(const Sha256Digest& root) const override;
  std::shared_ptr<SharedFd> OpenForRead(const ServedFile& file) const override;
  // Files opened on demand and still open.
  size_t open_files() const { return open_.size(); }

 private:
  struct Partial {
    std::shared_ptr<const Manifest> manifest;
    std::shared_ptr<SharedFd> fd;
    std::string path;
    // Shared with the served entry's has_chunk.
    std::shared_ptr<std::vector<bool>> verified;
    uint32_t chunks_have = 0;
  };
  struct Entry {
    // Shared-folder copies (identical content, possibly other names).
    std::map<std::string, std::shared_ptr<const Manifest>> shared_paths;
    std::string downloaded_path;
    std::shared_ptr<const Manifest> downloaded_manifest;
    std::unique_ptr<Partial> partial;
    // What the seeder reads: rebuilt by Refresh when the sources change.
    ServedFile served;
    bool complete() const { return !shared_paths.empty() || !downloaded_path.empty(); }
  };

  // Rebuilds what `root` serves after its sources changed, and drops it
  // when none is left.
  void Refresh(const Sha256Digest& root);
  void CloseOnDemand(const Sha256Digest& root);

  std::map<Sha256Digest, Entry> entries_;
  std::map<std::string, Sha256Digest> root_by_path_;
  std::set<Sha256Digest> seeding_off_;
  std::set<Sha256Digest> withdrawn_;
  uint64_t files_version_ = 0;
  uint64_t chunks_version_ = 0;
  // Opened on demand, most recently read first.
  mutable std::list<Sha256Digest> recent_;
  mutable std::map<Sha256Digest,
                   std::pair<std::shared_ptr<SharedFd>, std::list<Sha256Digest>::iterator>>
      open_;
};

}  // namespace pytorrent::peer

#endif  // PYTORRENT_PEER_FILE_BOOK_H_
