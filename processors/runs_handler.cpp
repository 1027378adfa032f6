#include "processors/runs_handler.hpp"

#include <map>

#include "common/events.hpp"
#include "common/gitlab_events.hpp"
#include "common/json.hpp"
#include "common/pg_literal.hpp"
#include "common/provider_ids.hpp"
#include "common/topics.hpp"
#include "processors/gitlab_attempts.hpp"
#include "processors/gitlab_status.hpp"

namespace faultline::processors {
namespace {

// Rows arrive as one JSON array per table; jsonb_to_recordset turns them into
// a set, so a batch of any size is one statement.

// New repositories are inserted; known ones are touched at most once a minute
// (or when renamed: an older GitLab Job Hook names no project, so a missing
// name leaves the stored one), so consumers working side by side seldom wait for each
// other's repository rows.
constexpr const char* kInsertRepositories = R"sql(
INSERT INTO repositories (id, full_name, provider)
SELECT id, COALESCE(full_name, 'project ' || abs(id)), provider
FROM jsonb_to_recordset(:rows::jsonb) AS x(id bigint, full_name text, provider text)
ORDER BY id
ON CONFLICT (id) DO NOTHING
)sql";

constexpr const char* kTouchRepositories = R"sql(
UPDATE repositories AS r SET full_name = COALESCE(x.full_name, r.full_name), last_seen = now()
FROM jsonb_to_recordset(:rows::jsonb) AS x(id bigint, full_name text)
WHERE r.id = x.id AND (r.full_name <> x.full_name OR r.last_seen < now() - interval '1 minute')
)sql";

// Metadata fills in whatever is known; status, conclusion and updated_at move
// only forward: higher status rank, or the same rank and a later updated_at.
// A row stored completed for the first time is marked counted by this
// transaction (counted_in), and what the rollups need of it goes into
// counted_runs, for faultline_count_completions.
constexpr const char* kUpsertRuns = R"sql(
WITH stored AS (
INSERT INTO workflow_runs AS w (repository_id, run_id, run_attempt, workflow_id, name,
  head_branch, head_sha, event, status, conclusion, html_url, created_at, run_started_at, updated_at,
  counted_in)
SELECT DISTINCT ON (repository_id, run_id, run_attempt)
  repository_id, run_id, run_attempt, workflow_id, name, head_branch, head_sha, event, status,
  conclusion, html_url, created_at, run_started_at, updated_at,
  CASE WHEN status = 'completed' THEN pg_current_xact_id() END
FROM jsonb_to_recordset(:rows::jsonb) AS x(repository_id bigint, run_id bigint, run_attempt int,
  workflow_id bigint, name text, head_branch text, head_sha text, event text, status text,
  conclusion text, html_url text, created_at timestamptz, run_started_at timestamptz,
  updated_at timestamptz)
ORDER BY repository_id, run_id, run_attempt, faultline_status_rank(status) DESC,
  updated_at DESC NULLS LAST
ON CONFLICT (repository_id, run_id, run_attempt) DO UPDATE SET
  workflow_id = COALESCE(EXCLUDED.workflow_id, w.workflow_id),
  name = COALESCE(EXCLUDED.name, w.name),
  head_branch = COALESCE(EXCLUDED.head_branch, w.head_branch),
  head_sha = COALESCE(EXCLUDED.head_sha, w.head_sha),
  event = COALESCE(EXCLUDED.event, w.event),
  html_url = COALESCE(EXCLUDED.html_url, w.html_url),
  created_at = COALESCE(EXCLUDED.created_at, w.created_at),
  run_started_at = COALESCE(EXCLUDED.run_started_at, w.run_started_at),
  status = CASE WHEN (faultline_status_rank(EXCLUDED.status), COALESCE(EXCLUDED.updated_at, '-infinity'))
                   > (faultline_status_rank(w.status), COALESCE(w.updated_at, '-infinity'))
           THEN EXCLUDED.status ELSE w.status END,
  conclusion = CASE WHEN (faultline_status_rank(EXCLUDED.status), COALESCE(EXCLUDED.updated_at, '-infinity'))
                   > (faultline_status_rank(w.status), COALESCE(w.updated_at, '-infinity'))
           THEN EXCLUDED.conclusion ELSE w.conclusion END,
  updated_at = GREATEST(EXCLUDED.updated_at, w.updated_at),
  recorded_at = now(),
  counted_in = COALESCE(w.counted_in, EXCLUDED.counted_in,
                        CASE WHEN w.status = 'completed' THEN pg_current_xact_id() END)
RETURNING w)
INSERT INTO counted_runs
SELECT (faultline_run_fact(s.w)).* FROM stored s WHERE (s.w).counted_in = pg_current_xact_id()
)sql";

