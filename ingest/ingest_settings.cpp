#include "ingest/ingest_settings.hpp"

#include "common/log.hpp"

namespace faultline::ingest {

// Lets `scripts/run` work out of the box; refused in production.
constexpr const char* kDevelopmentSecret = "faultline-development-secret";

IngestSettings IngestSettings::from(const Environment& env) {
  IngestSettings s;
  s.address = env.address("FAULTLINE_INGEST_ADDR", "127.0.0.1:8081");
  s.webhook_secrets = env.list("FAULTLINE_WEBHOOK_SECRETS");
  if (s.webhook_secrets.empty()) {
    if (env.production())
      throw ConfigError("FAULTLINE_WEBHOOK_SECRETS: required in production (comma-separated)");
    log::warn("FAULTLINE_WEBHOOK_SECRETS is not set; using the development secret",
              {{"secret", kDevelopmentSecret}});
    s.webhook_secrets.push_back(kDevelopmentSecret);
  }
  s.max_body_bytes = static_cast<std::size_t>(
      env.integer("FAULTLINE_INGEST_MAX_BODY_BYTES", static_cast<std::int64_t>(s.max_body_bytes),
                  1024, std::int64_t{256} * 1024 * 1024));
  s.publish_timeout = env.duration("FAULTLINE_INGEST_PUBLISH_TIMEOUT", s.publish_timeout);
  s.threads = static_cast<int>(env.integer("FAULTLINE_INGEST_THREADS", s.threads, 1, 64));
  s.kafka = kafka::Settings::from(env);
  return s;
}

}  // namespace faultline::ingest
