// Replays tests/conformance/vectors.txt (FORMAT.md) against the real code:
// message vectors through the generated protobuf classes, Merkle vectors
// through peer/merkle and peer/chunk_digest, connection-id vectors through
// tracker/connection_id, tracker vectors through one RequestHandler over a
// SwarmRegistry (in file order, shared state, fixed clock), wire vectors
// over a ZeroMQ DEALER against a real peer process sharing the pattern file
// (as run_conformance.py does from Python).

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "common/sha256.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "peer/content/chunk_digest.h"
#include "peer/content/merkle.h"
#include "proto/tracker.pb.h"
#include "proto/wire.pb.h"
#include "tests/integration/peer_process.h"
#include "tests/tracker/tracker_process.h"
#include "tracker/connection_id.h"
#include "tracker/request_handler.h"
#include "tracker/swarm_registry.h"
#include "zmq.hpp"

namespace pytorrent {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

struct Vector {
  std::string kind;
  std::string name;
  std::vector<std::pair<std::string, std::string>> lines;
  std::string Get(const std::string& key) const {
    for (const auto& [k, v] : lines) {
      if (k == key) return v;
    }
    ADD_FAILURE() << name << " has no " << key;
    return "";
  }
};

std::vector<Vector> Load() {
  std::ifstream in("tests/conformance/vectors.txt");
  EXPECT_TRUE(in.good()) << "vectors.txt not in runfiles";
  std::vector<Vector> vectors;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      const std::string header = line.substr(1, line.size() - 2);
      const size_t space = header.find(' ');
      vectors.push_back({header.substr(0, space), header.substr(space + 1), {}});
      continue;
    }
    const size_t colon = line.find(':');
    if (vectors.empty() || colon == std::string::npos) {
      ADD_FAILURE() << "bad line: " << line;
      continue;
    }
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    vectors.back().lines.emplace_back(line.substr(0, colon), value);
  }
  return vectors;
}

std::string FromHex(std::string_view hex) {
  if (const size_t star = hex.find('*'); star != std::string_view::npos) {
    const int count = std::stoi(std::string(hex.substr(star + 1)));
    std::string unit = FromHex(hex.substr(0, star)), out;
    for (int i = 0; i < count; ++i) out += unit;
    return out;
  }
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string Hex(std::string_view bytes) { return BytesToHex(bytes); }

std::string Content(uint64_t size) {
  std::string data(size, '\0');
  for (uint64_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 31 + 7) % 256);
  return data;
}

absl::Span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

std::string HexList(const std::vector<Sha256Digest>& digests) {
  if (digests.empty()) return "-";
  std::vector<std::string> parts;
  for (const auto& d : digests) parts.push_back(ToHex(d));
  return absl::StrJoin(parts, ",");
}

// FORMAT.md's printing of a field path: `body` is the set oneof member;
// enums by name, bytes as hex, numbers in decimal.
std::string PathValue(const Message& root, const std::string& path) {
  const Message* m = &root;
  std::vector<std::string> parts = absl::StrSplit(path, '.');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(parts[i]);
    if (f == nullptr) return "<no field " + parts[i] + ">";
    m = &m->GetReflection()->GetMessage(*m, f);
  }
  const std::string& last = parts.back();
  const auto* reflection = m->GetReflection();
  if (last == "body") {
    const auto* oneof = m->GetDescriptor()->FindOneofByName("body");
    const FieldDescriptor* set = reflection->GetOneofFieldDescriptor(*m, oneof);
    return set == nullptr ? "" : set->name();
  }
  const FieldDescriptor* f = m->GetDescriptor()->FindFieldByName(last);
  if (f == nullptr) return "<no field " + last + ">";
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_ENUM: {
      const int value = reflection->GetEnumValue(*m, f);
      const auto* known = f->enum_type()->FindValueByNumber(value);
      return known != nullptr ? known->name() : std::to_string(value);
    }
    case FieldDescriptor::CPPTYPE_STRING:
      return f->type() == FieldDescriptor::TYPE_BYTES ? Hex(reflection->GetString(*m, f))
                                                      : reflection->GetString(*m, f);
    case FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(reflection->GetUInt32(*m, f));
    case FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(reflection->GetUInt64(*m, f));
    case FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(reflection->GetInt32(*m, f));
    case FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(reflection->GetInt64(*m, f));
    case FieldDescriptor::CPPTYPE_BOOL:
      return reflection->GetBool(*m, f) ? "true" : "false";
    default:
      return "<unsupported>";
  }
}

