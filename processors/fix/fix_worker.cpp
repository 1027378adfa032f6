#include "processors/fix/fix_worker.hpp"

#include <algorithm>
#include <variant>

#include "common/github_git.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/utf8.hpp"
#include "processors/fix/fix_prompt.hpp"
#include "processors/fix/patch.hpp"

namespace faultline::processors::fix {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

// What is kept of a prompt and of an answer, each.
constexpr std::size_t kKeptBytes = 64 * 1024;
// The longest a rate limit or a failed call puts a proposal off.
constexpr seconds kLongestWait = std::chrono::hours(1);

constexpr const char* kClaim = R"SQL(
UPDATE fix_proposals SET next_attempt_at = now() + make_interval(secs => :lease)
 WHERE id = (SELECT id FROM fix_proposals
              WHERE (state = 'requested' OR (state = 'opened' AND NOT issue_commented))
                AND next_attempt_at <= now()
              ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING id
)SQL";

// Everything the work needs, as one document: the proposal, its incident,
// the failing run, the failure context the issues role stored, the issue,
// and how many other proposals of the repository asked the model in a day.
constexpr const char* kLoad = R"SQL(
SELECT json_build_object(
         'incident_id', p.incident_id, 'repository_id', p.repository_id,
         'attempt', p.attempt, 'branch', p.branch, 'state', p.state,
         'run_id', p.run_id, 'model_calls', p.model_calls, 'diff', p.diff,
         'patched', p.patched, 'model_reason', p.model_reason,
         'pull_number', p.pull_number, 'pull_url', p.pull_url,
         'age_seconds', extract(epoch FROM now() - p.created_at),
         'repository', r.full_name, 'incident_branch', i.branch,
         'workflow_name', COALESCE(i.workflow_name, i.workflow_key),
         'base_sha', COALESCE(p.base_sha, w.head_sha), 'run_url', w.html_url,
         'context', c.context, 'issue_number', ii.issue_number,
         'used_today', (SELECT count(DISTINCT m.proposal_id) FROM fix_model_calls m
                         WHERE m.repository_id = p.repository_id AND m.proposal_id <> p.id
                           AND m.called_at > now() - interval '1 day'))::text
  FROM fix_proposals p
  JOIN repositories r ON r.id = p.repository_id
  JOIN incidents i ON i.id = p.incident_id
  LEFT JOIN LATERAL (SELECT head_sha, html_url FROM workflow_runs
                      WHERE repository_id = p.repository_id AND run_id = p.run_id
                      ORDER BY run_attempt DESC LIMIT 1) w ON true
  LEFT JOIN incident_failure_contexts c ON c.incident_id = p.incident_id
  LEFT JOIN incident_issues ii ON ii.incident_id = p.incident_id
 WHERE p.id = :id
)SQL";

constexpr const char* kDefer = R"SQL(
UPDATE fix_proposals SET next_attempt_at = now() + make_interval(secs => :wait),
       detail = :detail, updated_at = now()
 WHERE id = :id
)SQL";

constexpr const char* kFinish = R"SQL(
UPDATE fix_proposals SET state = :state, reason = :reason, detail = :detail,
       model_reason = COALESCE(:model_reason, model_reason), updated_at = now()
 WHERE id = :id AND state = 'requested'
)SQL";

constexpr const char* kRecordCall = R"SQL(
WITH call AS (
  INSERT INTO fix_model_calls (proposal_id, repository_id, status, outcome, latency_ms,
                               prompt_tokens, completion_tokens, prompt_bytes, answer_bytes,
                               prompt, answer)
  VALUES (:id, :repository, NULLIF(:status, 0), :outcome, :latency, :prompt_tokens,
          :completion_tokens, :prompt_bytes, :answer_bytes, :prompt, :answer)
)
UPDATE fix_proposals SET model_calls = model_calls + 1, base_sha = :base_sha, updated_at = now()
 WHERE id = :id
)SQL";

