#include "processors/incidents_handler.hpp"

#include <set>

#include "common/events.hpp"
#include "common/gitlab_events.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/pg_literal.hpp"
#include "common/provider_ids.hpp"
#include "common/topics.hpp"
#include "common/trace_context.hpp"
#include "processors/gitlab_attempts.hpp"
#include "processors/gitlab_status.hpp"

namespace faultline::processors {
namespace {

struct RunFacts {
  long long repository_id;
  long long run_id;
  int run_attempt;
  std::string workflow_key;
  std::string workflow_name;
  std::string branch;
  std::string conclusion;
  std::string html_url;
  std::string created_at;  // empty when GitHub gave none
  std::string repository_name;
};

template <typename Pending>
std::set<std::string> unresolved_keys(soci::session& sql, const std::vector<Pending>& pending) {
  pg::RecordSet set;
  for (const auto& p : pending)
    set.add([&](pg::RecordSet::Row& row) {
      row.number("r", p.run.repository_id);
      row.text("w", p.run.workflow_key);
      row.text("b", p.run.branch);
    });
  const std::string keys = set.finish();
  std::set<std::string> found;
  soci::rowset<soci::row> rows =
      (sql.prepare
           << "SELECT DISTINCT i.repository_id::text || '/' || i.workflow_key || '/' || i.branch"
              " FROM incidents i JOIN jsonb_to_recordset(:keys::jsonb) AS k(r bigint, w text, b "
              "text)"
              " ON i.repository_id = k.r AND i.workflow_key = k.w AND i.branch = k.b"
              " WHERE i.state <> 'resolved'",
       soci::use(keys, "keys"));
  for (const auto& row : rows)
    found.insert(row.get<std::string>(0));
  return found;
}

// A completed run, as the incident rules read it; nullopt while it runs.
std::optional<RunFacts> completed_run(const events::WorkflowRunEvent& event) {
  const auto& r = event.run;
  if (r.status != "completed" || !r.conclusion)
    return std::nullopt;
  return RunFacts{event.envelope.repository.id,
                  r.id,
                  static_cast<int>(r.run_attempt),
                  r.workflow_id ? std::to_string(*r.workflow_id) : r.name.value_or(""),
                  r.name.value_or(""),
                  r.head_branch.value_or(""),
                  *r.conclusion,
                  r.html_url.value_or(""),
                  r.created_at.value_or(""),
                  event.envelope.repository.full_name};
}

// A completed GitLab pipeline; its key is the project, the pipeline's name
// (or what started it, when it has none) and its ref. Its attempt is asked
// for apart (GitLabAttempts).
std::optional<RunFacts> completed_pipeline(const events::GitLabPipelineEvent& event) {
  const auto& p = event.pipeline;
  const auto mapped = map_gitlab_status(p.status);
  if (mapped.status != "completed" || !mapped.conclusion)
    return std::nullopt;
  const auto& project = event.envelope.project;
  const std::string name = p.name.value_or(p.source.value_or("pipeline"));
  return RunFacts{stored_id(Provider::gitlab, project.id),
                  stored_id(Provider::gitlab, p.id),
                  1,
                  name,
                  name,
                  p.ref.value_or(""),
                  *mapped.conclusion,
                  p.url.value_or(""),
                  p.created_at.value_or(""),
                  project.path_with_namespace.value_or("")};
}

}  // namespace

Verdict verdict_of(const std::optional<std::string>& conclusion) {
  if (!conclusion)
    return Verdict::kNeutral;
  if (*conclusion == "failure" || *conclusion == "timed_out" || *conclusion == "startup_failure")
    return Verdict::kFailing;
  if (*conclusion == "success")
    return Verdict::kHealthy;
  return Verdict::kNeutral;
}

std::vector<Rejection> IncidentsHandler::apply(soci::session& sql,
                                               const std::vector<kafka::Message>& batch) {
  std::vector<Rejection> rejections;
  struct Pending {
    RunFacts run;
    Verdict verdict;
    std::string key;
    std::size_t message;  // its index in the batch
  };
  std::vector<Pending> pending;
  // GitLab's pipelines name no attempt: asked for all at once, then filled in.
  GitLabAttempts attempts;
  std::vector<std::pair<std::size_t, std::size_t>> gitlab;  // pending index, question
  for (std::size_t i = 0; i < batch.size(); ++i) {
    std::optional<RunFacts> run;
    std::optional<std::size_t> question;
    try {
      if (batch[i].topic() == topics::kGitLabPipeline) {
        const auto event = events::parse_gitlab_pipeline_event(batch[i].value());
        run = completed_pipeline(event);
        if (run)
          question = attempts.ask(event);
      } else {
        run = completed_run(events::parse_workflow_run_event(batch[i].value()));
      }
    } catch (const events::EventError& e) {
      rejections.push_back({i, e.what()});
      continue;
    }
    const Verdict verdict = run ? verdict_of(run->conclusion) : Verdict::kNeutral;
    if (verdict == Verdict::kNeutral)
      continue;
    if (question)
      gitlab.emplace_back(pending.size(), *question);
    std::string key =
        std::to_string(run->repository_id) + "/" + run->workflow_key + "/" + run->branch;
    pending.push_back({std::move(*run), verdict, std::move(key), i});
  }
  if (pending.empty())
    return rejections;
  const auto attempt = attempts.answer(sql);
  for (const auto& [index, asked] : gitlab)
    pending[index].run.run_attempt = attempt.at(asked);

  // Most runs succeed where nothing is failing: find, in one query, the keys
  // that have an incident to resolve, and send only what can change something.
  std::set<std::string> relevant = unresolved_keys(sql, pending);
  pg::RecordSet rows;
  struct Sent {
    trace::Context trace;  // the delivery's, continued here
    long long run_id;
  };
  std::vector<Sent> sent;  // each row sent, in order
  for (const auto& p : pending) {
    if (p.verdict == Verdict::kHealthy && !relevant.count(p.key))
      continue;
    if (p.verdict == Verdict::kFailing)
      relevant.insert(p.key);
    const auto& r = p.run;
    const auto& trace =
        sent.emplace_back(Sent{trace::continue_from(batch[p.message]), r.run_id}).trace;
    rows.add([&](pg::RecordSet::Row& row) {
      row.number("repository_id", r.repository_id);
      row.text("repository", r.repository_name);
      row.number("run_id", r.run_id);
      row.number("run_attempt", r.run_attempt);
      row.text("workflow_key", r.workflow_key);
      row.text("workflow_name", r.workflow_name);
      row.text("branch", r.branch);
      row.text("conclusion", r.conclusion);
      row.boolean("failing", p.verdict == Verdict::kFailing);
      row.text("html_url", r.html_url);
      row.text("created_at",
               r.created_at.empty() ? std::nullopt : std::optional<std::string>(r.created_at));
      row.text("traceparent", trace.traceparent());
      row.text("tracestate", trace.tracestate);
    });
  }
  if (rows.empty())
    return rejections;
  // One round trip: the rules run in the database, in arrival order.
  const std::string runs = rows.finish();
  std::string changes;
  sql << "SELECT faultline_apply_completed_runs(:runs::jsonb)", soci::use(runs, "runs"),
      soci::into(changes);
  // Logged before the batch commits: a batch rolled back and tried again
  // logs its changes again, under the same trace id.
  const auto made = json::parse(changes);
  for (const auto& change : made.GetArray()) {
    const auto& run = sent.at(change["n"].GetUint64() - 1);
    const trace::Scope traced(run.trace);
    log::info("incident changed", {{"incident_id", change["incident"].GetInt64()},
                                   {"change", change["change"].GetString()},
                                   {"run_id", static_cast<std::int64_t>(run.run_id)}});
  }
  return rejections;
}

}  // namespace faultline::processors
