#pragma once

// Standard Webhooks signatures (standardwebhooks.com), what GitLab sends when
// a hook has a signing token: `webhook-id`, `webhook-timestamp` (seconds since
// the epoch) and `webhook-signature`, a space-separated list of
// `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. Secrets are
// `whsec_<base64 key>`; any one configured may match (rotation).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::ingest {

enum class StandardSignatureCheck {
  kValid,
  kAbsent,      // none of the three headers
  kIncomplete,  // some of them
  kMalformed,   // a timestamp that is not a number, no v1 signature of 32 bytes
  kStale,       // the timestamp is further from now than the tolerance
  kMismatch,
};

struct StandardSignatureHeaders {
  std::optional<std::string_view> id;         // webhook-id
  std::optional<std::string_view> timestamp;  // webhook-timestamp
  std::optional<std::string_view> signature;  // webhook-signature
};

// The key of a `whsec_<base64>` secret; nullopt if it is not one.
std::optional<std::string> standard_webhook_key(std::string_view secret);

class StandardWebhookVerifier {
 public:
  // `keys` as standard_webhook_key gives them.
  StandardWebhookVerifier(std::vector<std::string> keys, std::chrono::seconds tolerance);

  bool configured() const { return !keys_.empty(); }

  // `now` in seconds since the epoch.
  StandardSignatureCheck check(const StandardSignatureHeaders& headers, std::string_view body,
                               std::int64_t now) const;

  // The `v1,<base64>` signature of `body` under `key`.
  static std::string sign(std::string_view key, std::string_view id, std::int64_t timestamp,
                          std::string_view body);

 private:
  std::vector<std::string> keys_;
  std::chrono::seconds tolerance_;
};

}  // namespace faultline::ingest