constexpr const char* kKeepDiff = R"SQL(
UPDATE fix_proposals SET diff = :diff, patched = :patched::jsonb, files = :files::jsonb,
       model_reason = :model_reason, detail = NULL, updated_at = now()
 WHERE id = :id AND state = 'requested'
)SQL";

constexpr const char* kOpened = R"SQL(
UPDATE fix_proposals SET state = 'opened', commit_sha = :commit, pull_number = :number,
       pull_url = :url, issue_commented = :commented::int = 1, opened_at = now(),
       detail = NULL, updated_at = now()
 WHERE id = :id AND state = 'requested'
)SQL";

constexpr const char* kCommented = R"SQL(
UPDATE fix_proposals SET issue_commented = true, updated_at = now() WHERE id = :id
)SQL";

std::optional<std::string> text(const json::Value& doc, const char* key) {
  const auto v = json::string_member(doc, key);
  return v ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

std::string kept(const std::string& s) {
  std::string out = s;
  utf8::cut_to(out, kKeptBytes);
  return out;
}

// `first`, then doubling, after the `calls`-th failed call, unless the model said.
seconds retry_wait(int calls, std::optional<seconds> asked, std::chrono::milliseconds first) {
  if (asked)
    return std::clamp(*asked, seconds(1), kLongestWait);
  const auto base = std::max<long long>(1, std::chrono::duration_cast<seconds>(first).count());
  return std::min(kLongestWait, seconds(base << std::min(calls - 1, 6)));
}

bool transient(const github::GitHubError& e) {
  return e.status() == 0 || e.status() == 429 || e.status() >= 500;
}

}  // namespace

struct FixWorker::Proposal {
  long long id = 0, incident_id = 0, repository_id = 0, run_id = 0;
  int attempt = 0, model_calls = 0;
  std::string branch, state, repository, incident_branch, workflow_name, base_sha, run_url;
  std::optional<std::string> diff, model_reason, pull_url;
  Files patched;
  std::optional<long long> pull_number, issue_number;
  std::vector<FailingJob> jobs;
  bool has_context = false;
  double age_seconds = 0;
  long long used_today = 0;
  std::optional<RepositoryToken> token;

  // Writes of the proposal's row, each in its own short statement.
  Database* database = nullptr;
  void defer(seconds wait, const std::string& detail) const {
    const double secs = static_cast<double>(wait.count());
    database->with_session([&](soci::session& sql) {
      sql << kDefer, soci::use(secs, "wait"), soci::use(detail, "detail"), soci::use(id, "id");
    });
  }
  void finish(const std::string& new_state, const std::string& reason, const std::string& detail,
              const std::optional<std::string>& reason_given = std::nullopt) const {
    const std::string given = reason_given.value_or("");
    soci::indicator given_ind = reason_given ? soci::i_ok : soci::i_null;
    database->with_session([&](soci::session& sql) {
      sql << kFinish, soci::use(new_state, "state"), soci::use(reason, "reason"),
          soci::use(detail, "detail"), soci::use(given, given_ind, "model_reason"),
          soci::use(id, "id");
    });
    log::info("fix proposal ended", {{"proposal", static_cast<std::int64_t>(id)},
                                     {"incident", static_cast<std::int64_t>(incident_id)},
                                     {"state", new_state},
                                     {"reason", reason}});
  }
};

