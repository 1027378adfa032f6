#include "api/github/repository_hooks.hpp"

#include "api/github/github_problems.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/webhook_secrets.hpp"

namespace faultline::api {
namespace {

github::Response call(github::Client& github, const std::string& token, const std::string& method,
                      const std::string& path, const std::string& body = "") {
  try {
    return github.request(token, method, path, body);
  } catch (const github::GitHubError& e) {
    throw ClientError(github_unavailable("GitHub could not be reached to manage the webhook."));
  }
}

// A refusal names what GitHub needs: admin rights and the admin:repo_hook scope.
[[noreturn]] void refused(const char* what, const github::Response& response) {
  if (response.status >= 500)
    throw ClientError(github_unavailable(std::string(what) + ": " + github_message(response)));
  throw ClientError(github_refused(std::string(what) + ": " + github_message(response) +
                                   " The token needs admin rights on the repository and the "
                                   "admin:repo_hook scope."));
}

}  // namespace

std::string RepositoryHooks::hook_body(std::int64_t repository_id) const {
  return json::object([&](json::Writer& out) {
    out.Key("name");
    out.String("web");
    out.Key("active");
    out.Bool(true);
    out.Key("events");
    out.StartArray();
    out.String("workflow_run");
    out.String("workflow_job");
    // For fix proposals: whether a proposal's pull request was merged or closed.
    out.String("pull_request");
    out.EndArray();
    out.Key("config");
    out.StartObject();
    out.Key("url");
    json::write(out, settings_.webhook_url());
    out.Key("content_type");
    out.String("json");
    out.Key("insecure_ssl");
    out.String("0");
    out.Key("secret");
    json::write(out, repository_webhook_secret(settings_.webhook_secrets.front(), repository_id));
    out.EndObject();
  });
}

std::int64_t RepositoryHooks::ensure(const std::string& token, const std::string& full_name,
                                     std::int64_t repository_id) const {
  if (settings_.public_url.empty())
    throw ClientError(unprocessable(
        "create_webhook needs FAULTLINE_PUBLIC_URL (where GitHub can reach this deployment).",
        "webhook-not-possible"));
  const std::string hooks = "/repos/" + full_name + "/hooks";

  const auto listed = call(github_, token, "GET", hooks + "?per_page=100");
  if (listed.status != 200)
    refused("Listing the repository's webhooks", listed);
  std::int64_t existing = 0;
  const auto all = json::parse(listed.body);
  if (all.IsArray())
    for (const auto& hook : all.GetArray()) {
      const auto* config = json::object_member(hook, "config");
      if (config && json::string_member(*config, "url") == settings_.webhook_url())
        existing = json::integer_member(hook, "id").value_or(0);
    }

  const auto response = existing
                            ? call(github_, token, "PATCH", hooks + "/" + std::to_string(existing),
                                   hook_body(repository_id))
                            : call(github_, token, "POST", hooks, hook_body(repository_id));
  if (response.status != 200 && response.status != 201)
    refused("Creating the webhook", response);
  const auto id = json::integer_member(json::parse(response.body), "id").value_or(0);
  if (id <= 0)
    throw ClientError(github_unavailable("GitHub did not say which webhook it made."));
  log::info(existing ? "webhook taken over" : "webhook created",
            {{"repository", full_name}, {"hook_id", id}});
  return id;
}

void RepositoryHooks::remove(const std::string& token, const std::string& full_name,
                             std::int64_t hook_id) const {
  const auto response =
      call(github_, token, "DELETE", "/repos/" + full_name + "/hooks/" + std::to_string(hook_id));
  if (response.status != 204 && response.status != 404)
    refused("Deleting the webhook", response);
  log::info("webhook deleted", {{"repository", full_name}, {"hook_id", hook_id}});
}

}  // namespace faultline::api
