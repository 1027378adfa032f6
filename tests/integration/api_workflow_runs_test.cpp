// faultline-api over a seeded database: filters, pagination, and what it does
// with malformed and hostile requests.

#include <gtest/gtest.h>

#include <memory>

#include "common/database.hpp"
#include "common/json.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSeed = R"sql(
INSERT INTO repositories (id, full_name) VALUES (1, 'octo/alpha'), (2, 'octo/beta');
INSERT INTO workflow_runs (repository_id, run_id, run_attempt, name, head_branch, status, conclusion,
                           created_at, updated_at)
SELECT 1, 100 + n, 1, CASE WHEN n % 2 = 0 THEN 'CI' ELSE 'Deploy' END, 'main', 'completed',
       CASE WHEN n % 3 = 0 THEN 'failure' ELSE 'success' END,
       timestamptz '2026-11-01 00:00Z' + n * interval '1 minute', timestamptz '2026-11-01 01:00Z'
FROM generate_series(1, 120) AS n;
INSERT INTO workflow_runs (repository_id, run_id, run_attempt, name, head_branch, status, created_at)
VALUES (2, 900, 1, 'CI', 'dev', 'completed', '2026-11-02 00:00Z'),
       (2, 900, 2, 'CI', 'dev', 'in_progress', '2026-11-02 00:00Z');
INSERT INTO workflow_jobs (repository_id, job_id, run_id, run_attempt, name, status, labels)
VALUES (2, 9001, 900, 2, 'build', 'in_progress', '["linux"]'),
       (2, 9000, 900, 1, 'build', 'completed', '["linux"]');
INSERT INTO repositories (id, full_name, provider) VALUES (-42, 'group/sub/gamma', 'gitlab');
INSERT INTO workflow_runs (repository_id, run_id, run_attempt, name, head_branch, status, created_at)
VALUES (-42, -900, 1, 'CI', 'main', 'running', '2026-10-30 00:00Z');
INSERT INTO workflow_jobs (repository_id, job_id, run_id, run_attempt, name, status, conclusion,
                           failure_reason, labels)
VALUES (-42, -9000, -900, 1, 'build', 'completed', 'failure', 'runner_system_failure', '[]');
)sql";

class ApiWorkflowRunsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    database_ = std::make_unique<TestDatabase>();
    {
      soci::session sql(soci::postgresql, with_utc_sessions(database_->url()));
      soci::transaction tx(sql);
      // The seed holds several statements; run them one by one.
      std::string seed = kSeed;
      for (std::size_t start = 0, end; (end = seed.find(';', start)) != std::string::npos;
           start = end + 1)
        if (seed.find_first_not_of(" \n", start) < end)
          sql << seed.substr(start, end - start);
      tx.commit();
    }
    api_ = std::make_unique<ApiProcess>(*database_);
    base_ = api_->base();
    HttpClient client;
    authorization_ = new_account(*database_, client, base_, "reader@example.com").authorization();
  }
  static void TearDownTestSuite() {
    api_.reset();
    database_.reset();
  }

  static json::Document get_json(const std::string& path, long expected_status) {
    HttpClient client;
    auto response = client.get(base_ + path, {authorization_});
    EXPECT_EQ(response.status, expected_status) << path << ": " << response.body;
    return json::parse(response.body);
  }

  static void expect_problem(const std::string& path, long status) {
    HttpClient client;
    auto response = client.get(base_ + path, {authorization_});
    EXPECT_EQ(response.status, status) << path << ": " << response.body;
    EXPECT_EQ(response.headers["content-type"], "application/problem+json") << path;
    const auto body = json::parse(response.body);
    EXPECT_EQ(json::integer_member(body, "status"), status) << path;
    EXPECT_EQ(response.body.find("soci"), std::string::npos) << response.body;
    EXPECT_EQ(response.body.find("ERROR:"), std::string::npos) << response.body;
  }

  static inline std::unique_ptr<TestDatabase> database_;
  static inline std::unique_ptr<ApiProcess> api_;
  static inline std::string authorization_;
  static inline std::string base_;
};

