#include "common/gitlab_events.hpp"

#include "common/event_fields.hpp"
#include "common/time.hpp"

namespace faultline::events {
namespace {

// GitLab's statuses are lower-case words (waiting_for_resource); a new one
// passes through. It becomes part of ce_type, so nothing else does.
std::string status(const Fields& f, const char* key) {
  auto value = f.text(key);
  if (value.size() > 64 ||
      value.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
    f.fail(key, "not a GitLab status");
  return value;
}

OptionalText time(const Fields& f, const char* key) {
  const auto value = f.optional_text(key);
  if (!value)
    return std::nullopt;
  auto utc = gitlab_time_utc(*value);
  if (!utc)
    f.fail(key, "not a time (2016-08-12 15:23:28 UTC or ISO 8601 with an offset)");
  return utc;
}

void require_kind(const json::Value& payload, std::string_view kind) {
  const Fields f(&payload, "payload");
  if (f.text("object_kind") != kind)
    f.fail("object_kind", "not " + std::string(kind));
}

GitLabProject read_project(const json::Value& object, const char* path) {
  const Fields f(&object, path);
  return GitLabProject{f.positive("id"), f.optional_text("path_with_namespace"),
                       f.optional_text("web_url")};
}

GitLabPipeline read_pipeline(const json::Value& object, const char* path) {
  const Fields f(&object, path);
  GitLabPipeline p;
  p.id = f.positive("id");
  p.iid = f.optional_integer("iid");
  p.name = f.optional_text("name");
  p.ref = f.optional_text("ref");
  p.tag = f.boolean("tag", false);
  p.sha = f.optional_text("sha");
  p.source = f.optional_text("source");
  p.status = status(f, "status");
  p.detailed_status = f.optional_text("detailed_status");
  p.url = f.optional_text("url");
  p.created_at = time(f, "created_at");
  p.finished_at = time(f, "finished_at");
  p.duration = f.optional_real("duration");
  p.queued_duration = f.optional_real("queued_duration");
  return p;
}

// Where a job's fields are: the hook's build_* names, or our event's plain ones.
struct JobKeys {
  const char* id;
  const char* name;
  const char* stage;
  const char* status;
  const char* failure_reason;
  const char* allow_failure;
  const char* created_at;
  const char* started_at;
  const char* finished_at;
  const char* duration;
  const char* queued_duration;
};

constexpr JobKeys kHookKeys{"build_id",         "build_name",           "build_stage",
                            "build_status",     "build_failure_reason", "build_allow_failure",
                            "build_created_at", "build_started_at",     "build_finished_at",
                            "build_duration",   "build_queued_duration"};
constexpr JobKeys kEventKeys{
    "id",         "name",       "stage",       "status",   "failure_reason", "allow_failure",
    "created_at", "started_at", "finished_at", "duration", "queued_duration"};

// Everything but the runner, which the hook nests and our event does not.
GitLabJob read_job(const Fields& f, const JobKeys& keys) {
  GitLabJob j;
  j.id = f.positive(keys.id);
  j.pipeline_id = f.positive("pipeline_id");
  j.name = f.optional_text(keys.name);
  j.stage = f.optional_text(keys.stage);
  j.ref = f.optional_text("ref");
  j.tag = f.boolean("tag", false);
  j.sha = f.optional_text("sha");
  j.status = status(f, keys.status);
  j.failure_reason = f.optional_text(keys.failure_reason);
  j.allow_failure = f.boolean(keys.allow_failure, false);
  j.retries_count = f.optional_integer("retries_count");
  j.created_at = time(f, keys.created_at);
  j.started_at = time(f, keys.started_at);
  j.finished_at = time(f, keys.finished_at);
  j.duration = f.optional_real(keys.duration);
  j.queued_duration = f.optional_real(keys.queued_duration);
  return j;
}

// Our own event's job object.
GitLabJob read_job(const json::Value& object) {
  const Fields f(&object, "job");
  auto j = read_job(f, kEventKeys);
  j.runner_description = f.optional_text("runner_description");
  j.runner_tags = f.strings("runner_tags");
  return j;
}

void write_real(json::Writer& out, const char* key, const std::optional<double>& value) {
  out.Key(key);
  if (value)
    out.Double(*value);
  else
    out.Null();
}

void write_envelope(json::Writer& out, const GitLabEnvelope& e) {
  out.Key("delivery_id");
  json::write(out, e.delivery_id);
  write_text(out, "event_uuid", e.event_uuid);
  write_text(out, "instance", e.instance);
  out.Key("source");
  json::write(out, e.source);
  out.Key("received_at");
  json::write(out, e.received_at);
  out.Key("project");
  out.StartObject();
  out.Key("id");
  out.Int64(e.project.id);
  write_text(out, "path_with_namespace", e.project.path_with_namespace);
  write_text(out, "web_url", e.project.web_url);
  out.EndObject();
}

GitLabEnvelope read_envelope(const json::Value& root) {
  const Fields f(&root, "event");
  GitLabEnvelope e;
  e.delivery_id = f.text("delivery_id");
  e.event_uuid = f.optional_text("event_uuid");
  e.instance = f.optional_text("instance");
  e.source = f.text("source");
  e.received_at = f.timestamp("received_at").value_or("");
  e.project = read_project(json::member_or_null(root, "project"), "project");
  return e;
}

}  // namespace

GitLabPipelineEvent read_pipeline_hook(const json::Value& payload, GitLabEnvelope envelope) {
  require_kind(payload, "pipeline");
  envelope.project = read_project(json::member_or_null(payload, "project"), "project");
  return GitLabPipelineEvent{
      std::move(envelope),
      read_pipeline(json::member_or_null(payload, "object_attributes"), "object_attributes")};
}

GitLabJobEvent read_job_hook(const json::Value& payload, GitLabEnvelope envelope) {
  require_kind(payload, "build");
  const Fields f(&payload, "payload");
  envelope.project.id = f.positive("project_id");
  // Newer GitLab adds a project object; older hooks only the repository's homepage.
  if (const auto* project = json::object_member(payload, "project")) {
    auto described = read_project(*project, "project");
    if (described.id != envelope.project.id)
      f.fail("project.id", "not project_id");
    envelope.project = std::move(described);
  } else if (const auto* repository = json::object_member(payload, "repository")) {
    envelope.project.web_url = Fields(repository, "repository").optional_text("homepage");
  }
  auto j = read_job(f, kHookKeys);
  if (const auto& runner = json::member_or_null(payload, "runner"); !runner.IsNull()) {
    const Fields r(&runner, "runner");
    j.runner_description = r.optional_text("description");
    j.runner_tags = r.strings("tags");
  }
  return GitLabJobEvent{std::move(envelope), std::move(j)};
}

std::string to_json(const GitLabPipelineEvent& event) {
  const auto& p = event.pipeline;
  return json::object([&](json::Writer& out) {
    write_envelope(out, event.envelope);
    out.Key("pipeline");
    out.StartObject();
    out.Key("id");
    out.Int64(p.id);
    out.Key("iid");
    json::write(out, p.iid);
    write_text(out, "name", p.name);
    write_text(out, "ref", p.ref);
    out.Key("tag");
    out.Bool(p.tag);
    write_text(out, "sha", p.sha);
    write_text(out, "source", p.source);
    out.Key("status");
    json::write(out, p.status);
    write_text(out, "detailed_status", p.detailed_status);
    write_text(out, "url", p.url);
    write_text(out, "created_at", p.created_at);
    write_text(out, "finished_at", p.finished_at);
    write_real(out, "duration", p.duration);
    write_real(out, "queued_duration", p.queued_duration);
    out.EndObject();
  });
}

std::string to_json(const GitLabJobEvent& event) {
  const auto& j = event.job;
  return json::object([&](json::Writer& out) {
    write_envelope(out, event.envelope);
    out.Key("job");
    out.StartObject();
    out.Key("id");
    out.Int64(j.id);
    out.Key("pipeline_id");
    out.Int64(j.pipeline_id);
    write_text(out, "name", j.name);
    write_text(out, "stage", j.stage);
    write_text(out, "ref", j.ref);
    out.Key("tag");
    out.Bool(j.tag);
    write_text(out, "sha", j.sha);
    out.Key("status");
    json::write(out, j.status);
    write_text(out, "failure_reason", j.failure_reason);
    out.Key("allow_failure");
    out.Bool(j.allow_failure);
    out.Key("retries_count");
    json::write(out, j.retries_count);
    write_text(out, "runner_description", j.runner_description);
    out.Key("runner_tags");
    out.StartArray();
    for (const auto& tag : j.runner_tags)
      json::write(out, tag);
    out.EndArray();
    write_text(out, "created_at", j.created_at);
    write_text(out, "started_at", j.started_at);
    write_text(out, "finished_at", j.finished_at);
    write_real(out, "duration", j.duration);
    write_real(out, "queued_duration", j.queued_duration);
    out.EndObject();
  });
}

GitLabPipelineEvent parse_gitlab_pipeline_event(std::string_view text) {
  const auto document = parse_object(text);
  return GitLabPipelineEvent{read_envelope(document),
                             read_pipeline(json::member_or_null(document, "pipeline"), "pipeline")};
}

GitLabJobEvent parse_gitlab_job_event(std::string_view text) {
  const auto document = parse_object(text);
  return GitLabJobEvent{read_envelope(document), read_job(json::member_or_null(document, "job"))};
}

}  // namespace faultline::events
