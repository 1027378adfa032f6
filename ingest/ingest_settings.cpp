#include "ingest/ingest_settings.hpp"

#include "common/log.hpp"
#include "common/webhook_secrets.hpp"
#include "ingest/standard_webhooks.hpp"

namespace faultline::ingest {
namespace {

// Lets `scripts/run` take GitLab deliveries out of the box; never in production.
constexpr const char* kDevelopmentGitLabToken = "faultline-development-gitlab-token";

std::vector<std::string> signing_keys(const Environment& env) {
  std::vector<std::string> keys;
  const auto secrets = env.list("FAULTLINE_GITLAB_SIGNING_SECRETS");
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    auto key = standard_webhook_key(secrets[i]);
    // The message names the position, never the value.
    if (!key)
      throw ConfigError("FAULTLINE_GITLAB_SIGNING_SECRETS: item " + std::to_string(i + 1) +
                        " is not whsec_<base64>");
    keys.push_back(std::move(*key));
  }
  return keys;
}

}  // namespace

IngestSettings IngestSettings::from(const Environment& env) {
  IngestSettings s;
  s.address = env.address("FAULTLINE_INGEST_ADDR", "127.0.0.1:8081");
  s.webhook_secrets = faultline::webhook_secrets(env);
  s.gitlab_webhook_tokens = env.list("FAULTLINE_GITLAB_WEBHOOK_TOKENS");
  s.gitlab_signing_keys = signing_keys(env);
  if (s.gitlab_webhook_tokens.empty() && s.gitlab_signing_keys.empty()) {
    if (env.production()) {
      log::info("GitLab webhooks are off: FAULTLINE_GITLAB_WEBHOOK_TOKENS is not set");
    } else {
      log::warn("FAULTLINE_GITLAB_WEBHOOK_TOKENS is not set; using the development token");
      s.gitlab_webhook_tokens.emplace_back(kDevelopmentGitLabToken);
    }
  }
  const auto tolerance = env.duration("FAULTLINE_GITLAB_SIGNATURE_TOLERANCE",
                                      std::chrono::milliseconds(s.gitlab_signature_tolerance));
  if (tolerance < std::chrono::seconds(1) || tolerance > std::chrono::hours(24))
    throw ConfigError("FAULTLINE_GITLAB_SIGNATURE_TOLERANCE: expected 1s to 24h");
  s.gitlab_signature_tolerance = std::chrono::duration_cast<std::chrono::seconds>(tolerance);
  s.max_body_bytes = static_cast<std::size_t>(
      env.integer("FAULTLINE_INGEST_MAX_BODY_BYTES", static_cast<std::int64_t>(s.max_body_bytes),
                  1024, std::int64_t{256} * 1024 * 1024));
  s.publish_timeout = env.duration("FAULTLINE_INGEST_PUBLISH_TIMEOUT", s.publish_timeout);
  s.threads = static_cast<int>(env.integer("FAULTLINE_INGEST_THREADS", s.threads, 1, 64));
  s.kafka = kafka::Settings::from(env);
  return s;
}

}  // namespace faultline::ingest