TEST_F(ApiWorkflowRunsTest, PaginatesNewestFirst) {
  const auto page =
      get_json("/api/v1/workflow-runs?repository=octo/alpha&page=2&page_size=50", 200);
  EXPECT_EQ(json::integer_member(page, "total"), 120);
  EXPECT_EQ(json::integer_member(page, "page"), 2);
  EXPECT_EQ(json::integer_member(page, "page_size"), 50);
  EXPECT_EQ(json::integer_member(page, "pages"), 3);
  const auto& items = (*json::member(page, "items")).GetArray();
  ASSERT_EQ(items.Size(), 50u);
  // Newest first: page 2 starts at the 51st newest, run 100 + 70.
  EXPECT_EQ(json::integer_member(items[0], "run_id"), 170);
  EXPECT_EQ(json::string_member(items[0], "repository"), "octo/alpha");
  EXPECT_EQ(json::string_member(items[0], "created_at"), "2026-11-01T01:10:00Z");

  const auto last =
      get_json("/api/v1/workflow-runs?repository=octo/alpha&page=3&page_size=50", 200);
  EXPECT_EQ((*json::member(last, "items")).GetArray().Size(), 20u);
  const auto beyond = get_json("/api/v1/workflow-runs?repository=octo/alpha&page=9", 200);
  EXPECT_EQ((*json::member(beyond, "items")).GetArray().Size(), 0u);
}

TEST_F(ApiWorkflowRunsTest, FiltersCombine) {
  // n in 1..120 with n even (CI) and n % 3 == 0 (failure): multiples of 6.
  const auto page = get_json(
      "/api/v1/workflow-runs?repository=OCTO%2Falpha&workflow=CI&conclusion=failure&page_size=100",
      200);
  EXPECT_EQ(json::integer_member(page, "total"), 20);
  for (const auto& item : (*json::member(page, "items")).GetArray()) {
    EXPECT_EQ(json::string_member(item, "name"), "CI");
    EXPECT_EQ(json::string_member(item, "conclusion"), "failure");
  }
  EXPECT_EQ(json::integer_member(get_json("/api/v1/workflow-runs?branch=dev", 200), "total"), 1);
  EXPECT_EQ(
      json::integer_member(get_json("/api/v1/workflow-runs?status=in_progress", 200), "total"), 1);
  EXPECT_EQ(
      json::integer_member(get_json("/api/v1/workflow-runs?repository=octo/none", 200), "total"),
      0);
}

TEST_F(ApiWorkflowRunsTest, ListsOnlyTheLatestAttempt) {
  const auto page = get_json("/api/v1/workflow-runs?repository=octo/beta", 200);
  ASSERT_EQ(json::integer_member(page, "total"), 1);
  EXPECT_EQ(json::integer_member((*json::member(page, "items"))[0], "run_attempt"), 2);
}

TEST_F(ApiWorkflowRunsTest, ShowsARunsLatestAttemptWithItsJobs) {
  const auto run = get_json("/api/v1/workflow-runs/900", 200);
  EXPECT_EQ(json::string_member(run, "provider"), "github");
  EXPECT_EQ(json::string_member(run, "repository"), "octo/beta");
  EXPECT_EQ(json::integer_member(run, "run_attempt"), 2);
  EXPECT_EQ(json::string_member(run, "status"), "in_progress");
  const auto& jobs = (*json::member(run, "jobs")).GetArray();
  ASSERT_EQ(jobs.Size(), 1u);
  EXPECT_EQ(json::integer_member(jobs[0], "job_id"), 9001);
}

// GitLab's pipeline 900 and GitHub's run 900 are two runs; each is shown with
// its provider's own ids, and `provider` says which one a path means.
TEST_F(ApiWorkflowRunsTest, ShowsGitLabPipelinesWithGitLabsOwnIds) {
  const auto run = get_json("/api/v1/workflow-runs/900?provider=gitlab", 200);
  EXPECT_EQ(json::string_member(run, "provider"), "gitlab");
  EXPECT_EQ(json::string_member(run, "repository"), "group/sub/gamma");
  EXPECT_EQ(json::integer_member(run, "repository_id"), 42);
  EXPECT_EQ(json::integer_member(run, "run_id"), 900);
  const auto& jobs = (*json::member(run, "jobs")).GetArray();
  ASSERT_EQ(jobs.Size(), 1u);
  EXPECT_EQ(json::integer_member(jobs[0], "job_id"), 9000);
  EXPECT_EQ(json::integer_member(jobs[0], "run_id"), 900);
  EXPECT_EQ(json::string_member(jobs[0], "failure_reason"), "runner_system_failure");

  const auto page = get_json("/api/v1/workflow-runs?repository=group/sub/gamma", 200);
  ASSERT_EQ(json::integer_member(page, "total"), 1);
  EXPECT_EQ(json::string_member(page["items"][0], "provider"), "gitlab");
  EXPECT_EQ(json::integer_member(page["items"][0], "run_id"), 900);

  const auto project = get_json("/api/v1/repositories/42?provider=gitlab", 200);
  EXPECT_EQ(json::string_member(project, "provider"), "gitlab");
  EXPECT_EQ(json::integer_member(project, "id"), 42);
  EXPECT_EQ(json::string_member(project, "full_name"), "group/sub/gamma");
  expect_problem("/api/v1/repositories/42", 404);
  EXPECT_EQ(
      json::string_member(get_json("/api/v1/repositories/1?provider=github", 200), "provider"),
      "github");

  HttpClient client;
  const auto missing =
      client.get(base_ + "/api/v1/workflow-runs/901?provider=gitlab", {authorization_});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::string_member(json::parse(missing.body), "detail"),
            "No GitLab workflow run 901 is known.");
  expect_problem("/api/v1/workflow-runs/900?provider=bitbucket", 400);
  expect_problem("/api/v1/workflow-runs/900?provider=" + std::string(300, 'g'), 400);
  expect_problem("/api/v1/workflow-runs/-900?provider=gitlab", 400);
}