FixSettings FixSettings::from(const Environment& env) {
  FixSettings s;
  s.max_files = static_cast<std::size_t>(env.integer("FAULTLINE_FIX_MAX_FILES", 5, 1, 50));
  s.max_prompt_bytes = static_cast<std::size_t>(
      env.integer("FAULTLINE_FIX_MAX_PROMPT_BYTES", 64 * 1024, 4 * 1024, 1024 * 1024));
  s.per_day = static_cast<int>(env.integer("FAULTLINE_FIX_PER_DAY", 20, 1, 10000));
  s.model_calls = static_cast<int>(env.integer("FAULTLINE_FIX_MODEL_ATTEMPTS", 3, 1, 10));
  s.lease = env.duration("FAULTLINE_FIX_LEASE", std::chrono::minutes(10));
  s.context_wait = env.duration("FAULTLINE_FIX_CONTEXT_WAIT", std::chrono::minutes(2));
  s.retry_wait = env.duration("FAULTLINE_FIX_RETRY_WAIT", std::chrono::seconds(30));
  s.dashboard_url = env.text("FAULTLINE_DASHBOARD_URL", "");
  while (!s.dashboard_url.empty() && s.dashboard_url.back() == '/')
    s.dashboard_url.pop_back();
  return s;
}

FixWorker::FixWorker(Database& database, github::Client& github, const RepositoryTokens& tokens,
                     ModelClient model, FixSettings settings, metrics::Registry& registry)
    : database_(database),
      github_(github),
      tokens_(tokens),
      model_(std::move(model)),
      settings_(std::move(settings)),
      registry_(registry),
      model_latency_(registry.histogram("faultline_fix_model_call_seconds",
                                        "How long the fix proposals' model took to answer",
                                        {0.5, 1, 2, 5, 10, 20, 30, 60, 120})) {}

std::optional<std::int64_t> FixWorker::claim() {
  const double lease = std::chrono::duration<double>(settings_.lease).count();
  return database_.with_session([&](soci::session& sql) -> std::optional<std::int64_t> {
    long long id = 0;
    sql << kClaim, soci::use(lease, "lease"), soci::into(id);
    if (!sql.got_data())
      return std::nullopt;
    return id;
  });
}

std::size_t FixWorker::work_due() {
  std::size_t taken = 0;
  while (const auto id = claim()) {
    ++taken;
    try {
      work(*id);
    } catch (const std::exception& e) {
      // The lease runs out and the proposal is taken again.
      log::warn("fix proposal failed for now; will retry",
                {{"proposal", *id}, {"error", e.what()}});
    }
  }
  return taken;
}

void FixWorker::run(const StopSignal& stop, std::chrono::milliseconds idle) {
  while (!stop.stop_requested()) {
    std::size_t taken = 0;
    try {
      taken = work_due();
    } catch (const std::exception& e) {
      log::warn("fix proposal pass failed; will retry", {{"error", e.what()}});
      stop.wait_for(seconds(1));
    }
    if (taken == 0)
      stop.wait_for(idle);
  }
}

