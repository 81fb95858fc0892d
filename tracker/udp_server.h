#ifndef PYTORRENT_TRACKER_UDP_SERVER_H_
#define PYTORRENT_TRACKER_UDP_SERVER_H_

// `UdpServer` is the tracker's only socket code: a loop that receives
// datagrams in batches with recvmmsg, hands each to a `DatagramHandler`, and
// sends the replies in batches with sendmmsg. An eventfd polled beside the
// socket wakes the loop for Stop() (async-signal-safe, so a signal handler
// may call it) and for tasks posted from other threads.
//
// Example:
//   auto server = UdpServer::Bind({.host = "127.0.0.1", .port = 0});
//   std::thread t([&] { (*server)->Run(handler); });
//   (*server)->Post([&] { /* runs on the loop thread */ });
//   (*server)->Stop();
//   t.join();
//
// Threading: Run() on one thread; Stop(), Post() and port() from any.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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
  // Called about once per second even when idle (expiry, burst logging).
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
  // Serves until Stop(); runs posted tasks on this thread.
  void Run(DatagramHandler& handler);
  // Asks Run() to return. Async-signal-safe.
  void Stop();
  // Runs `task` on the loop thread soon. Returns false (dropping the task)
  // once the loop is stopping; a task posted just before that may never run,
  // so callers wait for its result with a deadline.
  bool Post(absl::AnyInvocable<void()> task);

 private:
  UdpServer(int fd, int wake_fd, uint16_t port, const UdpServerOptions& options);
  void RunPosted();

  int fd_;
  int wake_fd_;
  uint16_t port_;
  UdpServerOptions options_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  std::vector<absl::AnyInvocable<void()>> posted_ ABSL_GUARDED_BY(mu_);
};

}  // namespace pytorrent::tracker

#endif  // PYTORRENT_TRACKER_UDP_SERVER_H_
