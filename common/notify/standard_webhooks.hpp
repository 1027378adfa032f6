#pragma once

// Signing per the Standard Webhooks specification (standardwebhooks.com):
// webhook-signature is "v1,<base64(HMAC-SHA256(key, id.timestamp.body))>",
// one such signature per secret, separated by spaces, so a receiver that has
// only the old or only the new secret verifies while secrets rotate.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::notify {

// The key of a "whsec_<base64>" secret (24 to 64 bytes), or nothing.
std::optional<std::string> webhook_key(std::string_view secret);

// The webhook-signature header value for `keys` (raw bytes, as webhook_key gives).
std::string webhook_signature(const std::vector<std::string>& keys, std::string_view id,
                              std::int64_t timestamp, std::string_view body);

// A new secret: "whsec_" and base64 of 32 random bytes.
std::string new_webhook_secret();

}  // namespace faultline::notify