void FixWorker::work(std::int64_t id) {
  Proposal p;
  p.id = id;
  p.database = &database_;
  database_.with_session([&](soci::session& sql) {
    std::string document;
    sql << kLoad, soci::use(p.id, "id"), soci::into(document);
    const auto doc = json::parse(document);
    p.incident_id = json::integer_member(doc, "incident_id").value_or(0);
    p.repository_id = json::integer_member(doc, "repository_id").value_or(0);
    p.run_id = json::integer_member(doc, "run_id").value_or(0);
    p.attempt = static_cast<int>(json::integer_member(doc, "attempt").value_or(1));
    p.model_calls = static_cast<int>(json::integer_member(doc, "model_calls").value_or(0));
    p.branch = text(doc, "branch").value_or("");
    p.state = text(doc, "state").value_or("");
    p.repository = text(doc, "repository").value_or("");
    p.incident_branch = text(doc, "incident_branch").value_or("");
    p.workflow_name = text(doc, "workflow_name").value_or("");
    p.base_sha = text(doc, "base_sha").value_or("");
    p.run_url = text(doc, "run_url").value_or("");
    p.diff = text(doc, "diff");
    p.model_reason = text(doc, "model_reason");
    p.pull_url = text(doc, "pull_url");
    p.pull_number = json::integer_member(doc, "pull_number");
    p.issue_number = json::integer_member(doc, "issue_number");
    p.used_today = json::integer_member(doc, "used_today").value_or(0);
    if (const auto* age = json::member(doc, "age_seconds"); age && age->IsNumber())
      p.age_seconds = age->GetDouble();
    if (const auto* patched = json::object_member(doc, "patched"))
      for (const auto& file : patched->GetObject())
        if (file.value.IsString())
          p.patched[file.name.GetString()] = file.value.GetString();
    if (const auto* context = json::object_member(doc, "context")) {
      p.has_context = true;
      if (const auto* jobs = json::member(*context, "jobs"); jobs && jobs->IsArray())
        for (const auto& job : jobs->GetArray()) {
          FailingJob failing{text(job, "name").value_or(""), text(job, "step").value_or(""), {}};
          if (const auto* lines = json::member(job, "lines"); lines && lines->IsArray())
            for (const auto& line : lines->GetArray())
              if (line.IsString())
                failing.lines.emplace_back(line.GetString(), line.GetStringLength());
          p.jobs.push_back(std::move(failing));
        }
    }
    p.token = tokens_.find(sql, p.repository_id);
  });
  const github::CallLog::Scope purpose(p.incident_id, p.repository_id, "fix-proposal");

  if (p.state == "opened") {
    comment_on_issue(p);
    return;
  }
  if (!p.token) {
    p.finish("rejected", "no-token",
             "The repository has no GitHub token to read its files and open a pull request with.");
    return;
  }
  if (!p.diff) {
    ask_and_validate(p);
    if (!p.diff)
      return;
  }
  open_pull_request(p);
}

