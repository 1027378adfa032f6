#include "api/workflow_runs.hpp"

#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

// PostgreSQL renders the documents; timestamps come out as RFC 3339 in UTC.
// A run is rendered by faultline_run_document (schemas/db/012_run_filters.sql),
// the same for the list and the detail.
constexpr const char* kJobDocument =
    "json_build_object("
    "'job_id', abs(j.job_id), 'run_id', abs(j.run_id), 'run_attempt', j.run_attempt,"
    "'name', j.name, 'failure_reason', j.failure_reason,"
    "'workflow_name', j.workflow_name, 'status', j.status, 'conclusion', j.conclusion,"
    "'html_url', j.html_url, 'runner_name', j.runner_name, 'labels', j.labels,"
    "'created_at', " FAULTLINE_SQL_RFC3339("j.created_at") ", 'started_at', " FAULTLINE_SQL_RFC3339(
        "j.started_at") ", 'completed_at', " FAULTLINE_SQL_RFC3339("j.completed_at") ")";

// The latest attempt of each run (latest_workflow_runs, schemas/db/012_run_filters.sql)
// that the filters match; an empty filter matches everything. Each parameter
// appears once (SOCI binds a repeated name only once).
constexpr const char* kLatestAttemptsMatching =
    " FROM (SELECT :repository::text AS repository, :workflow::text AS workflow,"
    "   :branch::text AS branch, :status::text AS status, :conclusion::text AS conclusion,"
    "   CAST(NULLIF(:since, '') AS timestamptz) AS since) f, latest_workflow_runs w"
    " WHERE (f.repository = '' OR lower(w.repository) = lower(f.repository))"
    " AND (f.workflow = '' OR w.name = f.workflow)"
    " AND (f.branch = '' OR w.head_branch = f.branch)"
    " AND (f.status = '' OR w.status = f.status)"
    " AND (f.conclusion = '' OR w.conclusion = f.conclusion)"
    " AND (f.since IS NULL OR w.created_at >= f.since)";

// One row per repository and workflow. Durations come from GitHub's own
// times: a run from run_started_at to its last update, a job's queue time
// from created_at to started_at. Recovery is from the first failing run to
// the run that resolved the incident.
constexpr const char* kStats = R"sql(
WITH p AS (
  SELECT NULLIF(:since, '')::timestamptz AS since,
         COALESCE(NULLIF(:until, '')::timestamptz, now()) AS until, :repository::text AS repository),
win AS (SELECT COALESCE(since, until - interval '7 days') AS since, until, repository FROM p),
runs AS (
  SELECT w.repository_id, w.repository AS full_name, w.run_id, w.run_attempt,
         COALESCE(w.workflow_id::text, w.name) AS workflow_key, w.workflow_id, w.name,
         w.conclusion IN ('failure', 'timed_out', 'startup_failure') AS failed,
         EXTRACT(EPOCH FROM w.updated_at - COALESCE(w.run_started_at, w.created_at)) AS seconds
  FROM win, latest_workflow_runs w
  WHERE w.created_at >= win.since AND w.created_at < win.until AND w.status = 'completed'
    AND (win.repository = '' OR lower(w.repository) = lower(win.repository))),
per_workflow AS (
  SELECT repository_id, full_name, workflow_key, max(workflow_id) AS workflow_id,
         max(name) AS name, count(*) AS runs, count(*) FILTER (WHERE failed) AS failures,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds) AS duration_p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY seconds) AS duration_p95
  FROM runs GROUP BY repository_id, full_name, workflow_key),
queue AS (
  SELECT r.repository_id, r.workflow_key,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM j.started_at - j.created_at)) AS p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM j.started_at - j.created_at)) AS p95
  FROM runs r JOIN workflow_jobs j ON j.repository_id = r.repository_id AND j.run_id = r.run_id
    AND j.run_attempt = r.run_attempt
  WHERE j.started_at IS NOT NULL AND j.created_at IS NOT NULL
  GROUP BY r.repository_id, r.workflow_key),
recovery AS (
  SELECT i.repository_id, i.workflow_key, count(*) AS resolved,
         avg(EXTRACT(EPOCH FROM COALESCE(i.resolved_by_run_created_at, i.resolved_at) -
             COALESCE((SELECT min(fr.created_at) FROM workflow_runs fr
                       WHERE fr.repository_id = i.repository_id AND fr.run_id = i.first_failed_run_id),
                      i.opened_at))) AS mttr
  FROM win, incidents i
  WHERE i.resolved_at >= win.since AND i.resolved_at < win.until
  GROUP BY i.repository_id, i.workflow_key),
