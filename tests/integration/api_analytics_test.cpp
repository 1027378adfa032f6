// The analytics endpoints (issue 15) of faultline-api: over rollup rows
// inserted as the processors write them, and end to end through the runs
// role; malformed, unauthenticated and hostile requests.

#include <gtest/gtest.h>

#include <memory>

#include "common/cloudevents.hpp"
#include "common/database.hpp"
#include "common/events.hpp"
#include "common/json.hpp"
#include "common/kafka.hpp"
#include "common/topics.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/run_events.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

// Signature a: the same cause in three repositories inside the window (and
// 100 times before it); b: one repository; c: only before the window.
// Histograms: durations 4 runs in bucket 10 ([1.3^8, 1.3^9) s, read back as
// 9.3 s), queue times one job in bucket 1 (under a second, read as 0.5 s).
constexpr const char* kSeed = R"sql(
INSERT INTO repositories (id, full_name) VALUES
  (1, 'octo/alpha'), (2, 'octo/beta'), (3, 'octo/gamma'), (4, 'octo/idle');
INSERT INTO failure_signatures (signature, category, normalized_error, example_repository,
  example_run_id, example_job, example_line, first_seen, last_seen) VALUES
  ('aaaaaaaaaaaaaaaa', 'platform/network', 'npm ERR! connect ECONNRESET <ip>:<port>', 'octo/alpha',
   101, 'build', 'npm ERR! connect ECONNRESET 104.16.0.35:443', '2026-10-01 00:00Z', '2026-11-03 12:00Z'),
  ('bbbbbbbbbbbbbbbb', 'code/test', 'FAIL <path>', 'octo/alpha', 102, 'test', 'FAIL src/app.test.js',
   '2026-11-02 00:00Z', '2026-11-02 09:00Z'),
  ('cccccccccccccccc', 'code/lint', 'eslint: <n> problems', 'octo/beta', 103, 'lint', 'eslint: 3 problems',
   '2026-09-01 00:00Z', '2026-09-01 00:00Z');
INSERT INTO failure_signature_daily (signature, repository_id, day, category, occurrences, last_seen) VALUES
  ('aaaaaaaaaaaaaaaa', 1, '2026-11-02', 'platform/network', 2, '2026-11-02 10:00Z'),
  ('aaaaaaaaaaaaaaaa', 2, '2026-11-02', 'platform/network', 1, '2026-11-02 11:00Z'),
  ('aaaaaaaaaaaaaaaa', 3, '2026-11-03', 'platform/network', 4, '2026-11-03 12:00Z'),
  ('aaaaaaaaaaaaaaaa', 1, '2026-10-01', 'platform/network', 100, '2026-10-01 00:00Z'),
  ('bbbbbbbbbbbbbbbb', 1, '2026-11-02', 'code/test', 3, '2026-11-02 09:00Z'),
  ('cccccccccccccccc', 2, '2026-09-01', 'code/lint', 9, '2026-09-01 00:00Z');
INSERT INTO incidents (id, repository_id, workflow_key, workflow_name, branch, state,
  first_failed_run_id, last_failed_run_id, resolved_at, resolution, resolved_by_run_id,
  resolved_by_run_created_at, signature, category, first_failure_created_at) VALUES
  (1, 1, '31', 'CI', 'main', 'open', 101, 101, NULL, NULL, NULL, NULL,
   'aaaaaaaaaaaaaaaa', 'platform/network', '2026-11-02 10:00Z'),
  (2, 2, '31', 'CI', 'main', 'acknowledged', 201, 201, NULL, NULL, NULL, NULL,
   'aaaaaaaaaaaaaaaa', 'platform/network', '2026-11-02 11:00Z'),
  (3, 3, '31', 'CI', 'main', 'resolved', 301, 301, now(), 'run_succeeded', 302, '2026-11-03 12:30Z',
   'aaaaaaaaaaaaaaaa', 'platform/network', '2026-11-03 12:00Z'),
  (4, 1, '32', 'Deploy', 'main', 'resolved', 105, 105, now(), 'flaky', 105, '2026-11-03 14:00Z',
   'bbbbbbbbbbbbbbbb', 'code/test', '2026-11-03 13:00Z');
INSERT INTO job_failures (repository_id, job_id, run_id, incident_id, job, step, signature, category,
  normalized_error, first_line, failed_at) VALUES
  (1, 1001, 101, 1, 'build', 'npm ci', 'aaaaaaaaaaaaaaaa', 'platform/network',
   'npm ERR! connect ECONNRESET <ip>:<port>', 'npm ERR! connect ECONNRESET 104.16.0.35:443', '2026-11-02 10:00Z'),
  (2, 2001, 201, 2, 'build', 'npm ci', 'aaaaaaaaaaaaaaaa', 'platform/network',
   'npm ERR! connect ECONNRESET <ip>:<port>', 'npm ERR! connect ECONNRESET 104.16.0.36:443', '2026-11-02 11:00Z'),
  (3, 3001, 301, 3, 'install', 'npm ci', 'aaaaaaaaaaaaaaaa', 'platform/network',
   'npm ERR! connect ECONNRESET <ip>:<port>', 'npm ERR! connect ECONNRESET 104.16.0.37:443', '2026-11-03 12:00Z');
