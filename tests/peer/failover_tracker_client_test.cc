#include "peer/failover_tracker_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "tests/peer/fake_tracker_client.h"

namespace pytorrent::peer {
namespace {

using ::testing::ElementsAre;

// One tracker instance of a network: answers through the network's shared
// fake registry, or not at all (`answer` set to an error), counting calls.
class Instance final : public TrackerClient {
 public:
  explicit Instance(std::shared_ptr<FakeTrackerRegistry> network) : network_(std::move(network)) {}

  absl::Status answer = absl::OkStatus();  // not OK: every call returns it
  int calls = 0;

  absl::StatusOr<v1::AnnounceResponse> Announce(const v1::AnnounceRequest& request) override {
    if (absl::Status s = Enter(); !s.ok()) return s;
    return network_.Announce(request);
  }
  absl::Status Leave(uint64_t peer_id, uint64_t peer_key) override {
    if (absl::Status s = Enter(); !s.ok()) return s;
    return network_.Leave(peer_id, peer_key);
  }
  absl::StatusOr<v1::ListPeersResponse> ListPeers(const v1::ListPeersRequest& request) override {
    if (absl::Status s = Enter(); !s.ok()) return s;
    return network_.ListPeers(request);
  }
  absl::StatusOr<v1::SearchFilesResponse> SearchFiles(
      const v1::SearchFilesRequest& request) override {
    if (absl::Status s = Enter(); !s.ok()) return s;
    return network_.SearchFiles(request);
  }
  absl::StatusOr<v1::GetFilePeersResponse> GetFilePeers(
      const v1::GetFilePeersRequest& request) override {
    if (absl::Status s = Enter(); !s.ok()) return s;
    return network_.GetFilePeers(request);
  }
  absl::Status Rename(uint64_t peer_id, uint64_t peer_key,
                      const std::string& new_username) override {
    if (absl::Status s = Enter(); !s.ok()) return s;
    return network_.Rename(peer_id, peer_key, new_username);
  }
  absl::StatusOr<v1::GetStatsResponse> GetStats() override {
    if (absl::Status s = Enter(); !s.ok()) return s;
    return network_.GetStats();
  }

 private:
  absl::Status Enter() {
    ++calls;
    return answer;
  }
  FakeTrackerClient network_;
};

v1::AnnounceRequest Alice() {
  v1::AnnounceRequest a;
  a.set_peer_id(1);
  a.set_peer_key(2);
  a.set_username("alice");
  return a;
}

class FailoverTrackerClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::unique_ptr<TrackerClient>> instances;
    for (int i = 0; i < 3; ++i) {
      auto instance = std::make_unique<Instance>(network_);
      instances_.push_back(instance.get());
      instances.push_back(std::move(instance));
    }
    client_ = std::make_unique<FailoverTrackerClient>(
        std::move(instances), TrackerFailoverOptions{.turns_per_call = 3}, clock_);
  }

  std::vector<int> Calls() const {
    std::vector<int> calls;
    for (const Instance* i : instances_) calls.push_back(i->calls);
    return calls;
  }

  FakeTimeSource clock_;
  std::shared_ptr<FakeTrackerRegistry> network_ = std::make_shared<FakeTrackerRegistry>();
  std::vector<Instance*> instances_;
  std::unique_ptr<FailoverTrackerClient> client_;
};

TEST_F(FailoverTrackerClientTest, AnnouncesToOneInstanceOnly) {
  ASSERT_TRUE(client_->Announce(Alice()).ok());
  ASSERT_TRUE(client_->Announce(Alice()).ok());
  EXPECT_THAT(Calls(), ElementsAre(2, 0, 0));
  EXPECT_EQ(network_->announces, 2);
}

TEST_F(FailoverTrackerClientTest, ASilentInstanceIsLeftWithinTheSameCall) {
  ASSERT_TRUE(client_->Announce(Alice()).ok());
  instances_[0]->answer = absl::UnavailableError("no answer from the tracker");
  // The call that finds the first silent is answered by the second.
  absl::StatusOr<v1::AnnounceResponse> reply = client_->Announce(Alice());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_THAT(Calls(), ElementsAre(2, 1, 0));
  EXPECT_EQ(client_->current(), 1u);
  // Later calls go straight to it: the silent one is not waited on again.
  ASSERT_TRUE(client_->ListPeers({}).ok());
  EXPECT_THAT(Calls(), ElementsAre(2, 2, 0));
  EXPECT_EQ(network_->peers.count(1), 1u);
}

