#pragma once

// GitLab's documented hook payloads (tests/support/examples.hpp) with the
// fields a test is about replaced, and the messages faultline-ingest publishes
// for them.

#include <cstdint>
#include <optional>
#include <string>

#include "common/kafka.hpp"

namespace faultline::testing {

// The Pipeline Hook (project 1, gitlab-org/gitlab-test, pipeline named by
// its source, merge_request_event, on master) with its pipeline's id, status
// and finish time replaced, and the url GitLab now sends added; `name` gives
// it a name.
std::string pipeline_hook(std::int64_t pipeline, const std::string& status, const char* finished_at,
                          const char* name = nullptr);

// The Job Hook (project 380, an older hook naming no project object) with its
// job, pipeline, status and failure reason replaced, and its created_at and
// project id when given.
struct JobHookOptions {
  const char* created_at = nullptr;
  std::optional<std::int64_t> project;
};
std::string job_hook(std::int64_t job, std::int64_t pipeline, const std::string& status,
                     const char* failure_reason, const JobHookOptions& options = {});

// What faultline-ingest publishes for a delivery of `body` as GitLab's `event`
// (ingest::kPipelineHook or kJobHook).
kafka::OutgoingMessage gitlab_message(const char* event, const std::string& delivery,
                                      const std::string& body);

}  // namespace faultline::testing