// A job proves its run exists and has at least been queued (or is running):
// enough to show the run before its own workflow_run event arrives.
constexpr const char* kUpsertRunsFromJobs = R"sql(
INSERT INTO workflow_runs AS w (repository_id, run_id, run_attempt, name, head_branch, head_sha, status)
SELECT DISTINCT ON (repository_id, run_id, run_attempt)
  repository_id, run_id, run_attempt, workflow_name, head_branch, head_sha,
  CASE WHEN faultline_status_rank(status) >= 2 THEN 'in_progress' ELSE 'queued' END
FROM jsonb_to_recordset(:rows::jsonb) AS x(repository_id bigint, run_id bigint, run_attempt int,
  workflow_name text, head_branch text, head_sha text, status text)
ORDER BY repository_id, run_id, run_attempt, faultline_status_rank(status) DESC
ON CONFLICT (repository_id, run_id, run_attempt) DO UPDATE SET
  name = COALESCE(w.name, EXCLUDED.name),
  head_branch = COALESCE(w.head_branch, EXCLUDED.head_branch),
  head_sha = COALESCE(w.head_sha, EXCLUDED.head_sha),
  status = CASE WHEN faultline_status_rank(EXCLUDED.status) > faultline_status_rank(w.status)
           THEN EXCLUDED.status ELSE w.status END
)sql";

// Jobs as runs: what is first stored completed goes into counted_jobs.
constexpr const char* kUpsertJobs = R"sql(
WITH stored AS (
INSERT INTO workflow_jobs AS j (repository_id, job_id, run_id, run_attempt, name, workflow_name,
  head_branch, head_sha, status, conclusion, html_url, runner_name, labels, created_at,
  started_at, completed_at, failure_reason, counted_in)
SELECT DISTINCT ON (repository_id, job_id)
  repository_id, job_id, run_id, run_attempt, name, workflow_name, head_branch, head_sha, status,
  conclusion, html_url, runner_name, COALESCE(labels, '[]'), created_at, started_at, completed_at,
  failure_reason, CASE WHEN status = 'completed' THEN pg_current_xact_id() END
FROM jsonb_to_recordset(:rows::jsonb) AS x(repository_id bigint, job_id bigint, run_id bigint,
  run_attempt int, name text, workflow_name text, head_branch text, head_sha text, status text,
  conclusion text, html_url text, runner_name text, labels jsonb, created_at timestamptz,
  started_at timestamptz, completed_at timestamptz, failure_reason text)
ORDER BY repository_id, job_id, faultline_status_rank(status) DESC, completed_at DESC NULLS LAST
ON CONFLICT (repository_id, job_id) DO UPDATE SET
  name = COALESCE(EXCLUDED.name, j.name),
  workflow_name = COALESCE(EXCLUDED.workflow_name, j.workflow_name),
  head_branch = COALESCE(EXCLUDED.head_branch, j.head_branch),
  head_sha = COALESCE(EXCLUDED.head_sha, j.head_sha),
  html_url = COALESCE(EXCLUDED.html_url, j.html_url),
  runner_name = COALESCE(EXCLUDED.runner_name, j.runner_name),
  labels = CASE WHEN EXCLUDED.labels = '[]' THEN j.labels ELSE EXCLUDED.labels END,
  created_at = COALESCE(EXCLUDED.created_at, j.created_at),
  started_at = COALESCE(EXCLUDED.started_at, j.started_at),
  status = CASE WHEN faultline_status_rank(EXCLUDED.status) > faultline_status_rank(j.status)
           THEN EXCLUDED.status ELSE j.status END,
  conclusion = CASE WHEN faultline_status_rank(EXCLUDED.status) > faultline_status_rank(j.status)
           THEN EXCLUDED.conclusion ELSE j.conclusion END,
  completed_at = COALESCE(j.completed_at, EXCLUDED.completed_at),
  failure_reason = COALESCE(j.failure_reason, EXCLUDED.failure_reason),
  recorded_at = now(),
  counted_in = COALESCE(j.counted_in, EXCLUDED.counted_in,
                        CASE WHEN j.status = 'completed' THEN pg_current_xact_id() END)
RETURNING j)
INSERT INTO counted_jobs
SELECT (faultline_job_fact(s.j)).* FROM stored s WHERE (s.j).counted_in = pg_current_xact_id()
)sql";