INSERT INTO ci_hourly (repository_id, workflow, bucket_start, runs, failures, flaky_runs, durations,
  queue_times) VALUES
  (1, 'CI', '2026-11-03 12:00Z', 2, 0, 0,
   (SELECT array_agg(CASE WHEN i = 10 THEN 2 ELSE 0 END ORDER BY i) FROM generate_series(1, 48) i),
   (SELECT array_agg(CASE WHEN i = 1 THEN 1 ELSE 0 END ORDER BY i) FROM generate_series(1, 48) i)),
  (3, 'CI', '2026-11-03 12:00Z', 2, 1, 0,
   (SELECT array_agg(CASE WHEN i = 10 THEN 2 ELSE 0 END ORDER BY i) FROM generate_series(1, 48) i),
   array_fill(0, ARRAY[48])),
  (1, 'CI', '2026-11-05 08:00Z', 8, 2, 1, array_fill(0, ARRAY[48]), array_fill(0, ARRAY[48]));
INSERT INTO ci_hourly_all (bucket_start, runs, failures, flaky_runs, durations, queue_times) VALUES
  ('2026-11-03 12:00Z', 4, 1, 0,
   (SELECT array_agg(CASE WHEN i = 10 THEN 4 ELSE 0 END ORDER BY i) FROM generate_series(1, 48) i),
   (SELECT array_agg(CASE WHEN i = 1 THEN 1 ELSE 0 END ORDER BY i) FROM generate_series(1, 48) i)),
  ('2026-11-05 08:00Z', 8, 2, 1, array_fill(0, ARRAY[48]), array_fill(0, ARRAY[48]));
INSERT INTO job_hourly (repository_id, workflow, job, bucket_start, runs, flaky_runs, last_flaky_at) VALUES
  (1, 'CI', 'test', '2026-11-05 08:00Z', 8, 2, '2026-11-05 08:30Z'),
  (1, 'CI', 'test', '2026-11-06 08:00Z', 2, 0, NULL),
  (1, 'CI', 'build', '2026-11-05 08:00Z', 8, 0, NULL),
  (2, 'CI', 'lint', '2026-11-04 00:00Z', 1, 1, '2026-11-04 00:10Z'),
  (2, 'CI', 'lint', '2026-10-01 00:00Z', 5, 5, '2026-10-01 00:10Z');
)sql";

constexpr const char* kWeek = "since=2026-11-01T00:00:00Z&until=2026-11-08T00:00:00Z";
constexpr const char* kSixHours =
    "bucket=hour&since=2026-11-03T10:00:00Z&until=2026-11-03T16:00:00Z";

const json::Value& items_of(const json::Value& page) {
  return *json::member(page, "items");
}

double number(const json::Value& object, const char* key) {
  const auto* value = json::member(object, key);
  EXPECT_TRUE(value && value->IsNumber()) << key << " in " << json::serialize(object);
  return value && value->IsNumber() ? value->GetDouble() : -1;
}

bool is_null(const json::Value& object, const char* key) {
  const auto* value = json::member(object, key);
  return value && value->IsNull();
}

class ApiAnalyticsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    database_ = std::make_unique<TestDatabase>();
    {
      soci::session sql(soci::postgresql, with_utc_sessions(database_->url()));
      soci::transaction tx(sql);
      std::string seed = kSeed;
      for (std::size_t start = 0, end; (end = seed.find(";\n", start)) != std::string::npos;
           start = end + 1)
        if (seed.find_first_not_of(" \n", start) < end)
          sql << seed.substr(start, end - start);
      tx.commit();
    }
    api_ = std::make_unique<ApiProcess>(*database_);
    base_ = api_->base();
    HttpClient client;
    authorization_ = new_account(*database_, client, base_, "analyst@example.com").authorization();
  }
  static void TearDownTestSuite() {
    api_.reset();
    database_.reset();
  }

  static json::Document get_json(const std::string& path, long expected_status = 200) {
    HttpClient client;
    auto response = client.get(base_ + path, {authorization_});
    EXPECT_EQ(response.status, expected_status) << path << ": " << response.body;
    return json::parse(response.body);
  }

  static std::string expect_problem(const std::string& path, long status) {
    HttpClient client;
    auto response = client.get(base_ + path, {authorization_});
    EXPECT_EQ(response.status, status) << path << ": " << response.body;
    EXPECT_EQ(response.headers["content-type"], "application/problem+json") << path;
    EXPECT_EQ(response.body.find("ERROR:"), std::string::npos) << response.body;
    return response.body;
  }

  static inline std::unique_ptr<TestDatabase> database_;
  static inline std::unique_ptr<ApiProcess> api_;
  static inline std::string authorization_;
  static inline std::string base_;
};

