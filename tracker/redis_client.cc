#include "tracker/redis_client.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/log.h"

namespace pytorrent::tracker {

namespace {

constexpr size_t kSlots = 16384;
// Redirections followed for one command before giving up.
constexpr int kMaxRedirects = 5;

timeval TimevalOf(absl::Duration d) { return absl::ToTimeval(std::max(d, absl::Milliseconds(1))); }

RedisReply Convert(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r.str, r.len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r.integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r.elements);
      for (size_t i = 0; i < r.elements; ++i) out.elements.push_back(Convert(*r.element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

absl::string_view Absl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

bool ParseHostPort(std::string_view address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view h = address.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  if (!absl::SimpleAtoi(Absl(address.substr(colon + 1)), port) || *port <= 0 || *port > 65535) {
    return false;
  }
  *host = std::string(h);
  return true;
}

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381": the slot and
// target; an empty host means the replying node's host.
bool ParseRedirect(std::string_view error, std::string_view kind, int* slot, std::string* host,
                   int* port) {
  std::vector<absl::string_view> parts = absl::StrSplit(Absl(error), ' ');
  if (parts.size() != 3 || parts[0] != Absl(kind)) return false;
  if (!absl::SimpleAtoi(parts[1], slot) || *slot < 0 || *slot >= static_cast<int>(kSlots)) {
    return false;
  }
  const size_t colon = parts[2].rfind(':');
  if (colon == absl::string_view::npos) return false;
  *host = std::string(parts[2].substr(0, colon));
  return absl::SimpleAtoi(parts[2].substr(colon + 1), port) && *port > 0 && *port <= 65535;
}

std::string Sha1Hex(std::string_view body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(body.data(), body.size(), digest, &length, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

}  // namespace

uint16_t RedisKeySlot(std::string_view key) {
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  // CRC16/XMODEM: polynomial 0x1021, initial value 0, no reflection.
  uint16_t crc = 0;
  for (char c : key) {
    crc ^= static_cast<uint16_t>(static_cast<uint8_t>(c) << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
  }
  return static_cast<uint16_t>(crc % kSlots);
}

// One Redis node and its connection pool.
struct RedisClient::Node {
  std::string host;
  int port = 0;
  std::string name;  // host:port, for logs
  std::mutex mu;
  std::condition_variable cv;
  std::vector<redisContext*> idle;                // guarded by mu
  int open = 0;                                   // guarded by mu: idle, leased or connecting
  uint64_t generation = 0;                        // guarded by mu: bumped by each failure
  absl::Time retry_after = absl::InfinitePast();  // guarded by mu
  absl::Duration backoff;                         // guarded by mu
};

// One pooled connection, held for one pipelined exchange.
class RedisClient::Lease {
 public:
  Lease(RedisClient& client, Node& node) : client_(client), node_(node) {}
  ~Lease() { Release(); }

  absl::Status Acquire() {
    const absl::Time deadline = absl::Now() + client_.options_.command_timeout;
    std::unique_lock<std::mutex> lock(node_.mu);
    while (true) {
      if (absl::Now() < node_.retry_after) {
        return absl::UnavailableError(absl::StrCat("redis ", node_.name, " is unreachable"));
      }
      if (!node_.idle.empty()) {
        context_ = node_.idle.back();
        node_.idle.pop_back();
        generation_ = node_.generation;
        return absl::OkStatus();
      }
      if (node_.open < client_.options_.pool_size) break;
      const auto wait = std::chrono::microseconds(
          std::max<int64_t>(1, absl::ToInt64Microseconds(deadline - absl::Now())));
      if (node_.cv.wait_for(lock, wait) == std::cv_status::timeout && absl::Now() >= deadline) {
        return absl::UnavailableError(
            absl::StrCat("every connection to redis ", node_.name, " stayed busy"));
      }
    }
    ++node_.open;
    generation_ = node_.generation;
    lock.unlock();
    redisContext* c = redisConnectWithTimeout(node_.host.c_str(), node_.port,
                                              TimevalOf(client_.options_.connect_timeout));
    if (c == nullptr || c->err != 0) {
      const std::string error = c == nullptr ? "out of memory" : c->errstr;
      if (c != nullptr) redisFree(c);
      lock.lock();
      --node_.open;
      node_.cv.notify_one();
      lock.unlock();
      return Fail(absl::StrCat("connect: ", error));
    }
    redisSetTimeout(c, TimevalOf(client_.options_.command_timeout));
    const int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    context_ = c;
    lock.lock();
    node_.backoff = client_.options_.min_backoff;
    return absl::OkStatus();
  }

  redisContext* context() { return context_; }

  // Closes this connection and every idle one of the node (a restarted
  // server closed them all), fails fast for a backoff, logs the outage.
  absl::Status Fail(std::string_view what) {
    std::vector<redisContext*> closing;
    {
      std::lock_guard<std::mutex> lock(node_.mu);
      if (context_ != nullptr) {
        closing.push_back(context_);
        context_ = nullptr;
        --node_.open;
      }
      if (generation_ == node_.generation) {
        ++node_.generation;
        node_.open -= static_cast<int>(node_.idle.size());
        closing.insert(closing.end(), node_.idle.begin(), node_.idle.end());
        node_.idle.clear();
        node_.backoff = std::clamp(node_.backoff * 2, client_.options_.min_backoff,
                                   client_.options_.max_backoff);
        node_.retry_after = absl::Now() + node_.backoff;
      }
      node_.cv.notify_all();
    }
    for (redisContext* c : closing) redisFree(c);
    client_.NoteFailure(&node_, what);
    return absl::UnavailableError(absl::StrCat("redis ", node_.name, ": ", Absl(what)));
  }

 private:
  void Release() {
    if (context_ == nullptr) return;
    std::unique_lock<std::mutex> lock(node_.mu);
    if (generation_ == node_.generation) {
      node_.idle.push_back(context_);
      context_ = nullptr;
    } else {
      --node_.open;
    }
    node_.cv.notify_one();
    lock.unlock();
    if (context_ != nullptr) redisFree(context_);
    context_ = nullptr;
  }

  RedisClient& client_;
  Node& node_;
  redisContext* context_ = nullptr;
  uint64_t generation_ = 0;
};

absl::StatusOr<std::unique_ptr<RedisClient>> RedisClient::Create(
    const RedisClientOptions& options) {
  if (options.addresses.empty()) return absl::InvalidArgumentError("no redis address given");
  if (options.pool_size < 1) return absl::InvalidArgumentError("redis pool size must be >= 1");
  auto client = std::unique_ptr<RedisClient>(new RedisClient(options));
  for (const std::string& address : options.addresses) {
    std::string host;
    int port = 0;
    if (!ParseHostPort(address, &host, &port) || host.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("redis address '", address, "' is not host:port"));
    }
    std::lock_guard<std::mutex> lock(client->nodes_mu_);
    client->NodeFor(host, port);
  }
  client->seed_count_ = client->nodes_.size();
  return client;
}

RedisClient::RedisClient(const RedisClientOptions& options)
    : options_(options), slot_owner_(kSlots, -1) {}

RedisClient::~RedisClient() {
  for (auto& node : nodes_) {
    for (redisContext* c : node->idle) redisFree(c);
  }
}

std::string RedisClient::RegisterScript(std::string_view body) {
  std::string sha = Sha1Hex(body);
  scripts_.emplace(sha, std::string(body));
  return sha;
}

RedisClient::Node* RedisClient::NodeFor(const std::string& host, int port) {
  for (auto& node : nodes_) {
    if (node->host == host && node->port == port) return node.get();
  }
  auto node = std::make_unique<Node>();
  node->host = host;
  node->port = port;
  node->name = absl::StrCat(host, ":", port);
  node->backoff = options_.min_backoff;
  nodes_.push_back(std::move(node));
  return nodes_.back().get();
}

RedisClient::Node* RedisClient::Route(const RedisCommand& command) {
  std::lock_guard<std::mutex> lock(nodes_mu_);
  if (command.key_arg >= 0 && static_cast<size_t>(command.key_arg) < command.args.size()) {
    const int16_t owner = slot_owner_[RedisKeySlot(command.args[command.key_arg])];
    if (owner >= 0) return nodes_[owner].get();
  }
  return nodes_[seed_].get();
}

void RedisClient::NoteFailure(Node* node, std::string_view what) {
  {
    // The next batch without a known slot owner tries the next seed.
    std::lock_guard<std::mutex> lock(nodes_mu_);
    if (seed_count_ > 1 && nodes_[seed_].get() == node) seed_ = (seed_ + 1) % seed_count_;
    // Slots owned by the failed node are learned again (from MOVED).
    for (int16_t& owner : slot_owner_) {
      if (owner >= 0 && nodes_[owner].get() == node) owner = -1;
    }
  }
  std::lock_guard<std::mutex> lock(outage_mu_);
  if (serving_.exchange(false, std::memory_order_relaxed)) {
    outages_.fetch_add(1, std::memory_order_relaxed);
    outage_start_ = absl::Now();
    PT_LOG_WARN("redis {} unreachable ({}): answering try-again until it is back", node->name,
                std::string(what));
  }
}

void RedisClient::NoteSuccess() {
  if (serving_.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(outage_mu_);
  if (!serving_.exchange(true, std::memory_order_relaxed)) {
    PT_LOG_INFO("redis reachable again after {:.1f} s",
                absl::ToDoubleSeconds(absl::Now() - outage_start_));
  }
}

absl::Status RedisClient::RunOn(Node* node, absl::Span<const RedisCommand> commands,
                                absl::Span<const size_t> indexes, bool asking,
                                std::vector<RedisReply>* replies) {
  Lease lease(*this, *node);
  if (absl::Status s = lease.Acquire(); !s.ok()) return s;
  redisContext* c = lease.context();
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  if (asking) {
    const char* ask = "ASKING";
    const size_t len = 6;
    redisAppendCommandArgv(c, 1, &ask, &len);
  }
  for (size_t i : indexes) {
    const RedisCommand& command = commands[i];
    argv.clear();
    lengths.clear();
    for (const std::string& a : command.args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()) !=
        REDIS_OK) {
      return lease.Fail(c->errstr);
    }
  }
  const size_t expected = indexes.size() + (asking ? 1 : 0);
  for (size_t k = 0; k < expected; ++k) {
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) {
      return lease.Fail(c->err == REDIS_ERR_EOF ? "connection closed" : c->errstr);
    }
    auto* reply = static_cast<redisReply*>(raw);
    if (!asking || k > 0) (*replies)[indexes[k - (asking ? 1 : 0)]] = Convert(*reply);
    freeReplyObject(reply);
  }
  return absl::OkStatus();
}

absl::Status RedisClient::Resolve(absl::Span<const RedisCommand> commands, size_t i,
                                  std::vector<RedisReply>* replies) {
  Node* target = nullptr;
  bool asking = false;
  for (int hop = 0; hop < kMaxRedirects; ++hop) {
    RedisReply& reply = (*replies)[i];
    if (!reply.is_error()) return absl::OkStatus();
    int slot = 0;
    std::string host;
    int port = 0;
    const std::string& error = reply.str;
    if (ParseRedirect(error, "MOVED", &slot, &host, &port) ||
        ParseRedirect(error, "ASK", &slot, &host, &port)) {
      const bool moved = error.rfind("MOVED", 0) == 0;
      Node* from = target != nullptr ? target : Route(commands[i]);
      if (host.empty()) host = from->host;
      {
        std::lock_guard<std::mutex> lock(nodes_mu_);
        target = NodeFor(host, port);
        if (moved) {
          const auto index = std::find_if(nodes_.begin(), nodes_.end(),
                                          [&](const auto& n) { return n.get() == target; });
          slot_owner_[slot] = static_cast<int16_t>(index - nodes_.begin());
        }
      }
      asking = !moved;
      const size_t one[] = {i};
      if (absl::Status s = RunOn(target, commands, one, asking, replies); !s.ok()) return s;
      continue;
    }
    if (error.rfind("NOSCRIPT", 0) == 0 && commands[i].args.size() >= 2) {
      const auto script = scripts_.find(commands[i].args[1]);
      if (script == scripts_.end()) return absl::OkStatus();
      Node* node = target != nullptr ? target : Route(commands[i]);
      std::vector<RedisCommand> load = {{.args = {"SCRIPT", "LOAD", script->second}}, commands[i]};
      std::vector<RedisReply> load_replies(2);
      const size_t both[] = {0, 1};
      if (absl::Status s = RunOn(node, load, both, asking, &load_replies); !s.ok()) return s;
      reply = std::move(load_replies[1]);
      continue;
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status RedisClient::Run(absl::Span<const RedisCommand> commands,
                              std::vector<RedisReply>* replies) {
  replies->assign(commands.size(), RedisReply());
  // Group by node, keeping each node's commands in order.
  std::vector<std::pair<Node*, std::vector<size_t>>> groups;
  for (size_t i = 0; i < commands.size(); ++i) {
    Node* node = Route(commands[i]);
    auto it =
        std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == node; });
    if (it == groups.end()) {
      groups.push_back({node, {i}});
    } else {
      it->second.push_back(i);
    }
  }
  for (const auto& [node, indexes] : groups) {
    if (absl::Status s = RunOn(node, commands, indexes, /*asking=*/false, replies); !s.ok()) {
      return s;
    }
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    const RedisReply& reply = (*replies)[i];
    if (!reply.is_error()) continue;
    if (reply.str.rfind("MOVED ", 0) == 0 || reply.str.rfind("ASK ", 0) == 0 ||
        reply.str.rfind("NOSCRIPT", 0) == 0) {
      if (absl::Status s = Resolve(commands, i, replies); !s.ok()) return s;
    }
  }
  NoteSuccess();
  return absl::OkStatus();
}

}  // namespace pytorrent::tracker
