#include "admin/bearer_token_auth.h"

#include <openssl/crypto.h>

#include <string_view>

namespace pytorrent::admin {
namespace {

constexpr std::string_view kAuthorizationKey = "authorization";
constexpr std::string_view kBearerPrefix = "Bearer ";
// Bigger values are not tokens we minted; refuse before hashing them.
constexpr size_t kMaxAuthorizationBytes = 4096;

}  // namespace

BearerTokenAuth::BearerTokenAuth(const std::string& token) : token_digest_(Sha256::Of(token)) {}

bool BearerTokenAuth::Accepts(std::string_view authorization) const {
  if (authorization.size() > kMaxAuthorizationBytes) return false;
  if (authorization.substr(0, kBearerPrefix.size()) != kBearerPrefix) return false;
  const std::string_view token = authorization.substr(kBearerPrefix.size());
  if (token.empty()) return false;
  const Sha256Digest digest = Sha256::Of(token);
  return CRYPTO_memcmp(digest.data(), token_digest_.data(), digest.size()) == 0;
}

grpc::Status BearerTokenAuth::Process(const InputMetadata& auth_metadata, grpc::AuthContext*,
                                      OutputMetadata* consumed_auth_metadata, OutputMetadata*) {
  const auto range = auth_metadata.equal_range(
      grpc::string_ref(kAuthorizationKey.data(), kAuthorizationKey.size()));
  bool accepted = false;
  int count = 0;
  for (auto it = range.first; it != range.second; ++it) {
    ++count;
    accepted = Accepts(std::string_view(it->second.data(), it->second.size()));
  }
  if (count != 1 || !accepted) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "missing or wrong bearer token: send 'authorization: Bearer <token>' "
                        "(the CLI's --token)");
  }
  // Consumed: the token is not passed on to the handlers.
  consumed_auth_metadata->emplace(
      std::string(kAuthorizationKey),
      std::string(range.first->second.data(), range.first->second.size()));
  return grpc::Status::OK;
}

}  // namespace pytorrent::admin
