// Connecting GitHub end to end: the OAuth web flow against the fake GitHub,
// repositories listed from GitHub, a webhook created with the repository's
// derived secret and a delivery signed with it accepted by ingest (which has
// no database), disconnects, reruns, and no token in any answer or log line.

#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <set>
#include <string>

#include "common/json.hpp"
#include "common/webhook_secrets.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/examples.hpp"
#include "tests/support/fake_github.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

constexpr const char* kPublicUrl = "https://faultline.example.com";
constexpr const char* kMasters = "master-new,master-old";
constexpr const char* kClientSecret = "oauth-client-secret-value";

std::string query_value(const std::string& url, const std::string& name) {
  const std::regex pattern("[?&]" + name + "=([^&]*)");
  std::smatch match;
  return std::regex_search(url, match, pattern) ? match[1].str() : "";
}

std::string repos_json(int count) {
  return json::array([&](json::Writer& out) {
    for (int i = 1; i <= count; ++i) {
      out.StartObject();
      out.Key("id");
      out.Int64(7000 + i);
      out.Key("full_name");
      json::write(out, "octocat/repo-" + std::to_string(1000 + i));
      out.Key("private");
      out.Bool(i % 2 == 0);
      out.Key("permissions");
      out.StartObject();
      out.Key("admin");
      out.Bool(true);
      out.EndObject();
      out.EndObject();
    }
  });
}

class GitHubConnectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    github_.set_oauth_app("fake-client", kClientSecret);
    github_.add_user("octocat", 583231, repos_json(150));
    github_.add_user("hubot", 999, "[]");
    api_ = std::make_unique<ApiProcess>(
        database_,
        std::map<std::string, std::string>{{"FAULTLINE_GITHUB_API_URL", github_.url()},
                                           {"FAULTLINE_GITHUB_WEB_URL", github_.url()},
                                           {"FAULTLINE_GITHUB_OAUTH_CLIENT_ID", "fake-client"},
                                           {"FAULTLINE_GITHUB_OAUTH_CLIENT_SECRET", kClientSecret},
                                           {"FAULTLINE_PUBLIC_URL", kPublicUrl},
                                           {"FAULTLINE_WEBHOOK_SECRETS", kMasters},
                                           {"FAULTLINE_GITHUB_MUTATION_SPACING", "10ms"},
                                           {"FAULTLINE_LOG_LEVEL", "debug"},
                                           {"FAULTLINE_ENCRYPTION_KEY", std::string(64, 'e')}});
    base_ = api_->base();
    admin_ = new_account(database_, client_, base_, "admin@example.com", "admin").authorization();
    other_ = new_account(database_, client_, base_, "other@example.com").authorization();
  }

  HttpResponse send(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& as = "") {
    return client_.request(method, base_ + path,
                           {"Content-Type: application/json", as.empty() ? admin_ : as}, body);
  }

  // POST authorize, then GitHub's page approving as `login`: the code and state it hands back.
  std::pair<std::string, std::string> approve(const std::string& as, const std::string& login) {
    const auto authorized = send("POST", "/api/v1/oauth/github/authorize", "", as);
    EXPECT_EQ(authorized.status, 200) << authorized.body;
    const auto url = std::string(
        json::string_member(json::parse(authorized.body), "authorization_url").value_or(""));
    EXPECT_EQ(url.rfind(github_.url() + "/login/oauth/authorize?", 0), 0u) << url;
    EXPECT_EQ(query_value(url, "client_id"), "fake-client");
    EXPECT_EQ(query_value(url, "scope"), "repo%20admin%3Arepo_hook");
    const auto page =
        client_.get(url + "&redirect_uri=https%3A%2F%2Fdash.example%2Fcb&login=" + login);
    EXPECT_EQ(page.status, 302) << page.body;
    const auto location = page.headers.count("location") ? page.headers.at("location") : "";
    EXPECT_EQ(query_value(location, "state"), query_value(url, "state"));
    return {query_value(location, "code"), query_value(location, "state")};
  }

  HttpResponse callback(const std::string& code, const std::string& state,
                        const std::string& as = "") {
    return send("GET", "/api/v1/oauth/github/callback?code=" + code + "&state=" + state, "", as);
  }

  std::string connect_admin() {
    const auto [code, state] = approve(admin_, "octocat");
    const auto connected = callback(code, state);
    EXPECT_EQ(connected.status, 200) << connected.body;
    const auto tokens = json::parse(github_.tokens());
    EXPECT_EQ(tokens.MemberCount(), 1u);
    return tokens.MemberCount() ? tokens.MemberBegin()->name.GetString() : "";
  }

  void expect_no_secret(const std::string& text, const std::string& token) {
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(text.find(token), std::string::npos) << "token leaked: " << text.substr(0, 400);
    EXPECT_EQ(text.find(kClientSecret), std::string::npos) << "client secret leaked";
  }

  TestDatabase database_;
  FakeGitHub github_;
  std::unique_ptr<ApiProcess> api_;
  std::string base_, admin_, other_;
  HttpClient client_;
};

