#include "tests/support/run_events.hpp"

#include "common/cloudevents.hpp"
#include "common/topics.hpp"

namespace faultline::testing {

events::WorkflowRunEvent run_event(const RunSpec& spec) {
  events::WorkflowRunEvent e;
  e.envelope.delivery_id = spec.delivery_id;
  e.envelope.hook_id = 7;
  e.envelope.action = spec.status == "completed"     ? "completed"
                      : spec.status == "in_progress" ? "in_progress"
                                                     : "requested";
  e.envelope.received_at = "2026-11-23T10:00:00.000Z";
  e.envelope.repository = {spec.repository_id, spec.repository};
  e.run.id = spec.run_id;
  e.run.run_attempt = spec.attempt;
  e.run.workflow_id = spec.workflow_id;
  e.run.name = spec.workflow;
  e.run.head_branch = spec.branch;
  e.run.head_sha = spec.head_sha;
  e.run.status = spec.status;
  e.run.conclusion = spec.conclusion;
  e.run.html_url =
      "https://github.com/" + spec.repository + "/actions/runs/" + std::to_string(spec.run_id);
  e.run.created_at = spec.created_at;
  e.run.updated_at = spec.updated_at;
  return e;
}

kafka::OutgoingMessage run_message(const events::WorkflowRunEvent& e) {
  CloudEvent ce{e.envelope.delivery_id, "https://github.com/" + e.envelope.repository.full_name,
                "com.github.workflow_run." + e.envelope.action, e.envelope.received_at};
  return {topics::kWorkflowRun, events::partition_key(e.envelope.repository.id, e.run.id),
          events::to_json(e), to_headers(ce)};
}

}  // namespace faultline::testing
