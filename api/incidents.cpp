#include "api/incidents.hpp"

#include "common/incident_outbox.hpp"
#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

constexpr const char* kIncidentDocument =
    "json_build_object('id', i.id, 'provider', r.provider, 'repository', r.full_name,"
    " 'repository_id', abs(i.repository_id),"
    " 'workflow_key', i.workflow_key, 'workflow_name', i.workflow_name, 'branch', i.branch,"
    " 'state', i.state, 'occurrences', i.occurrences,"
    " 'first_failed_run_id', abs(i.first_failed_run_id),"
    " 'last_failed_run_id', abs(i.last_failed_run_id),"
    " 'opened_at', " FAULTLINE_SQL_RFC3339("i.opened_at") ", 'acknowledged_at', " FAULTLINE_SQL_RFC3339(
        "i.acknowledged_at") ", 'resolved_at', " FAULTLINE_SQL_RFC3339("i.resolved_at") ","
    " 'resolution', i.resolution, 'resolved_by_run_id', abs(i.resolved_by_run_id),"
    " 'signature', i.signature, 'category', i.category,"
    " 'issue', (SELECT json_build_object('number', x.issue_number, 'html_url', x.html_url,"
    "   'closed', x.closed) FROM incident_issues x WHERE x.incident_id = i.id))";

constexpr const char* kMatching =
    " FROM (SELECT :state::text AS state, :repository::text AS repository) f,"
    " incidents i JOIN repositories r ON r.id = i.repository_id"
    " WHERE (f.state = '' OR i.state = f.state)"
    " AND (f.repository = '' OR lower(r.full_name) = lower(f.repository))";

constexpr const char* kRuns =
    "(SELECT COALESCE(json_agg(json_build_object('run_id', abs(x.run_id), 'run_attempt', x.run_attempt,"
    " 'role', x.role, 'conclusion', x.conclusion, 'html_url', x.html_url,"
    " 'run_created_at', " FAULTLINE_SQL_RFC3339("x.run_created_at") ", 'recorded_at', " FAULTLINE_SQL_RFC3339(
        "x.recorded_at") ") ORDER BY x.recorded_at, x.run_id), '[]')"
    " FROM incident_runs x WHERE x.incident_id = i.id)";

// Response bodies are cut to 4 KB here; the table keeps up to 64 KB.
constexpr const char* kCalls =
    "(SELECT COALESCE(json_agg(json_build_object('method', c.method, 'path', c.path,"
    " 'purpose', c.purpose, 'status', c.status, 'attempt', c.attempt,"
    " 'duration_ms', round(c.duration_ms::numeric, 1), 'error', c.error, 'trace_id', c.trace_id,"
    " 'response_body', left(c.response_body, 4096), 'at', " FAULTLINE_SQL_RFC3339(
        "c.created_at") ") ORDER BY c.id), '[]')"
    " FROM github_calls c WHERE c.incident_id = i.id)";

// What became of the fixes proposed for it; GET /incidents/{id}/fix-proposals has the rest.
constexpr const char* kFixProposals =
    "(SELECT COALESCE(json_agg(json_build_object('id', p.id, 'attempt', p.attempt,"
    " 'state', p.state, 'reason', p.reason, 'pull_request', CASE WHEN p.pull_number IS NOT NULL"
    " THEN json_build_object('number', p.pull_number, 'html_url', p.pull_url) END)"
    " ORDER BY p.attempt), '[]') FROM fix_proposals p WHERE p.incident_id = i.id)";

std::optional<std::string> incident_document(soci::session& sql, std::int64_t id) {
  const long long incident_id = id;
  std::string document;
  soci::indicator ind = soci::i_null;
  sql << std::string("SELECT (") + kIncidentDocument + "::jsonb || jsonb_build_object('runs', " +
             kRuns + ", 'github_calls', " + kCalls +
             ", 'failure_context', (SELECT x.context FROM incident_failure_contexts x"
             " WHERE x.incident_id = i.id), 'fix_proposals', " +
             kFixProposals +
             "))::text FROM incidents i JOIN repositories r ON r.id = "
             "i.repository_id"
             " WHERE i.id = :id",
      soci::use(incident_id, "id"), soci::into(document, ind);
  if (!sql.got_data() || ind != soci::i_ok)
    return std::nullopt;
  return document;
}

std::optional<std::string> current_state(soci::session& sql, long long id) {
  std::string state;
  sql << "SELECT state FROM incidents WHERE id = :id FOR UPDATE", soci::use(id, "id"),
      soci::into(state);
  if (!sql.got_data())
    return std::nullopt;
  return state;
}

}  // namespace

