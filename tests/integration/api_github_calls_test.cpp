// faultline-api's GitHub calls and its database: no request holds a
// connection while GitHub answers (a slow GitHub cannot use up the pool), and
// each call is recorded under the request that made it, never under an
// earlier request served by the same worker.

#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "common/database.hpp"
#include "common/github_call_log.hpp"
#include "common/github_client.hpp"
#include "common/json.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/fake_github.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

// GitHub's /user/repos for one user: octocat/repo-1 (id 7001) to octocat/repo-<count>.
std::string repos_json(int count) {
  return json::array([&](json::Writer& out) {
    for (int i = 1; i <= count; ++i) {
      out.StartObject();
      out.Key("id");
      out.Int64(7000 + i);
      out.Key("full_name");
      json::write(out, "octocat/repo-" + std::to_string(i));
      out.EndObject();
    }
  });
}

// A repository no webhook has named yet, with a token to look it up on GitHub.
std::string connect_body(int i) {
  return R"({"full_name":"octocat/repo-)" + std::to_string(i) + R"(","token":"ghp_lookup"})";
}

class ApiGitHubCallsTest : public ::testing::Test {
 protected:
  // As many database connections as workers unless told otherwise, the default.
  void start_api(int workers, int connections = 0) {
    api_ = std::make_unique<ApiProcess>(
        database_,
        std::map<std::string, std::string>{
            {"FAULTLINE_GITHUB_API_URL", github_.url()},
            {"FAULTLINE_API_WORKERS", std::to_string(workers)},
            {"FAULTLINE_DATABASE_POOL_SIZE", std::to_string(connections ? connections : workers)},
            {"FAULTLINE_GITHUB_MUTATION_SPACING", "10ms"},
            {"FAULTLINE_ENCRYPTION_KEY", std::string(64, 'd')}});
    base_ = api_->base();
    admin_ = new_account(database_, client_, base_, "admin@example.com", "admin").authorization();
  }

  // octo/app (4321) with a token of its own and failed run 98765, to rerun.
  void failed_run_with_token() {
    database_.execute("INSERT INTO repositories (id, full_name) VALUES (4321, 'octo/app')");
    database_.execute(
        "INSERT INTO workflow_runs (repository_id, run_id, run_attempt, status, conclusion)"
        " VALUES (4321, 98765, 1, 'completed', 'failure')");
    ASSERT_EQ(send("PATCH", "/api/v1/repositories/4321", R"({"token":"ghp_repo-token"})").status,
              200);
  }

  HttpResponse send(const std::string& method, const std::string& path,
                    const std::string& body = "") {
    return client_.request(method, base_ + path, {"Content-Type: application/json", admin_}, body);
  }

  TestDatabase database_;
  FakeGitHub github_;
  std::unique_ptr<ApiProcess> api_;
  std::string base_, admin_;
  HttpClient client_;
};

TEST_F(ApiGitHubCallsTest, MoreConnectsThanWorkersAllFinishWhileGitHubIsSlow) {
  constexpr int kWorkers = 2;
  constexpr int kConnects = kWorkers + 2;
  github_.add_user("octocat", 583231, repos_json(kConnects));
  start_api(kWorkers);
  // Every lookup waits, so all workers are inside one at the same time.
  github_.delay("GET", "/repos/", 1500);

  // Each client gives its request 30 s (HttpClient's limit): the deadline.
  std::vector<long> statuses(kConnects, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kConnects; ++i)
    clients.emplace_back([&, i] {
      HttpClient client;
      try {
        statuses[static_cast<std::size_t>(i)] =
            client
                .request("POST", base_ + "/api/v1/repositories",
                         {"Content-Type: application/json", admin_}, connect_body(i + 1))
                .status;
      } catch (const std::exception&) {
        // No answer in time: status stays 0.
      }
    });
  for (auto& client : clients)
    client.join();

  for (int i = 0; i < kConnects; ++i)
    EXPECT_EQ(statuses[static_cast<std::size_t>(i)], 201) << "octocat/repo-" << i + 1;
  EXPECT_EQ(database_.count("SELECT count(*) FROM repositories WHERE connected"), kConnects);
  EXPECT_EQ(database_.count("SELECT count(*) FROM github_calls WHERE path LIKE '/repos/octocat/%'"),
            kConnects);
}

