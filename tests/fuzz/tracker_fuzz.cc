// libFuzzer target for the tracker's datagram handler.
//
// Each input is handled twice: as raw bytes from an unauthenticated source
// (must never be answered with more bytes than it has), and, when it parses
// as a TrackerRequest, again with a valid connection id so the fuzzer
// reaches the registry. The fake clock advances with the input so expiry
// runs too. Invariants are checked with __builtin_trap().
//
// bazel build --config=fuzz //tests/fuzz:tracker_fuzz
// bazel-bin/tests/fuzz/tracker_fuzz tests/fuzz/tracker_fuzz_corpus -max_total_time=30

#include <cstddef>
#include <cstdint>
#include <memory>

#include "google/protobuf/stubs/logging.h"
#include "proto/tracker.pb.h"
#include "tracker/connection_id.h"
#include "tracker/request_handler.h"
#include "tracker/swarm_registry.h"

namespace {

using namespace pytorrent::tracker;  // NOLINT: fuzz harness

struct Harness {
  Harness()
      : now(absl::FromUnixSeconds(1'700'000'000)),
        registry({.max_peers = 500,
                  .max_files_per_peer = 50,
                  .max_files = 200,
                  .max_holdings = 2000,
                  .announce_interval = absl::Seconds(30)},
                 /*seed=*/1),
        minter(*ConnectionIdMinter::Create(std::string(kSecretBytes, 'f'), absl::Seconds(120))),
        handler(registry, *minter, now) {
    google::protobuf::SetLogHandler(nullptr);
  }
  absl::Time now;
  SwarmRegistry registry;
  std::unique_ptr<ConnectionIdMinter> minter;
  RequestHandler handler;
};

const SourceAddress kSource = SourceAddress::Ipv4(0x7f000001, 4242);

size_t HandleChecked(Harness& h, const uint8_t* data, size_t size) {
  uint8_t out[kMaxReplyBytes];
  const size_t n = h.handler.Handle(absl::Span<const uint8_t>(data, size), kSource, h.now,
                                    absl::Span<uint8_t>(out, sizeof(out)));
  if (n > kMaxReplyBytes) __builtin_trap();
  if (n > 0) {
    pytorrent::v1::TrackerResponse reply;
    if (!reply.ParseFromArray(out, static_cast<int>(n))) __builtin_trap();
  }
  if (h.registry.CountPeers() > 500) __builtin_trap();
  if (h.registry.CountFiles() > 200 || h.registry.CountHoldings() > 2000) __builtin_trap();
  // "reply too large" is a bug guard: paging and the registry's own sizing of
  // peer lists must keep every reply under kMaxReplyBytes.
  if (h.handler.counters().rejects[static_cast<size_t>(RejectKind::kInternal)] != 0) {
    __builtin_trap();
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Harness* h = new Harness();
  h->now += absl::Seconds(static_cast<int64_t>(size % 7));

  // Unauthenticated: no amplification (a forged id cannot verify).
  if (HandleChecked(*h, data, size) > size) __builtin_trap();

  // Authenticated replay of the same request.
  pytorrent::v1::TrackerRequest request;
  if (size <= kMaxRequestBytes && request.ParseFromArray(data, static_cast<int>(size))) {
    request.set_connection_id(h->minter->Mint(kSource, h->now));
    const std::string bytes = request.SerializeAsString();
    HandleChecked(*h, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  return 0;
}
