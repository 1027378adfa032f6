#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/json.hpp"
#include "common/kafka.hpp"

namespace faultline::ingest {

struct Delivery {
  std::string event;        // X-GitHub-Event: workflow_run, workflow_job or pull_request
  std::string delivery_id;  // X-GitHub-Delivery
  std::optional<std::int64_t> hook_id;
  std::string received_at;  // RFC 3339
};

// The message to publish for a workflow_run, workflow_job or pull_request
// delivery: the normalized event as its value, CloudEvents headers, key
// `<repository_id>/<run_id>` (a pull request's: `<repository_id>/<number>`).
// Throws events::EventError naming the field that is missing or wrong.
kafka::OutgoingMessage normalize(const Delivery& delivery, const json::Value& payload);

}  // namespace faultline::ingest
