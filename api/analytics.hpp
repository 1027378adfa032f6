#pragma once

// The analytics endpoints of issue 15: failure signatures, flaky jobs, trends
// and repository health over a window. Every statement reads the rollups of
// schemas/db/013_failure_intelligence.sql (hourly and daily rows of the
// window, indexed by time), never the runs and jobs themselves.

#include <cstdint>
#include <optional>
#include <string>

#include "api/analytics_cache.hpp"
#include "api/api_request.hpp"
#include "api/pagination.hpp"
#include "common/soci.hpp"

namespace faultline::api {

// More buckets than this in one trends request is a 400.
inline constexpr std::int64_t kMaxTrendBuckets = 2000;
// A window longer than this is a 400.
inline constexpr int kMaxWindowDays = 400;

struct AnalyticsFilter {
  std::string since;       // RFC 3339 in UTC; empty: 7 days before `until`
  std::string until;       // RFC 3339 in UTC; empty: now
  std::string repository;  // owner/name, case-insensitive; empty: every repository
  std::string workflow;    // a workflow's name; empty: every workflow (trends)
  std::string category;    // a cause category; empty: every category (signatures)
  std::string bucket;      // "hour" or "day" (trends)
};

// What each endpoint reads from the query; a malformed or unknown value is a
// ClientError 400 naming it.
AnalyticsFilter parse_signature_filter(const ApiRequest& request);
AnalyticsFilter parse_flaky_filter(const ApiRequest& request);
AnalyticsFilter parse_trend_filter(const ApiRequest& request);
AnalyticsFilter parse_health_filter(const ApiRequest& request);

// A signature as the processors write it (16 lowercase hex digits), or a
// ClientError 400.
std::string signature_parameter(const std::string& text);

// Each answer is kept in `cache` until the data it reads changes.

// GET /api/v1/analytics/failure-signatures: most frequent first.
std::string list_failure_signatures(soci::session& sql, AnalyticsCache& cache,
                                    const AnalyticsFilter& filter, const Page& page);
// GET /api/v1/analytics/failure-signatures/{signature}: the list's item and
// its latest 20 failing jobs; nothing if the signature is unknown.
std::optional<std::string> get_failure_signature(soci::session& sql, AnalyticsCache& cache,
                                                 const AnalyticsFilter& filter,
                                                 const std::string& signature);
// GET /api/v1/analytics/flaky: jobs flaky in the window, highest rate first.
std::string list_flaky_jobs(soci::session& sql, AnalyticsCache& cache,
                            const AnalyticsFilter& filter, const Page& page);
// GET /api/v1/analytics/trends: one item per bucket of the window, oldest first.
std::string list_trends(soci::session& sql, AnalyticsCache& cache, const AnalyticsFilter& filter,
                        const Page& page);
// GET /api/v1/analytics/repositories: every repository's figures and health,
// least healthy first. health = round(100 - 50 failure_rate - 30 flaky_rate
// - min(20, 5 open_incidents)) within 0..100, null without runs.
std::string list_repository_health(soci::session& sql, AnalyticsCache& cache,
                                   const AnalyticsFilter& filter, const Page& page);

}  // namespace faultline::api
