#include "ingest/ingest_settings.hpp"

#include "common/webhook_secrets.hpp"

namespace faultline::ingest {

IngestSettings IngestSettings::from(const Environment& env) {
  IngestSettings s;
  s.address = env.address("FAULTLINE_INGEST_ADDR", "127.0.0.1:8081");
  s.webhook_secrets = faultline::webhook_secrets(env);
  s.max_body_bytes = static_cast<std::size_t>(
      env.integer("FAULTLINE_INGEST_MAX_BODY_BYTES", static_cast<std::int64_t>(s.max_body_bytes),
                  1024, std::int64_t{256} * 1024 * 1024));
  s.publish_timeout = env.duration("FAULTLINE_INGEST_PUBLISH_TIMEOUT", s.publish_timeout);
  s.threads = static_cast<int>(env.integer("FAULTLINE_INGEST_THREADS", s.threads, 1, 64));
  s.kafka = kafka::Settings::from(env);
  return s;
}

}  // namespace faultline::ingest