TEST_F(ApiAnalyticsTest, SignaturesAreCountedOverTheWindowMostFrequentFirst) {
  const auto page = get_json(std::string("/api/v1/analytics/failure-signatures?") + kWeek);
  EXPECT_EQ(json::string_member(page, "since"), "2026-11-01T00:00:00Z");
  EXPECT_EQ(json::string_member(page, "until"), "2026-11-08T00:00:00Z");
  EXPECT_EQ(json::integer_member(page, "total"), 2);
  const auto& items = items_of(page);
  ASSERT_EQ(items.Size(), 2u);
  const auto& first = items[0];
  EXPECT_EQ(json::string_member(first, "signature"), "aaaaaaaaaaaaaaaa");
  EXPECT_EQ(json::string_member(first, "category"), "platform/network");
  EXPECT_EQ(json::string_member(first, "normalized_error"),
            "npm ERR! connect ECONNRESET <ip>:<port>");
  EXPECT_EQ(json::integer_member(first, "occurrences"), 7);  // 2 + 1 + 4, not the 100 before
  EXPECT_EQ(json::integer_member(first, "repositories"), 3);
  EXPECT_EQ(json::integer_member(first, "open_incidents"), 2);  // open and acknowledged
  EXPECT_EQ(json::string_member(first, "first_seen"), "2026-10-01T00:00:00Z");
  EXPECT_EQ(json::string_member(first, "last_seen"), "2026-11-03T12:00:00Z");
  const auto& example = *json::member(first, "example");
  EXPECT_EQ(json::string_member(example, "repository"), "octo/alpha");
  EXPECT_EQ(json::integer_member(example, "run_id"), 101);
  EXPECT_EQ(json::string_member(example, "job"), "build");
  EXPECT_EQ(json::string_member(example, "line"), "npm ERR! connect ECONNRESET 104.16.0.35:443");
  EXPECT_EQ(json::string_member(items[1], "signature"), "bbbbbbbbbbbbbbbb");
  EXPECT_EQ(json::integer_member(items[1], "occurrences"), 3);
  EXPECT_EQ(json::integer_member(items[1], "open_incidents"), 0);

  const auto tests =
      get_json(std::string("/api/v1/analytics/failure-signatures?category=code/test&") + kWeek);
  ASSERT_EQ(items_of(tests).Size(), 1u);
  EXPECT_EQ(json::string_member(items_of(tests)[0], "signature"), "bbbbbbbbbbbbbbbb");

  const auto gamma =
      get_json(std::string("/api/v1/analytics/failure-signatures?repository=OCTO/gamma&") + kWeek);
  ASSERT_EQ(items_of(gamma).Size(), 1u);
  EXPECT_EQ(json::integer_member(items_of(gamma)[0], "occurrences"), 4);
  EXPECT_EQ(json::integer_member(items_of(gamma)[0], "repositories"), 1);
  EXPECT_EQ(json::integer_member(items_of(gamma)[0], "open_incidents"), 0);

  const auto second =
      get_json(std::string("/api/v1/analytics/failure-signatures?page=2&page_size=1&") + kWeek);
  EXPECT_EQ(json::integer_member(second, "pages"), 2);
  ASSERT_EQ(items_of(second).Size(), 1u);
  EXPECT_EQ(json::string_member(items_of(second)[0], "signature"), "bbbbbbbbbbbbbbbb");
}

TEST_F(ApiAnalyticsTest, OneSignatureWithItsRecentFailures) {
  const auto detail =
      get_json(std::string("/api/v1/analytics/failure-signatures/aaaaaaaaaaaaaaaa?") + kWeek);
  EXPECT_EQ(json::integer_member(detail, "occurrences"), 7);
  EXPECT_EQ(json::integer_member(detail, "repositories"), 3);
  EXPECT_EQ(json::integer_member(detail, "open_incidents"), 2);
  const auto& recent = *json::member(detail, "recent");
  ASSERT_EQ(recent.Size(), 3u);
  EXPECT_EQ(json::string_member(recent[0], "repository"), "octo/gamma");  // latest first
  EXPECT_EQ(json::integer_member(recent[0], "run_id"), 301);
  EXPECT_EQ(json::integer_member(recent[0], "job_id"), 3001);
  EXPECT_EQ(json::string_member(recent[0], "job"), "install");
  EXPECT_EQ(json::string_member(recent[0], "step"), "npm ci");
  EXPECT_EQ(json::integer_member(recent[0], "incident_id"), 3);
  EXPECT_EQ(json::string_member(recent[0], "failed_at"), "2026-11-03T12:00:00Z");
  EXPECT_EQ(json::string_member(recent[0], "first_line"),
            "npm ERR! connect ECONNRESET 104.16.0.37:443");
  EXPECT_EQ(json::string_member(recent[2], "repository"), "octo/alpha");

  // Known but not seen in the default window (the last 7 days): zeros.
  const auto old = get_json("/api/v1/analytics/failure-signatures/cccccccccccccccc");
  EXPECT_EQ(json::integer_member(old, "occurrences"), 0);
  EXPECT_EQ(json::integer_member(old, "repositories"), 0);
  EXPECT_EQ((*json::member(old, "recent")).Size(), 0u);

  const auto missing = expect_problem("/api/v1/analytics/failure-signatures/dddddddddddddddd", 404);
  EXPECT_NE(missing.find("dddddddddddddddd"), std::string::npos);
  expect_problem("/api/v1/analytics/failure-signatures/AAAAAAAAAAAAAAAA", 400);
  expect_problem("/api/v1/analytics/failure-signatures/aaaa", 400);
  expect_problem("/api/v1/analytics/failure-signatures/aaaaaaaaaaaaaaaaa", 400);
  expect_problem("/api/v1/analytics/failure-signatures/aaaaaaaaaaaaaaa%27", 400);
}

