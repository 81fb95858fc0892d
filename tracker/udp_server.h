#ifndef PYTORRENT_TRACKER_UDP_SERVER_H_
#define PYTORRENT_TRACKER_UDP_SERVER_H_

// `UdpServer` is the tracker's only socket code: a loop that receives
// datagrams in batches with recvmmsg, hands each batch to a `DatagramHandler`, and
// sends the replies in batches with sendmmsg. Several threads may run the
// loop on the one socket (the kernel hands each batch to one of them), each
// with its own handler. An eventfd polled beside the socket wakes every loop
// for Stop(), which is async-signal-safe, so a signal handler may call it.
//
// Example:
//   auto server = UdpServer::Bind({.host = "127.0.0.1", .port = 0});
//   std::thread t([&] { (*server)->Run(other_handler); });
//   (*server)->Run(handler);  // returns after Stop()
//   t.join();
//
// Threading: Run() on any number of threads; Stop() and port() from any.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "tracker/connection_id.h"

namespace pytorrent::tracker {

// What the loop calls; implemented by the tracker's wiring.
class DatagramHandler {
 public:
  virtual ~DatagramHandler() = default;
  // One datagram in; the reply written to `out` (its length returned, 0 for
  // none). `now` is read once per batch.
  virtual size_t OnDatagram(absl::Span<const uint8_t> datagram, const SourceAddress& from,
                            absl::Time now, absl::Span<uint8_t> out) = 0;
  // One received datagram of a batch and room for its reply.
  struct Datagram {
    absl::Span<const uint8_t> in;
    SourceAddress from;
    // kMaxReplyBytes of room; `reply_bytes` of it are sent (0: nothing).
    absl::Span<uint8_t> out;
    size_t reply_bytes = 0;
  };
  // A whole received batch (what one recvmmsg returned). By default each
  // datagram goes to OnDatagram; a handler may answer them together (the
  // tracker sends every announce of a batch to its store in one round trip).
  virtual void OnBatch(absl::Span<Datagram> batch, absl::Time now) {
    for (Datagram& d : batch) d.reply_bytes = OnDatagram(d.in, d.from, now, d.out);
  }
  // Called on each loop thread about once per second, even when idle.
  virtual void OnTick(absl::Time now) = 0;
};

struct UdpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6969;
  // Datagrams per recvmmsg/sendmmsg call.
  int batch = 64;
  // SO_RCVBUF/SO_SNDBUF request, bytes.
  int socket_buffer_bytes = 8 * 1024 * 1024;
};

class UdpServer {
 public:
  // Binds the socket (IPv4 or IPv6 literal or host name). INVALID_ARGUMENT
  // for a bad host, UNAVAILABLE if the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<UdpServer>> Bind(const UdpServerOptions& options);
  ~UdpServer();

  // The bound port.
  uint16_t port() const { return port_; }
  // Serves until Stop(). May run on several threads at once.
  void Run(DatagramHandler& handler);
  // Asks every Run() to return. Async-signal-safe.
  void Stop();

 private:
  UdpServer(int fd, int stop_fd, uint16_t port, const UdpServerOptions& options);

  int fd_;
  int stop_fd_;  // eventfd: written once by Stop(), never read
  uint16_t port_;
  UdpServerOptions options_;
  std::atomic<bool> stop_{false};
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_UDP_SERVER_H_