per_row AS (
  SELECT json_build_object(
    'provider', faultline_provider(p.repository_id), 'repository', p.full_name,
    'repository_id', abs(p.repository_id), 'workflow_id', p.workflow_id,
    'workflow', p.name, 'runs', p.runs, 'failures', p.failures,
    'failure_rate', round(p.failures::numeric / p.runs, 4),
    'duration_seconds', json_build_object('p50', round(p.duration_p50::numeric, 1),
                                          'p95', round(p.duration_p95::numeric, 1)),
    'queue_seconds', json_build_object('p50', round(q.p50::numeric, 1), 'p95', round(q.p95::numeric, 1)),
    'incidents_resolved', COALESCE(rc.resolved, 0),
    'mttr_seconds', round(rc.mttr::numeric, 1)) AS doc,
    p.full_name, p.name, p.workflow_key
  FROM per_workflow p
  LEFT JOIN queue q ON q.repository_id = p.repository_id AND q.workflow_key = p.workflow_key
  LEFT JOIN recovery rc ON rc.repository_id = p.repository_id AND rc.workflow_key = p.workflow_key)
SELECT )sql" FAULTLINE_SQL_RFC3339("(SELECT since FROM win)") R"sql(,
  )sql" FAULTLINE_SQL_RFC3339("(SELECT until FROM win)") R"sql(,
  COALESCE((SELECT json_agg(doc ORDER BY full_name, name, workflow_key) FROM
             (SELECT * FROM per_row ORDER BY full_name, name, workflow_key
              LIMIT :limit OFFSET :offset) pg), '[]')::text,
  (SELECT count(*) FROM per_row)
)sql";

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
  filter.since = timestamp_parameter(request, "since");
  return filter;
}

StatsWindow parse_stats_window(const ApiRequest& request) {
  StatsWindow window;
  window.since = timestamp_parameter(request, "since");
  window.until = timestamp_parameter(request, "until");
  window.repository = request.query_value("repository").value_or("");
  check_length("repository", window.repository);
  if (!window.repository.empty() && window.repository.find('/') == std::string::npos)
    throw ClientError(bad_request("repository must be owner/name.", "invalid-parameter"));
  return window;
}

std::string workflow_run_stats(soci::session& sql, const StatsWindow& window, const Page& page) {
  const long long limit = page.size, offset = page.offset();
  std::string since, until, items;
  long long total = 0;
  sql << kStats, soci::use(window.since, "since"), soci::use(window.until, "until"),
      soci::use(window.repository, "repository"), soci::use(limit, "limit"),
      soci::use(offset, "offset"), soci::into(since), soci::into(until), soci::into(items),
      soci::into(total);
  return page_document(items, total, page,
                       "\"since\":\"" + since + "\",\"until\":\"" + until + "\",");
}

std::int64_t count_workflow_runs(soci::session& sql, const RunFilter& f) {
  long long total = 0;
  sql << std::string("SELECT count(*)") + kLatestAttemptsMatching,
      soci::use(f.repository, "repository"), soci::use(f.workflow, "workflow"),
      soci::use(f.branch, "branch"), soci::use(f.status, "status"),
      soci::use(f.conclusion, "conclusion"), soci::use(f.since, "since"), soci::into(total);
  return total;
}

std::string list_workflow_runs(soci::session& sql, const RunFilter& f, const Page& page,
                               std::optional<std::int64_t> total) {
  if (!total)
    total = count_workflow_runs(sql, f);
  const long long limit = page.size, offset = page.offset();
  std::string items;
  sql << "SELECT faultline_workflow_run_page(:repository, :workflow, :branch, :status,"
         " :conclusion, CAST(NULLIF(:since, '') AS timestamptz), :limit, :offset)",
      soci::use(f.repository, "repository"), soci::use(f.workflow, "workflow"),
      soci::use(f.branch, "branch"), soci::use(f.status, "status"),
      soci::use(f.conclusion, "conclusion"), soci::use(f.since, "since"), soci::use(limit, "limit"),
      soci::use(offset, "offset"), soci::into(items);
  return page_document(items, *total, page);
}

std::optional<std::string> get_workflow_run(soci::session& sql, std::int64_t run_id) {
  const long long id = run_id;
  std::string document;
  soci::indicator ind = soci::i_null;
  sql << std::string(
             "SELECT (faultline_run_document(w)::jsonb"
             " || jsonb_build_object('jobs', COALESCE((SELECT json_agg(") +
             kJobDocument +
             " ORDER BY j.started_at NULLS LAST, j.job_id) FROM workflow_jobs j"
             " WHERE j.repository_id = w.repository_id AND j.run_id = w.run_id"
             " AND j.run_attempt = w.run_attempt), '[]')))::text"
             " FROM latest_workflow_runs w WHERE w.run_id = :id"
             " ORDER BY w.run_attempt DESC, w.recorded_at DESC LIMIT 1",
      soci::use(id, "id"), soci::into(document, ind);
  if (!sql.got_data() || ind != soci::i_ok)
    return std::nullopt;
  return document;
}

}  // namespace faultline::api
