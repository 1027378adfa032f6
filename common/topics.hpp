#pragma once

// Topic names are a public contract (DESIGN.md, "Topics").
namespace faultline::topics {

inline constexpr const char* kWorkflowRun = "ci.workflow_run.v1";
inline constexpr const char* kWorkflowJob = "ci.workflow_job.v1";
inline constexpr const char* kIncident = "ci.incident.v1";
inline constexpr const char* kDeadLetter = "ci.deadletter.v1";

}  // namespace faultline::topics
