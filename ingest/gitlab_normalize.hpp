#pragma once

#include <string>

#include "common/events.hpp"
#include "common/json.hpp"
#include "common/kafka.hpp"

namespace faultline::ingest {

inline constexpr const char* kPipelineHook = "Pipeline Hook";
inline constexpr const char* kJobHook = "Job Hook";

struct GitLabDelivery {
  std::string event;        // X-Gitlab-Event: kPipelineHook or kJobHook
  std::string delivery_id;  // see gitlab_delivery_id()
  events::OptionalText event_uuid;
  events::OptionalText instance;
  std::string received_at;  // RFC 3339
};

// The message to publish for a Pipeline Hook or Job Hook delivery: the
// normalized event as its value (common/gitlab_events.hpp), CloudEvents
// headers (ce_type com.gitlab.pipeline.<status> or com.gitlab.job.<status>,
// ce_source the project's web URL), key `<project_id>/<pipeline_id>` so a
// pipeline's events and its jobs' stay in order on one partition. Throws
// events::EventError naming the field that is missing or wrong.
kafka::OutgoingMessage normalize_gitlab(const GitLabDelivery& delivery, const json::Value& payload);

}  // namespace faultline::ingest