TEST_F(GitHubConnectTest, ConnectsListsCreatesTheHookAndDisconnects) {
  const auto token = connect_admin();
  std::string answers;

  const auto connection = send("GET", "/api/v1/oauth/github/connection");
  ASSERT_EQ(connection.status, 200) << connection.body;
  const auto doc = json::parse(connection.body);
  EXPECT_EQ(json::string_member(doc, "login"), "octocat");
  EXPECT_EQ(json::integer_member(doc, "account_id"), 583231);
  const auto list = send("GET", "/api/v1/oauth/connections");
  EXPECT_EQ(json::integer_member(json::parse(list.body), "total"), 1) << list.body;
  EXPECT_EQ(send("GET", "/api/v1/oauth/github/connection", "", other_).status, 404);
  answers += connection.body + list.body;

  // Stored sealed under a named key, never as given.
  EXPECT_EQ(
      database_.count("SELECT count(*) FROM oauth_connections WHERE token_ciphertext LIKE '%" +
                      token + "%'"),
      0);
  EXPECT_EQ(database_.count("SELECT count(*) FROM oauth_connections"
                            " WHERE token_ciphertext ~ '^[0-9a-f]{8}[.]'"),
            1);

  // Every page of GitHub's list, with the parameters passed through.
  const auto repos = send("GET",
                          "/api/v1/repositories/github?sort=pushed&direction=asc"
                          "&visibility=private&page=2&page_size=50");
  ASSERT_EQ(repos.status, 200) << repos.body;
  const auto listed = json::parse(repos.body);
  EXPECT_EQ(json::integer_member(listed, "total"), 75);
  EXPECT_EQ(listed["items"].Size(), 25u);
  EXPECT_TRUE(listed["items"][0]["private"].GetBool());
  const auto requests = json::parse(github_.requests());
  int user_repo_pages = 0;
  for (const auto& r : requests.GetArray())
    if (std::string(r["path"].GetString()) == "/user/repos") {
      ++user_repo_pages;
      const std::string query = r["query"].GetString();
      EXPECT_NE(query.find("sort=pushed"), std::string::npos) << query;
      EXPECT_NE(query.find("direction=asc"), std::string::npos) << query;
      EXPECT_NE(query.find("visibility=private"), std::string::npos) << query;
      EXPECT_EQ(r["token"].GetString(), token);
    }
  EXPECT_EQ(user_repo_pages, 1);  // 75 private repositories: one page of 100
  EXPECT_EQ(send("GET", "/api/v1/repositories/github?sort=stars").status, 400);
  EXPECT_EQ(send("GET", "/api/v1/repositories/github", "", other_).status, 409);
  answers += repos.body;

  // Connecting with create_webhook: the connection's token, a hook with the derived secret.
  const auto connected = send("POST", "/api/v1/repositories",
                              R"({"full_name":"octocat/repo-1002","create_webhook":true})");
  ASSERT_EQ(connected.status, 201) << connected.body;
  const auto repo = json::parse(connected.body);
  EXPECT_EQ(json::string_member(repo, "token_source"), "connection");
  EXPECT_TRUE(repo["hook_managed"].GetBool());
  const auto hooks = json::parse(github_.hooks());
  ASSERT_TRUE(hooks.HasMember("octocat/repo-1002")) << github_.hooks();
  const auto& hook = hooks["octocat/repo-1002"][0];
  EXPECT_EQ(json::integer_member(repo, "hook_id"), hook["id"].GetInt64());
  EXPECT_EQ(std::string(hook["config"]["url"].GetString()),
            std::string(kPublicUrl) + "/webhooks/github");
  EXPECT_EQ(std::string(hook["config"]["content_type"].GetString()), "json");
  EXPECT_EQ(std::string(hook["config"]["secret"].GetString()),
            repository_webhook_secret("master-new", 7002));
  std::set<std::string> events;
  for (const auto& event : hook["events"].GetArray())
    events.insert(event.GetString());
  EXPECT_EQ(events, (std::set<std::string>{"workflow_run", "workflow_job", "pull_request"}));
  answers += connected.body;

  // Connecting again takes the same hook over instead of adding a second.
  EXPECT_EQ(send("POST", "/api/v1/repositories",
                 R"({"full_name":"octocat/repo-1002","create_webhook":true})")
                .status,
            200);
  EXPECT_EQ(json::parse(github_.hooks())["octocat/repo-1002"].Size(), 1u);

  // Disconnecting deletes the hook Faultline made.
  EXPECT_EQ(send("DELETE", "/api/v1/repositories/7002").status, 204);
  EXPECT_EQ(json::parse(github_.hooks())["octocat/repo-1002"].Size(), 0u);
  EXPECT_EQ(database_.count("SELECT count(*) FROM github_calls WHERE purpose = 'delete-webhook'"
                            " AND method = 'DELETE' AND status = 204"),
            1);

  // Forgetting the connection revokes the token at GitHub first.
  send("POST", "/api/v1/repositories", R"({"full_name":"octocat/repo-1004"})");
  EXPECT_EQ(send("DELETE", "/api/v1/oauth/github/connection").status, 204);
  const auto revoked = json::parse(github_.revocations());
  ASSERT_EQ(revoked.Size(), 1u);
  EXPECT_EQ(revoked[0]["token"].GetString(), token);
  EXPECT_EQ(send("GET", "/api/v1/oauth/github/connection").status, 404);
  EXPECT_EQ(send("DELETE", "/api/v1/oauth/github/connection").status, 404);
  const auto after = send("GET", "/api/v1/repositories/7004");
  EXPECT_EQ(json::string_member(json::parse(after.body), "token_source"), "none") << after.body;
  answers += after.body;

  expect_no_secret(answers, token);
  expect_no_secret(api_->process().log(), token);
  expect_no_secret(database_.scalar("SELECT COALESCE(string_agg(COALESCE(response_body, '') ||"
                                    " path, ' '), '') FROM github_calls"),
                   token);
}

