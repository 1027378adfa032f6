#pragma once

// The normalized events of ci.workflow_run.v1 and ci.workflow_job.v1
// (schemas/events/). Field names follow GitHub's payload, so one reader serves
// both GitHub's objects and our own events.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/json.hpp"

namespace faultline::events {

// Says which field is wrong and how, e.g. "workflow_run.id: missing".
class EventError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using OptionalText = std::optional<std::string>;
using OptionalNumber = std::optional<std::int64_t>;

struct Repository {
  std::int64_t id = 0;
  std::string full_name;
};

// What every event carries besides its run or job.
struct Envelope {
  std::string delivery_id;         // X-GitHub-Delivery: stable across redeliveries
  OptionalNumber hook_id;          // X-GitHub-Hook-ID: needed to ask GitHub to redeliver
  std::string action;              // as GitHub sent it; new actions pass through
  std::string source = "webhook";  // or "reconciler"
  std::string received_at;         // RFC 3339
  OptionalNumber installation_id;
  Repository repository;
};

struct WorkflowRun {
  std::int64_t id = 0;
  std::int64_t run_attempt = 1;
  OptionalNumber run_number;
  OptionalNumber workflow_id;
  OptionalText name;
  OptionalText head_branch;
  OptionalText head_sha;
  OptionalText event;
  std::string status;
  OptionalText conclusion;
  OptionalText html_url;
  OptionalText created_at;
  OptionalText updated_at;
  OptionalText run_started_at;
};

struct WorkflowJob {
  std::int64_t id = 0;
  std::int64_t run_id = 0;
  std::int64_t run_attempt = 1;
  OptionalText name;
  OptionalText workflow_name;
  OptionalText head_branch;
  OptionalText head_sha;
  std::string status;
  OptionalText conclusion;
  OptionalText html_url;
  OptionalText runner_name;
  std::vector<std::string> labels;
  OptionalText created_at;
  OptionalText started_at;
  OptionalText completed_at;
};

struct WorkflowRunEvent {
  Envelope envelope;
  WorkflowRun run;
};

struct WorkflowJobEvent {
  Envelope envelope;
  WorkflowJob job;
};

// Readers of the objects GitHub sends (and that our events repeat).
Repository read_repository(const json::Value& object);
WorkflowRun read_workflow_run(const json::Value& object);
WorkflowJob read_workflow_job(const json::Value& object);

// Our events, whole.
std::string to_json(const WorkflowRunEvent& event);
std::string to_json(const WorkflowJobEvent& event);
WorkflowRunEvent parse_workflow_run_event(std::string_view text);
WorkflowJobEvent parse_workflow_job_event(std::string_view text);

// `<repository_id>/<run_id>`: every event of one run lands in one partition.
std::string partition_key(std::int64_t repository_id, std::int64_t run_id);

}  // namespace faultline::events
