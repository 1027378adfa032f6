#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::ingest {

enum class SignatureCheck { kValid, kMissing, kMalformed, kMismatch };

struct SignatureResult {
  SignatureCheck check = SignatureCheck::kMismatch;
  // Set when the repository's own secret matched: the delivery may speak only
  // for that repository.
  std::optional<std::int64_t> repository_id;
};

// Checks GitHub's X-Hub-Signature-256 ("sha256=" + hex HMAC-SHA256 of the raw
// body). Any of several master secrets may match, so they can be rotated
// without losing deliveries; so may the secret derived from each master for
// the repository the hook belongs to (see common/webhook_secrets.hpp).
class SignatureVerifier {
 public:
  explicit SignatureVerifier(std::vector<std::string> secrets);

  // `hook_repository` is the repository GitHub says the hook is on
  // (X-GitHub-Hook-Installation-Target-ID of a repository hook), if any.
  SignatureResult check(std::string_view body, std::optional<std::string_view> header,
                        std::optional<std::int64_t> hook_repository = std::nullopt) const;

  // The header value GitHub would send for `body` under `secret`.
  static std::string sign(std::string_view secret, std::string_view body);

 private:
  std::vector<std::string> secrets_;
};

}  // namespace faultline::ingest
