// faultline-ingest: verifies GitHub and GitLab webhooks and publishes them to Kafka.

#include <iostream>
#include <string>

#include "common/http.hpp"
#include "common/log.hpp"
#include "ingest/ingest_server.hpp"

namespace {

constexpr const char* kUsage = R"(usage: faultline-ingest

Serves POST /webhooks/github and POST /webhooks/gitlab (plus /health, /ready,
/metrics) until SIGTERM, then answers the requests already accepted and exits.

Environment:
  FAULTLINE_INGEST_ADDR             listen address (default 127.0.0.1:8081)
  FAULTLINE_WEBHOOK_SECRETS         comma-separated secrets; any one verifies
  FAULTLINE_GITLAB_WEBHOOK_TOKENS   comma-separated X-Gitlab-Token values; any one verifies
  FAULTLINE_GITLAB_SIGNING_SECRETS  comma-separated whsec_ signing secrets; when set,
                                    every GitLab delivery must be signed
  FAULTLINE_GITLAB_SIGNATURE_TOLERANCE  largest webhook-timestamp distance (default 5m)
  FAULTLINE_KAFKA_BROKERS           bootstrap servers (default 127.0.0.1:9092)
  FAULTLINE_KAFKA_<PROP>            any librdkafka property
  FAULTLINE_INGEST_MAX_BODY_BYTES   largest accepted body (default 26214400)
  FAULTLINE_INGEST_PUBLISH_TIMEOUT  broker acknowledgement deadline (default 5s)
  FAULTLINE_INGEST_THREADS          HTTP worker threads (default 2)
  FAULTLINE_LOG_LEVEL               debug, info, warn, error
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace faultline;
  if (argc > 1) {
    const std::string arg = argv[1];
    std::cout << kUsage;
    return arg == "--help" || arg == "-h" ? 0 : 2;
  }
  try {
    const Environment env;
    log::configure("ingest", log::parse_level(env.text("FAULTLINE_LOG_LEVEL", "info")));
    const auto settings = ingest::IngestSettings::from(env);

    http::block_termination_signals();
    metrics::Registry registry;
    ingest::IngestServer server(settings, registry);
    server.start();
    log::info("listening", {{"host", settings.address.host},
                            {"port", static_cast<int>(server.port())},
                            {"brokers", settings.kafka.brokers}});

    const int signal = http::wait_for_termination();
    log::info("draining", {{"signal", signal}});
    server.drain(std::chrono::seconds(10));
    server.stop();
    log::info("stopped");
    return 0;
  } catch (const ConfigError& e) {
    std::cerr << "faultline-ingest: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    log::error("ingest failed to start", {{"error", e.what()}});
    return 1;
  }
}
