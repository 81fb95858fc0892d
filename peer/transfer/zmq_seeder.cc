#include "peer/transfer/zmq_seeder.h"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "peer/transfer/wire_codec.h"
#include "zmq_addon.hpp"

namespace pytorrent::peer {
namespace {

constexpr size_t kMaxFramesPerMessage = 4;
constexpr int kBatch = 256;
constexpr size_t kMaxSubscribersPerFile = 256;

// Reads in progress for all peers together; beyond it requests get NO_CREDIT.
constexpr size_t kMaxReadsInFlight = 1024;
// Reads one reader thread takes in one go.
constexpr size_t kReadBatch = 8;

// How often idle requesters are forgotten.
constexpr absl::Duration kForgetSweep = absl::Seconds(1);
// How often every connection's send queue is read for acknowledged bytes
// (a requester's is also read whenever it sends a request).
constexpr absl::Duration kAckSweep = absl::Milliseconds(50);

int ToMillis(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

// "ip:port" of the connected socket `fd`; empty if it is not one.
std::string PeerAddressOf(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    return absl::StrCat(text, ":", ntohs(in->sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    return absl::StrCat("[", text, "]:", ntohs(in6->sin6_port));
  }
  return {};  // ipc:// and others cannot be told apart: never shut down
}

// True for "tcp://a.b.c.d:port".
bool NamesIpv4Host(const std::string& endpoint) {
  constexpr std::string_view kTcp = "tcp://";
  if (endpoint.compare(0, kTcp.size(), kTcp) != 0) return false;
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon < kTcp.size()) return false;
  const std::string host = endpoint.substr(kTcp.size(), colon - kTcp.size());
  in_addr address{};
  return inet_pton(AF_INET, host.c_str(), &address) == 1;
}

}  // namespace

// Chunk bytes ZeroMQ has freed, per requester. ZeroMQ frees a zero-copy
// message on its I/O thread, so this is the one piece of the seeder touched
// by two threads; each message's note keeps it alive past the seeder.
class ZmqSeeder::DrainInbox {
 public:
  struct Note {
    std::shared_ptr<DrainInbox> inbox;
    RequesterId requester;
    int64_t bytes;
  };
  void Add(RequesterId requester, int64_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.emplace_back(requester, bytes);
  }
  std::vector<std::pair<RequesterId, int64_t>> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(pending_, {});
  }
  // ZeroMQ's free function for chunk frames (runs on its I/O thread).
  static void FreeChunk(void* data, void* hint) {
    std::free(data);
    auto* note = static_cast<Note*>(hint);
    note->inbox->Add(note->requester, note->bytes);
    delete note;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<RequesterId, int64_t>> pending_;
};

ZmqSeeder::ZmqSeeder(zmq::context_t& context, zmq::socket_t socket, std::string endpoint,
                     const FileCatalog& catalog, SeederOptions options)
    : socket_(std::move(socket)),
      endpoint_(std::move(endpoint)),
      catalog_(catalog),
      options_(options),
      budget_(options.budget),
      drained_(std::make_shared<DrainInbox>()) {
  reader_ =
      std::make_unique<Reader>(context, "chunk-reader", options_.read_workers, kReadBatch, [] {
        return [](std::vector<Read>& reads, std::vector<Read>& done) {
          for (Read& read : reads) {
            // ServeChunk allocated the buffer; a missing one is out of memory.
            uint8_t* bytes = static_cast<uint8_t*>(read.buffer.get());
            uint32_t got = 0;
            while (bytes != nullptr && got < read.length) {
              ssize_t n = ::pread(read.fd->get(), bytes + got, read.length - got,
                                  static_cast<off_t>(read.offset + got));
              if (n < 0 && errno == EINTR) continue;
              if (n <= 0) {
                read.buffer.reset();  // error, or the file shrank: Reject INTERNAL
                break;
              }
              got += static_cast<uint32_t>(n);
            }
            done.push_back(std::move(read));
          }
        };
      });
}

absl::StatusOr<std::unique_ptr<ZmqSeeder>> ZmqSeeder::Bind(zmq::context_t& context,
                                                           const std::string& endpoint,
                                                           const FileCatalog& catalog,
                                                           SeederOptions options) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::router);
    socket.set(zmq::sockopt::linger, 0);
    // Sending to a peer that has gone fails (EHOSTUNREACH) instead of being
    // dropped silently, so its queued requests are discarded and not counted.
    socket.set(zmq::sockopt::router_mandatory, true);
    // Requests are small; anything bigger is garbage and drops the connection.
    socket.set(zmq::sockopt::maxmsgsize, static_cast<int64_t>(kMaxHeaderBytes));
    // Per-peer queues. Credit keeps honest leechers far below these; they
    // only bound what a peer that never reads can pin in memory (a send at
    // the mark fails at once and the request times out on the leecher).
    // The bytes behind these messages are bounded by the serving budget;
    // the mark bounds the small headers (rejects, haves) a non-reader pins.
    socket.set(zmq::sockopt::sndhwm, 128);
    socket.set(zmq::sockopt::rcvhwm, 1024);
    // IPv6 too: "tcp://*:P" binds "::" dual-stack (IPv4 clients arrive as
    // IPv4-mapped addresses); "tcp://[v6]:P" works at all. Not for an IPv4
    // address, which would then be reported as "[::ffff:a.b.c.d]".
    socket.set(zmq::sockopt::ipv6, !NamesIpv4Host(endpoint));
    // Close connections that stop answering: idle ones and ones stuck
    // halfway through a frame (slowloris), and unfinished handshakes.
    socket.set(zmq::sockopt::heartbeat_ivl, ToMillis(options.heartbeat_interval));
    socket.set(zmq::sockopt::heartbeat_timeout, ToMillis(options.heartbeat_timeout));
    socket.set(zmq::sockopt::handshake_ivl, ToMillis(options.handshake_timeout));
    socket.bind(endpoint);
    std::string bound = socket.get(zmq::sockopt::last_endpoint);
    return std::unique_ptr<ZmqSeeder>(
        new ZmqSeeder(context, std::move(socket), std::move(bound), catalog, options));
  } catch (const zmq::error_t& e) {
    if (e.num() == EADDRINUSE) {
      return absl::UnavailableError(absl::StrCat("bind ", endpoint, ": ", e.what()));
    }
    return absl::InvalidArgumentError(absl::StrCat("bind ", endpoint, ": ", e.what()));
  }
}

