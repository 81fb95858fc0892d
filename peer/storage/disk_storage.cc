#include "peer/storage/disk_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "peer/content/chunk_digest.h"
#include "peer/storage/chunk_verifier.h"
#include "peer/storage/file_hasher.h"
#include "peer/storage/partial_file.h"
#include "peer/storage/resume_writer.h"

namespace pytorrent::peer {

// Declared in this order so the threads stop before the file closes.
struct DiskStorage::Files {
  std::unique_ptr<PartialFile> file;
  std::unique_ptr<FileHasher> hasher;
  std::unique_ptr<ResumeWriter> writer;
};

class DiskStorage::Verifier {
 public:
  Verifier(int fd, int workers, ChunkVerifier::Deliver deliver)
      : pool(fd, workers, std::move(deliver)) {}
  ChunkVerifier pool;
};

namespace {

struct OpenResult {
  std::unique_ptr<PartialFile> file;
  std::unique_ptr<ResumeState> resume;
  uint32_t rechecked = 0;
  uint32_t repaired = 0;
};

// True if the file at `a` was modified after the one at `b`.
bool ModifiedAfter(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) != 0 || ::stat(b.c_str(), &sb) != 0) return true;
  if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec) return sa.st_mtim.tv_sec > sb.st_mtim.tv_sec;
  return sa.st_mtim.tv_nsec > sb.st_mtim.tv_nsec;
}

// Background thread: opens or creates the partial file and decides, chunk by
// chunk, what is verified on disk.
absl::StatusOr<OpenResult> OpenFiles(const DiskStorageOptions& options, const Manifest& manifest,
                                     bool overwrite, const std::string& part_path,
                                     const std::string& resume_path) {
  const std::string dest = options.downloads_dir + "/" + manifest.name;
  if (!overwrite && ::access(dest.c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(dest + " exists; download with overwrite to replace it");
  }
  OpenResult out;
  absl::StatusOr<std::unique_ptr<PartialFile>> file =
      PartialFile::Open(part_path, manifest.size_bytes);
  if (!file.ok()) return file.status();
  out.file = *std::move(file);
  const uint32_t count = manifest.chunk_count();
  out.resume = std::make_unique<ResumeState>(options.root, count);
  if (!out.file->reused()) {
    ::unlink(resume_path.c_str());
    return out;
  }
  absl::StatusOr<ResumeState> loaded = ResumeState::Load(resume_path, options.root, count);
  if (loaded.ok()) {
    *out.resume = *std::move(loaded);
  } else if (!absl::IsNotFound(loaded.status())) {
    PT_LOG_WARN("ignoring resume state of {}: {}", manifest.name, loaded.status().ToString());
  }
  // Data written after the state was saved (a crash, or someone else) may
  // have damaged chunks the state lists: then every listed chunk is checked
  // again; otherwise an evenly spread sample of them.
  const bool stale = loaded.ok() && ModifiedAfter(part_path, resume_path);
  const uint32_t listed = out.resume->CountSet();
  const uint32_t sample_every =
      std::max<uint32_t>(1, listed / std::max<uint32_t>(1, options.resume_sample_chunks));
  std::vector<uint8_t> scratch(manifest.chunk_size_bytes);
  ChunkDigester digester;
  uint32_t listed_seen = 0;
  for (uint32_t c = 0; c < count; ++c) {
    const bool is_listed = out.resume->Test(c);
    bool check = !is_listed || stale;
    if (is_listed && !stale) {
      check = options.resume_sample_chunks > 0 && listed_seen % sample_every == 0;
    }
    if (is_listed) ++listed_seen;
    if (!check) continue;
    const uint32_t length = manifest.ChunkLength(c);
    const bool good =
        out.file->Read(manifest.ChunkOffset(c), absl::MakeSpan(scratch.data(), length)).ok() &&
        digester.DigestChunk(absl::MakeConstSpan(scratch.data(), length)) ==
            manifest.chunk_hashes[c];
    ++out.rechecked;
    if (is_listed && !good) {
      out.resume->Reset(c);
      ++out.repaired;
    } else if (!is_listed && good) {
      out.resume->Set(c);
    }
  }
  if (out.repaired > 0) {
    PT_LOG_WARN("{}: {} chunks listed as verified were damaged on disk; fetching them again",
                manifest.name, out.repaired);
  }
  return out;
}

// Background thread: chunks whose bytes on disk do not match the manifest.
std::vector<uint32_t> FindBadChunks(const PartialFile& file, const Manifest& manifest) {
  std::vector<uint32_t> bad;
  std::vector<uint8_t> scratch(manifest.chunk_size_bytes);
  ChunkDigester digester;
  for (uint32_t c = 0; c < manifest.chunk_count(); ++c) {
    const uint32_t length = manifest.ChunkLength(c);
    const bool good =
        file.Read(manifest.ChunkOffset(c), absl::MakeSpan(scratch.data(), length)).ok() &&
        digester.DigestChunk(absl::MakeConstSpan(scratch.data(), length)) ==
            manifest.chunk_hashes[c];
    if (!good) bad.push_back(c);
  }
  return bad;
}

}  // namespace

