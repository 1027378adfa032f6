#pragma once

// Topic names are a public contract (README.md, "Topics").
namespace faultline::topics {

inline constexpr const char* kWorkflowRun = "ci.workflow_run.v1";
inline constexpr const char* kWorkflowJob = "ci.workflow_job.v1";
inline constexpr const char* kGitLabPipeline = "ci.gitlab_pipeline.v1";
inline constexpr const char* kGitLabJob = "ci.gitlab_job.v1";
inline constexpr const char* kPullRequest = "ci.pull_request.v1";
inline constexpr const char* kIncident = "ci.incident.v1";
inline constexpr const char* kDeadLetter = "ci.deadletter.v1";

// Every topic, in the order `faultline-processors topics` creates them and
// faultline-devbroker makes them (the newest last).
inline constexpr const char* kAll[] = {kWorkflowRun,    kWorkflowJob, kIncident,   kDeadLetter,
                                       kGitLabPipeline, kGitLabJob,   kPullRequest};

// What faultline-ingest publishes to; its /ready is red while one is missing.
inline constexpr const char* kIngested[] = {kWorkflowRun, kWorkflowJob, kGitLabPipeline, kGitLabJob,
                                            kPullRequest};

}  // namespace faultline::topics