// The analytics rollups, in the same transaction (functions/analytics_rules.sql).
constexpr const char* kCountingTables = "SELECT faultline_counting_tables()";
constexpr const char* kCountCompletions = "SELECT faultline_count_completions()";

constexpr const char* kRecordApplied = R"sql(
INSERT INTO applied_events (group_id, topic, partition, "offset", delivery_id, hook_id,
  repository_id, run_id, kafka_timestamp)
SELECT :group, topic, partition, "offset", delivery_id, hook_id, repository_id, run_id,
  to_timestamp(kafka_timestamp_ms / 1000.0)
FROM jsonb_to_recordset(:rows::jsonb) AS x(topic text, partition int, "offset" bigint,
  delivery_id text, hook_id bigint, repository_id bigint, run_id bigint, kafka_timestamp_ms bigint)
)sql";

using Rows = pg::RecordSet;

// Runs `statement` with `rows` bound; answers how many rows it changed.
long long execute(soci::session& sql, const char* statement, const std::string& rows) {
  soci::statement st = (sql.prepare << statement, soci::use(rows, "rows"));
  st.execute(true);
  return st.get_affected_rows();
}

void add_repository(Rows& rows, std::int64_t id, const std::optional<std::string>& full_name) {
  rows.add([&](Rows::Row& row) {
    row.number("id", id);
    row.text("full_name", full_name);
    row.text("provider", provider_name(provider_of(id)));
  });
}

void add_run(Rows& rows, const events::WorkflowRunEvent& e) {
  const auto& r = e.run;
  rows.add([&](Rows::Row& row) {
    row.number("repository_id", e.envelope.repository.id);
    row.number("run_id", r.id);
    row.number("run_attempt", r.run_attempt);
    row.number("workflow_id", r.workflow_id);
    row.text("name", r.name);
    row.text("head_branch", r.head_branch);
    row.text("head_sha", r.head_sha);
    row.text("event", r.event);
    row.text("status", r.status);
    row.text("conclusion", r.conclusion);
    row.text("html_url", r.html_url);
    row.text("created_at", r.created_at);
    row.text("run_started_at", r.run_started_at);
    row.text("updated_at", r.updated_at);
  });
}

void add_job(Rows& rows, const events::WorkflowJobEvent& e) {
  const auto& j = e.job;
  rows.add([&](Rows::Row& row) {
    row.number("repository_id", e.envelope.repository.id);
    row.number("job_id", j.id);
    row.number("run_id", j.run_id);
    row.number("run_attempt", j.run_attempt);
    row.text("name", j.name);
    row.text("workflow_name", j.workflow_name);
    row.text("head_branch", j.head_branch);
    row.text("head_sha", j.head_sha);
    row.text("status", j.status);
    row.text("conclusion", j.conclusion);
    row.text("html_url", j.html_url);
    row.text("runner_name", j.runner_name);
    row.json("labels", [&](json::Writer& out) {
      out.StartArray();
      for (const auto& label : j.labels)
        json::write(out, label);
      out.EndArray();
    });
    row.text("created_at", j.created_at);
    row.text("started_at", j.started_at);
    row.text("completed_at", j.completed_at);
  });
}

