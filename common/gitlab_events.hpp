#pragma once

// The normalized events of ci.gitlab_pipeline.v1 and ci.gitlab_job.v1
// (schemas/events/gitlab_*.v1.json), read from GitLab's "Pipeline Hook" and
// "Job Hook" payloads. Every time is RFC 3339 in UTC, whichever of its two
// forms GitLab sent (see gitlab_time_utc). The pipeline keeps GitLab's field
// names, so one reader serves the hook's object_attributes and our event; the
// job hook's flat build_* fields become a `job` object of plain names.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/events.hpp"
#include "common/json.hpp"

namespace faultline::events {

struct GitLabProject {
  std::int64_t id = 0;
  OptionalText path_with_namespace;  // group/project
  OptionalText web_url;
};

// What every GitLab event carries besides its pipeline or job.
struct GitLabEnvelope {
  std::string delivery_id;         // Idempotency-Key, stable across GitLab's retries
  OptionalText event_uuid;         // X-Gitlab-Event-UUID
  OptionalText instance;           // X-Gitlab-Instance: https://gitlab.com or a self-managed URL
  std::string source = "webhook";  // or "reconciler"
  std::string received_at;         // RFC 3339
  GitLabProject project;
};

struct GitLabPipeline {
  std::int64_t id = 0;
  OptionalNumber iid;
  OptionalText name;
  OptionalText ref;
  bool tag = false;
  OptionalText sha;
  OptionalText source;  // push, merge_request_event, schedule, web, ...
  std::string status;   // created, pending, running, success, failed, canceled, ...
  OptionalText detailed_status;
  OptionalText url;
  OptionalText created_at;
  OptionalText finished_at;
  std::optional<double> duration;  // seconds
  std::optional<double> queued_duration;
};

struct GitLabJob {
  std::int64_t id = 0;
  std::int64_t pipeline_id = 0;
  OptionalText name;
  OptionalText stage;
  OptionalText ref;
  bool tag = false;
  OptionalText sha;
  std::string status;
  OptionalText failure_reason;  // script_failure, runner_system_failure, ...
  bool allow_failure = false;
  OptionalNumber retries_count;
  OptionalText runner_description;
  std::vector<std::string> runner_tags;
  OptionalText created_at;
  OptionalText started_at;
  OptionalText finished_at;
  std::optional<double> duration;  // seconds, with a fraction
  std::optional<double> queued_duration;
};

struct GitLabPipelineEvent {
  GitLabEnvelope envelope;
  GitLabPipeline pipeline;
};

struct GitLabJobEvent {
  GitLabEnvelope envelope;
  GitLabJob job;
};

// The events of GitLab's hook payloads (object_kind "pipeline" and "build");
// `envelope` brings what the headers said, the project is read from the body.
// Throw EventError naming the field that is missing or wrong.
GitLabPipelineEvent read_pipeline_hook(const json::Value& payload, GitLabEnvelope envelope);
GitLabJobEvent read_job_hook(const json::Value& payload, GitLabEnvelope envelope);

// Our events, whole.
std::string to_json(const GitLabPipelineEvent& event);
std::string to_json(const GitLabJobEvent& event);
GitLabPipelineEvent parse_gitlab_pipeline_event(std::string_view text);
GitLabJobEvent parse_gitlab_job_event(std::string_view text);

}  // namespace faultline::events
