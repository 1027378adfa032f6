#include "common/events.hpp"

#include "common/event_fields.hpp"

namespace faultline::events {
namespace {

void write_number(json::Writer& out, const char* key, const OptionalNumber& value) {
  out.Key(key);
  json::write(out, value);
}

}  // namespace

void write_github_envelope(json::Writer& out, const Envelope& e) {
  out.Key("delivery_id");
  json::write(out, e.delivery_id);
  write_number(out, "hook_id", e.hook_id);
  out.Key("action");
  json::write(out, e.action);
  out.Key("source");
  json::write(out, e.source);
  out.Key("received_at");
  json::write(out, e.received_at);
  write_number(out, "installation_id", e.installation_id);
  out.Key("repository");
  out.StartObject();
  out.Key("id");
  out.Int64(e.repository.id);
  out.Key("full_name");
  json::write(out, e.repository.full_name);
  out.EndObject();
}

Envelope read_github_envelope(const json::Value& root) {
  Fields f(&root, "event");
  Envelope e;
  e.delivery_id = f.text("delivery_id");
  e.hook_id = f.optional_integer("hook_id");
  e.action = f.text("action");
  e.source = f.text("source");
  e.received_at = f.timestamp("received_at").value_or("");
  e.installation_id = f.optional_integer("installation_id");
  e.repository = read_repository(json::member_or_null(root, "repository"));
  return e;
}

Repository read_repository(const json::Value& object) {
  Fields f(&object, "repository");
  return Repository{f.positive("id"), f.text("full_name")};
}

WorkflowRun read_workflow_run(const json::Value& object) {
  Fields f(&object, "workflow_run");
  WorkflowRun run;
  run.id = f.positive("id");
  run.run_attempt = f.optional_integer("run_attempt").value_or(1);
  if (run.run_attempt < 1)
    f.fail("run_attempt", "must be positive");
  run.run_number = f.optional_integer("run_number");
  run.workflow_id = f.optional_integer("workflow_id");
  run.name = f.optional_text("name");
  run.head_branch = f.optional_text("head_branch");
  run.head_sha = f.optional_text("head_sha");
  run.event = f.optional_text("event");
  run.status = f.text("status");
  run.conclusion = f.optional_text("conclusion");
  run.html_url = f.optional_text("html_url");
  run.created_at = f.timestamp("created_at");
  run.updated_at = f.timestamp("updated_at");
  run.run_started_at = f.timestamp("run_started_at");
  return run;
}

WorkflowJob read_workflow_job(const json::Value& object) {
  Fields f(&object, "workflow_job");
  WorkflowJob job;
  job.id = f.positive("id");
  job.run_id = f.positive("run_id");
  job.run_attempt = f.optional_integer("run_attempt").value_or(1);
  if (job.run_attempt < 1)
    f.fail("run_attempt", "must be positive");
  job.name = f.optional_text("name");
  job.workflow_name = f.optional_text("workflow_name");
  job.head_branch = f.optional_text("head_branch");
  job.head_sha = f.optional_text("head_sha");
  job.status = f.text("status");
  job.conclusion = f.optional_text("conclusion");
  job.html_url = f.optional_text("html_url");
  job.runner_name = f.optional_text("runner_name");
  job.labels = f.strings("labels");
  job.created_at = f.timestamp("created_at");
  job.started_at = f.timestamp("started_at");
  job.completed_at = f.timestamp("completed_at");
  return job;
}

std::string to_json(const WorkflowRunEvent& event) {
  const auto& r = event.run;
  return json::object([&](json::Writer& out) {
    write_github_envelope(out, event.envelope);
    out.Key("workflow_run");
    out.StartObject();
    out.Key("id");
    out.Int64(r.id);
    out.Key("run_attempt");
    out.Int64(r.run_attempt);
    write_number(out, "run_number", r.run_number);
    write_number(out, "workflow_id", r.workflow_id);
    write_text(out, "name", r.name);
    write_text(out, "head_branch", r.head_branch);
    write_text(out, "head_sha", r.head_sha);
    write_text(out, "event", r.event);
    out.Key("status");
    json::write(out, r.status);
    write_text(out, "conclusion", r.conclusion);
    write_text(out, "html_url", r.html_url);
    write_text(out, "created_at", r.created_at);
    write_text(out, "updated_at", r.updated_at);
    write_text(out, "run_started_at", r.run_started_at);
    out.EndObject();
  });
}

std::string to_json(const WorkflowJobEvent& event) {
  const auto& j = event.job;
  return json::object([&](json::Writer& out) {
    write_github_envelope(out, event.envelope);
    out.Key("workflow_job");
    out.StartObject();
    out.Key("id");
    out.Int64(j.id);
    out.Key("run_id");
    out.Int64(j.run_id);
    out.Key("run_attempt");
    out.Int64(j.run_attempt);
    write_text(out, "name", j.name);
    write_text(out, "workflow_name", j.workflow_name);
    write_text(out, "head_branch", j.head_branch);
    write_text(out, "head_sha", j.head_sha);
    out.Key("status");
    json::write(out, j.status);
    write_text(out, "conclusion", j.conclusion);
    write_text(out, "html_url", j.html_url);
    write_text(out, "runner_name", j.runner_name);
    out.Key("labels");
    out.StartArray();
    for (const auto& label : j.labels)
      json::write(out, label);
    out.EndArray();
    write_text(out, "created_at", j.created_at);
    write_text(out, "started_at", j.started_at);
    write_text(out, "completed_at", j.completed_at);
    out.EndObject();
  });
}

WorkflowRunEvent parse_workflow_run_event(std::string_view text) {
  const auto document = parse_object(text);
  return WorkflowRunEvent{read_github_envelope(document),
                          read_workflow_run(json::member_or_null(document, "workflow_run"))};
}

WorkflowJobEvent parse_workflow_job_event(std::string_view text) {
  const auto document = parse_object(text);
  return WorkflowJobEvent{read_github_envelope(document),
                          read_workflow_job(json::member_or_null(document, "workflow_job"))};
}

std::string partition_key(std::int64_t repository_id, std::int64_t run_id) {
  return std::to_string(repository_id) + "/" + std::to_string(run_id);
}

}  // namespace faultline::events