DiskStorage::DiskStorage(DiskStorageOptions options, Sink& sink, Poster post,
                         BackgroundExecutor& background)
    : options_(std::move(options)), sink_(sink), post_(std::move(post)), background_(background) {}

DiskStorage::~DiskStorage() { Close(/*discard=*/false); }

std::string DiskStorage::PartialPath() const {
  return options_.state_dir + "/" + ToHex(options_.root) + ".part";
}

std::string DiskStorage::ResumePath() const {
  return options_.state_dir + "/" + ToHex(options_.root) + ".resume";
}

int DiskStorage::fd() const {
  return files_ != nullptr && files_->file != nullptr ? files_->file->fd() : -1;
}

void DiskStorage::PostBack(std::function<void()> deliver) {
  post_([live = live_, deliver = std::move(deliver)] {
    if (live->alive) deliver();
  });
}

void DiskStorage::Open(std::shared_ptr<const Manifest> manifest, bool overwrite) {
  manifest_ = std::move(manifest);
  overwrite_ = overwrite;
  auto result = std::make_shared<absl::StatusOr<OpenResult>>(absl::UnknownError("not run"));
  const std::string part = PartialPath(), resume = ResumePath();
  background_.Submit([this, options = options_, manifest = manifest_, overwrite, part, resume,
                      result, live = live_, post = post_] {
    *result = OpenFiles(options, *manifest, overwrite, part, resume);
    post([this, live, result, part, resume] {
      if (!live->alive) {
        // Cancelled while opening: nothing may stay behind.
        if (result->ok() && live->discard) {
          (*result)->file.reset();
          ::unlink(part.c_str());
          ::unlink(resume.c_str());
        }
        return;
      }
      if (!result->ok()) {
        sink_.OnOpened(result->status());
        return;
      }
      files_ = std::make_shared<Files>();
      files_->file = std::move((*result)->file);
      resume_ = std::move((*result)->resume);
      path_ = files_->file->path();
      Opened opened;
      opened.rechecked = (*result)->rechecked;
      opened.repaired = (*result)->repaired;
      opened.verified.resize(resume_->chunk_count());
      for (uint32_t c = 0; c < resume_->chunk_count(); ++c) opened.verified[c] = resume_->Test(c);
      resume_dirty_ = resume_->CountSet() > 0 || opened.repaired > 0;
      StartPipeline();
      sink_.OnOpened(std::move(opened));
    });
  });
}

void DiskStorage::StartPipeline() {
  const int fd = files_->file->fd();
  files_->hasher =
      std::make_unique<FileHasher>(fd, manifest_->size_bytes, manifest_->chunk_size_bytes);
  // Once synced and hashed, written data is not needed in memory: drop it from
  // the page cache so the footprint stays flat from 256 MiB to many GiB.
  files_->writer =
      std::make_unique<ResumeWriter>(fd, ResumePath(), [fd, hashed = files_->hasher->progress()] {
        const uint64_t bytes = hashed->load(std::memory_order_acquire);
        if (bytes > 0) ::posix_fadvise(fd, 0, static_cast<off_t>(bytes), POSIX_FADV_DONTNEED);
      });
  verifier_ = std::make_unique<Verifier>(
      fd, options_.verify_workers,
      [post = post_, live = live_, this](std::vector<ChunkVerifier::Result> results) {
        auto shared = std::make_shared<std::vector<ChunkVerifier::Result>>(std::move(results));
        post([live, shared, this] {
          if (!live->alive) return;
          std::vector<Stored> stored;
          stored.reserve(shared->size());
          for (ChunkVerifier::Result& r : *shared) {
            stored.push_back({.tag = r.tag,
                              .chunk = r.chunk,
                              .status = std::move(r.status),
                              .data = std::move(r.data)});
          }
          sink_.OnStored(std::move(stored));
        });
      });
  hash_cursor_ = 0;
  fed_end_ = 0;
  reorder_.clear();
  AdvanceFileHash();
}

void DiskStorage::Store(uint32_t tag, uint32_t chunk, ChunkBytes bytes) {
  if (verifier_ == nullptr || finalizing_ || chunk >= manifest_->chunk_count()) return;
  verifier_->pool.Submit({.tag = tag,
                          .chunk = chunk,
                          .offset = manifest_->ChunkOffset(chunk),
                          .expected = manifest_->chunk_hashes[chunk],
                          .data = std::move(bytes)});
}

void DiskStorage::Commit(uint32_t chunk, ChunkBytes bytes) {
  if (resume_ == nullptr || chunk >= resume_->chunk_count() || resume_->Test(chunk)) return;
  resume_->Set(chunk);
  resume_dirty_ = true;
  // Keep the bytes for the whole-file hash if they are within the reorder
  // window just ahead of its position; otherwise it reads them back later.
  const uint64_t window_chunks = std::max<uint64_t>(
      1, options_.hash_reorder_window_bytes / std::max<uint32_t>(1, manifest_->chunk_size_bytes));
  if (!bytes.empty() && chunk >= hash_cursor_ && chunk - hash_cursor_ < window_chunks) {
    reorder_[chunk] = std::move(bytes);
  }
  AdvanceFileHash();
}

