#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::ingest {

enum class SignatureCheck { kValid, kMissing, kMalformed, kMismatch };

// Checks GitHub's X-Hub-Signature-256 ("sha256=" + hex HMAC-SHA256 of the raw
// body). Any of several secrets may match, so a secret can be rotated without
// losing deliveries.
class SignatureVerifier {
 public:
  explicit SignatureVerifier(std::vector<std::string> secrets);

  SignatureCheck check(std::string_view body, std::optional<std::string_view> header) const;

  // The header value GitHub would send for `body` under `secret`.
  static std::string sign(std::string_view secret, std::string_view body);

 private:
  std::vector<std::string> secrets_;
};

}  // namespace faultline::ingest