class ConformanceTest : public ::testing::Test {
 protected:
  std::vector<Vector> vectors_ = Load();
  int Count(const std::string& kind) {
    int n = 0;
    for (const Vector& v : vectors_) n += v.kind == kind;
    return n;
  }
};

TEST_F(ConformanceTest, EveryKindIsPresent) {
  for (const char* kind : {"message", "merkle", "connection_id", "tracker", "wire"}) {
    EXPECT_GT(Count(kind), 0) << kind;
  }
  // Every request kind, every reply kind and every wire frame has a vector.
  std::set<std::string> covered;
  for (const Vector& v : vectors_) {
    if (v.kind != "message") continue;
    std::unique_ptr<Message> m;
    if (v.Get("type") == "pytorrent.v1.TrackerRequest") m = std::make_unique<v1::TrackerRequest>();
    if (v.Get("type") == "pytorrent.v1.TrackerResponse") {
      m = std::make_unique<v1::TrackerResponse>();
    }
    if (v.Get("type") == "pytorrent.v1.PeerMessage") m = std::make_unique<v1::PeerMessage>();
    ASSERT_NE(m, nullptr) << v.name;
    ASSERT_TRUE(m->ParseFromString(FromHex(v.Get("hex"))));
    covered.insert(m->GetDescriptor()->name() + "." + PathValue(*m, "body"));
  }
  for (const auto* d : {v1::TrackerRequest::descriptor(), v1::TrackerResponse::descriptor(),
                        v1::PeerMessage::descriptor()}) {
    const auto* oneof = d->FindOneofByName("body");
    for (int i = 0; i < oneof->field_count(); ++i) {
      EXPECT_TRUE(covered.contains(d->name() + "." + oneof->field(i)->name()))
          << d->name() << "." << oneof->field(i)->name() << " has no vector";
    }
  }
}

TEST_F(ConformanceTest, MessagesDecodeAndEncodeAsTheVectorsSay) {
  for (const Vector& v : vectors_) {
    if (v.kind != "message") continue;
    SCOPED_TRACE(v.name);
    const auto* type =
        google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(v.Get("type"));
    ASSERT_NE(type, nullptr);
    const Message* prototype =
        google::protobuf::MessageFactory::generated_factory()->GetPrototype(type);
    std::unique_ptr<Message> decoded(prototype->New());
    std::unique_ptr<Message> expected(prototype->New());
    const std::string bytes = FromHex(v.Get("hex"));
    ASSERT_TRUE(decoded->ParseFromString(bytes));
    ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(v.Get("text"), expected.get()));
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*decoded, *expected));
    EXPECT_EQ(Hex(expected->SerializeAsString()), v.Get("hex"));
  }
}

TEST_F(ConformanceTest, MerkleTreesMatchTheRealDigests) {
  peer::ChunkDigester digester;
  for (const Vector& v : vectors_) {
    if (v.kind != "merkle") continue;
    SCOPED_TRACE(v.name);
    uint64_t size = 0, chunk = 0;
    ASSERT_TRUE(absl::SimpleAtoi(v.Get("size"), &size));
    ASSERT_TRUE(absl::SimpleAtoi(v.Get("chunk_size"), &chunk));
    const std::string data = Content(size);
    std::vector<Sha256Digest> blocks(peer::MerkleBlockCount(size));
    digester.HashBlocks(Bytes(data), absl::MakeSpan(blocks));
    EXPECT_EQ(HexList(blocks), v.Get("block_digests"));
    std::vector<Sha256Digest> chunks;
    for (uint64_t at = 0; at < size; at += chunk) {
      chunks.push_back(digester.DigestChunk(Bytes(std::string_view(data).substr(at, chunk))));
    }
    EXPECT_EQ(HexList(chunks), v.Get("chunk_digests"));
    EXPECT_EQ(ToHex(peer::MerkleRoot(chunks)), v.Get("root"));
    EXPECT_EQ(ToHex(peer::MerkleRoot(blocks)), v.Get("root")) << "block tree == chunk tree";
    Sha256 whole;
    whole.Update(std::string_view(data));
    EXPECT_EQ(ToHex(whole.Finish()), v.Get("file_sha256"));
  }
}

