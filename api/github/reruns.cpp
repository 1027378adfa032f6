#include "api/github/reruns.hpp"

#include "api/github/github_problems.hpp"
#include "common/github_call_log.hpp"
#include "common/log.hpp"

namespace faultline::api {
namespace {

struct Target {
  long long repository_id = 0;
  std::string repository;
  std::optional<RepositoryToken> token;
};

}  // namespace

std::string rerun_workflow_run(Database& database, github::Client& github,
                               const RepositoryTokens& tokens, std::int64_t run_id,
                               const json::Value& body) {
  bool failed_only = false;
  if (const auto* flag = json::member(body, "failed_jobs_only")) {
    if (!flag->IsBool())
      throw ClientError(unprocessable("failed_jobs_only must be true or false."));
    failed_only = flag->GetBool();
  }
  const long long run = run_id;
  const auto target = database.with_session([&](soci::session& sql) -> std::optional<Target> {
    Target t;
    sql << "SELECT w.repository_id, r.full_name FROM workflow_runs w"
           " JOIN repositories r ON r.id = w.repository_id WHERE w.run_id = :run LIMIT 1",
        soci::use(run, "run"), soci::into(t.repository_id), soci::into(t.repository);
    if (!sql.got_data())
      return std::nullopt;
    t.token = tokens.find(sql, t.repository_id);
    return t;
  });
  if (!target)
    throw ClientError(not_found("No workflow run " + std::to_string(run_id) + " is known."));
  if (!target->token)
    throw ClientError(no_github_token(target->repository +
                                      " has no token of its own, no GitHub connection and there "
                                      "is no FAULTLINE_GITHUB_TOKEN."));

  const github::CallLog::Scope purpose(0, target->repository_id,
                                       failed_only ? "rerun-failed-jobs" : "rerun");
  const std::string path = "/repos/" + target->repository + "/actions/runs/" +
                           std::to_string(run_id) + (failed_only ? "/rerun-failed-jobs" : "/rerun");
  github::Response response;
  try {
    response = github.request(target->token->token, "POST", path);
  } catch (const github::GitHubError&) {
    throw ClientError(github_unavailable("GitHub could not be reached to rerun the run."));
  }
  if (response.status >= 500)
    throw ClientError(github_unavailable(github_message(response)));
  if (response.status == 404)
    throw ClientError(not_found("GitHub does not show run " + std::to_string(run_id) + " of " +
                                target->repository + " to this token."));
  if (response.status != 201 && response.status != 200 && response.status != 204)
    throw ClientError(github_refused(github_message(response)));
  log::info(
      "rerun requested",
      {{"repository", target->repository}, {"run_id", run_id}, {"failed_jobs_only", failed_only}});
  return json::object([&](json::Writer& out) {
    out.Key("run_id");
    out.Int64(run_id);
    out.Key("repository");
    json::write(out, target->repository);
    out.Key("failed_jobs_only");
    out.Bool(failed_only);
    out.Key("token_source");
    json::write(out, target->token->source);
  });
}

}  // namespace faultline::api