void add_applied(Rows& rows, const kafka::Message& m, const std::string& delivery_id,
                 const std::optional<std::int64_t>& hook_id, std::int64_t repository_id,
                 std::int64_t run_id) {
  rows.add([&](Rows::Row& row) {
    row.text("topic", m.topic());
    row.number("partition", m.partition());
    row.number("offset", m.offset());
    row.text("delivery_id", delivery_id);
    row.number("hook_id", hook_id);
    row.number("repository_id", repository_id);
    row.number("run_id", run_id);
    row.number("kafka_timestamp_ms", m.timestamp_ms());
  });
}

// GitLab's project as a repositories row: its stored id and full name.
std::pair<std::int64_t, std::optional<std::string>> gitlab_project(
    const events::GitLabProject& project) {
  return {stored_id(Provider::gitlab, project.id), project.path_with_namespace};
}

// A pipeline's attempt is numbered by its finishes (GitLabAttempts). Its only
// clock is finished_at, so that is the updated_at that orders two completed
// events; before it, the status rank alone does (a pipeline running again
// still carries the finish it follows, which is not this attempt's).
void add_gitlab_pipeline(Rows& rows, int attempt, const events::GitLabPipelineEvent& event) {
  const auto& p = event.pipeline;
  const auto mapped = map_gitlab_status(p.status);
  const bool completed = mapped.status == "completed";
  rows.add([&](Rows::Row& row) {
    row.number("repository_id", gitlab_project(event.envelope.project).first);
    row.number("run_id", stored_id(Provider::gitlab, p.id));
    row.number("run_attempt", attempt);
    // A pipeline without a name is known by what started it, as its incident is.
    row.text("name", p.name ? p.name : p.source);
    row.text("head_branch", p.ref);
    row.text("head_sha", p.sha);
    row.text("event", p.source);
    row.text("status", mapped.status);
    row.text("conclusion", mapped.conclusion);
    row.text("html_url", p.url);
    row.text("created_at", p.created_at);
    row.text("run_started_at", p.created_at);
    row.text("updated_at", completed ? p.finished_at : std::nullopt);
  });
}

void add_gitlab_job(Rows& rows, int attempt, const events::GitLabJobEvent& event) {
  const auto& project = event.envelope.project;
  const auto& j = event.job;
  const auto mapped = map_gitlab_status(j.status, j.allow_failure);
  rows.add([&](Rows::Row& row) {
    row.number("repository_id", gitlab_project(project).first);
    row.number("job_id", stored_id(Provider::gitlab, j.id));
    row.number("run_id", stored_id(Provider::gitlab, j.pipeline_id));
    row.number("run_attempt", attempt);
    row.text("name", j.name);
    row.text("head_branch", j.ref);
    row.text("head_sha", j.sha);
    row.text("status", mapped.status);
    row.text("conclusion", mapped.conclusion);
    if (project.web_url)
      row.text("html_url", *project.web_url + "/-/jobs/" + std::to_string(j.id));
    row.text("runner_name", j.runner_description);
    row.json("labels", [&](json::Writer& out) {
      out.StartArray();
      for (const auto& tag : j.runner_tags)
        json::write(out, tag);
      out.EndArray();
    });
    row.text("created_at", j.created_at);
    row.text("started_at", j.started_at);
    row.text("completed_at", j.finished_at);
    // GitLab's hooks name a reason for jobs that did not fail too.
    row.text("failure_reason", j.status == "failed" ? j.failure_reason : std::nullopt);
  });
}

}  // namespace

