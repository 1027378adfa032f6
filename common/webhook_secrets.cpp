#include "common/webhook_secrets.hpp"

#include "common/crypto.hpp"
#include "common/log.hpp"

namespace faultline {

// Lets `scripts/run` work out of the box; refused in production.
constexpr const char* kDevelopmentSecret = "faultline-development-secret";

std::vector<std::string> webhook_secrets(const Environment& env) {
  auto secrets = env.list("FAULTLINE_WEBHOOK_SECRETS");
  if (secrets.empty()) {
    if (env.production())
      throw ConfigError("FAULTLINE_WEBHOOK_SECRETS: required in production (comma-separated)");
    log::warn("FAULTLINE_WEBHOOK_SECRETS is not set; using the development secret",
              {{"secret", kDevelopmentSecret}});
    secrets.emplace_back(kDevelopmentSecret);
  }
  return secrets;
}

std::string repository_webhook_secret(std::string_view master, std::int64_t repository_id) {
  return crypto::to_hex(
      crypto::hmac_sha256(master, "faultline-repository-hook:" + std::to_string(repository_id)));
}

}  // namespace faultline
