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
  EXPECT_EQ(json::integer_member(run, "run_attempt"), 2);
  EXPECT_EQ(json::string_member(run, "status"), "in_progress");
  const auto& jobs = (*json::member(run, "jobs")).GetArray();
  ASSERT_EQ(jobs.Size(), 1u);
  EXPECT_EQ(json::integer_member(jobs[0], "job_id"), 9001);
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
  EXPECT_EQ(database_->count("SELECT count(*) FROM workflow_runs"), 122);
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
