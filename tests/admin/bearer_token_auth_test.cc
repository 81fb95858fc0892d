#include "admin/bearer_token_auth.h"

#include "admin/grpc_status.h"
#include "gtest/gtest.h"

namespace pytorrent::admin {
namespace {

TEST(BearerTokenAuthTest, AcceptsOnlyTheExactBearerToken) {
  BearerTokenAuth auth("tok-123");
  EXPECT_TRUE(auth.Accepts("Bearer tok-123"));
  EXPECT_FALSE(auth.Accepts("Bearer tok-1234"));
  EXPECT_FALSE(auth.Accepts("Bearer "));
  EXPECT_FALSE(auth.Accepts("bearer tok-123"));
  EXPECT_FALSE(auth.Accepts("tok-123"));
  EXPECT_FALSE(auth.Accepts(""));
  EXPECT_FALSE(auth.Accepts("Bearer " + std::string(10000, 'a')));
}

TEST(BearerTokenAuthTest, ProcessRejectsMissingDuplicateOrWrongTokens) {
  BearerTokenAuth auth("tok-123");
  grpc::AuthMetadataProcessor::InputMetadata in;
  grpc::AuthMetadataProcessor::OutputMetadata consumed, response;
  EXPECT_EQ(auth.Process(in, nullptr, &consumed, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  const std::string good = "Bearer tok-123";
  const std::string bad = "Bearer nope";
  in.emplace("authorization", grpc::string_ref(good));
  EXPECT_TRUE(auth.Process(in, nullptr, &consumed, &response).ok());
  EXPECT_EQ(consumed.count("authorization"), 1u);
  in.emplace("authorization", grpc::string_ref(bad));
  EXPECT_EQ(auth.Process(in, nullptr, &consumed, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST(GrpcStatusTest, CodesAndMessagesSurviveBothWays) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  grpc::Status g = ToGrpcStatus(absl::NotFoundError("no file named x"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(g.error_message(), "no file named x");
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("t")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  absl::Status a = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  EXPECT_EQ(a.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a.message(), "down");
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

}  // namespace
}  // namespace pytorrent::admin