IncidentFilter parse_incident_filter(const ApiRequest& request) {
  IncidentFilter filter{request.query_value("state").value_or(""), repository_parameter(request)};
  if (!filter.state.empty() && filter.state != "open" && filter.state != "acknowledged" &&
      filter.state != "resolved")
    throw ClientError(
        bad_request("state must be open, acknowledged or resolved.", "invalid-parameter"));
  return filter;
}

std::string list_incidents(soci::session& sql, const IncidentFilter& f, const Page& page) {
  long long total = 0;
  sql << std::string("SELECT count(*)") + kMatching, soci::use(f.state, "state"),
      soci::use(f.repository, "repository"), soci::into(total);
  const long long limit = page.size, offset = page.offset();
  std::string items;
  sql << std::string("SELECT COALESCE(json_agg(doc ORDER BY id DESC), '[]')::text FROM (SELECT ") +
             kIncidentDocument + " AS doc, i.id" + kMatching +
             " ORDER BY i.id DESC LIMIT :limit OFFSET :offset) AS page",
      soci::use(f.state, "state"), soci::use(f.repository, "repository"), soci::use(limit, "limit"),
      soci::use(offset, "offset"), soci::into(items);
  return page_document(items, total, page);
}

std::optional<std::string> get_incident(soci::session& sql, std::int64_t id) {
  return incident_document(sql, id);
}

std::optional<std::string> acknowledge_incident(soci::session& sql, std::int64_t id) {
  soci::transaction tx(sql);
  const long long incident_id = id;
  const auto state = current_state(sql, incident_id);
  if (!state)
    return std::nullopt;
  if (*state == "resolved")
    throw ClientError(
        Problem{409, "Conflict", "The incident is already resolved.", "incident-resolved", {}});
  if (*state == "open") {
    sql << "UPDATE incidents SET state = 'acknowledged', acknowledged_at = now() WHERE id = :id",
        soci::use(incident_id, "id");
    enqueue_incident_event(sql, id, IncidentEvent::kAcknowledged, 0);
  }
  auto document = incident_document(sql, id);
  tx.commit();
  return document;
}

std::optional<std::string> resolve_incident(soci::session& sql, std::int64_t id) {
  soci::transaction tx(sql);
  const long long incident_id = id;
  const auto state = current_state(sql, incident_id);
  if (!state)
    return std::nullopt;
  if (*state != "resolved") {
    sql << "UPDATE incidents SET state = 'resolved', resolved_at = now(), resolution = 'manual'"
           " WHERE id = :id",
        soci::use(incident_id, "id");
    enqueue_incident_event(sql, id, IncidentEvent::kResolved, 0);
  }
  auto document = incident_document(sql, id);
  tx.commit();
  return document;
}

std::string list_reconciliations(soci::session& sql, const Page& page) {
  long long total = 0;
  sql << "SELECT count(*) FROM reconciliations", soci::into(total);
  const long long limit = page.size, offset = page.offset();
  std::string items;
  sql << "SELECT COALESCE(json_agg(doc ORDER BY id DESC), '[]')::text FROM (SELECT x.id,"
         " json_build_object('id', x.id, 'started_at', " FAULTLINE_SQL_RFC3339("x.started_at") ","
         " 'finished_at', " FAULTLINE_SQL_RFC3339("x.finished_at") ", 'window_start', " FAULTLINE_SQL_RFC3339(
             "x.window_start") ","
         " 'repositories_inspected', x.repositories_inspected, 'runs_inspected', x.runs_inspected,"
         " 'runs_missing', x.runs_missing, 'redeliveries_requested', x.redeliveries_requested,"
         " 'published_runs', x.published_runs, 'errors', x.errors,"
         " 'incidents', (SELECT COALESCE(json_agg(DISTINCT ir.incident_id), '[]') FROM incident_runs ir"
         "   WHERE ir.run_id = ANY(x.published_runs) AND ir.role = 'failure'),"
         " 'issues', (SELECT COALESCE(json_agg(DISTINCT ii.issue_number), '[]') FROM incident_runs ir"
         "   JOIN incident_issues ii ON ii.incident_id = ir.incident_id"
         "   WHERE ir.run_id = ANY(x.published_runs) AND ir.role = 'failure')) AS doc"
         " FROM reconciliations x ORDER BY x.id DESC LIMIT :limit OFFSET :offset) AS page",
      soci::use(limit, "limit"), soci::use(offset, "offset"), soci::into(items);
  return page_document(items, total, page);
}

}  // namespace faultline::api
