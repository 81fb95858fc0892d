#include "peer/content/chunk_digest.h"

#ifdef PYTORRENT_HAVE_IPSEC_MB
// The library's 0.53 compatibility names (SHA1, SHA_256, ...) collide with
// OpenSSL's functions.
#define NO_COMPAT_IMB_API_053
#include <intel-ipsec-mb.h>
#endif

#include <atomic>
#include <cstring>
#include <string>

#include "common/log.h"
#include "peer/content/merkle.h"

namespace pytorrent::peer {

namespace chunk_digest_internal {

// One block to hash and where its digest goes.
struct Block {
  const uint8_t* data;
  uint32_t length;
  Sha256Digest* out;
};

}  // namespace chunk_digest_internal

using chunk_digest_internal::Block;

namespace {

#ifdef PYTORRENT_HAVE_IPSEC_MB
// Lanes of the AVX-512 SHA-256 code: a wide manager is only efficient when
// this many blocks are in flight.
constexpr size_t kWideLanes = 16;

struct MgrDeleter {
  void operator()(IMB_MGR* m) const { free_mb_mgr(m); }
};
using MgrPtr = std::unique_ptr<IMB_MGR, MgrDeleter>;

// Hashes every block with `mgr`; false if the library refused any job (the
// caller then hashes the batch with OpenSSL).
bool RunJobs(IMB_MGR* mgr, absl::Span<const Block> blocks) {
  bool ok = true;
  auto drain = [&ok, mgr](IMB_JOB* done) {
    while (done != nullptr) {
      if (done->status != IMB_STATUS_COMPLETED) ok = false;
      done = IMB_GET_COMPLETED_JOB(mgr);
    }
  };
  for (const Block& b : blocks) {
    IMB_JOB* job = IMB_GET_NEXT_JOB(mgr);
    std::memset(job, 0, sizeof(*job));
    job->cipher_mode = IMB_CIPHER_NULL;
    job->cipher_direction = IMB_DIR_ENCRYPT;
    job->chain_order = IMB_ORDER_HASH_CIPHER;
    job->hash_alg = IMB_AUTH_SHA_256;
    job->src = b.data;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = b.length;
    job->auth_tag_output = b.out->data();
    job->auth_tag_output_len_in_bytes = b.out->size();
    drain(IMB_SUBMIT_JOB(mgr));
  }
  IMB_JOB* done;
  while ((done = IMB_FLUSH_JOB(mgr)) != nullptr) {
    if (done->status != IMB_STATUS_COMPLETED) ok = false;
  }
  return ok;
}

#endif  // PYTORRENT_HAVE_IPSEC_MB

void RunOpenSsl(absl::Span<const Block> blocks) {
  for (const Block& b : blocks) *b.out = Sha256::Of(absl::MakeConstSpan(b.data, b.length));
}

#ifdef PYTORRENT_HAVE_IPSEC_MB
const char* ArchName(uint32_t arch) {
  switch (arch) {
    case IMB_ARCH_NOAESNI:
      return "noaesni";
    case IMB_ARCH_SSE:
      return "sse";
    case IMB_ARCH_AVX:
      return "avx";
    case IMB_ARCH_AVX2:
      return "avx2";
    case IMB_ARCH_AVX512:
      return "avx512";
    default:
      return "unknown";
  }
}

#endif  // PYTORRENT_HAVE_IPSEC_MB

}  // namespace

struct ChunkDigester::MultiBuffer {
#ifdef PYTORRENT_HAVE_IPSEC_MB
  // The best manager for this CPU: AVX-512 (16 lanes) or, without it,
  // SHA-NI with 2 lanes when the CPU has it, or SSE/AVX lanes.
  MgrPtr mgr;
  // AVX-512 lanes are slow one by one (~0.36 GB/s each here): a tail of
  // fewer than half a group goes to OpenSSL (one stream at ~2 GB/s)
  // instead. (A second, SHA-NI manager for tails would cost ~1.3 MiB of
  // resident memory per digester; at the default chunk size only a file's
  // last chunk has a tail.)
  bool wide = false;
#endif
  std::string name;
};

namespace {
std::atomic<ChunkDigester::Engine> process_default{ChunkDigester::Engine::kMultiBuffer};
}  // namespace

void ChunkDigester::SetProcessDefault(Engine engine) {
  process_default.store(engine == Engine::kProcessDefault ? Engine::kMultiBuffer : engine);
}

ChunkDigester::ChunkDigester(Engine engine) {
  if (engine == Engine::kProcessDefault) engine = process_default.load();
  if (engine == Engine::kOpenSsl) return;
#ifdef PYTORRENT_HAVE_IPSEC_MB
  auto multi = std::make_unique<MultiBuffer>();
  multi->mgr.reset(alloc_mb_mgr(0));
  if (multi->mgr == nullptr) return;
  init_mb_mgr_auto(multi->mgr.get(), nullptr);
  if (imb_get_errno(multi->mgr.get()) != 0) {
    PT_LOG_INFO("multi-buffer SHA-256 unavailable ({}); hashing with OpenSSL",
                imb_get_strerror(imb_get_errno(multi->mgr.get())));
    return;
  }
  const uint32_t arch = multi->mgr->used_arch;
  multi->wide = arch == IMB_ARCH_AVX512;
  multi->name = std::string("ipsec-mb ") + ArchName(arch);
  if ((multi->mgr->features & IMB_FEATURE_SHANI) != 0) multi->name += "+sha-ni";
  multi_ = std::move(multi);
#endif
}

ChunkDigester::~ChunkDigester() = default;

std::string_view ChunkDigester::engine_name() const {
  return multi_ != nullptr ? std::string_view(multi_->name) : std::string_view("openssl");
}

namespace {

// Appends the 16 KiB blocks of `bytes` to `blocks`, their digests going to
// consecutive elements from `out`.
void AppendBlocks(absl::Span<const uint8_t> bytes, Sha256Digest* out, std::vector<Block>& blocks) {
  for (uint64_t offset = 0; offset < bytes.size(); offset += kMerkleBlockBytes) {
    uint32_t length =
        static_cast<uint32_t>(std::min<uint64_t>(kMerkleBlockBytes, bytes.size() - offset));
    blocks.push_back(Block{bytes.data() + offset, length, out++});
  }
}

}  // namespace

void ChunkDigester::Hash(absl::Span<const Block> blocks) {
  if (multi_ == nullptr) {
    RunOpenSsl(blocks);
    return;
  }
#ifdef PYTORRENT_HAVE_IPSEC_MB
  size_t multi_count = blocks.size();
  if (multi_->wide && blocks.size() % kWideLanes < kWideLanes / 2) {
    multi_count -= blocks.size() % kWideLanes;
  }
  bool ok = RunJobs(multi_->mgr.get(), blocks.first(multi_count));
  RunOpenSsl(blocks.subspan(multi_count));
  if (!ok) {
    PT_LOG_WARN("multi-buffer SHA-256 refused a job; hashing with OpenSSL from now on");
    multi_.reset();
    RunOpenSsl(blocks);
  }
#endif
}

void ChunkDigester::HashBlocks(absl::Span<const uint8_t> bytes, absl::Span<Sha256Digest> out) {
  if (out.size() != MerkleBlockCount(bytes.size())) return;  // precondition
  std::vector<Block> blocks;
  blocks.reserve(out.size());
  AppendBlocks(bytes, out.data(), blocks);
  Hash(blocks);
}

Sha256Digest ChunkDigester::DigestChunk(absl::Span<const uint8_t> chunk) {
  Sha256Digest digest{};
  const absl::Span<const uint8_t> one[] = {chunk};
  DigestChunks(one, absl::MakeSpan(&digest, 1));
  return digest;
}

void ChunkDigester::DigestChunks(absl::Span<const absl::Span<const uint8_t>> chunks,
                                 absl::Span<Sha256Digest> out) {
  if (out.size() != chunks.size()) return;  // precondition
  // Hash the blocks of every chunk in one batch, then fold each chunk's run
  // of block hashes into its root.
  size_t total = 0;
  for (absl::Span<const uint8_t> c : chunks) total += MerkleBlockCount(c.size());
  blocks_.resize(total);
  std::vector<Block> blocks;
  blocks.reserve(total);
  size_t next = 0;
  for (absl::Span<const uint8_t> c : chunks) {
    AppendBlocks(c, blocks_.data() + next, blocks);
    next += MerkleBlockCount(c.size());
  }
  Hash(blocks);
  next = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    size_t count = MerkleBlockCount(chunks[i].size());
    out[i] = MerkleRoot(absl::MakeConstSpan(blocks_.data() + next, count));
    next += count;
  }
}

}  // namespace pytorrent::peer
