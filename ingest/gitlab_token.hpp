#pragma once

// GitLab's X-Gitlab-Token: the secret token set on a hook, sent as it is.
// Any of several configured tokens may match, so they can be rotated.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.hpp"

namespace faultline::ingest {

enum class TokenCheck { kValid, kMissing, kMismatch };

class GitLabTokenVerifier {
 public:
  explicit GitLabTokenVerifier(const std::vector<std::string>& tokens);

  bool configured() const { return !digests_.empty(); }

  // Compares digests, not the tokens: the time taken says nothing about a
  // token's contents or its length, nor which one matched.
  TokenCheck check(std::optional<std::string_view> header) const;

 private:
  std::vector<crypto::Sha256Digest> digests_;
};

}  // namespace faultline::ingest