TEST_F(GitHubConnectTest, StateReplayedExpiredOrFromAnotherUserIsRefused) {
  // Another user's state.
  auto [code, state] = approve(admin_, "octocat");
  auto refused = callback(code, state, other_);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("invalid-oauth-state"), std::string::npos) << refused.body;
  // Not burnt by the other user's attempt; single use for its owner.
  EXPECT_EQ(callback(code, state).status, 200);
  std::tie(code, std::ignore) = approve(admin_, "octocat");
  EXPECT_EQ(callback(code, state).status, 400);

  // Expired.
  std::tie(code, state) = approve(admin_, "octocat");
  database_.execute("UPDATE oauth_states SET expires_at = now() - interval '1 second'");
  refused = callback(code, state);
  EXPECT_EQ(refused.status, 400);
  EXPECT_NE(refused.body.find("expired"), std::string::npos) << refused.body;

  // Made up, missing, hostile.
  EXPECT_EQ(callback(code, "made-up").status, 400);
  EXPECT_EQ(send("GET", "/api/v1/oauth/github/callback?code=x").status, 400);
  EXPECT_EQ(callback(code, std::string(600, 'a')).status, 400);
  EXPECT_EQ(callback(code, "a%0Ab").status, 400);
  EXPECT_EQ(client_.get(base_ + "/api/v1/oauth/github/callback?code=a&state=b").status, 401);
  EXPECT_EQ(client_.request("POST", base_ + "/api/v1/oauth/github/authorize", {}, "").status, 401);
  // Nothing was exchanged for any refused state.
  EXPECT_EQ(json::parse(github_.tokens()).MemberCount(), 1u);
}