void FixWorker::ask_and_validate(Proposal& p) {
  const bool waited =
      p.age_seconds >= std::chrono::duration<double>(settings_.context_wait).count();
  if (p.base_sha.empty()) {
    if (waited)
      p.finish("rejected", "does-not-apply", "The failing commit is not known.");
    else
      p.defer(seconds(15), "Waiting for the failing run to be stored.");
    return;
  }
  if (!p.has_context && !waited) {
    p.defer(seconds(15), "Waiting for the failing job's error lines.");
    return;
  }
  if (p.model_calls == 0 && p.used_today >= settings_.per_day) {
    p.defer(seconds(3600), "The repository's limit of " + std::to_string(settings_.per_day) +
                               " proposals a day is reached; it waits for the next hour.");
    return;
  }

  FixQuestion question{
      p.repository, p.incident_branch, p.base_sha, p.run_url, p.workflow_name, "", p.jobs, {}};
  try {
    const auto run =
        github_.request(p.token->token, "GET",
                        "/repos/" + p.repository + "/actions/runs/" + std::to_string(p.run_id));
    if (run.status == 200)
      question.workflow_path = text(json::parse(run.body), "path").value_or("");
    auto paths = named_paths(p.jobs, settings_.max_files);
    if (!question.workflow_path.empty() &&
        std::find(paths.begin(), paths.end(), question.workflow_path) == paths.end())
      paths.push_back(question.workflow_path);
    for (const auto& path : paths)
      if (auto file = github::file_at(github_, p.token->token, p.repository, path, p.base_sha,
                                      settings_.max_prompt_bytes))
        question.files.emplace(path, std::move(*file));
  } catch (const github::GitHubError& e) {
    if (!transient(e)) {
      p.finish("rejected", "github-refused", e.what());
      return;
    }
    p.defer(seconds(60), std::string("GitHub could not be read: ") + e.what());
    return;
  } catch (const json::ParseError&) {
    // A run GitHub describes oddly has no workflow file to add; the rest stands.
  }

  const auto prompt = model_.request_body(std::string(instructions()),
                                          question_text(question, settings_.max_prompt_bytes));
  const auto reply = model_.ask(prompt);
  model_latency_.observe(std::chrono::duration<double>(reply.latency).count());
  const int calls = p.model_calls + 1;
  const Answer answer =
      reply.outcome == ModelOutcome::kAnswered ? read_answer(reply.content) : Answer{};
  const std::string outcome = reply.outcome != ModelOutcome::kAnswered ? to_string(reply.outcome)
                              : answer.diff.empty()                    ? "not-a-diff"
                                                                       : "answered";
  registry_
      .counter("faultline_fix_model_calls_total", "Calls to the fix proposals' model",
               {{"outcome", outcome}})
      .increment();
  database_.with_session([&](soci::session& sql) {
    const int status = static_cast<int>(reply.status);
    const int latency = static_cast<int>(reply.latency.count());
    const long long prompt_tokens = reply.prompt_tokens.value_or(0),
                    completion_tokens = reply.completion_tokens.value_or(0);
    soci::indicator pt = reply.prompt_tokens ? soci::i_ok : soci::i_null,
                    ct = reply.completion_tokens ? soci::i_ok : soci::i_null;
    const int prompt_bytes = static_cast<int>(prompt.size()),
              answer_bytes = static_cast<int>(reply.body.size());
    const auto prompt_kept = kept(prompt), answer_kept = kept(reply.body);
    sql << kRecordCall, soci::use(p.id, "id"), soci::use(p.repository_id, "repository"),
        soci::use(status, "status"), soci::use(outcome, "outcome"), soci::use(latency, "latency"),
        soci::use(prompt_tokens, pt, "prompt_tokens"),
        soci::use(completion_tokens, ct, "completion_tokens"),
        soci::use(prompt_bytes, "prompt_bytes"), soci::use(answer_bytes, "answer_bytes"),
        soci::use(prompt_kept, "prompt"), soci::use(answer_kept, "answer"),
        soci::use(p.base_sha, "base_sha");
  });

  // A failed call, or an answer that is no diff, is asked again within the limit.
  const auto failed = [&](const std::string& reason, const std::string& detail) {
    if (calls < settings_.model_calls) {
      p.defer(retry_wait(calls, reply.retry_after, settings_.retry_wait), detail);
      return;
    }
    const bool answered = reply.outcome == ModelOutcome::kAnswered;
    p.finish(answered ? "rejected" : "model_failed", reason,
             detail + " (" + std::to_string(calls) + " calls)",
             answered ? std::optional<std::string>(answer.reason) : std::nullopt);
  };
  if (reply.outcome != ModelOutcome::kAnswered) {
    failed(outcome, reply.error);
    return;
  }
  if (answer.diff.empty()) {
    failed("not-a-diff", "The model's answer holds no diff.");
    return;
  }
  PatchLimits limits{settings_.max_files, settings_.max_prompt_bytes,
                     failure_in_workflow(question)};
  auto result = apply_patch(answer.diff, question.files, limits);
  if (const auto* refused = std::get_if<Rejection>(&result)) {
    if (refused->reason == "not-a-diff")
      failed(refused->reason, refused->detail);
    else
      p.finish("rejected", refused->reason, refused->detail, answer.reason);
    return;
  }
  p.patched = std::move(std::get<Files>(result));
  p.diff = answer.diff;
  p.model_reason = answer.reason;
  const auto patched = json::object([&](json::Writer& out) {
    for (const auto& [path, content] : p.patched) {
      out.Key(path.c_str(), static_cast<rapidjson::SizeType>(path.size()));
      json::write(out, content);
    }
  });
  const auto files = json::array([&](json::Writer& out) {
    for (const auto& [path, content] : p.patched)
      json::write(out, path);
  });
  database_.with_session([&](soci::session& sql) {
    sql << kKeepDiff, soci::use(*p.diff, "diff"), soci::use(patched, "patched"),
        soci::use(files, "files"), soci::use(*p.model_reason, "model_reason"),
        soci::use(p.id, "id");
  });
}