TEST_F(ApiAnalyticsTest, FlakyJobsHighestRateFirst) {
  const auto page = get_json(std::string("/api/v1/analytics/flaky?") + kWeek);
  EXPECT_EQ(json::integer_member(page, "total"), 2);  // build was never flaky
  const auto& items = items_of(page);
  ASSERT_EQ(items.Size(), 2u);
  EXPECT_EQ(json::string_member(items[0], "repository"), "octo/beta");
  EXPECT_EQ(json::string_member(items[0], "job"), "lint");
  EXPECT_EQ(json::integer_member(items[0], "runs"), 1);  // not the 5 before the window
  EXPECT_EQ(json::integer_member(items[0], "flaky_runs"), 1);
  EXPECT_DOUBLE_EQ(number(items[0], "flaky_rate"), 1.0);
  EXPECT_EQ(json::string_member(items[1], "repository"), "octo/alpha");
  EXPECT_EQ(json::string_member(items[1], "workflow"), "CI");
  EXPECT_EQ(json::string_member(items[1], "job"), "test");
  EXPECT_EQ(json::integer_member(items[1], "runs"), 10);
  EXPECT_EQ(json::integer_member(items[1], "flaky_runs"), 2);
  EXPECT_DOUBLE_EQ(number(items[1], "flaky_rate"), 0.2);
  EXPECT_EQ(json::string_member(items[1], "last_flaky_at"), "2026-11-05T08:30:00Z");

  const auto alpha =
      get_json(std::string("/api/v1/analytics/flaky?repository=octo/alpha&") + kWeek);
  ASSERT_EQ(items_of(alpha).Size(), 1u);
  EXPECT_EQ(json::string_member(items_of(alpha)[0], "job"), "test");
}

TEST_F(ApiAnalyticsTest, TrendsHaveEveryBucketEmptyOnesAsZeros) {
  const auto page = get_json(std::string("/api/v1/analytics/trends?") + kSixHours);
  EXPECT_EQ(json::integer_member(page, "total"), 6);
  const auto& items = items_of(page);
  ASSERT_EQ(items.Size(), 6u);
  EXPECT_EQ(json::string_member(items[0], "bucket_start"), "2026-11-03T10:00:00Z");
  EXPECT_EQ(json::string_member(items[5], "bucket_start"), "2026-11-03T15:00:00Z");
  for (int empty : {0, 1, 5}) {
    EXPECT_EQ(json::integer_member(items[empty], "runs"), 0);
    EXPECT_EQ(json::integer_member(items[empty], "failures"), 0);
    EXPECT_DOUBLE_EQ(number(items[empty], "failure_rate"), 0);
    EXPECT_TRUE(is_null(items[empty], "duration_p50_seconds"));
    EXPECT_TRUE(is_null(items[empty], "duration_p95_seconds"));
    EXPECT_TRUE(is_null(items[empty], "queue_p95_seconds"));
    EXPECT_EQ(json::integer_member(items[empty], "incidents_opened"), 0);
    EXPECT_EQ(json::integer_member(items[empty], "incidents_resolved"), 0);
    EXPECT_TRUE(is_null(items[empty], "mttr_seconds"));
  }
  const auto& noon = items[2];
  EXPECT_EQ(json::integer_member(noon, "runs"), 4);
  EXPECT_EQ(json::integer_member(noon, "failures"), 1);
  EXPECT_DOUBLE_EQ(number(noon, "failure_rate"), 0.25);
  EXPECT_DOUBLE_EQ(number(noon, "duration_p50_seconds"), 9.3);
  EXPECT_DOUBLE_EQ(number(noon, "duration_p95_seconds"), 9.3);
  EXPECT_DOUBLE_EQ(number(noon, "queue_p95_seconds"), 0.5);
  EXPECT_EQ(json::integer_member(noon, "incidents_opened"), 1);
  EXPECT_EQ(json::integer_member(noon, "incidents_resolved"), 1);
  EXPECT_DOUBLE_EQ(number(noon, "mttr_seconds"), 1800);
  EXPECT_EQ(json::integer_member(items[3], "incidents_opened"), 1);
  EXPECT_EQ(json::integer_member(items[4], "incidents_resolved"), 1);
  EXPECT_DOUBLE_EQ(number(items[4], "mttr_seconds"), 3600);

  // Filtered: ci_hourly and the incidents of that repository or workflow.
  const auto gamma =
      get_json(std::string("/api/v1/analytics/trends?repository=octo/gamma&") + kSixHours);
  const auto& gamma_noon = items_of(gamma)[2];
  EXPECT_EQ(json::integer_member(gamma_noon, "runs"), 2);
  EXPECT_DOUBLE_EQ(number(gamma_noon, "failure_rate"), 0.5);
  EXPECT_EQ(json::integer_member(gamma_noon, "incidents_opened"), 1);
  EXPECT_EQ(json::integer_member(items_of(gamma)[3], "incidents_opened"), 0);
  const auto deploy =
      get_json(std::string("/api/v1/analytics/trends?workflow=Deploy&") + kSixHours);
  EXPECT_EQ(json::integer_member(items_of(deploy)[2], "runs"), 0);
  EXPECT_EQ(json::integer_member(items_of(deploy)[3], "incidents_opened"), 1);
  EXPECT_EQ(json::integer_member(items_of(deploy)[4], "incidents_resolved"), 1);

  const auto days = get_json(std::string("/api/v1/analytics/trends?bucket=day&") + kWeek);
  EXPECT_EQ(json::integer_member(days, "total"), 7);
  ASSERT_EQ(items_of(days).Size(), 7u);
  EXPECT_EQ(json::string_member(items_of(days)[2], "bucket_start"), "2026-11-03T00:00:00Z");
  EXPECT_EQ(json::integer_member(items_of(days)[2], "runs"), 4);
  EXPECT_EQ(json::integer_member(items_of(days)[4], "runs"), 8);
  EXPECT_EQ(json::integer_member(items_of(days)[4], "failures"), 2);

  const auto later =
      get_json(std::string("/api/v1/analytics/trends?page=2&page_size=4&") + kSixHours);
  EXPECT_EQ(json::integer_member(later, "pages"), 2);
  ASSERT_EQ(items_of(later).Size(), 2u);
  EXPECT_EQ(json::string_member(items_of(later)[0], "bucket_start"), "2026-11-03T14:00:00Z");
  EXPECT_EQ(json::integer_member(items_of(later)[0], "incidents_resolved"), 1);
}

