#include "ingest/normalize.hpp"

#include "common/cloudevents.hpp"
#include "common/events.hpp"
#include "common/pull_request_events.hpp"
#include "common/topics.hpp"

namespace faultline::ingest {
namespace {

events::Envelope envelope(const Delivery& delivery, const json::Value& payload) {
  events::Envelope e;
  e.delivery_id = delivery.delivery_id;
  e.hook_id = delivery.hook_id;
  const auto action = json::string_member(payload, "action");
  if (!action || action->empty())
    throw events::EventError("action: missing");
  e.action = std::string(*action);
  e.received_at = delivery.received_at;
  if (const auto* installation = json::object_member(payload, "installation"))
    e.installation_id = json::integer_member(*installation, "id");
  e.repository = events::read_repository(json::member_or_null(payload, "repository"));
  return e;
}

// Keyed <repository_id>/<run_id>, or for a pull request <repository_id>/<number>.
kafka::OutgoingMessage message(const char* topic, const Delivery& delivery,
                               const events::Envelope& e, std::int64_t run_id, std::string value) {
  CloudEvent cloud_event;
  cloud_event.id = delivery.delivery_id;
  cloud_event.source = "https://github.com/" + e.repository.full_name;
  cloud_event.type = "com.github." + delivery.event + "." + e.action;
  cloud_event.time = delivery.received_at;
  return kafka::OutgoingMessage{topic, events::partition_key(e.repository.id, run_id),
                                std::move(value), to_headers(cloud_event)};
}

}  // namespace

kafka::OutgoingMessage normalize(const Delivery& delivery, const json::Value& payload) {
  if (!payload.IsObject())
    throw events::EventError("payload: not a JSON object");
  if (delivery.event == "workflow_run") {
    events::WorkflowRunEvent event{
        envelope(delivery, payload),
        events::read_workflow_run(json::member_or_null(payload, "workflow_run"))};
    return message(topics::kWorkflowRun, delivery, event.envelope, event.run.id,
                   events::to_json(event));
  }
  if (delivery.event == "workflow_job") {
    events::WorkflowJobEvent event{
        envelope(delivery, payload),
        events::read_workflow_job(json::member_or_null(payload, "workflow_job"))};
    return message(topics::kWorkflowJob, delivery, event.envelope, event.job.run_id,
                   events::to_json(event));
  }
  if (delivery.event == "pull_request") {
    events::PullRequestEvent event{
        envelope(delivery, payload),
        events::read_pull_request(json::member_or_null(payload, "pull_request"))};
    return message(topics::kPullRequest, delivery, event.envelope, event.pull_request.number,
                   events::to_json(event));
  }
  throw events::EventError("X-GitHub-Event: " + delivery.event + " is not published");
}

}  // namespace faultline::ingest
