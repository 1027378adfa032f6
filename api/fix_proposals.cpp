#include "api/fix_proposals.hpp"

#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

// Never the prompt, the answer or the patched files' text: those are for
// audit in the database; the diff itself is shown, as the pull request does.
constexpr const char* kDocument =
    "json_build_object('id', p.id, 'incident_id', p.incident_id, 'provider', r.provider,"
    " 'repository', r.full_name, 'attempt', p.attempt, 'branch', p.branch, 'state', p.state,"
    " 'reason', p.reason, 'detail', p.detail, 'requested_by', p.requested_by,"
    " 'run_id', abs(p.run_id), 'base_sha', p.base_sha, 'files', p.files,"
    " 'model_reason', p.model_reason, 'diff', p.diff, 'commit_sha', p.commit_sha,"
    " 'pull_request', CASE WHEN p.pull_number IS NOT NULL THEN json_build_object("
    "   'number', p.pull_number, 'html_url', p.pull_url) END,"
    " 'issue_commented', p.issue_commented, 'model_calls', p.model_calls,"
    " 'created_at', " FAULTLINE_SQL_RFC3339("p.created_at") ", 'updated_at', " FAULTLINE_SQL_RFC3339(
        "p.updated_at") ", 'opened_at', " FAULTLINE_SQL_RFC3339("p.opened_at") ","
    " 'merged_at', " FAULTLINE_SQL_RFC3339("p.merged_at") ", 'closed_at', " FAULTLINE_SQL_RFC3339(
        "p.closed_at") ")";

constexpr const char* kMatching =
    " FROM fix_proposals p JOIN repositories r ON r.id = p.repository_id"
    " WHERE (:state = '' OR p.state = :state)"
    " AND (:repository = '' OR lower(r.full_name) = lower(:repository))"
    " AND (:incident::bigint = 0 OR p.incident_id = :incident::bigint)";

constexpr const char* kStates[] = {"requested", "model_failed", "rejected", "opened",
                                   "merged",    "closed",       nullptr};

std::string page_of(soci::session& sql, const std::string& state, const std::string& repository,
                    long long incident, const Page& page) {
  long long total = 0;
  sql << std::string("SELECT count(*)") + kMatching, soci::use(state, "state"),
      soci::use(repository, "repository"), soci::use(incident, "incident"), soci::into(total);
  const long long limit = page.size, offset = page.offset();
  std::string items;
  sql << std::string("SELECT COALESCE(json_agg(doc ORDER BY id DESC), '[]')::text FROM (SELECT ") +
             kDocument + " AS doc, p.id" + kMatching +
             " ORDER BY p.id DESC LIMIT :limit OFFSET :offset) AS page",
      soci::use(state, "state"), soci::use(repository, "repository"),
      soci::use(incident, "incident"), soci::use(limit, "limit"), soci::use(offset, "offset"),
      soci::into(items);
  return page_document(items, total, page);
}

Problem conflict(std::string detail, std::string kind) {
  return Problem{409, "Conflict", std::move(detail), std::move(kind), {}};
}

}  // namespace

FixProposalFilter parse_fix_proposal_filter(const ApiRequest& request) {
  return {choice_parameter(request, "state", kStates), repository_parameter(request)};
}

std::string list_fix_proposals(soci::session& sql, const FixProposalFilter& filter,
                               const Page& page) {
  return page_of(sql, filter.state, filter.repository, 0, page);
}

std::optional<std::string> incident_fix_proposals(soci::session& sql, std::int64_t incident_id,
                                                  const Page& page) {
  const long long id = incident_id;
  int known = 0;
  sql << "SELECT count(*) FROM incidents WHERE id = :id", soci::use(id, "id"), soci::into(known);
  if (known == 0)
    return std::nullopt;
  return page_of(sql, "", "", id, page);
}