TEST_F(ApiAnalyticsTest, RepositoryHealthAsTheFormulaSays) {
  const auto page = get_json(std::string("/api/v1/analytics/repositories?") + kWeek);
  EXPECT_EQ(json::integer_member(page, "total"), 4);
  const auto& items = items_of(page);
  ASSERT_EQ(items.Size(), 4u);
  // gamma: 2 runs, 1 failure, nothing open: 100 - 50 * 0.5 = 75.
  EXPECT_EQ(json::string_member(items[0], "repository"), "octo/gamma");
  EXPECT_EQ(json::integer_member(items[0], "runs"), 2);
  EXPECT_DOUBLE_EQ(number(items[0], "failure_rate"), 0.5);
  EXPECT_DOUBLE_EQ(number(items[0], "flaky_rate"), 0);
  EXPECT_EQ(json::integer_member(items[0], "open_incidents"), 0);
  EXPECT_DOUBLE_EQ(number(items[0], "mttr_seconds"), 1800);
  EXPECT_EQ(json::integer_member(items[0], "health"), 75);
  // alpha: 10 runs, 2 failures, 1 flaky, 1 open: 100 - 10 - 3 - 5 = 82.
  EXPECT_EQ(json::string_member(items[1], "repository"), "octo/alpha");
  EXPECT_EQ(json::integer_member(items[1], "runs"), 10);
  EXPECT_DOUBLE_EQ(number(items[1], "failure_rate"), 0.2);
  EXPECT_DOUBLE_EQ(number(items[1], "flaky_rate"), 0.1);
  EXPECT_EQ(json::integer_member(items[1], "open_incidents"), 1);
  EXPECT_DOUBLE_EQ(number(items[1], "mttr_seconds"), 3600);
  EXPECT_EQ(json::integer_member(items[1], "health"), 82);
  // No runs in the window: no health, whatever is open.
  EXPECT_EQ(json::string_member(items[2], "repository"), "octo/beta");
  EXPECT_EQ(json::integer_member(items[2], "runs"), 0);
  EXPECT_EQ(json::integer_member(items[2], "open_incidents"), 1);
  EXPECT_TRUE(is_null(items[2], "health"));
  EXPECT_TRUE(is_null(items[2], "failure_rate"));
  EXPECT_TRUE(is_null(items[2], "mttr_seconds"));
  EXPECT_EQ(json::string_member(items[3], "repository"), "octo/idle");
  EXPECT_TRUE(is_null(items[3], "health"));
}

