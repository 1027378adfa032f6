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
  std::string since;  // RFC 3339: runs created at or after it; empty: any time
};

// Reads the filters; a malformed one is a ClientError 400.
RunFilter parse_run_filter(const ApiRequest& request);

// GET /api/v1/workflow-runs: latest attempt of each run, newest first.
// `total` counts the matches; nullopt: count them now.
std::string list_workflow_runs(soci::session& sql, const RunFilter& filter, const Page& page,
                               std::optional<std::int64_t> total = std::nullopt);
// How many runs match (latest attempts only).
std::int64_t count_workflow_runs(soci::session& sql, const RunFilter& filter);

struct StatsWindow {
  std::string since;       // RFC 3339; empty: 7 days before `until`
  std::string until;       // RFC 3339; empty: now
  std::string repository;  // owner/name; empty: every repository
};

StatsWindow parse_stats_window(const ApiRequest& request);

// GET /api/v1/workflow-runs/stats: per repository and workflow over the
// window, completed runs (latest attempts), failures, failure rate, p50/p95
// duration, p50/p95 queue time of their jobs, and mean time to recovery of
// the incidents resolved in the window.
std::string workflow_run_stats(soci::session& sql, const StatsWindow& window, const Page& page);

// GET /api/v1/workflow-runs/{run_id}: the latest attempt with its jobs, or
// nothing if the run is unknown.
std::optional<std::string> get_workflow_run(soci::session& sql, std::int64_t run_id);

}  // namespace faultline::api
