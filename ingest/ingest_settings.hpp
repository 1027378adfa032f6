#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/kafka.hpp"

namespace faultline::ingest {

struct IngestSettings {
  HostPort address{"127.0.0.1", 8081};
  std::vector<std::string> webhook_secrets;
  // GitLab: the hooks' secret tokens (X-Gitlab-Token), the keys of their
  // Standard Webhooks signing secrets (whsec_ decoded), and how far a
  // signature's webhook-timestamp may be from now.
  std::vector<std::string> gitlab_webhook_tokens;
  std::vector<std::string> gitlab_signing_keys;
  std::chrono::seconds gitlab_signature_tolerance{300};
  std::size_t max_body_bytes = 25 * 1024 * 1024;  // GitHub caps payloads at 25 MB
  std::chrono::milliseconds publish_timeout{5000};
  int threads = 2;
  kafka::Settings kafka;

  // Throws ConfigError for unusable values, and when production runs without
  // a webhook secret. GitLab is optional: in production, with neither its
  // tokens nor its signing secrets set, every GitLab delivery is refused.
  static IngestSettings from(const Environment& env);
};

}  // namespace faultline::ingest
