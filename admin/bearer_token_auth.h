#ifndef PYTORRENT_ADMIN_BEARER_TOKEN_AUTH_H_
#define PYTORRENT_ADMIN_BEARER_TOKEN_AUTH_H_

// Checks `authorization: Bearer <token>` on every call of the TLS (TCP)
// listener; a missing or wrong token fails the call with UNAUTHENTICATED.
// Tokens are compared by SHA-256 digest in constant time and never logged.
//
// Example:
//   auto creds = grpc::SslServerCredentials(ssl_options);
//   creds->SetAuthMetadataProcessor(std::make_shared<BearerTokenAuth>(token));
//
// Thread-safe (immutable after construction).

#include <string>

#include "common/sha256.h"
#include "grpcpp/security/auth_metadata_processor.h"

namespace pytorrent::admin {

class BearerTokenAuth final : public grpc::AuthMetadataProcessor {
 public:
  // `token` must not be empty.
  explicit BearerTokenAuth(const std::string& token);

  // A digest compare; no need for gRPC's extra thread.
  bool IsBlocking() const override { return false; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

  // Pure check of one `authorization` header value.
  bool Accepts(std::string_view authorization) const;

 private:
  Sha256Digest token_digest_;
};

}  // namespace pytorrent::admin

#endif  // PYTORRENT_ADMIN_BEARER_TOKEN_AUTH_H_
