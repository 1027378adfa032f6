#include "common/notify/standard_webhooks.hpp"

#include "common/base64.hpp"
#include "common/crypto.hpp"

namespace faultline::notify {

std::optional<std::string> webhook_key(std::string_view secret) {
  constexpr std::string_view kPrefix = "whsec_";
  if (secret.substr(0, kPrefix.size()) != kPrefix)
    return std::nullopt;
  auto key = base64_decode(secret.substr(kPrefix.size()));
  if (!key || key->size() < 24 || key->size() > 64)
    return std::nullopt;
  return key;
}

std::string webhook_signature(const std::vector<std::string>& keys, std::string_view id,
                              std::int64_t timestamp, std::string_view body) {
  std::string signed_content(id);
  signed_content += '.';
  signed_content += std::to_string(timestamp);
  signed_content += '.';
  signed_content += body;
  std::string header;
  for (const auto& key : keys) {
    const auto mac = crypto::hmac_sha256(key, signed_content);
    header +=
        (header.empty() ? "v1," : " v1,") +
        base64_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
  }
  return header;
}

std::string new_webhook_secret() {
  return "whsec_" + base64_encode(crypto::random_bytes(32));
}

}  // namespace faultline::notify