TEST_F(ApiAnalyticsTest, AnswersAreConditional) {
  HttpClient client;
  const std::string url = base_ + "/api/v1/analytics/trends?" + kSixHours;
  const auto first = client.get(url, {authorization_});
  ASSERT_EQ(first.status, 200);
  const auto etag = first.headers.at("etag");
  EXPECT_EQ(first.headers.at("cache-control"), "private, no-cache");
  EXPECT_EQ(client.get(url, {authorization_, "If-None-Match: " + etag}).status, 304);
}

TEST_F(ApiAnalyticsTest, MalformedWindowsAndValuesGetProblems) {
  for (const char* path : {"/api/v1/analytics/failure-signatures", "/api/v1/analytics/flaky",
                           "/api/v1/analytics/trends", "/api/v1/analytics/repositories",
                           "/api/v1/analytics/failure-signatures/aaaaaaaaaaaaaaaa"}) {
    const std::string base = path;
    expect_problem(base + "?since=yesterday", 400);
    expect_problem(base + "?until=2026-11-08", 400);
    expect_problem(base + "?since=2026-11-08T00:00:00Z&until=2026-11-08T00:00:00Z", 400);
    expect_problem(base + "?since=2026-11-09T00:00:00Z&until=2026-11-08T00:00:00Z", 400);
    const auto long_window =
        expect_problem(base + "?since=2025-01-01T00:00:00Z&until=2026-11-08T00:00:00Z", 400);
    EXPECT_NE(long_window.find("400 days"), std::string::npos) << long_window;
    if (base.find("aaaa") == std::string::npos) {
      expect_problem(base + "?page=0", 400);
      expect_problem(base + "?page_size=101", 400);
    }
  }
  expect_problem("/api/v1/analytics/failure-signatures?category=code", 400);
  expect_problem("/api/v1/analytics/failure-signatures?repository=no-slash", 400);
  expect_problem("/api/v1/analytics/trends?bucket=week", 400);
  expect_problem("/api/v1/analytics/trends?workflow=" + std::string(300, 'w'), 400);
  const auto too_many = expect_problem(
      "/api/v1/analytics/trends?bucket=hour&since=2026-08-01T00:00:00Z&until=2026-11-08T00:00:00Z",
      400);
  EXPECT_NE(too_many.find("2000"), std::string::npos) << too_many;
  // 2000 hours exactly is served.
  const auto most = get_json(
      "/api/v1/analytics/trends?bucket=hour&since=2026-08-16T16:00:00Z&until=2026-11-08T00:00:00Z");
  EXPECT_EQ(json::integer_member(most, "total"), 2000);
}

TEST_F(ApiAnalyticsTest, UnauthenticatedCallersGet401) {
  HttpClient client;
  for (const char* path :
       {"/api/v1/analytics/failure-signatures",
        "/api/v1/analytics/failure-signatures/aaaaaaaaaaaaaaaa", "/api/v1/analytics/flaky",
        "/api/v1/analytics/trends", "/api/v1/analytics/repositories"}) {
    auto response = client.get(base_ + path);
    EXPECT_EQ(response.status, 401) << path;
    EXPECT_EQ(response.headers["content-type"], "application/problem+json") << path;
    EXPECT_EQ(client.get(base_ + path, {"Authorization: Bearer not-a-token"}).status, 401) << path;
  }
}

TEST_F(ApiAnalyticsTest, HostileFiltersAreJustValues) {
  const std::string hostile = "octo%2Falpha'%20OR%20'1'%3D'1";
  for (const char* path : {"/api/v1/analytics/failure-signatures?", "/api/v1/analytics/flaky?",
                           "/api/v1/analytics/trends?"}) {
    const auto page = get_json(std::string(path) + "repository=" + hostile + "&" + kWeek);
    for (const auto& item : items_of(page).GetArray()) {
      EXPECT_EQ(json::integer_member(item, "runs").value_or(0), 0) << path;
    }
    if (std::string(path).find("trends") == std::string::npos) {
      EXPECT_EQ(json::integer_member(page, "total"), 0) << path;
    }
  }
  const auto workflow = get_json(
      std::string("/api/v1/analytics/trends?workflow=CI%27%3B%20DROP%20TABLE%20ci_hourly%3B--&") +
      kWeek);
  EXPECT_EQ(json::integer_member(workflow, "total"), 7);
  expect_problem("/api/v1/analytics/failure-signatures?category=code%2Ftest'%20OR%20'1'%3D'1", 400);
  expect_problem("/api/v1/analytics/trends?bucket=hour'%3B--", 400);
  EXPECT_EQ(database_->count("SELECT count(*) FROM ci_hourly"), 3);
  EXPECT_EQ(database_->count("SELECT count(*) FROM failure_signatures"), 3);
}

