#pragma once

// POST /api/v1/security/csp-report: browsers report Content-Security-Policy
// violations either the CSP Level 2 way (application/csp-report, one
// {"csp-report": {...}}) or the Reporting API way (application/reports+json,
// an array of reports of which "csp-violation" ones are kept).

#include <string>
#include <vector>

#include "api/api_request.hpp"
#include "common/soci.hpp"

namespace faultline::api {

inline constexpr std::size_t kMaxCspReportBytes = 64 * 1024;
inline constexpr std::size_t kMaxCspReportsPerRequest = 100;

struct CspReport {
  std::string json;       // the report's body object, as sent
  std::string directive;  // the effective (or violated) directive, for metrics
};

// The reports in a request: 413 when too large, 415 for another media type,
// 400 for anything that is not a report.
std::vector<CspReport> parse_csp_reports(const ApiRequest& request);

void store_csp_reports(soci::session& sql, const std::vector<CspReport>& reports,
                       const std::string& user_agent);

}  // namespace faultline::api
