#include "ingest/gitlab_normalize.hpp"

#include "common/cloudevents.hpp"
#include "common/gitlab_events.hpp"
#include "common/topics.hpp"

namespace faultline::ingest {
namespace {

events::GitLabEnvelope envelope(const GitLabDelivery& delivery) {
  events::GitLabEnvelope e;
  e.delivery_id = delivery.delivery_id;
  e.event_uuid = delivery.event_uuid;
  e.instance = delivery.instance;
  e.received_at = delivery.received_at;
  return e;
}

// An http(s) URL of printable ASCII (ce_source is a header and a URI).
bool header_url(std::string_view url) {
  if (url.size() > 2048 || (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0))
    return false;
  for (const char c : url)
    if (c < 0x21 || c > 0x7e)
      return false;
  return true;
}

// The project's page when GitLab named one, else a URN that still names it.
std::string source_of(const events::GitLabProject& project) {
  if (project.web_url && header_url(*project.web_url))
    return *project.web_url;
  return "urn:gitlab:project:" + std::to_string(project.id);
}

kafka::OutgoingMessage message(const char* topic, const char* kind, const GitLabDelivery& delivery,
                               const events::GitLabEnvelope& e, std::int64_t pipeline_id,
                               const std::string& status, std::string value) {
  CloudEvent cloud_event;
  cloud_event.id = delivery.delivery_id;
  cloud_event.source = source_of(e.project);
  cloud_event.type = std::string("com.gitlab.") + kind + "." + status;
  cloud_event.time = delivery.received_at;
  return kafka::OutgoingMessage{topic, events::partition_key(e.project.id, pipeline_id),
                                std::move(value), to_headers(cloud_event)};
}

}  // namespace

kafka::OutgoingMessage normalize_gitlab(const GitLabDelivery& delivery,
                                        const json::Value& payload) {
  if (!payload.IsObject())
    throw events::EventError("payload: not a JSON object");
  if (delivery.event == kPipelineHook) {
    const auto event = events::read_pipeline_hook(payload, envelope(delivery));
    return message(topics::kGitLabPipeline, "pipeline", delivery, event.envelope, event.pipeline.id,
                   event.pipeline.status, events::to_json(event));
  }
  if (delivery.event == kJobHook) {
    const auto event = events::read_job_hook(payload, envelope(delivery));
    return message(topics::kGitLabJob, "job", delivery, event.envelope, event.job.pipeline_id,
                   event.job.status, events::to_json(event));
  }
  throw events::EventError("X-Gitlab-Event: " + delivery.event + " is not published");
}

}  // namespace faultline::ingest