// Through the runs role: a run that fails and passes on attempt 2 is one
// flaky run and its job one flaky job, in /flaky, /trends and /repositories.
class ApiAnalyticsEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    producer_ = std::make_unique<kafka::Producer>(kafka::Settings{broker_.bootstrap(), {}}, 10s);
  }

  void publish_run(std::int64_t run_id, std::int64_t attempt, const std::string& conclusion,
                   const std::string& started_at, const std::string& updated_at) {
    RunSpec spec;
    spec.run_id = run_id;
    spec.attempt = attempt;
    spec.conclusion = conclusion;
    spec.created_at = "2026-11-23T09:00:00Z";
    spec.updated_at = updated_at;
    spec.delivery_id = "run-" + std::to_string(run_id) + "-" + std::to_string(attempt);
    auto event = run_event(spec);
    event.run.run_started_at = started_at;
    ASSERT_EQ(producer_->produce_and_wait(run_message(event)), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  void publish_job(std::int64_t job_id, std::int64_t run_id, std::int64_t attempt,
                   const std::string& conclusion, const std::string& created_at,
                   const std::string& started_at, const std::string& completed_at) {
    events::WorkflowJobEvent e;
    e.envelope.delivery_id = "job-" + std::to_string(job_id);
    e.envelope.hook_id = 7;
    e.envelope.action = "completed";
    e.envelope.received_at = "2026-11-23T10:00:00.000Z";
    e.envelope.repository = {555, "octo/widgets"};
    e.job.id = job_id;
    e.job.run_id = run_id;
    e.job.run_attempt = attempt;
    e.job.name = "test";
    e.job.workflow_name = "CI";
    e.job.status = "completed";
    e.job.conclusion = conclusion;
    e.job.created_at = created_at;
    e.job.started_at = started_at;
    e.job.completed_at = completed_at;
    CloudEvent ce{e.envelope.delivery_id, "https://github.com/octo/widgets",
                  "com.github.workflow_job.completed", e.envelope.received_at};
    ASSERT_EQ(producer_->produce_and_wait({topics::kWorkflowJob, events::partition_key(555, run_id),
                                           events::to_json(e), to_headers(ce)}),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  json::Document get_json(const std::string& base, const std::string& authorization,
                          const std::string& path) {
    HttpClient client;
    const auto response = client.get(base + path, {authorization});
    EXPECT_EQ(response.status, 200) << path << ": " << response.body;
    return json::parse(response.body);
  }

  TestDatabase database_;
  TestBroker broker_;
  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(ApiAnalyticsEndToEndTest, AFlakyRunIsCountedEverywhere) {
  // Each run attempt took 10 s (bucket 10, read back as 9.3 s); each job
  // waited 2 s for a runner (bucket 4, read back as 1.9 s).
  publish_run(1, 1, "failure", "2026-11-23T09:00:00Z", "2026-11-23T09:00:10Z");
  publish_run(1, 2, "success", "2026-11-23T09:10:00Z", "2026-11-23T09:10:10Z");
  publish_run(2, 1, "success", "2026-11-23T09:20:00Z", "2026-11-23T09:20:10Z");
  publish_run(3, 1, "failure", "2026-11-23T09:30:00Z", "2026-11-23T09:30:10Z");
  publish_job(11, 1, 1, "failure", "2026-11-23T09:00:00Z", "2026-11-23T09:00:02Z",
              "2026-11-23T09:00:09Z");
  publish_job(12, 1, 2, "success", "2026-11-23T09:10:00Z", "2026-11-23T09:10:02Z",
              "2026-11-23T09:10:09Z");
  publish_job(13, 2, 1, "success", "2026-11-23T09:20:00Z", "2026-11-23T09:20:02Z",
              "2026-11-23T09:20:09Z");

  ChildProcess processors({binary("faultline-processors"), "--roles", "runs"},
                          {{"FAULTLINE_DATABASE_URL", database_.url()},
                           {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
                           {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"}},
                          scratch_path("analytics-processors.log"));
  ASSERT_EQ(database_.wait_for_count("SELECT COALESCE(sum(runs), 0) FROM ci_hourly", 4), 4)
      << processors.log();
  ASSERT_EQ(database_.wait_for_count("SELECT COALESCE(sum(flaky_runs), 0) FROM job_hourly", 1), 1)
      << processors.log();
  ASSERT_EQ(database_.wait_for_count("SELECT COALESCE(sum(runs), 0) FROM job_hourly", 2), 2)
      << processors.log();

  ApiProcess api(database_, {}, "analytics-api.log");
  HttpClient client;
  const auto authorization =
      new_account(database_, client, api.base(), "e2e@example.com").authorization();
  const std::string window = "since=2026-11-23T08:00:00Z&until=2026-11-23T11:00:00Z";

  const auto flaky = get_json(api.base(), authorization, "/api/v1/analytics/flaky?" + window);
  ASSERT_EQ(items_of(flaky).Size(), 1u) << json::serialize(flaky);
  const auto& job = items_of(flaky)[0];
  EXPECT_EQ(json::string_member(job, "repository"), "octo/widgets");
  EXPECT_EQ(json::string_member(job, "workflow"), "CI");
  EXPECT_EQ(json::string_member(job, "job"), "test");
  EXPECT_EQ(json::integer_member(job, "runs"), 2);
  EXPECT_EQ(json::integer_member(job, "flaky_runs"), 1);
  EXPECT_DOUBLE_EQ(number(job, "flaky_rate"), 0.5);
  EXPECT_EQ(json::string_member(job, "last_flaky_at"), "2026-11-23T09:10:09Z");

  for (const std::string filter : {"", "repository=octo/widgets&", "workflow=CI&"}) {
    const auto trends = get_json(api.base(), authorization,
                                 "/api/v1/analytics/trends?bucket=hour&" + filter + window);
    ASSERT_EQ(items_of(trends).Size(), 3u) << filter;
    const auto& nine = items_of(trends)[1];
    EXPECT_EQ(json::string_member(nine, "bucket_start"), "2026-11-23T09:00:00Z");
    EXPECT_EQ(json::integer_member(nine, "runs"), 4) << filter;  // completed run attempts
    EXPECT_EQ(json::integer_member(nine, "failures"), 2) << filter;
    EXPECT_DOUBLE_EQ(number(nine, "failure_rate"), 0.5);
    EXPECT_DOUBLE_EQ(number(nine, "duration_p50_seconds"), 9.3);
    EXPECT_DOUBLE_EQ(number(nine, "duration_p95_seconds"), 9.3);
    EXPECT_DOUBLE_EQ(number(nine, "queue_p95_seconds"), 1.9);
    EXPECT_EQ(json::integer_member(items_of(trends)[0], "runs"), 0);
    EXPECT_EQ(json::integer_member(items_of(trends)[2], "runs"), 0);
  }

  const auto health =
      get_json(api.base(), authorization, "/api/v1/analytics/repositories?" + window);
  ASSERT_EQ(items_of(health).Size(), 1u) << json::serialize(health);
  const auto& widgets = items_of(health)[0];
  EXPECT_EQ(json::integer_member(widgets, "runs"), 4);
  EXPECT_DOUBLE_EQ(number(widgets, "failure_rate"), 0.5);
  EXPECT_DOUBLE_EQ(number(widgets, "flaky_rate"), 0.25);
  // 100 - 50 * 0.5 - 30 * 0.25 = 67.5, rounded half away from zero.
  EXPECT_EQ(json::integer_member(widgets, "health"), 68);
}

// Answers are kept until what they read changes: asked twice, the second is
// a kept answer; a run the runs role then stores is in the next one.
TEST_F(ApiAnalyticsEndToEndTest, AKeptAnswerGivesWayToANewRun) {
  ChildProcess processors({binary("faultline-processors"), "--roles", "runs"},
                          {{"FAULTLINE_DATABASE_URL", database_.url()},
                           {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
                           {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"}},
                          scratch_path("analytics-fresh-processors.log"));
  publish_run(1, 1, "failure", "2026-11-23T09:00:00Z", "2026-11-23T09:00:10Z");
  ASSERT_EQ(database_.wait_for_count("SELECT COALESCE(sum(runs), 0) FROM ci_hourly_all", 1), 1)
      << processors.log();

  ApiProcess api(database_, {}, "analytics-fresh-api.log");
  HttpClient client;
  const auto authorization =
      new_account(database_, client, api.base(), "fresh@example.com").authorization();
  const std::string path =
      "/api/v1/analytics/trends?bucket=day&since=2026-11-23T00:00:00Z&until=2026-11-24T00:00:00Z";
  const auto runs_now = [&] {
    const auto trends = get_json(api.base(), authorization, path);
    return items_of(trends).Size() == 1
               ? json::integer_member(items_of(trends)[0], "runs").value_or(-1)
               : std::int64_t{-1};
  };
  const auto kept_answers = [&] {
    const auto metrics = client.get(api.base() + "/metrics").body;
    const std::string name = "faultline_api_analytics_cache_total{result=\"hit\"} ";
    const auto at = metrics.find(name);
    return at == std::string::npos ? -1 : std::stoll(metrics.substr(at + name.size()));
  };

  // The feed listens from the API's start; until then answers are computed.
  for (const auto deadline = std::chrono::steady_clock::now() + 20s;
       kept_answers() < 1 && std::chrono::steady_clock::now() < deadline;)
    ASSERT_EQ(runs_now(), 1);
  const auto before = kept_answers();
  ASSERT_GE(before, 1) << "no answer was ever kept";
  EXPECT_EQ(runs_now(), 1);
  EXPECT_EQ(kept_answers(), before + 1);

  publish_run(2, 1, "success", "2026-11-23T09:20:00Z", "2026-11-23T09:20:10Z");
  ASSERT_EQ(database_.wait_for_count("SELECT COALESCE(sum(runs), 0) FROM ci_hourly_all", 2), 2)
      << processors.log();
  // The notification follows the commit by milliseconds; it never stays old.
  std::int64_t runs = runs_now();
  for (const auto deadline = std::chrono::steady_clock::now() + 10s;
       runs != 2 && std::chrono::steady_clock::now() < deadline;)
    runs = runs_now();
  EXPECT_EQ(runs, 2) << api.process().log();
}

}  // namespace
}  // namespace faultline::testing
