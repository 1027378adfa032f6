#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "api/pagination.hpp"
#include "common/soci.hpp"

namespace faultline::api {

struct RunFilter {
  std::string repository;  // owner/name, case-insensitive; empty: any
  std::string workflow;    // the workflow's name
  std::string branch;
  std::string status;
  std::string conclusion;
};

// Reads the filters; a malformed one is a ClientError 400.
RunFilter parse_run_filter(const ApiRequest& request);

// GET /api/v1/workflow-runs: latest attempt of each run, newest first.
std::string list_workflow_runs(soci::session& sql, const RunFilter& filter, const Page& page);

// GET /api/v1/workflow-runs/{run_id}: the latest attempt with its jobs, or
// nothing if the run is unknown.
std::optional<std::string> get_workflow_run(soci::session& sql, std::int64_t run_id);

}  // namespace faultline::api
