#pragma once

// Building workflow_run events and publishing them as ingest would.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/events.hpp"
#include "common/kafka.hpp"

namespace faultline::testing {

struct RunSpec {
  std::int64_t run_id = 1;
  std::string status = "completed";
  std::optional<std::string> conclusion;
  std::string updated_at = "2026-11-23T10:00:00Z";
  std::string created_at = "2026-11-23T09:59:00Z";
  std::string delivery_id = "delivery";
  std::int64_t attempt = 1;
  std::string branch = "main";
  std::string workflow = "CI";
  std::int64_t workflow_id = 31;
  std::int64_t repository_id = 555;
  std::string repository = "octo/widgets";
  std::optional<std::string> head_sha;
};

events::WorkflowRunEvent run_event(const RunSpec& spec);

// The message faultline-ingest would publish for `event`.
kafka::OutgoingMessage run_message(const events::WorkflowRunEvent& event);

}  // namespace faultline::testing