TEST_F(GitHubConnectTest, ACodeGitHubRefusesIsAClearProblem) {
  auto [code, state] = approve(admin_, "octocat");
  auto refused = callback("not-the-code", state);
  EXPECT_EQ(refused.status, 400) << refused.body;
  const auto problem = json::parse(refused.body);
  EXPECT_EQ(json::string_member(problem, "type").value_or("").find("oauth-code-rejected") !=
                std::string_view::npos,
            true)
      << refused.body;
  EXPECT_NE(refused.body.find("bad_verification_code"), std::string::npos) << refused.body;

  // GitHub down during the exchange: 502, and the user can start again.
  std::tie(code, state) = approve(admin_, "octocat");
  github_.fail_next(
      "POST", "/login/oauth/access_token",
      R"([{"status":502},{"status":502},{"status":502},{"status":502},{"status":502}])");
  refused = callback(code, state);
  EXPECT_EQ(refused.status, 502) << refused.body;
  EXPECT_NE(refused.body.find("github-unavailable"), std::string::npos);
  std::tie(code, state) = approve(admin_, "octocat");
  EXPECT_EQ(callback(code, state).status, 200);
}

TEST_F(GitHubConnectTest, ADeliverySignedWithTheHookSecretIsAcceptedByIngestWithoutADatabase) {
  ExamplePayload example;
  for (const auto& e : webhook_examples())
    if (e.event == "workflow_run")
      example = e;
  const auto payload = json::parse(example.body);
  const auto repository_id = payload["repository"]["id"].GetInt64();
  const std::string full_name = payload["repository"]["full_name"].GetString();
  database_.execute("INSERT INTO repositories (id, full_name) VALUES (" +
                    std::to_string(repository_id) + ", '" + full_name + "')");
  connect_admin();
  const auto connected = send("POST", "/api/v1/repositories",
                              R"({"full_name":")" + full_name + R"(","create_webhook":true})");
  ASSERT_EQ(connected.status, 201) << connected.body;
  const std::string secret =
      json::parse(github_.hooks())[full_name.c_str()][0]["config"]["secret"].GetString();

  // Ingest knows only the masters, and a database URL where nothing listens.
  TestBroker broker;
  ChildProcess ingest({binary("faultline-ingest")},
                      {{"FAULTLINE_KAFKA_BROKERS", broker.bootstrap()},
                       {"FAULTLINE_WEBHOOK_SECRETS", kMasters},
                       {"FAULTLINE_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none"},
                       {"FAULTLINE_INGEST_ADDR", "127.0.0.1:0"}},
                      scratch_path("ingest-derived.log"));
  const auto port =
      log_field_int(ingest.wait_for_log("\"msg\":\"listening\"", std::chrono::seconds(10)), "port");
  const auto url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/github";
  auto deliver = [&](const std::string& with, const std::string& target) {
    auto headers = webhook_headers("workflow_run", "derived-" + target + with.substr(0, 6),
                                   example.body, with);
    headers.emplace_back("X-GitHub-Hook-Installation-Target-Type: repository");
    headers.push_back("X-GitHub-Hook-Installation-Target-ID: " + target);
    return client_.request("POST", url, headers, example.body);
  };
  EXPECT_EQ(deliver(secret, std::to_string(repository_id)).status, 202);
  // The same secret on another repository's hook, or a wrong secret: refused.
  EXPECT_EQ(deliver(secret, std::to_string(repository_id + 1)).status, 401);
  EXPECT_EQ(deliver(repository_webhook_secret("master-new", repository_id + 1),
                    std::to_string(repository_id + 1))
                .status,
            401);
  EXPECT_EQ(deliver("guess", std::to_string(repository_id)).status, 401);
  // A hook made before the masters rotated still verifies while the old master is listed.
  EXPECT_EQ(
      deliver(repository_webhook_secret("master-old", repository_id), std::to_string(repository_id))
          .status,
      202);
  EXPECT_TRUE(ingest.running());
}

