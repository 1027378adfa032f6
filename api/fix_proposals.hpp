#pragma once

// Fix proposals as the API shows them (schemas/db/025_fix_proposals.sql):
// what was asked, what the model answered and whether a person merged it.
// The processors' fixer role does the work; this only reads and asks.

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "api/audit/audit_log.hpp"
#include "api/pagination.hpp"
#include "common/soci.hpp"

namespace faultline::api {

struct FixProposalFilter {
  std::string state;       // requested, model_failed, rejected, opened, merged, closed; "": any
  std::string repository;  // owner/name; "": any
};

// Reads ?state&repository; anything else is a ClientError 400.
FixProposalFilter parse_fix_proposal_filter(const ApiRequest& request);

// GET /api/v1/fix-proposals: newest first.
std::string list_fix_proposals(soci::session& sql, const FixProposalFilter& filter,
                               const Page& page);

// GET /api/v1/incidents/{id}/fix-proposals: newest first; nothing when there
// is no such incident.
std::optional<std::string> incident_fix_proposals(soci::session& sql, std::int64_t incident_id,
                                                  const Page& page);

struct RequestedProposal {
  std::string document;
  bool created = false;  // false: one was under way already, and is answered
};

// POST /api/v1/incidents/{id}/fix-proposals: one more attempt for the
// incident, unless one is under way (`requested`). ClientError 404 for no such
// incident; 409 fix-proposals-off when its repository's fix_proposals is
// `off`, and for a GitLab project's (not yet proposed for). A new attempt is
// an audit row in its transaction.
RequestedProposal request_fix_proposal(soci::session& sql, std::int64_t incident_id,
                                       std::int64_t user_id, const audit::AuditLog& audit,
                                       const audit::Context& who);

struct FixAnalyticsFilter {
  std::string since, until;  // RFC 3339; "" is 30 days ago and now
  std::string repository;
};
FixAnalyticsFilter parse_fix_analytics_filter(const ApiRequest& request);

// GET /api/v1/analytics/fix-proposals: proposals created in the window by
// state, the success rate (merged of those a person decided), and the
// incidents a merged proposal fixed (resolved by a green run after it merged).
std::string fix_proposal_analytics(soci::session& sql, const FixAnalyticsFilter& filter);

}  // namespace faultline::api