TEST_F(ApiWorkflowRunsTest, ShowsAGitLabIncidentWithGitLabsOwnIds) {
  database_->execute(
      "INSERT INTO incidents (repository_id, workflow_key, branch, state, first_failed_run_id,"
      " last_failed_run_id, opened_at) VALUES (-42, 'CI', 'main', 'open', -900, -900,"
      " '2026-10-30 00:10Z')");
  const auto page = get_json("/api/v1/incidents?repository=group/sub/gamma", 200);
  ASSERT_EQ(json::integer_member(page, "total"), 1);
  const auto& incident = page["items"][0];
  EXPECT_EQ(json::string_member(incident, "provider"), "gitlab");
  EXPECT_EQ(json::integer_member(incident, "repository_id"), 42);
  EXPECT_EQ(json::integer_member(incident, "first_failed_run_id"), 900);
  EXPECT_EQ(json::integer_member(incident, "last_failed_run_id"), 900);
}

TEST_F(ApiWorkflowRunsTest, MalformedRequestsGetProblems) {
  expect_problem("/api/v1/workflow-runs/abc", 400);
  expect_problem("/api/v1/workflow-runs/-1", 400);
  expect_problem("/api/v1/workflow-runs/99999999999999999999999", 400);
  expect_problem("/api/v1/workflow-runs/424242", 404);
  expect_problem("/api/v1/workflow-runs?page=0", 400);
  expect_problem("/api/v1/workflow-runs?page=abc", 400);
  expect_problem("/api/v1/workflow-runs?page_size=101", 400);
  expect_problem("/api/v1/workflow-runs?page_size=-5", 400);
  expect_problem("/api/v1/workflow-runs?repository=no-slash", 400);
  expect_problem("/api/v1/workflow-runs?branch=%zz", 400);
  expect_problem("/api/v1/workflow-runs?branch=" + std::string(300, 'b'), 400);
  expect_problem("/api/v1/nothing-here", 404);
}

TEST_F(ApiWorkflowRunsTest, HostileFiltersAreJustValues) {
  const auto page = get_json(
      "/api/v1/"
      "workflow-runs?repository=octo%2Falpha'%20OR%20'1'%3D'1&workflow=CI%27%3B%20DROP%20TABLE"
      "%20workflow_runs%3B--",
      200);
  EXPECT_EQ(json::integer_member(page, "total"), 0);
  EXPECT_EQ(database_->count("SELECT count(*) FROM workflow_runs"), 123);
}

TEST_F(ApiWorkflowRunsTest, OversizedRequestsAreRefused) {
  HttpClient client;
  const auto response =
      client.request("POST", base_ + "/api/v1/workflow-runs", {"Content-Type: application/json"},
                     std::string(2 * 1024 * 1024, 'x'));
  EXPECT_EQ(response.status, 413);
}

TEST_F(ApiWorkflowRunsTest, ServesHealthReadinessAndMetrics) {
  HttpClient client;
  EXPECT_EQ(client.get(base_ + "/health").status, 200);
  EXPECT_EQ(client.get(base_ + "/ready").status, 200);
  get_json("/api/v1/workflow-runs", 200);
  const auto metrics = client.get(base_ + "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find(
                "faultline_api_requests_total{route=\"/api/v1/workflow-runs\",status=\"200\"}"),
            std::string::npos)
      << metrics.body;
  auto response = client.get(base_ + "/health");
  EXPECT_EQ(response.headers["x-content-type-options"], "nosniff");
  EXPECT_NE(response.headers["content-security-policy"].find("frame-ancestors 'none'"),
            std::string::npos);
}

}  // namespace
}  // namespace faultline::testing