std::string FixWorker::pull_request_body(const Proposal& p) const {
  const std::string incident = settings_.dashboard_url.empty()
                                   ? "Faultline incident " + std::to_string(p.incident_id)
                                   : "[Faultline incident " + std::to_string(p.incident_id) + "](" +
                                         settings_.dashboard_url + "/incidents/" +
                                         std::to_string(p.incident_id) + ")";
  const std::string run = p.run_url.empty()
                              ? "run " + std::to_string(p.run_id)
                              : "[run " + std::to_string(p.run_id) + "](" + p.run_url + ")";
  std::string body = "<!-- faultline:fix-proposal incident=" + std::to_string(p.incident_id) +
                     " attempt=" + std::to_string(p.attempt) + " -->\n" +
                     "**A proposed fix, written by a language model (" + model_.settings().model +
                     "). A person must review it before it is merged.**\n\n" + incident + ": " +
                     run + " of **" + p.workflow_name + "** failed on `" + p.incident_branch +
                     "` at " + p.base_sha + ".\n";
  for (const auto& job : p.jobs)
    body += "\nFailing job **" + job.name + "**, step **" + job.step + "**:\n\n" +
            fenced(joined(job.lines));
  body += "\n### Why this change\n\n" + p.model_reason.value_or("") + "\n";
  utf8::cut_to(body, 60000);  // GitHub takes at most 65,536 characters
  return body;
}

void FixWorker::open_pull_request(Proposal& p) {
  try {
    const auto commit =
        github::commit_on_new_branch(github_, p.token->token,
                                     {p.repository, p.base_sha, p.branch,
                                      "Fix the failure of " + p.workflow_name +
                                          " (Faultline incident " + std::to_string(p.incident_id) +
                                          ")\n\nProposed by a language model; see the pull "
                                          "request for the failure and the reason.",
                                      p.patched});
    const auto pull = github::draft_pull_request(
        github_, p.token->token, p.repository, p.branch, p.incident_branch,
        "Proposed fix: " + p.workflow_name + " failing on " + p.incident_branch,
        pull_request_body(p));
    const int commented = p.issue_number ? 0 : 1;
    database_.with_session([&](soci::session& sql) {
      const long long number = pull.number;
      sql << kOpened, soci::use(commit, "commit"), soci::use(number, "number"),
          soci::use(pull.html_url, "url"), soci::use(commented, "commented"), soci::use(p.id, "id");
    });
    registry_
        .counter("faultline_fix_proposals_opened_total",
                 "Fix proposals opened as draft pull requests")
        .increment();
    log::info("fix proposal opened", {{"proposal", static_cast<std::int64_t>(p.id)},
                                      {"incident", static_cast<std::int64_t>(p.incident_id)},
                                      {"pull_request", pull.html_url},
                                      {"found", !pull.opened_now}});
    p.pull_url = pull.html_url;
    p.pull_number = pull.number;
  } catch (const github::GitHubError& e) {
    if (!transient(e)) {
      p.finish("rejected", "github-refused", e.what());
      return;
    }
    p.defer(seconds(60), std::string("GitHub could not be written to: ") + e.what());
    return;
  }
  if (p.issue_number)
    comment_on_issue(p);
}

void FixWorker::comment_on_issue(const Proposal& p) {
  if (p.issue_number && p.token && p.pull_url) {
    const auto body = json::object([&](json::Writer& out) {
      out.Key("body");
      json::write(out, "A fix is proposed in a draft pull request: " + *p.pull_url +
                           "\nIt was written by a language model from this failure; a person "
                           "must review it before it is merged.");
    });
    const auto answer = github_.request(
        p.token->token, "POST",
        "/repos/" + p.repository + "/issues/" + std::to_string(*p.issue_number) + "/comments",
        body);
    if (answer.status != 201) {
      p.defer(seconds(60),
              "Commenting on the issue: GitHub answered " + std::to_string(answer.status) + ".");
      return;
    }
  }
  database_.with_session([&](soci::session& sql) { sql << kCommented, soci::use(p.id, "id"); });
}

}  // namespace faultline::processors::fix