TEST_F(ConformanceTest, ConnectionIdsAreTheRealMinter) {
  for (const Vector& v : vectors_) {
    if (v.kind != "connection_id") continue;
    SCOPED_TRACE(v.name);
    int64_t window = 0, now = 0;
    ASSERT_TRUE(absl::SimpleAtoi(v.Get("window_seconds"), &window));
    ASSERT_TRUE(absl::SimpleAtoi(v.Get("now"), &now));
    auto minter =
        tracker::ConnectionIdMinter::Create(FromHex(v.Get("secret")), absl::Seconds(window));
    ASSERT_TRUE(minter.ok()) << minter.status();
    // "1.2.3.4:port" or "[v6]:port".
    const std::string address = v.Get("address");
    const size_t colon = address.rfind(':');
    ASSERT_NE(colon, std::string::npos);
    std::string host = address.substr(0, colon);
    tracker::SourceAddress from;
    from.port = static_cast<uint16_t>(std::stoi(address.substr(colon + 1)));
    if (host.size() > 2 && host.front() == '[') {
      host = host.substr(1, host.size() - 2);
      from.family = 6;
      ASSERT_EQ(::inet_pton(AF_INET6, host.c_str(), from.address.data()), 1) << host;
    } else {
      from.family = 4;
      ASSERT_EQ(::inet_pton(AF_INET, host.c_str(), from.address.data()), 1) << host;
    }
    const absl::Time t = absl::FromUnixSeconds(now);
    const uint64_t id = (*minter)->Mint(from, t);
    char text[17];
    std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(id));
    EXPECT_EQ(std::string(text), v.Get("id"));
    // Valid in its window and the next, not after, and only from `from`.
    const int64_t window_start = now - now % window;
    EXPECT_TRUE((*minter)->Verify(id, from, absl::FromUnixSeconds(window_start + 2 * window - 1)));
    EXPECT_FALSE((*minter)->Verify(id, from, absl::FromUnixSeconds(window_start + 2 * window)));
    tracker::SourceAddress other = from;
    other.port ^= 1;
    EXPECT_FALSE((*minter)->Verify(id, other, t));
  }
}

TEST_F(ConformanceTest, TrackerExchangesMatchTheRealHandler) {
  tracker::SwarmRegistry registry({.announce_interval = absl::Seconds(60)}, 1);
  auto minter = tracker::ConnectionIdMinter::Create(std::string(tracker::kSecretBytes, 's'),
                                                    absl::Seconds(120));
  ASSERT_TRUE(minter.ok());
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  tracker::RequestHandler handler(registry, **minter, now);
  const auto from = tracker::SourceAddress::Ipv4(0x7f000001, 40000);
  for (const Vector& v : vectors_) {
    if (v.kind != "tracker") continue;
    SCOPED_TRACE(v.name);
    std::map<std::string, std::string> saved;
    v1::TrackerResponse reply;
    bool replied = false;
    for (const auto& [key, value] : v.lines) {
      if (key == "send_text" || key == "send_hex") {
        std::string bytes;
        if (key == "send_hex") {
          bytes = FromHex(value);
        } else {
          std::string text = value;
          for (const auto& [name, saved_value] : saved) {
            for (size_t at; (at = text.find(name)) != std::string::npos;) {
              text.replace(at, name.size(), saved_value);
            }
          }
          v1::TrackerRequest request;
          ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &request)) << text;
          bytes = request.SerializeAsString();
        }
        uint8_t out[tracker::kMaxReplyBytes];
        const size_t n = handler.Handle(Bytes(bytes), from, now, absl::MakeSpan(out));
        replied = n > 0;
        reply.Clear();
        if (replied) {
          ASSERT_TRUE(reply.ParseFromArray(out, static_cast<int>(n)));
        }
      } else if (key == "expect" && value == "dropped") {
        EXPECT_FALSE(replied) << reply.DebugString();
      } else if (key == "expect") {
        ASSERT_TRUE(replied);
        const size_t eq = value.find(" = ");
        ASSERT_NE(eq, std::string::npos) << value;
        EXPECT_EQ(PathValue(reply, value.substr(0, eq)), value.substr(eq + 3)) << value;
      } else if (key == "save") {
        const std::string field = value.substr(value.rfind('.') + 1);
        saved["$" + field] = PathValue(reply, value);
      }
    }
  }
}

// C escapes of every byte, for `$root` inside a text-format string.
std::string Octal(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) absl::StrAppend(&out, "\\", c >> 6, (c >> 3) & 7, c & 7);
  return out;
}

// One DEALER connection to the seeder: sends a frame, receives the next
// message (at most `timeout`); false when nothing came.
class WireClient {
 public:
  WireClient(zmq::context_t& context, const std::string& endpoint)
      : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
  }
  void Send(const std::string& bytes) { socket_.send(zmq::buffer(bytes), zmq::send_flags::none); }
  bool Receive(absl::Duration timeout, v1::PeerMessage& message, size_t& frames) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout))) <= 0) {
      return false;
    }
    frames = 0;
    message.Clear();
    bool more = true;
    while (more) {
      zmq::message_t part;
      if (!socket_.recv(part, zmq::recv_flags::none)) return false;
      if (frames++ == 0 && !message.ParseFromArray(part.data(), static_cast<int>(part.size()))) {
        message.Clear();
      }
      more = part.more();
    }
    return true;
  }

 private:
  zmq::socket_t socket_;
};