std::vector<Rejection> RunsHandler::apply(soci::session& sql,
                                          const std::vector<kafka::Message>& batch) {
  std::vector<Rejection> rejections;
  // A batch names few repositories many times: send each once, as last seen.
  std::map<std::int64_t, std::optional<std::string>> repository_names;
  Rows runs, jobs, applied;
  // GitLab's rows wait for their attempts, asked for all at once: each event
  // beside its question.
  GitLabAttempts attempts;
  std::vector<std::pair<std::size_t, events::GitLabPipelineEvent>> pipelines;
  std::vector<std::pair<std::size_t, events::GitLabJobEvent>> gitlab_jobs;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& message = batch[i];
    try {
      if (message.topic() == topics::kWorkflowRun) {
        const auto event = events::parse_workflow_run_event(message.value());
        repository_names[event.envelope.repository.id] = event.envelope.repository.full_name;
        add_run(runs, event);
        add_applied(applied, message, event.envelope.delivery_id, event.envelope.hook_id,
                    event.envelope.repository.id, event.run.id);
      } else if (message.topic() == topics::kWorkflowJob) {
        const auto event = events::parse_workflow_job_event(message.value());
        repository_names[event.envelope.repository.id] = event.envelope.repository.full_name;
        add_job(jobs, event);
        add_applied(applied, message, event.envelope.delivery_id, event.envelope.hook_id,
                    event.envelope.repository.id, event.job.run_id);
      } else if (message.topic() == topics::kGitLabPipeline) {
        auto event = events::parse_gitlab_pipeline_event(message.value());
        const auto project = gitlab_project(event.envelope.project);
        if (auto& name = repository_names[project.first]; project.second)
          name = project.second;
        add_applied(applied, message, event.envelope.delivery_id, std::nullopt, project.first,
                    stored_id(Provider::gitlab, event.pipeline.id));
        const auto question = attempts.ask(event);
        pipelines.emplace_back(question, std::move(event));
      } else if (message.topic() == topics::kGitLabJob) {
        auto event = events::parse_gitlab_job_event(message.value());
        const auto project = gitlab_project(event.envelope.project);
        if (auto& name = repository_names[project.first]; project.second)
          name = project.second;
        add_applied(applied, message, event.envelope.delivery_id, std::nullopt, project.first,
                    stored_id(Provider::gitlab, event.job.pipeline_id));
        const auto question = attempts.ask(event);
        gitlab_jobs.emplace_back(question, std::move(event));
      } else {
        rejections.push_back({i, "the runs role does not consume " + std::string(message.topic())});
      }
    } catch (const events::EventError& e) {
      rejections.push_back({i, e.what()});
    }
  }
  const auto attempt = attempts.answer(sql);
  for (const auto& [question, event] : pipelines)
    add_gitlab_pipeline(runs, attempt.at(question), event);
  for (const auto& [question, event] : gitlab_jobs)
    add_gitlab_job(jobs, attempt.at(question), event);
  Rows repositories;
  for (const auto& [id, full_name] : repository_names)
    add_repository(repositories, id, full_name);
  if (!repositories.empty()) {
    const std::string json = repositories.finish();
    sql << kInsertRepositories, soci::use(json, "rows");
    sql << kTouchRepositories, soci::use(json, "rows");
  }
  // How many rows the upserts stored completed for the first time, to be counted.
  long long counted = 0;
  if (!runs.empty() || !jobs.empty())
    sql << kCountingTables;
  if (!runs.empty()) {
    const std::string json = runs.finish();
    counted += execute(sql, kUpsertRuns, json);
  }
  if (!jobs.empty()) {
    // The same rows serve both statements; each reads the columns it needs.
    const std::string json = jobs.finish();
    sql << kUpsertRunsFromJobs, soci::use(json, "rows");
    counted += execute(sql, kUpsertJobs, json);
  }
  if (!applied.empty()) {
    const std::string json = applied.finish();
    sql << kRecordApplied, soci::use(group_id_, "group"), soci::use(json, "rows");
  }
  // Last, because consumers side by side count into the same hourly rows and
  // each holds them until it commits.
  if (counted > 0)
    sql << kCountCompletions;
  return rejections;
}

std::size_t count_stored_history(soci::session& sql) {
  std::size_t total = 0;
  for (int found = 1; found > 0; total += static_cast<std::size_t>(found))
    sql << "SELECT faultline_count_backlog(5000)", soci::into(found);
  return total;
}

}  // namespace faultline::processors
