#pragma once

#include <cstdint>

#include "common/database.hpp"
#include "common/github_client.hpp"
#include "common/json.hpp"
#include "common/repository_tokens.hpp"

namespace faultline::api {

// POST /api/v1/workflow-runs/{run_id}/rerun: asks GitHub to run a run again
// (all jobs, or with failed_jobs_only the failed ones), with the repository's
// token; the call is recorded in github_calls like every other. 202 with
// {run_id, repository, failed_jobs_only}; the new attempt arrives as webhooks.
std::string rerun_workflow_run(Database& database, github::Client& github,
                               const RepositoryTokens& tokens, std::int64_t run_id,
                               const json::Value& body);

}  // namespace faultline::api