TEST_F(ApiGitHubCallsTest, ACallIsNotRecordedUnderTheWorkersPreviousRequest) {
  github_.add_user("octocat", 583231, repos_json(1));
  start_api(1, 2);  // one worker serves both requests
  ASSERT_NO_FATAL_FAILURE(failed_run_with_token());

  ASSERT_EQ(send("POST", "/api/v1/workflow-runs/98765/rerun").status, 202);
  ASSERT_EQ(send("POST", "/api/v1/repositories", connect_body(1)).status, 201);

  EXPECT_EQ(database_.count("SELECT count(*) FROM github_calls WHERE purpose = 'rerun'"
                            " AND repository_id = 4321"),
            1);
  EXPECT_EQ(database_.scalar("SELECT purpose || ' ' || COALESCE(repository_id::text, '-')"
                             " FROM github_calls WHERE path = '/repos/octocat/repo-1'"),
            "connect -");
}

TEST_F(ApiGitHubCallsTest, ARequestContinuesTheCallersTraceToGitHubAndAnswersWithIt) {
  start_api(1, 2);
  ASSERT_NO_FATAL_FAILURE(failed_run_with_token());
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const auto rerun =
      client_.request("POST", base_ + "/api/v1/workflow-runs/98765/rerun",
                      {admin_, "traceparent: 00-" + trace_id + "-00f067aa0ba902b7-01"}, "");
  ASSERT_EQ(rerun.status, 202) << rerun.body;
  const std::string answered = rerun.headers.at("traceparent");
  EXPECT_EQ(answered.substr(0, 35), "00-" + trace_id);
  EXPECT_NE(answered.substr(36, 16), "00f067aa0ba902b7");
  EXPECT_EQ(database_.scalar("SELECT trace_id || ' ' || span_id FROM github_calls"
                             " WHERE purpose = 'rerun'"),
            trace_id + " " + answered.substr(36, 16));
  const auto requests = json::parse(github_.requests());
  ASSERT_GE(requests.Size(), 1U);
  EXPECT_EQ(std::string(requests[requests.Size() - 1]["traceparent"].GetString()), answered);

  // No traceparent, or one that is not valid: a trace of the API's own.
  for (const std::string given : {"", "traceparent: 00-not-a-trace-01"}) {
    std::vector<std::string> headers{admin_};
    if (!given.empty())
      headers.push_back(given);
    const auto answer = client_.request("GET", base_ + "/api/v1/incidents", headers, "");
    ASSERT_EQ(answer.status, 200) << given;
    const std::string own = answer.headers.at("traceparent");
    EXPECT_EQ(own.size(), 55U) << own;
    EXPECT_NE(own.substr(3, 32), trace_id);
  }
}

// One thread, the way a worker serves one request after another: a call made
// after a scope ended carries nothing of it.
TEST(GitHubCallLogTest, ACallOutsideAnyScopeIsRecordedAsUnspecified) {
  TestDatabase database;
  FakeGitHub fake;
  DatabaseSettings settings;
  settings.url = database.url();
  settings.pool_size = 1;
  Database pool(settings);
  github::CallLog log(pool);
  github::ClientSettings client_settings;
  client_settings.base_url = fake.url();
  github::Client client(client_settings, &log);

  {
    const github::CallLog::Scope rerun(0, 4321, "rerun");
    client.request("t", "GET", "/repos/octo/app");
    {
      const github::CallLog::Scope inner(17, 4321, "opened");
      client.request("t", "GET", "/repos/octo/app/issues");
    }
    client.request("t", "GET", "/repos/octo/app/hooks");  // the outer scope again
  }
  client.request("t", "GET", "/user");

  EXPECT_EQ(database.scalar("SELECT string_agg(path || ' ' || purpose || ' ' ||"
                            " COALESCE(incident_id::text, '-') || ' ' ||"
                            " COALESCE(repository_id::text, '-'), ', ' ORDER BY id)"
                            " FROM github_calls"),
            "/repos/octo/app rerun - 4321, /repos/octo/app/issues opened 17 4321,"
            " /repos/octo/app/hooks rerun - 4321, /user unspecified - -");
}

}  // namespace
}  // namespace faultline::testing
