// The GitHub endpoints of ApiServer: the OAuth connection, repositories as
// GitHub lists them, connecting a repository (with its webhook) and
// disconnecting it, and reruns.

#include "api/api_server.hpp"
#include "api/github/github_problems.hpp"
#include "api/github/github_repositories.hpp"
#include "api/github/reruns.hpp"
#include "api/json_body.hpp"
#include "api/lookup.hpp"
#include "api/pagination.hpp"
#include "common/github_call_log.hpp"

namespace faultline::api {
namespace {

// code and state as GitHub hands them back: short, printable.
std::string oauth_parameter(const ApiRequest& request, const char* name) {
  const auto value = request.query_value(name);
  if (!value || value->empty())
    throw ClientError(bad_request(std::string(name) + " is required.", "invalid-parameter"));
  if (value->size() > 512)
    throw ClientError(bad_request(std::string(name) + " is too long.", "invalid-parameter"));
  for (const char c : *value)
    if (c < 0x21 || c > 0x7e)
      throw ClientError(bad_request(std::string(name) + " holds characters GitHub never sends.",
                                    "invalid-parameter"));
  return *value;
}

bool flag(const json::Value& body, const char* key) {
  const auto* value = json::member(body, key);
  if (value && !value->IsBool())
    throw ClientError(bad_request(std::string(key) + " must be true or false.", "invalid-body"));
  return value && value->GetBool();
}

}  // namespace

void ApiServer::declare_github_routes() {
  auto& routes = routes_;

  routes.post("/api/v1/oauth/github/authorize", Access::kUser, [this](const ApiRequest& request) {
    return http::json_reply(200, oauth_.authorize(request.user().user_id));
  });
  routes.get("/api/v1/oauth/github/callback", Access::kUser, [this](const ApiRequest& request) {
    const auto who = audit::context_of(request);
    const auto user = request.user().user_id;
    return audit_.failures_of(
        database_, who, audit::Action::kGithubConnect, "user:" + std::to_string(user), [&] {
          const auto code = oauth_parameter(request, "code");
          const auto state = oauth_parameter(request, "state");
          return http::json_reply(200, oauth_.complete(user, code, state, who));
        });
  });
  routes.get("/api/v1/oauth/connections", Access::kUser, [this](const ApiRequest& request) {
    return http::json_reply(200, oauth_.list(request.user().user_id));
  });
  routes.get("/api/v1/oauth/github/connection", Access::kUser, [this](const ApiRequest& request) {
    return http::json_reply(200,
                            found(oauth_.get(request.user().user_id), "GitHub is not connected."));
  });
  routes.remove(
      "/api/v1/oauth/github/connection", Access::kUser, [this](const ApiRequest& request) {
        const auto who = audit::context_of(request);
        const auto user = request.user().user_id;
        return audit_.failures_of(database_, who, audit::Action::kGithubDisconnect,
                                  "user:" + std::to_string(user), [&] {
                                    if (!oauth_.disconnect(user, who))
                                      throw ClientError(not_found("GitHub is not connected."));
                                    return http::Reply{204, "", "application/json", {}};
                                  });
      });

  routes.get("/api/v1/repositories/github", Access::kUser, [this](const ApiRequest& request) {
    const auto page = parse_page(request);
    const auto token = database_.with_session(
        [&](soci::session& sql) { return oauth_.token(sql, request.user().user_id); });
    if (!token)
      throw ClientError(Problem{409,
                                "Conflict",
                                "Connect GitHub first (POST /api/v1/oauth/github/authorize).",
                                "github-not-connected",
                                {}});
    return http::json_reply(200,
                            list_github_repositories(github_, database_, *token, request, page));
  });

  // Connecting: the admin's GitHub connection, if any, becomes the
  // repository's token (unless one is given); with create_webhook the hook is
  // made once the repository is recorded, so a failed hook leaves a
  // connected repository that a retry completes.
  routes.post("/api/v1/repositories", Access::kAdmin, [this](const ApiRequest& request) {
    const auto who = audit::context_of(request);
    bool create_webhook = false;
    auto connected =
        audit_.failures_of(database_, who, audit::Action::kAdminRepositoryConnect, "", [&] {
          const auto body = json_body(request);
          create_webhook = flag(body, "create_webhook");
          const auto user = request.user().user_id;
          const auto connection =
              database_.with_session([&](soci::session& sql) { return oauth_.token(sql, user); });
          return repositories_.connect(
              database_, body, &github_, connection.value_or(settings_.github.default_token),
              connection ? std::optional<std::int64_t>(user) : std::nullopt, who);
        });
    if (create_webhook) {
      const auto target = audit::repository_target(connected.id);
      connected.document =
          audit_.failures_of(database_, who, audit::Action::kAdminWebhookCreate, target, [&] {
            const auto token = database_.with_session(
                [&](soci::session& sql) { return tokens_.find(sql, connected.id); });
            if (!token)
              throw ClientError(
                  no_github_token("create_webhook needs a token: give one, connect GitHub, or set "
                                  "FAULTLINE_GITHUB_TOKEN."));
            const github::CallLog::Scope purpose(0, connected.id, "create-webhook");
            const auto hook_id = hooks_.ensure(token->token, connected.full_name, connected.id);
            return database_.with_session([&](soci::session& sql) {
              repositories_.record_hook(sql, connected.id, hook_id, who);
              return repositories_.get(sql, connected.id).value_or("{}");
            });
          });
    }
    return http::json_reply(connected.status, std::move(connected.document));
  });

  // Disconnecting deletes the hook Faultline made (?keep_webhook=true leaves
  // it, e.g. when the token can no longer reach GitHub).
  routes.remove("/api/v1/repositories/:id", Access::kAdmin, [this](const ApiRequest& request) {
    const auto id = positive_integer("id", request.params.at("id"));
    const bool keep_webhook = request.query_value("keep_webhook") == "true";
    const auto who = audit::context_of(request);
    return audit_.failures_of(
        database_, who, audit::Action::kAdminRepositoryDisconnect, audit::repository_target(id),
        [&] {
          const auto [hook, token] = database_.with_session([&](soci::session& sql) {
            return std::make_pair(repositories_.managed_hook(sql, id), tokens_.find(sql, id));
          });
          std::string what = "no webhook of Faultline's";
          if (hook && keep_webhook)
            what = "webhook " + std::to_string(hook->hook_id) + " kept";
          if (hook && !keep_webhook) {
            if (!token)
              throw ClientError(
                  no_github_token("No token can delete the webhook; disconnect with "
                                  "?keep_webhook=true to leave it."));
            const github::CallLog::Scope purpose(0, id, "delete-webhook");
            hooks_.remove(token->token, hook->full_name, hook->hook_id);
            what = "webhook " + std::to_string(hook->hook_id) + " deleted";
          }
          if (!database_.with_session(
                  [&](soci::session& sql) { return repositories_.disconnect(sql, id, what, who); }))
            throw ClientError(not_found("No repository " + std::to_string(id) + "."));
          return http::Reply{204, "", "application/json", {}};
        });
  });

  routes.post(
      "/api/v1/workflow-runs/:run_id/rerun", Access::kUser, [this](const ApiRequest& request) {
        const auto run_id = positive_integer("run_id", request.params.at("run_id"));
        const auto who = audit::context_of(request);
        const auto target = "run:" + std::to_string(run_id);
        // GitHub does the work: the row follows its answer.
        return audit_.failures_of(database_, who, audit::Action::kWorkflowRerun, target, [&] {
          const auto body = request.body.empty() ? json::parse("{}") : json_body(request);
          auto document = rerun_workflow_run(database_, github_, tokens_, run_id, body);
          const auto* failed_only = json::member(body, "failed_jobs_only");
          audit_.record(
              database_, who,
              audit::Event{audit::Action::kWorkflowRerun, target, audit::Outcome::kSuccess,
                           failed_only && failed_only->IsBool() && failed_only->GetBool()
                               ? "failed jobs"
                               : "all jobs"});
          return http::json_reply(202, std::move(document));
        });
      });
}

}  // namespace faultline::api