TEST_F(GitHubConnectTest, RerunGoesThroughGitHubAndIsRecorded) {
  database_.execute("INSERT INTO repositories (id, full_name) VALUES (4321, 'octo/app')");
  database_.execute(
      "INSERT INTO workflow_runs (repository_id, run_id, run_attempt, status, conclusion)"
      " VALUES (4321, 98765, 1, 'completed', 'failure')");
  // No token anywhere yet.
  auto answer = send("POST", "/api/v1/workflow-runs/98765/rerun", R"({"failed_jobs_only":true})");
  EXPECT_EQ(answer.status, 409) << answer.body;

  ASSERT_EQ(send("PATCH", "/api/v1/repositories/4321", R"({"token":"ghp_repo-token"})").status,
            200);
  answer = send("POST", "/api/v1/workflow-runs/98765/rerun", R"({"failed_jobs_only":true})");
  ASSERT_EQ(answer.status, 202) << answer.body;
  EXPECT_EQ(json::string_member(json::parse(answer.body), "token_source"), "repository");
  answer = send("POST", "/api/v1/workflow-runs/98765/rerun", "", other_);
  ASSERT_EQ(answer.status, 202) << answer.body;

  const auto reruns = json::parse(github_.reruns());
  ASSERT_EQ(reruns.Size(), 2u) << github_.reruns();
  EXPECT_TRUE(reruns[0]["failed_jobs_only"].GetBool());
  EXPECT_FALSE(reruns[1]["failed_jobs_only"].GetBool());
  EXPECT_EQ(std::string(reruns[0]["token"].GetString()), "ghp_repo-token");
  EXPECT_EQ(database_.count("SELECT count(*) FROM github_calls WHERE repository_id = 4321 AND"
                            " purpose = 'rerun-failed-jobs' AND path ="
                            " '/repos/octo/app/actions/runs/98765/rerun-failed-jobs'"
                            " AND status = 201"),
            1);
  EXPECT_EQ(database_.count("SELECT count(*) FROM github_calls WHERE purpose = 'rerun'"), 1);

  // GitHub refusing (a run too old to rerun) is a 422 with GitHub's words.
  github_.fail_next("POST", "/repos/octo/app/actions/runs/98765/rerun",
                    R"([{"status":403,"body":{"message":"Unable to retry this workflow run."}}])");
  answer = send("POST", "/api/v1/workflow-runs/98765/rerun");
  EXPECT_EQ(answer.status, 422) << answer.body;
  EXPECT_NE(answer.body.find("Unable to retry"), std::string::npos);

  EXPECT_EQ(send("POST", "/api/v1/workflow-runs/1/rerun").status, 404);
  EXPECT_EQ(
      send("POST", "/api/v1/workflow-runs/98765/rerun", R"({"failed_jobs_only":"yes"})").status,
      422);
  EXPECT_EQ(send("POST", "/api/v1/workflow-runs/98765/rerun", "{not json").status, 400);
  EXPECT_EQ(client_.request("POST", base_ + "/api/v1/workflow-runs/98765/rerun", {}, "").status,
            401);
  EXPECT_EQ(api_->process().log().find("ghp_repo-token"), std::string::npos);
}

}  // namespace
}  // namespace faultline::testing
