#include "peer/storage/chunk_verifier.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "peer/content/chunk_digest.h"

namespace pytorrent::peer {
namespace {

// Jobs one worker takes in one go: 8 default chunks are 2 MiB, 128 blocks.
constexpr size_t kMaxBatchJobs = 8;

absl::Status WriteAll(int fd, uint64_t offset, const uint8_t* data, size_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = ::pwrite(fd, data + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (errno == ENOSPC || errno == EDQUOT) {
        return absl::ResourceExhaustedError("disk full writing a chunk");
      }
      if (errno == EFBIG) {
        return absl::ResourceExhaustedError("file size limit reached writing a chunk");
      }
      return absl::InternalError(absl::StrCat("writing a chunk: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

ChunkVerifier::ChunkVerifier(int fd, int workers, Deliver deliver)
    : pool_(
          workers, kMaxBatchJobs,
          [fd] {
            // Each worker's own digester and scratch, captured by its function.
            auto digester = std::make_shared<ChunkDigester>();
            auto spans = std::make_shared<std::vector<absl::Span<const uint8_t>>>();
            auto digests = std::make_shared<std::vector<Sha256Digest>>();
            return
                [fd, digester, spans, digests](std::vector<Job>& batch, std::vector<Result>& done) {
                  spans->clear();
                  for (const Job& job : batch) spans->push_back(job.data.span());
                  digests->resize(batch.size());
                  digester->DigestChunks(*spans, absl::MakeSpan(*digests));
                  for (size_t i = 0; i < batch.size(); ++i) {
                    Job& job = batch[i];
                    Result result;
                    result.tag = job.tag;
                    result.chunk = job.chunk;
                    result.offset = job.offset;
                    if ((*digests)[i] != job.expected) {
                      result.status = absl::DataLossError("chunk failed its SHA-256 check");
                    } else {
                      result.status = WriteAll(fd, job.offset, job.data.data, job.data.size);
                    }
                    result.data = std::move(job.data);
                    done.push_back(std::move(result));
                  }
                };
          },
          std::move(deliver)) {}

}  // namespace pytorrent::peer