TEST_F(FailoverTrackerClientTest, DeadlineAndTryAgainCountAsSilence) {
  instances_[0]->answer = absl::DeadlineExceededError("call deadline");
  instances_[1]->answer = absl::UnavailableError("TRACKER_ERROR_CODE_TRY_AGAIN");
  ASSERT_TRUE(client_->Announce(Alice()).ok());
  EXPECT_THAT(Calls(), ElementsAre(1, 1, 1));
  EXPECT_EQ(client_->current(), 2u);
}

TEST_F(FailoverTrackerClientTest, AnErrorReplyIsAnAnswerAndDoesNotFailOver) {
  instances_[0]->answer = absl::AlreadyExistsError("username is taken");
  EXPECT_EQ(client_->Announce(Alice()).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(Calls(), ElementsAre(1, 0, 0));
  EXPECT_EQ(client_->current(), 0u);
}

TEST_F(FailoverTrackerClientTest, AllSilentEndsAfterThePlannedTurns) {
  for (Instance* i : instances_) i->answer = absl::UnavailableError("no answer");
  EXPECT_EQ(client_->GetStats().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Calls(), ElementsAre(1, 1, 1));
  // The first to come back answers the next call.
  instances_[1]->answer = absl::OkStatus();
  EXPECT_TRUE(client_->GetStats().ok());
  EXPECT_EQ(client_->current(), 1u);
}

TEST_F(FailoverTrackerClientTest, LeaveTriesTheCurrentInstanceOnly) {
  instances_[0]->answer = absl::UnavailableError("no answer");
  EXPECT_EQ(client_->Leave(1, 2).code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(Calls(), ElementsAre(1, 0, 0));
}

TEST(ExpandTrackerAddressesTest, NamesBecomeEveryAddressTheyResolveTo) {
  std::map<std::string, std::vector<std::string>> dns = {
      {"fleet.example", {"10.0.0.1", "10.0.0.2", "2001:db8::3"}},
      {"10.0.0.1", {"10.0.0.1"}},
      {"10.0.0.9", {"10.0.0.9"}}};
  auto resolve = [&](const std::string& host) -> absl::StatusOr<std::vector<std::string>> {
    auto it = dns.find(host);
    if (it == dns.end()) return absl::InvalidArgumentError("cannot resolve " + host);
    return it->second;
  };
  absl::StatusOr<std::vector<HostPort>> expanded = ExpandTrackerAddresses(
      {{"fleet.example", 6969}, {"10.0.0.1", 6969}, {"10.0.0.1", 7000}, {"10.0.0.9", 6969}},
      resolve);
  ASSERT_TRUE(expanded.ok()) << expanded.status();
  std::vector<std::string> got;
  for (const HostPort& a : *expanded) got.push_back(FormatHostPort(a.host, a.port));
  EXPECT_THAT(got, ElementsAre("10.0.0.1:6969", "10.0.0.2:6969", "[2001:db8::3]:6969",
                               "10.0.0.1:7000", "10.0.0.9:6969"));

  EXPECT_EQ(ExpandTrackerAddresses({{"nowhere.example", 6969}}, resolve).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExpandTrackerAddresses({}, resolve).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ExpandTrackerAddressesTest, AnswersBeyondTheCapAreDropped) {
  auto resolve = [](const std::string&) -> absl::StatusOr<std::vector<std::string>> {
    std::vector<std::string> many;
    for (int i = 0; i < 100; ++i) many.push_back("10.0.1." + std::to_string(i));
    return many;
  };
  absl::StatusOr<std::vector<HostPort>> expanded =
      ExpandTrackerAddresses({{"big.example", 6969}}, resolve);
  ASSERT_TRUE(expanded.ok());
  EXPECT_EQ(expanded->size(), kMaxTrackerInstances);
}

TEST(CreateTrackerClientTest, SeveralAddressesMakeAFailoverClient) {
  auto numeric = [](const std::string& host) -> absl::StatusOr<std::vector<std::string>> {
    return std::vector<std::string>{host};
  };
  auto one = CreateTrackerClient({{"127.0.0.1", 6969}}, {}, numeric);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(dynamic_cast<FailoverTrackerClient*>(one->get()), nullptr);
  auto two = CreateTrackerClient({{"127.0.0.1", 6969}, {"127.0.0.1", 6970}}, {}, numeric);
  ASSERT_TRUE(two.ok());
  EXPECT_NE(dynamic_cast<FailoverTrackerClient*>(two->get()), nullptr);
  EXPECT_EQ(
      CreateTrackerClient({{"127.0.0.1", 0}, {"127.0.0.1", 6970}}, {}, numeric).status().code(),
      absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pytorrent::peer
