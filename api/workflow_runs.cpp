#include "api/workflow_runs.hpp"

#include "api/sql_time.hpp"

#include "common/problem.hpp"

namespace faultline::api {
namespace {

// PostgreSQL renders the documents; timestamps come out as RFC 3339 in UTC.
constexpr const char* kRunDocument =
    "json_build_object("
    "'repository', r.full_name, 'repository_id', w.repository_id, 'run_id', w.run_id,"
    "'run_attempt', w.run_attempt, 'workflow_id', w.workflow_id, 'name', w.name,"
    "'head_branch', w.head_branch, 'head_sha', w.head_sha, 'event', w.event,"
    "'status', w.status, 'conclusion', w.conclusion, 'html_url', w.html_url,"
    "'created_at', " FAULTLINE_SQL_RFC3339("w.created_at") ", 'run_started_at', " FAULTLINE_SQL_RFC3339(
        "w.run_started_at") ", 'updated_at', " FAULTLINE_SQL_RFC3339("w.updated_at") ")";

constexpr const char* kJobDocument =
    "json_build_object("
    "'job_id', j.job_id, 'run_id', j.run_id, 'run_attempt', j.run_attempt, 'name', j.name,"
    "'workflow_name', j.workflow_name, 'status', j.status, 'conclusion', j.conclusion,"
    "'html_url', j.html_url, 'runner_name', j.runner_name, 'labels', j.labels,"
    "'created_at', " FAULTLINE_SQL_RFC3339("j.created_at") ", 'started_at', " FAULTLINE_SQL_RFC3339(
        "j.started_at") ", 'completed_at', " FAULTLINE_SQL_RFC3339("j.completed_at") ")";

// Only the latest attempt of each run; an empty filter matches everything.
// Each parameter appears once (SOCI binds a repeated name only once).
constexpr const char* kLatestAttemptsMatching =
    " FROM (SELECT :repository::text AS repository, :workflow::text AS workflow,"
    "   :branch::text AS branch, :status::text AS status, :conclusion::text AS conclusion) f,"
    " workflow_runs w JOIN repositories r ON r.id = w.repository_id"
    " WHERE NOT EXISTS (SELECT 1 FROM workflow_runs n WHERE n.repository_id = w.repository_id"
    "   AND n.run_id = w.run_id AND n.run_attempt > w.run_attempt)"
    " AND (f.repository = '' OR lower(r.full_name) = lower(f.repository))"
    " AND (f.workflow = '' OR w.name = f.workflow)"
    " AND (f.branch = '' OR w.head_branch = f.branch)"
    " AND (f.status = '' OR w.status = f.status)"
    " AND (f.conclusion = '' OR w.conclusion = f.conclusion)";

void check_length(const std::string& name, const std::string& value) {
  if (value.size() > 255)
    throw ClientError(bad_request(name + " is longer than 255 characters.", "invalid-parameter"));
}

}  // namespace

RunFilter parse_run_filter(const ApiRequest& request) {
  RunFilter filter;
  filter.repository = request.query_value("repository").value_or("");
  filter.workflow = request.query_value("workflow").value_or("");
  filter.branch = request.query_value("branch").value_or("");
  filter.status = request.query_value("status").value_or("");
  filter.conclusion = request.query_value("conclusion").value_or("");
  check_length("repository", filter.repository);
  check_length("workflow", filter.workflow);
  check_length("branch", filter.branch);
  check_length("status", filter.status);
  check_length("conclusion", filter.conclusion);
  if (!filter.repository.empty() && filter.repository.find('/') == std::string::npos)
    throw ClientError(bad_request("repository must be owner/name.", "invalid-parameter"));
  return filter;
}

std::string list_workflow_runs(soci::session& sql, const RunFilter& f, const Page& page) {
  long long total = 0;
  sql << std::string("SELECT count(*)") + kLatestAttemptsMatching,
      soci::use(f.repository, "repository"), soci::use(f.workflow, "workflow"),
      soci::use(f.branch, "branch"), soci::use(f.status, "status"),
      soci::use(f.conclusion, "conclusion"), soci::into(total);

  const long long limit = page.size, offset = page.offset();
  std::string items;
  soci::indicator ind = soci::i_ok;
  sql << std::string(
             "SELECT COALESCE(json_agg(doc ORDER BY created DESC NULLS LAST, run_id DESC), "
             "'[]')::text"
             " FROM (SELECT ") +
             kRunDocument + " AS doc, w.created_at AS created, w.run_id" + kLatestAttemptsMatching +
             " ORDER BY w.created_at DESC NULLS LAST, w.run_id DESC LIMIT :limit OFFSET :offset)"
             " AS page",
      soci::use(f.repository, "repository"), soci::use(f.workflow, "workflow"),
      soci::use(f.branch, "branch"), soci::use(f.status, "status"),
      soci::use(f.conclusion, "conclusion"), soci::use(limit, "limit"), soci::use(offset, "offset"),
      soci::into(items, ind);
  return page_document(items, total, page);
}

std::optional<std::string> get_workflow_run(soci::session& sql, std::int64_t run_id) {
  const long long id = run_id;
  std::string document;
  soci::indicator ind = soci::i_null;
  sql << std::string("SELECT (") + kRunDocument +
             "::jsonb || jsonb_build_object('jobs', COALESCE((SELECT json_agg(" + kJobDocument +
             " ORDER BY j.started_at NULLS LAST, j.job_id) FROM workflow_jobs j"
             " WHERE j.repository_id = w.repository_id AND j.run_id = w.run_id"
             " AND j.run_attempt = w.run_attempt), '[]')))::text"
             " FROM workflow_runs w JOIN repositories r ON r.id = w.repository_id"
             " WHERE w.run_id = :id ORDER BY w.run_attempt DESC, w.recorded_at DESC LIMIT 1",
      soci::use(id, "id"), soci::into(document, ind);
  if (!sql.got_data() || ind != soci::i_ok)
    return std::nullopt;
  return document;
}

}  // namespace faultline::api