RequestedProposal request_fix_proposal(soci::session& sql, std::int64_t incident_id,
                                       std::int64_t user_id, const audit::AuditLog& audit,
                                       const audit::Context& who) {
  const long long id = incident_id;
  soci::transaction tx(sql);
  std::string provider, setting;
  long long repository_id = 0, run_id = 0;
  // The incident's row is the lock: two requests at once make one attempt.
  sql << "SELECT r.provider, r.fix_proposals, i.repository_id, i.last_failed_run_id"
         " FROM incidents i JOIN repositories r ON r.id = i.repository_id"
         " WHERE i.id = :id FOR UPDATE OF i",
      soci::use(id, "id"), soci::into(provider), soci::into(setting), soci::into(repository_id),
      soci::into(run_id);
  if (!sql.got_data())
    throw ClientError(not_found("No incident " + std::to_string(incident_id) + " is known."));
  if (provider != "github")
    throw ClientError(
        conflict("Fix proposals are made for GitHub repositories only.", "fix-proposals-off"));
  if (setting == "off")
    throw ClientError(
        conflict("Fix proposals are off for this repository; an administrator "
                 "can set its fix_proposals to on_demand or automatic.",
                 "fix-proposals-off"));
  RequestedProposal out;
  long long under_way = 0;
  sql << "SELECT id FROM fix_proposals WHERE incident_id = :id AND state = 'requested'"
         " ORDER BY attempt DESC LIMIT 1",
      soci::use(id, "id"), soci::into(under_way);
  if (!sql.got_data()) {
    const std::string by = "user:" + std::to_string(user_id);
    sql << "INSERT INTO fix_proposals (incident_id, repository_id, attempt, branch,"
           " requested_by, run_id)"
           " SELECT :id, :repository, n, 'faultline/fix-' || :id || '-' || n, :by, :run"
           " FROM (SELECT COALESCE(max(attempt), 0) + 1 AS n FROM fix_proposals"
           "       WHERE incident_id = :id) AS next"
           " RETURNING id",
        soci::use(id, "id"), soci::use(repository_id, "repository"), soci::use(by, "by"),
        soci::use(run_id, "run"), soci::into(under_way);
    out.created = true;
    audit.append(sql, who,
                 {audit::Action::kFixProposalRequest, "incident:" + std::to_string(incident_id),
                  audit::Outcome::kSuccess, "fix proposal " + std::to_string(under_way)});
  }
  sql << std::string("SELECT ") + kDocument +
             "::text FROM fix_proposals p JOIN repositories r ON r.id = p.repository_id"
             " WHERE p.id = :p",
      soci::use(under_way, "p"), soci::into(out.document);
  tx.commit();
  return out;
}

FixAnalyticsFilter parse_fix_analytics_filter(const ApiRequest& request) {
  return {timestamp_parameter(request, "since"), timestamp_parameter(request, "until"),
          repository_parameter(request)};
}

std::string fix_proposal_analytics(soci::session& sql, const FixAnalyticsFilter& f) {
  std::string document;
  sql << "WITH w AS (SELECT COALESCE(NULLIF(:since, '')::timestamptz, now() - interval '30 days')"
         "   AS since, COALESCE(NULLIF(:until, '')::timestamptz, now()) AS until),"
         " p AS (SELECT p.*, i.state AS incident_state, i.resolution, i.resolved_at"
         "   FROM fix_proposals p JOIN repositories r ON r.id = p.repository_id"
         "   JOIN incidents i ON i.id = p.incident_id, w"
         "  WHERE p.created_at >= w.since AND p.created_at < w.until"
         "    AND (:repository = '' OR lower(r.full_name) = lower(:repository))),"
         " c AS (SELECT count(*) FILTER (WHERE state = 'requested') AS requested,"
         "   count(*) FILTER (WHERE state IN ('opened', 'merged', 'closed')) AS opened,"
         "   count(*) FILTER (WHERE state = 'merged') AS merged,"
         "   count(*) FILTER (WHERE state = 'closed') AS closed,"
         "   count(*) FILTER (WHERE state = 'rejected') AS rejected,"
         "   count(*) FILTER (WHERE state = 'model_failed') AS model_failed,"
         "   count(DISTINCT incident_id) FILTER (WHERE state = 'merged'"
         "     AND resolution = 'run_succeeded' AND resolved_at >= merged_at) AS fixed_incidents"
         "   FROM p)"
         " SELECT json_build_object('since', " FAULTLINE_SQL_RFC3339("w.since") ","
         "   'until', " FAULTLINE_SQL_RFC3339("w.until") ", 'repository', NULLIF(:repository, ''),"
         "   'requested', c.requested, 'opened', c.opened, 'merged', c.merged,"
         "   'closed', c.closed, 'rejected', c.rejected, 'model_failed', c.model_failed,"
         "   'success_rate', CASE WHEN c.merged + c.closed > 0"
         "     THEN round(c.merged::numeric / (c.merged + c.closed), 4) END,"
         "   'fixed_incidents', c.fixed_incidents)::text FROM w, c",
      soci::use(f.since, "since"), soci::use(f.until, "until"),
      soci::use(f.repository, "repository"), soci::into(document);
  return document;
}

}  // namespace faultline::api