void ZmqSeeder::SendHeader(const std::string& identity, const v1::PeerMessage& message) {
  std::string bytes = message.SerializeAsString();
  try {
    if (!socket_.send(zmq::buffer(identity),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return;  // at its high-water mark: the request times out there
    }
    socket_.send(zmq::buffer(bytes), zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    DropQueued(identity);  // peer gone
  }
}

void ZmqSeeder::SendReject(const std::string& identity, v1::RejectReason reason, std::string text,
                           const std::string& root, uint32_t chunk) {
  ++counters_.rejects_sent;
  SendHeader(identity, MakeReject(reason, std::move(text), root, chunk));
}

void ZmqSeeder::OnReadable(absl::Time now) {
  now_ = now;
  // Requests are judged against what requesters have drained up to now.
  ApplyDrained(now);
  for (int i = 0; i < kBatch; ++i) {
    zmq::message_t frames[kMaxFramesPerMessage + 1];
    size_t count = 0;
    try {
      bool more = true;
      bool first = true;
      while (more) {
        zmq::message_t scratch;
        zmq::message_t& target = count <= kMaxFramesPerMessage ? frames[count] : scratch;
        auto got = socket_.recv(target, first ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
        if (!got) return;  // nothing pending
        first = false;
        more = target.more();
        ++count;
      }
    } catch (const zmq::error_t&) {
      return;
    }
    std::string identity = frames[0].to_string();
    if (count > kMaxFramesPerMessage) {
      ++counters_.malformed_frames;
      SendReject(identity, v1::REJECT_REASON_MALFORMED, "too many frames");
      continue;
    }
    Handle(identity, frames + 1, count - 1, now);
  }
}

void ZmqSeeder::Handle(const std::string& identity, zmq::message_t* frames, size_t count,
                       absl::Time now) {
  (void)now;
  v1::PeerMessage message;
  if (count != 1 ||
      !ParsePeerMessage(frames[0].data(), frames[0].size(), kMaxHeaderBytes, message).ok()) {
    ++counters_.malformed_frames;
    SendReject(identity, v1::REJECT_REASON_MALFORMED, "expected one PeerMessage header frame");
    return;
  }
  Sha256Digest root{};
  switch (message.body_case()) {
    case v1::PeerMessage::kHello: {
      if (message.hello().protocol_version() != v1::PROTOCOL_VERSION_1) {
        SendReject(identity, v1::REJECT_REASON_VERSION, "only protocol version 1 is spoken");
        return;
      }
      v1::PeerMessage reply;
      reply.mutable_hello()->set_protocol_version(v1::PROTOCOL_VERSION_1);
      reply.mutable_hello()->set_peer_id(options_.peer_id);
      SendHeader(identity, reply);
      return;
    }
    case v1::PeerMessage::kManifestRequest: {
      const std::string& root_bytes = message.manifest_request().root_hash();
      if (!DigestFromBytes(root_bytes, root)) {
        ++counters_.malformed_frames;
        SendReject(identity, v1::REJECT_REASON_MALFORMED, "root_hash must be 32 bytes");
        return;
      }
      const ServedFile* file = catalog_.Find(root);
      if (file == nullptr) {
        SendReject(identity, v1::REJECT_REASON_UNKNOWN_FILE, "file not shared here", root_bytes);
        return;
      }
      try {
        if (!socket_.send(zmq::buffer(identity),
                          zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
          return;
        }
        // The response is the cached serialized ManifestResponse wrapped in a
        // PeerMessage (field 3, length-delimited).
        std::string wrapped;
        const std::string& inner = *file->manifest_bytes;
        wrapped.push_back(static_cast<char>((3 << 3) | 2));
        uint64_t length = inner.size();
        while (length >= 0x80) {
          wrapped.push_back(static_cast<char>((length & 0x7f) | 0x80));
          length >>= 7;
        }
        wrapped.push_back(static_cast<char>(length));
        wrapped.append(inner);
        socket_.send(zmq::buffer(wrapped), zmq::send_flags::dontwait);
      } catch (const zmq::error_t&) {
        DropQueued(identity);
        return;
      }
      ++counters_.manifests_served;
      v1::PeerMessage bitfield;
      v1::Bitfield* b = bitfield.mutable_bitfield();
      uint32_t n = file->manifest->chunk_count();
      b->set_root_hash(root_bytes);
      b->set_chunk_count(n);
      std::string bits((n + 7) / 8, '\0');
      for (uint32_t c = 0; c < n; ++c) {
        if (file->has_chunk == nullptr || file->has_chunk(c)) {
          bits[c / 8] = static_cast<char>(static_cast<uint8_t>(bits[c / 8]) | (0x80 >> (c % 8)));
        }
      }
      b->set_bits(std::move(bits));
      SendHeader(identity, bitfield);
      if (file->has_chunk != nullptr) {
        auto& subs = subscribers_[root];
        if (subs.size() < kMaxSubscribersPerFile) subs.insert(identity);
      }
      return;
    }
    case v1::PeerMessage::kChunkRequest: {
      const v1::ChunkRequest& request = message.chunk_request();
      if (!DigestFromBytes(request.root_hash(), root)) {
        ++counters_.malformed_frames;
        SendReject(identity, v1::REJECT_REASON_MALFORMED, "root_hash must be 32 bytes");
        return;
      }
      SettleAcks(NoteRequester(identity, frames[0]), /*verify_peer=*/false, now);
      auto queued = queued_per_peer_.find(identity);
      if ((queued != queued_per_peer_.end() && queued->second >= options_.max_queued_per_peer) ||
          reads_in_flight_ >= kMaxReadsInFlight) {
        SendReject(identity, v1::REJECT_REASON_NO_CREDIT, "too many requests outstanding",
                   request.root_hash(), request.chunk_index());
        return;
      }
      if (options_.throttle_bytes_per_s > 0) {
        ++queued_per_peer_[identity];
        queue_.push_back({identity, root, request.chunk_index()});
        return;
      }
      ServeChunk(identity, root, request.chunk_index());
      return;
    }
    case v1::PeerMessage::kCancel: {
      if (!DigestFromBytes(message.cancel().root_hash(), root)) return;
      for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (it->identity == identity && it->root == root &&
            it->chunk == message.cancel().chunk_index()) {
          ReleaseQueued(identity);
          queue_.erase(it);
          break;
        }
      }
      return;
    }
    default:
      ++counters_.malformed_frames;
      SendReject(identity, v1::REJECT_REASON_MALFORMED, "unexpected message kind for a seeder");
      return;
  }
}

void ZmqSeeder::ServeChunk(const std::string& identity, const Sha256Digest& root, uint32_t chunk) {
  std::string root_bytes = DigestToBytes(root);
  const ServedFile* file = catalog_.Find(root);
  if (file == nullptr) {
    SendReject(identity, v1::REJECT_REASON_UNKNOWN_FILE, "file not shared here", root_bytes, chunk);
    return;
  }
  if (chunk >= file->manifest->chunk_count() ||
      (file->has_chunk != nullptr && !file->has_chunk(chunk))) {
    SendReject(identity, v1::REJECT_REASON_UNKNOWN_CHUNK, "chunk not held", root_bytes, chunk);
    return;
  }
  const uint32_t length = file->manifest->ChunkLength(chunk);
  if (!ChargeChunk(identity, root_bytes, chunk, length)) return;
  Read read;
  read.identity = identity;
  read.root_bytes = std::move(root_bytes);
  read.chunk = chunk;
  read.offset = file->manifest->ChunkOffset(chunk);
  read.length = length;
  read.requester = RequesterFor(identity).id;
  read.fd = catalog_.OpenForRead(*file);
  if (read.fd == nullptr) {
    budget_.Release(read.requester, read.length, /*drained=*/false, now_);
    SendReject(identity, v1::REJECT_REASON_INTERNAL, "file cannot be opened", read.root_bytes,
               chunk);
    return;
  }
  read.buffer.reset(std::malloc(read.length == 0 ? 1 : read.length));
  if (read.buffer == nullptr) {
    budget_.Release(read.requester, read.length, /*drained=*/false, now_);
    SendReject(identity, v1::REJECT_REASON_INTERNAL, "out of memory", read.root_bytes, chunk);
    return;
  }
  if (options_.read_cached_inline && ReadIfCached(read)) {
    SendChunk(read);
    return;
  }
  // Not (all) in the page cache: a disk read, which must not stall the loop.
  ++queued_per_peer_[identity];
  ++reads_in_flight_;
  reader_->Submit(std::move(read));
}

bool ZmqSeeder::ReadIfCached(Read& read) {
  if (read.length == 0) return true;
  struct iovec iov = {read.buffer.get(), read.length};
  ssize_t n = ::preadv2(read.fd->get(), &iov, 1, static_cast<off_t>(read.offset), RWF_NOWAIT);
  // EAGAIN: not cached; a short read: partly cached; EOPNOTSUPP: the file
  // system cannot tell. The reader pool does all of these.
  return n == static_cast<ssize_t>(read.length);
}

void ZmqSeeder::OnReadsDone() {
  for (Read& read : reader_->TakeResults()) {
    --reads_in_flight_;
    ReleaseQueued(read.identity);
    SendChunk(read);
  }
}

void ZmqSeeder::SendChunk(Read& read) {
  if (read.buffer == nullptr) {
    budget_.Release(read.requester, read.length, /*drained=*/false, now_);
    SendReject(read.identity, v1::REJECT_REASON_INTERNAL, "read failed", read.root_bytes,
               read.chunk);
    return;
  }
  if (options_.fault_corrupt_chunks && read.length > 0) {
    static_cast<uint8_t*>(read.buffer.get())[read.length / 2] ^= 0xff;
  }
  v1::PeerMessage header;
  v1::ChunkData* data = header.mutable_chunk();
  data->set_root_hash(read.root_bytes);
  data->set_chunk_index(read.chunk);
  data->set_size_bytes(read.length);
  std::string header_bytes = header.SerializeAsString();
  try {
    // The identity frame decides routing: if it cannot be queued (peer gone,
    // or at its high-water mark) nothing else of the message is sent.
    if (!socket_.send(zmq::buffer(read.identity),
                      zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      budget_.Release(read.requester, read.length, /*drained=*/false, now_);
      return;
    }
    socket_.send(zmq::buffer(header_bytes), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    // ZeroMQ owns the bytes from here and frees them once written to the
    // requester's connection (or dropped with it): that releases the charge.
    auto* note = new DrainInbox::Note{drained_, read.requester, read.length};
    zmq::message_t body(read.buffer.get(), read.length, &DrainInbox::FreeChunk, note);
    read.buffer.release();
    socket_.send(body, zmq::send_flags::dontwait);
  } catch (const zmq::error_t&) {
    // Unsent: the message (if made) frees the bytes and releases the
    // charge through its note; otherwise `read` does, and we release here.
    if (read.buffer != nullptr) budget_.Release(read.requester, read.length, false, now_);
    DropQueued(read.identity);
    return;
  }
  ++counters_.chunks_served;
  counters_.bytes_served += read.length;
}

void ZmqSeeder::ReleaseQueued(const std::string& identity) {
  auto it = queued_per_peer_.find(identity);
  if (it == queued_per_peer_.end()) return;  // forgotten by DropQueued
  if (--it->second <= 0) queued_per_peer_.erase(it);
}

void ZmqSeeder::DropQueued(const std::string& identity) {
  for (auto it = queue_.begin(); it != queue_.end();) {
    it = it->identity == identity ? queue_.erase(it) : it + 1;
  }
  queued_per_peer_.erase(identity);
  if (auto it = requesters_.find(identity); it != requesters_.end()) {
    // Its connection is gone or going: the kernel frees its send queue.
    budget_.Release(it->second.id, it->second.unacked_bytes, /*drained=*/false, now_);
    identities_.erase(it->second.id);
    requesters_.erase(it);
  }
  for (auto& [root, subs] : subscribers_) subs.erase(identity);
}

ZmqSeeder::Requester& ZmqSeeder::RequesterFor(const std::string& identity) {
  auto [it, inserted] = requesters_.try_emplace(identity);
  if (inserted) {
    it->second.id = RequesterId{next_requester_id_++};
    identities_[it->second.id] = identity;
  }
  return it->second;
}

ZmqSeeder::Requester& ZmqSeeder::NoteRequester(const std::string& identity,
                                               zmq::message_t& header) {
  Requester& requester = RequesterFor(identity);
  const int fd = header.get(ZMQ_SRCFD);
  if (fd >= 0 && fd != requester.fd) {
    // A new connection: what the old one had unacknowledged left with it.
    budget_.Release(requester.id, requester.unacked_bytes, /*drained=*/false, now_);
    requester.unacked_bytes = 0;
    requester.fd = fd;
    requester.peer_address = PeerAddressOf(fd);
  }
  return requester;
}

bool ZmqSeeder::ChargeChunk(const std::string& identity, const std::string& root_bytes,
                            uint32_t chunk, uint32_t length) {
  const Requester& requester = RequesterFor(identity);
  const BudgetVerdict verdict = budget_.TryCharge(requester.id, length, now_);
  counters_.budget_held_bytes = static_cast<uint64_t>(budget_.held_bytes());
  counters_.budget_peak_bytes = static_cast<uint64_t>(budget_.peak_held_bytes());
  if (verdict == BudgetVerdict::kGranted) return true;
  ++counters_.requests_throttled;
  if (uint64_t quiet = 0; throttle_log_.Allow(now_, quiet)) {
    PT_LOG_WARN(
        "serving budget: refused a chunk to requester {} ({}): it holds {} of its {} bytes, all "
        "requesters {} of {} ({} more refusals since the last line)",
        static_cast<uint64_t>(requester.id), requester.peer_address, budget_.HeldBy(requester.id),
        budget_.ShareOf(requester.id), budget_.held_bytes(), budget_.options().total_bytes, quiet);
  }
  SendReject(identity, v1::REJECT_REASON_NO_CREDIT,
             verdict == BudgetVerdict::kOverShare
                 ? "requester holds its share of the serving budget"
                 : "serving budget exhausted",
             root_bytes, chunk);
  return false;
}

void ZmqSeeder::ApplyDrained(absl::Time now) {
  for (const auto& [id, bytes] : drained_->Take()) {
    auto identity = identities_.find(id);
    Requester* requester =
        identity == identities_.end() ? nullptr : &requesters_.at(identity->second);
    if (requester != nullptr && !requester->peer_address.empty()) {
      requester->unacked_bytes += bytes;
    } else {
      budget_.Release(id, bytes, /*drained=*/true, now);
    }
  }
  counters_.budget_held_bytes = static_cast<uint64_t>(budget_.held_bytes());
}

void ZmqSeeder::SettleAcks(Requester& requester, bool verify_peer, absl::Time now) {
  if (requester.unacked_bytes == 0) return;
  // Bytes in the send queue: sent and unacknowledged, or not sent yet
  // (ZeroMQ's headers and the start of the next chunk among them, so the
  // chunk bytes still there are at most this).
  int queued = 0;
  const bool same_connection =
      ::ioctl(requester.fd, SIOCOUTQ, &queued) == 0 &&
      (!verify_peer || PeerAddressOf(requester.fd) == requester.peer_address);
  const int64_t still_queued =
      same_connection ? std::min<int64_t>(requester.unacked_bytes, std::max(0, queued)) : 0;
  const int64_t left = requester.unacked_bytes - still_queued;
  if (left == 0) return;
  requester.unacked_bytes = still_queued;
  budget_.Release(requester.id, left, /*drained=*/same_connection, now);
}

void ZmqSeeder::SettleBudget(absl::Time now) {
  ApplyDrained(now);
  if (now - last_ack_sweep_ >= kAckSweep) {
    last_ack_sweep_ = now;
    for (auto& [identity, requester] : requesters_) SettleAcks(requester, true, now);
  }
  for (RequesterId stalled : budget_.TakeStalled(now)) DropStalled(stalled);
  if (now - last_forget_sweep_ >= kForgetSweep) {
    last_forget_sweep_ = now;
    for (auto it = requesters_.begin(); it != requesters_.end();) {
      if (budget_.Tracks(it->second.id)) {
        ++it;
        continue;
      }
      identities_.erase(it->second.id);
      it = requesters_.erase(it);
    }
  }
  counters_.budget_held_bytes = static_cast<uint64_t>(budget_.held_bytes());
}

void ZmqSeeder::DropStalled(RequesterId id) {
  auto known = identities_.find(id);
  if (known == identities_.end()) return;
  const std::string identity = known->second;
  const Requester requester = requesters_.at(identity);
  // The socket is ZeroMQ's: shutting it down (never closing it) makes
  // ZeroMQ close the connection and free what was queued for it. Only
  // if it still belongs to the same peer (the number may have been reused).
  const bool same_peer =
      !requester.peer_address.empty() && PeerAddressOf(requester.fd) == requester.peer_address;
  if (same_peer) ::shutdown(requester.fd, SHUT_RDWR);
  ++counters_.requesters_dropped;
  if (uint64_t quiet = 0; drop_log_.Allow(now_, quiet)) {
    PT_LOG_WARN(
        "serving budget: dropped requester {} ({}): it drained nothing for {} and pinned {} "
        "bytes ({} more drops since the last line)",
        static_cast<uint64_t>(id), requester.peer_address,
        absl::FormatDuration(budget_.options().stall_timeout), budget_.HeldBy(id), quiet);
  }
  DropQueued(identity);
}

void ZmqSeeder::Tick(absl::Time now) {
  now_ = now;
  SettleBudget(now);
  if (options_.throttle_bytes_per_s == 0) return;
  if (last_tick_ == absl::InfinitePast()) last_tick_ = now;
  double rate = static_cast<double>(options_.throttle_bytes_per_s);
  throttle_budget_bytes_ += absl::ToDoubleSeconds(now - last_tick_) * rate;
  if (throttle_budget_bytes_ > rate) throttle_budget_bytes_ = rate;
  last_tick_ = now;
  while (!queue_.empty() && throttle_budget_bytes_ > 0) {
    Queued next = std::move(queue_.front());
    queue_.pop_front();
    ReleaseQueued(next.identity);
    const ServedFile* file = catalog_.Find(next.root);
    if (file != nullptr) throttle_budget_bytes_ -= file->manifest->ChunkLength(next.chunk);
    ServeChunk(next.identity, next.root, next.chunk);
  }
}

void ZmqSeeder::BroadcastHave(const Sha256Digest& root, uint32_t chunk) {
  auto it = subscribers_.find(root);
  if (it == subscribers_.end()) return;
  v1::PeerMessage have;
  have.mutable_have()->set_root_hash(DigestToBytes(root));
  have.mutable_have()->set_chunk_index(chunk);
  // A failed send forgets the peer (DropQueued edits the set): iterate a copy.
  std::vector<std::string> identities(it->second.begin(), it->second.end());
  for (const std::string& identity : identities) SendHeader(identity, have);
}

}  // namespace pytorrent::peer