namespace faultline::testing {
namespace {

TEST_F(ApiWorkflowRunsTest, SinceKeepsOnlyRunsCreatedFromThen) {
  const auto page = get_json("/api/v1/workflow-runs?since=2026-11-01T01:00:00Z&page_size=100", 200);
  // octo/alpha's runs 160..220 (created 01:00 to 02:00) and octo/beta's run 900.
  EXPECT_EQ(json::integer_member(page, "total"), 62);
  const auto offset = get_json("/api/v1/workflow-runs?since=2026-11-01T02:00:00%2B01:00", 200);
  EXPECT_EQ(json::integer_member(offset, "total"), 62);
  expect_problem("/api/v1/workflow-runs?since=yesterday", 400);
  expect_problem("/api/v1/workflow-runs?since=2026-13-01T00:00:00Z", 400);
}

TEST_F(ApiWorkflowRunsTest, StatsPerRepositoryAndWorkflowOverAWindow) {
  {
    soci::session sql(soci::postgresql, with_utc_sessions(database_->url()));
    // Two jobs of CI run 102, queued 30 s and 90 s; an incident of CI on main
    // from run 106 (00:06) resolved by a run created ten minutes later.
    sql << "INSERT INTO workflow_jobs (repository_id, job_id, run_id, run_attempt, name, status,"
           " created_at, started_at) VALUES"
           " (1, 70001, 102, 1, 'a', 'completed', '2026-11-01 00:02Z', '2026-11-01 00:02:30Z'),"
           " (1, 70002, 102, 1, 'b', 'completed', '2026-11-01 00:02Z', '2026-11-01 00:03:30Z')";
    sql << "INSERT INTO incidents (repository_id, workflow_key, branch, state, first_failed_run_id,"
           " last_failed_run_id, opened_at, resolved_at, resolved_by_run_created_at)"
           " VALUES (1, 'CI', 'main', 'resolved', 106, 106, '2026-11-01 00:07Z',"
           " '2026-11-01 00:20Z', '2026-11-01 00:16Z')";
  }
  const auto stats = get_json(
      "/api/v1/workflow-runs/stats?since=2026-10-31T00:00:00Z&until=2026-11-03T00:00:00Z", 200);
  EXPECT_EQ(json::string_member(stats, "since"), "2026-10-31T00:00:00Z");
  EXPECT_EQ(json::string_member(stats, "until"), "2026-11-03T00:00:00Z");
  // octo/beta's only run is still in progress in its latest attempt.
  ASSERT_EQ(json::integer_member(stats, "total"), 2);
  const auto& ci = stats["items"][0];
  EXPECT_STREQ(ci["repository"].GetString(), "octo/alpha");
  EXPECT_STREQ(ci["workflow"].GetString(), "CI");
  EXPECT_EQ(ci["runs"].GetInt64(), 60);      // even n
  EXPECT_EQ(ci["failures"].GetInt64(), 20);  // n divisible by 6
  EXPECT_NEAR(ci["failure_rate"].GetDouble(), 1.0 / 3, 0.001);
  EXPECT_DOUBLE_EQ(ci["queue_seconds"]["p50"].GetDouble(), 60.0);
  EXPECT_EQ(ci["incidents_resolved"].GetInt64(), 1);
  EXPECT_DOUBLE_EQ(ci["mttr_seconds"].GetDouble(), 600.0);
  EXPECT_TRUE(ci["duration_seconds"]["p95"].IsNumber());
  const auto& deploy = stats["items"][1];
  EXPECT_STREQ(deploy["workflow"].GetString(), "Deploy");
  EXPECT_EQ(deploy["failures"].GetInt64(), 20);
  EXPECT_TRUE(deploy["queue_seconds"]["p50"].IsNull());
  EXPECT_TRUE(deploy["mttr_seconds"].IsNull());

  const auto narrow = get_json(
      "/api/v1/workflow-runs/stats?since=2026-11-01T00:00:00Z"
      "&until=2026-11-01T00:10:00Z&repository=OCTO/alpha&page_size=1",
      200);
  EXPECT_EQ(json::integer_member(narrow, "total"), 2);
  EXPECT_EQ(json::integer_member(narrow, "pages"), 2);
  EXPECT_EQ(narrow["items"][0]["runs"].GetInt64(), 4);  // CI runs of n < 10: 2, 4, 6, 8
  // The default window is the last seven days, which these runs predate.
  EXPECT_EQ(json::integer_member(get_json("/api/v1/workflow-runs/stats", 200), "total"), 0);

  expect_problem("/api/v1/workflow-runs/stats?since=soon", 400);
  expect_problem("/api/v1/workflow-runs/stats?until=2026-11-01", 400);
  expect_problem("/api/v1/workflow-runs/stats?repository=nowhere", 400);
  expect_problem("/api/v1/workflow-runs/stats?page_size=500", 400);
}

}  // namespace
}  // namespace faultline::testing