TEST_F(ConformanceTest, WireExchangesWithARealSeeder) {
  const Vector* first = nullptr;
  for (const Vector& v : vectors_) {
    if (v.kind == "wire" && first == nullptr) first = &v;
  }
  ASSERT_NE(first, nullptr);
  uint64_t size = 0, chunk = 0;
  ASSERT_TRUE(absl::SimpleAtoi(first->Get("file_size"), &size));
  ASSERT_TRUE(absl::SimpleAtoi(first->Get("chunk_size"), &chunk));
  const std::string data = Content(size);
  peer::ChunkDigester digester;
  std::vector<Sha256Digest> chunks;
  for (uint64_t at = 0; at < size; at += chunk) {
    chunks.push_back(digester.DigestChunk(Bytes(std::string_view(data).substr(at, chunk))));
  }
  const std::string root = std::string(
      reinterpret_cast<const char*>(peer::MerkleRoot(chunks).data()), sizeof(Sha256Digest));

  const std::string dir = testing::TestDir("conformance_wire");
  auto tracker = testing::TrackerProcess::Start({.dir = dir + "/tracker"});
  ASSERT_TRUE(tracker.ok()) << tracker.status();
  std::filesystem::create_directories(dir + "/peer/user/shared_files");
  { std::ofstream(dir + "/peer/user/shared_files/pattern.bin", std::ios::binary) << data; }
  auto seeder = testing::PeerProcess::Start(
      {.home = dir + "/peer",
       .args = {"--tracker", absl::StrCat("127.0.0.1:", (*tracker)->port()), "--chunk-size-kib",
                std::to_string(chunk / 1024)}});
  ASSERT_TRUE(seeder.ok()) << seeder.status();
  std::string endpoint;
  { std::ifstream(dir + "/peer/state/chunk_endpoint") >> endpoint; }
  ASSERT_FALSE(endpoint.empty());

  zmq::context_t context;
  // "$root_hex" first: "$root" is its prefix.
  const std::pair<std::string, std::string> subst[] = {{"$root_hex", Hex(root)},
                                                       {"$root", Octal(root)}};
  auto substitute = [&](std::string text) {
    for (const auto& [name, value] : subst) {
      for (size_t at; (at = text.find(name)) != std::string::npos;)
        text.replace(at, name.size(), value);
    }
    return text;
  };
  // The seeder shares the pattern file once it has hashed it (bounded poll).
  {
    v1::PeerMessage request;
    request.mutable_manifest_request()->set_root_hash(root);
    bool shared = false;
    for (const absl::Time deadline = absl::Now() + absl::Seconds(30);
         !shared && absl::Now() < deadline;) {
      WireClient probe(context, endpoint);
      probe.Send(request.SerializeAsString());
      v1::PeerMessage reply;
      size_t frames = 0;
      shared = probe.Receive(absl::Seconds(2), reply, frames) && reply.has_manifest();
    }
    ASSERT_TRUE(shared) << "the seeder never shared the pattern file";
  }

  int replayed = 0;
  for (const Vector& v : vectors_) {
    if (v.kind != "wire") continue;
    SCOPED_TRACE(v.name);
    ++replayed;
    WireClient client(context, endpoint);
    v1::PeerMessage message;
    size_t frames = 0;
    for (const auto& [key, value] : v.lines) {
      if (key == "send_text" || key == "send_hex") {
        std::string bytes;
        if (key == "send_hex") {
          bytes = FromHex(value);
        } else {
          v1::PeerMessage request;
          const std::string text = substitute(value);
          ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &request)) << text;
          bytes = request.SerializeAsString();
        }
        client.Send(bytes);
        ASSERT_TRUE(client.Receive(absl::Seconds(10), message, frames)) << "no answer in 10 s";
      } else if (key == "next") {
        ASSERT_TRUE(client.Receive(absl::Seconds(10), message, frames)) << "no answer in 10 s";
      } else if (key == "expect") {
        const size_t eq = value.find(" = ");
        ASSERT_NE(eq, std::string::npos) << value;
        const std::string path = value.substr(0, eq), want = substitute(value.substr(eq + 3));
        if (path == "frames") {
          EXPECT_EQ(std::to_string(frames), want) << value;
        } else {
          EXPECT_EQ(PathValue(message, path), want) << value;
        }
      }
    }
  }
  EXPECT_GT(replayed, 0);
}

}  // namespace
}  // namespace pytorrent