void DiskStorage::AdvanceFileHash() {
  if (files_ == nullptr || files_->hasher == nullptr) return;
  const uint32_t count = manifest_->chunk_count();
  const uint64_t hashed = files_->hasher->progress()->load(std::memory_order_acquire);
  while (hash_cursor_ < count && resume_->Test(hash_cursor_)) {
    if (auto it = reorder_.find(hash_cursor_); it != reorder_.end()) {
      const uint64_t offset = manifest_->ChunkOffset(hash_cursor_);
      // Bound what the hasher holds but has not hashed yet; past that it
      // reads these bytes back from disk instead.
      if (fed_end_ <= hashed + options_.hash_reorder_window_bytes) {
        files_->hasher->Feed(offset, it->second.span(), it->second.owner);
        fed_end_ = offset + it->second.size;
      }
      reorder_.erase(it);
    }
    ++hash_cursor_;
  }
  while (!reorder_.empty() && reorder_.begin()->first < hash_cursor_) {
    reorder_.erase(reorder_.begin());
  }
  const uint64_t prefix =
      hash_cursor_ == count ? manifest_->size_bytes : manifest_->ChunkOffset(hash_cursor_);
  files_->hasher->AdvanceTo(prefix);
}

void DiskStorage::SaveResume() {
  if (!resume_dirty_ || finalizing_ || files_ == nullptr || files_->writer == nullptr) return;
  // The writer syncs the data before saving the state that claims it.
  files_->writer->Submit(*resume_);
  resume_dirty_ = false;
}

void DiskStorage::Finalize() {
  if (files_ == nullptr || finalizing_) return;
  finalizing_ = true;
  reorder_.clear();
  auto result = std::make_shared<Finalized>();
  background_.Submit([this, files = files_, manifest = manifest_, options = options_,
                      overwrite = overwrite_, resume = ResumePath(), result, post = post_,
                      live = live_] {
    // Every chunk is in: no more state saves (the state file goes below).
    files->writer->Stop();
    absl::StatusOr<Sha256Digest> hashed = files->hasher->Wait();
    if (!hashed.ok()) hashed = files->file->HashAll();
    if (!hashed.ok()) {
      result->status = hashed.status();
    } else if (*hashed != manifest->file_sha256) {
      // Something on disk is wrong although each chunk passed its check when
      // it arrived (damage since, or a state that claimed too much): find
      // which chunks, keep the rest.
      result->bad_chunks = FindBadChunks(*files->file, *manifest);
      result->status = absl::DataLossError(
          result->bad_chunks.empty()
              ? std::string("whole-file SHA-256 does not match the manifest, though every chunk "
                            "matches its digest: the manifest is inconsistent")
              : absl::StrCat("whole-file SHA-256 does not match the manifest: ",
                             result->bad_chunks.size(), " chunks were bad on disk"));
    } else if (absl::Status s =
                   files->file->Publish(options.downloads_dir, manifest->name, overwrite);
               !s.ok()) {
      result->status = s;
    } else {
      ::unlink(resume.c_str());
      result->path = files->file->path();
    }
    post([this, live, result] {
      if (!live->alive) return;
      finalizing_ = false;
      if (!result->bad_chunks.empty()) {
        // Back to downloading: the bad chunks no longer count, the whole-file
        // hash starts over, the corrected state is saved.
        for (uint32_t c : result->bad_chunks) resume_->Reset(c);
        resume_dirty_ = true;
        StartPipeline();
        SaveResume();
      } else if (result->status.ok()) {
        path_ = result->path;
      }
      sink_.OnFinalized(std::move(*result));
    });
  });
}

void DiskStorage::Close(bool discard) {
  if (!live_->alive) return;
  live_->alive = false;
  live_->discard = discard;
  // Joins the check-and-write workers: at most one batch in progress.
  verifier_.reset();
  std::shared_ptr<Files> files = std::move(files_);
  const std::string part = PartialPath(), resume = ResumePath();
  if (files == nullptr) {
    // Never opened (or still opening: the open's completion cleans up).
    if (discard) {
      ::unlink(part.c_str());
      ::unlink(resume.c_str());
    }
    return;
  }
  std::shared_ptr<ResumeState> last;
  if (!discard && resume_dirty_ && !finalizing_) last = std::make_shared<ResumeState>(*resume_);
  // The last save (or the deletion) runs in the background: fsync and
  // joining threads never hold up the loop.
  background_.Submit([files, discard, last, part, resume] {
    if (discard) {
      files->writer.reset();
      files->hasher.reset();
      files->file.reset();
      ::unlink(part.c_str());
      ::unlink(resume.c_str());
      return;
    }
    if (files->writer != nullptr) {
      if (last != nullptr) files->writer->Submit(*last);
      files->writer->Stop();
    }
  });
}

}  // namespace pytorrent::peer
