// Roles `issues` and `reconciler` against the fake GitHub, real PostgreSQL and
// the embedded broker.

#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "common/database.hpp"
#include "common/json.hpp"
#include "common/soci.hpp"
#include "common/time.hpp"
#include "ingest/gitlab_normalize.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/fake_github.hpp"
#include "tests/support/gitlab_hooks.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/run_events.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

class GitHubIssuesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    producer_ = std::make_unique<kafka::Producer>(kafka::Settings{broker_.bootstrap(), {}}, 10s);
  }

  std::map<std::string, std::string> environment(
      const std::string& token = "fallback-token") const {
    return {{"FAULTLINE_DATABASE_URL", database_.url()},
            {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
            {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"},
            {"FAULTLINE_GITHUB_API_URL", github_.url()},
            {"FAULTLINE_GITHUB_TOKEN", token},
            {"FAULTLINE_GITHUB_MUTATION_SPACING", "50ms"},
            {"FAULTLINE_GITHUB_SECONDARY_WAIT", "1s"},
            {"FAULTLINE_RECONCILE_INTERVAL", "1h"}};
  }

  std::unique_ptr<ChildProcess> start(const std::string& roles,
                                      const std::string& token = "fallback-token") {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-processors"), "--roles", roles},
        environment(token), scratch_path("processors-" + roles + ".log"));
  }

  void publish(std::int64_t run_id, const char* conclusion, const char* created_at) {
    RunSpec spec;
    spec.run_id = run_id;
    spec.conclusion = conclusion;
    spec.created_at = created_at;
    spec.delivery_id = "d-" + std::to_string(run_id);
    ASSERT_EQ(producer_->produce_and_wait(run_message(run_event(spec))),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  // The fake's issues of octo/widgets.
  json::Document issues() const {
    const auto all = json::parse(github_.issues());
    json::Document out(rapidjson::kArrayType);
    if (const auto* list = json::member(all, "octo/widgets"))
      out.CopyFrom(*list, out.GetAllocator());
    return out;
  }

  TestDatabase database_;
  TestBroker broker_;
  FakeGitHub github_;
  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(GitHubIssuesTest, OneIssuePerIncidentCommentedAndClosed) {
  // GitHub misbehaves first: a 502 and a rate limit, both waited out.
  github_.fail_next("POST", "/repos/octo/widgets/issues",
                    R"([{"status":502},{"status":429,"headers":{"retry-after":"1"}}])");
  auto processors = start("incidents,issues");
  // Runs travel in different partitions: each waits for the one before (README, limits).
  publish(1, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents", 1), 1) << processors->log();
  publish(2, "failure", "2026-11-23T10:10:00Z");
  ASSERT_EQ(database_.wait_for_count("SELECT occurrences FROM incidents", 2), 2);
  publish(3, "success", "2026-11-23T10:20:00Z");
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_issues WHERE closed", 1), 1)
      << processors->log();

  const auto list = issues();
  ASSERT_EQ(list.Size(), 1u);
  const auto& issue = list[0];
  EXPECT_EQ(json::string_member(issue, "title"), "CI failing: CI on main in octo/widgets");
  EXPECT_NE(json::string_member(issue, "body")->find("<!-- faultline-incident:1 -->"),
            std::string::npos);
  EXPECT_NE(json::string_member(issue, "body")->find("/actions/runs/1"), std::string::npos);
  EXPECT_EQ(json::string_member(issue, "state"), "closed");
  const auto& comments = (*json::member(issue, "comments")).GetArray();
  ASSERT_EQ(comments.Size(), 2u);  // the recurrence, the resolution
  EXPECT_NE(std::string(comments[1].GetString()).find("Resolved by run 3"), std::string::npos);

  // Every call is on record for the incident, the failed attempts too.
  EXPECT_GE(
      database_.count("SELECT count(*) FROM github_calls WHERE incident_id = 1 AND status = 502"),
      1);
  EXPECT_GE(
      database_.count("SELECT count(*) FROM github_calls WHERE incident_id = 1 AND status = 429"),
      1);
  EXPECT_EQ(
      database_.wait_for_count("SELECT count(*) FROM outbox WHERE event_type = 'issue_linked'", 1),
      1);

  // And counted, by purpose and outcome, for the alert rules.
  const auto port =
      log_field_int(processors->wait_for_log("\"msg\":\"started\"", 20s), "status_port");
  HttpClient client;
  const auto metrics = client.get("http://127.0.0.1:" + std::to_string(port) + "/metrics").body;
  for (const char* series :
       {R"(faultline_github_calls_total{outcome="server_error",purpose="opened"} 1)",
        R"(faultline_github_calls_total{outcome="rate_limited",purpose="opened"} 1)",
        R"(faultline_github_calls_total{outcome="ok",purpose="resolved"})"})
    EXPECT_NE(metrics.find(series), std::string::npos) << series << "\n" << metrics;
}

TEST_F(GitHubIssuesTest, OneTraceIdFindsTheRunsIncidentAndItsGitHubCalls) {
  auto processors = start("incidents,issues");
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  RunSpec spec;
  spec.run_id = 40;
  spec.conclusion = "failure";
  spec.created_at = "2026-11-23T10:00:00Z";
  spec.delivery_id = "d-40";
  auto message = run_message(run_event(spec));
  message.headers.push_back({"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"});
  ASSERT_EQ(producer_->produce_and_wait(std::move(message)), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_issues", 1), 1)
      << processors->log();

  // Every call made for the incident is on record under the run's trace...
  const auto calls = database_.count("SELECT count(*) FROM github_calls WHERE incident_id = 1");
  ASSERT_GE(calls, 1);
  EXPECT_EQ(database_.count("SELECT count(*) FROM github_calls WHERE incident_id = 1"
                            " AND trace_id = '" +
                            trace_id + "' AND length(span_id) = 16"),
            calls);
  // ...GitHub was told it...
  const auto requests = json::parse(github_.requests());
  int traced = 0;
  for (const auto& r : requests.GetArray())
    if (std::string(r["traceparent"].GetString()).substr(3, 32) == trace_id)
      ++traced;
  EXPECT_EQ(traced, calls);
  // ...and both roles' lines name it.
  const std::string log = processors->wait_for_log("opened a GitHub issue", 5s);
  EXPECT_NE(log.find("\"trace_id\":\"" + trace_id + "\""), std::string::npos) << log;
  std::size_t lines = 0;
  for (std::size_t at = 0; (at = processors->log().find(trace_id, at)) != std::string::npos; ++at)
    ++lines;
  EXPECT_GE(lines, 2U) << processors->log();  // "incident changed", "opened a GitHub issue"
}

// A job log as GitHub serves it: timestamps, colours, thousands of steps' worth
// of build output and a step that failed without failing the job
// (continue-on-error), then the failing test run near the end.
std::string realistic_log(std::size_t megabytes) {
  std::string log;
  const std::string build_ts = "2026-11-23T09:59:58.1234567Z ";
  log += build_ts + "##[group]Run actions/checkout@v4\n" + build_ts + "##[endgroup]\n";
  log +=
      build_ts + "##[group]Run make -j4\n" + build_ts + "make -j4\n" + build_ts + "##[endgroup]\n";
  for (int i = 0; log.size() < megabytes * 1024 * 1024; ++i)
    log += build_ts + "\x1b[32m[" + std::to_string(i % 100) +
           "%]\x1b[0m Building CXX object src/unit_" + std::to_string(i) + ".cpp.o\n";
  log += build_ts + "##[group]Run ./check-format\n" + build_ts + "##[endgroup]\n";
  log += build_ts + "##[error]Formatting check found 3 files to reformat\n";
  const std::string ts = "2026-11-23T10:00:00.1234567Z ";
  log += ts + "##[group]Run make test\n" + ts + "make test\n" + ts + "##[endgroup]\n";
  for (int i = 0; i < 500; ++i)
    log += ts + "[ RUN      ] Suite.Case" + std::to_string(i) + "\n" + ts +
           "[       OK ] Suite.Case" + std::to_string(i) + " (0 ms)\n";
  log += ts + "[ RUN      ] Ledger.BalancesAfterRefund\n";
  log += ts + "ledger_test.cpp:88: Failure\n" + ts + "Expected: balance == 100, actual: 90\n";
  log += ts + "\x1b[31m[  FAILED  ]\x1b[0m Ledger.BalancesAfterRefund (3 ms)\n";
  log += ts + "make: *** [Makefile:42: test] Error 1\n";
  log += ts + "##[error]Process completed with exit code 2.\n";
  log += ts + "Post job cleanup.\n" + ts + "Cleaning up orphan processes\n";
  return log;
}

TEST_F(GitHubIssuesTest, FailureContextFromTheLogIsInTheIssueAndTheApiAndBounded) {
  github_.seed_jobs("octo/widgets", 20, R"json([
    {"id": 501, "run_id": 20, "name": "lint", "status": "completed", "conclusion": "success",
     "steps": [{"name": "Run lint", "conclusion": "success", "number": 1}]},
    {"id": 502, "run_id": 20, "name": "test (ubuntu-latest)", "status": "completed",
     "conclusion": "failure", "html_url": "https://github.com/octo/widgets/actions/runs/20/job/502",
     "steps": [{"name": "Set up job", "conclusion": "success", "number": 1},
               {"name": "Check format", "conclusion": "success", "number": 2,
                "started_at": "2026-11-23T09:59:58.000Z"},
               {"name": "Build and test", "conclusion": "failure", "number": 3,
                "started_at": "2026-11-23T02:00:00.000-08:00"}]}])json");
  const auto log = realistic_log(4);
  github_.seed_log(502, log);
  auto processors = start("incidents,issues");
  publish(20, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_issues", 1), 1)
      << processors->log();

  const std::string body(json::string_member(issues()[0], "body").value_or(""));
  EXPECT_NE(body.find("### Where it failed"), std::string::npos) << body;
  EXPECT_NE(body.find("test (ubuntu-latest)"), std::string::npos);
  EXPECT_NE(body.find("step `Build and test`"), std::string::npos);
  EXPECT_NE(body.find("Expected: balance == 100, actual: 90"), std::string::npos);
  EXPECT_NE(body.find("Error: Process completed with exit code 2."), std::string::npos);
  // The earlier step's error did not fail the job: the failing step's start passes it over.
  EXPECT_EQ(body.find("Formatting check"), std::string::npos) << body;
  EXPECT_EQ(body.find("lint"), std::string::npos);  // the job that passed
  EXPECT_EQ(body.find('\x1b'), std::string::npos);
  EXPECT_EQ(body.find("2026-11-23T10:00:00.1234567Z"), std::string::npos);
  EXPECT_LT(body.size(), 12u * 1024)
      << "the issue carries an excerpt, not the " << log.size() << "-byte log";

  // Kept with the incident, bounded, and shown by the API.
  EXPECT_LE(database_.count("SELECT sum(octet_length(l) + 1) FROM incident_failure_contexts,"
                            " jsonb_array_elements_text(context->'jobs'->0->'lines') AS l"),
            8192);
  EXPECT_EQ(database_.count("SELECT count(*) FROM github_calls WHERE path ="
                            " '/repos/octo/widgets/actions/jobs/502/logs' AND status = 200"
                            " AND response_body = '(not recorded)'"),
            1);
  ApiProcess api(database_);
  HttpClient client;
  const auto user = new_account(database_, client, api.base(), "reader@example.com");
  const auto incident = client.get(api.base() + "/api/v1/incidents/1", {user.authorization()});
  ASSERT_EQ(incident.status, 200) << incident.body;
  const auto doc = json::parse(incident.body);
  const auto& context = doc["failure_context"];
  ASSERT_TRUE(context.IsObject()) << incident.body;
  EXPECT_EQ(context["run_id"].GetInt64(), 20);
  ASSERT_EQ(context["jobs"].Size(), 1u);
  EXPECT_EQ(std::string(context["jobs"][0]["step"].GetString()), "Build and test");
  const auto& lines = context["jobs"][0]["lines"];
  ASSERT_GT(lines.Size(), 2u);
  EXPECT_EQ(std::string(lines[lines.Size() - 1].GetString()),
            "Error: Process completed with exit code 2.");
}

// A job log that fails the way a broken package mirror does: only ids, times
// and the repository's workspace differ from one occurrence to the next.
std::string mirror_failure_log(const std::string& name, int n) {
  const std::string ts = "2026-11-23T10:0" + std::to_string(n) + ":1" + std::to_string(n) + ".5Z ";
  return ts + "##[group]Run npm ci\n" + ts + "npm ci\n" + ts + "##[endgroup]\n" + ts +
         "npm ERR! code ECONNRESET\n" + ts +
         "npm ERR! network request to https://registry.npmjs.org/left-pad/-/left-pad-1." +
         std::to_string(n) + ".0.tgz failed, reason: read ECONNRESET\n" + ts +
         "npm ERR! A complete log of this run can be found in: "
         "/home/runner/.npm/_logs/2026-11-23T10_0" +
         std::to_string(n) + "_00_" + std::to_string(100 + n) + "Z-debug-0.log\n" + ts +
         "npm ERR! in /home/runner/work/" + name + "/" + name + " after " + std::to_string(3 + n) +
         "." + std::to_string(n) + "s\n" + ts + "##[error]Process completed with exit code 1.\n";
}

TEST_F(GitHubIssuesTest, TheSameFailureInThreeRepositoriesIsOneSignatureAndItsCauseIsNamed) {
  struct Repo {
    const char* name;
    std::int64_t id;
  };
  const Repo repos[] = {{"octo/alpha", 601}, {"acme/beta", 602}, {"other/gamma", 603}};
  for (int i = 0; i < 3; ++i) {
    const std::string run = std::to_string(40 + i), job = std::to_string(7000 + i);
    github_.seed_jobs(repos[i].name, 40 + i,
                      R"([{"id": )" + job + R"(, "run_id": )" + run +
                          R"(, "name": "install", "status": "completed", "conclusion": "failure",
                          "completed_at": "2026-11-23T10:05:00Z",
                          "steps": [{"name": "Install", "conclusion": "failure", "number": 2}]}])");
    const std::string short_name =
        std::string(repos[i].name).substr(std::string(repos[i].name).find('/') + 1);
    github_.seed_log(7000 + i, mirror_failure_log(short_name, i + 1));
  }
  // A different cause in a fourth repository: a failing test.
  github_.seed_jobs("octo/delta", 43, R"([{"id": 7003, "run_id": 43, "name": "test",
      "status": "completed", "conclusion": "failure", "completed_at": "2026-11-23T10:05:00Z",
      "steps": [{"name": "Test", "conclusion": "failure", "number": 2}]}])");
  github_.seed_log(7003,
                   "2026-11-23T10:04:00.1Z ##[group]Run go test ./...\n"
                   "2026-11-23T10:04:00.1Z ##[endgroup]\n"
                   "2026-11-23T10:04:01.1Z --- FAIL: TestBalance (0.01s)\n"
                   "2026-11-23T10:04:01.1Z     balance_test.go:12: got 90, want 100\n"
                   "2026-11-23T10:04:01.2Z ##[error]Process completed with exit code 1.\n");

  auto processors = start("incidents,issues");
  for (int i = 0; i < 4; ++i) {
    RunSpec spec;
    spec.run_id = 40 + i;
    spec.conclusion = "failure";
    spec.repository = i < 3 ? repos[i].name : "octo/delta";
    spec.repository_id = i < 3 ? repos[i].id : 604;
    spec.delivery_id = "d-sig-" + std::to_string(i);
    ASSERT_EQ(producer_->produce_and_wait(run_message(run_event(spec))),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM job_failures", 4), 4)
      << processors->log();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_issues", 4), 4)
      << processors->log();

  // One signature for the three mirror failures, another for the test.
  EXPECT_EQ(database_.count("SELECT count(DISTINCT signature) FROM job_failures"), 2);
  EXPECT_EQ(database_.count("SELECT count(*) FROM failure_signatures"), 2);
  EXPECT_EQ(database_.scalar("SELECT string_agg(category, ',' ORDER BY job_id) FROM job_failures"),
            "platform/network,platform/network,platform/network,code/test");
  EXPECT_EQ(database_.count("SELECT count(DISTINCT repository_id) FROM failure_signature_daily"
                            " WHERE category = 'platform/network'"),
            3);
  EXPECT_EQ(database_.count("SELECT sum(occurrences) FROM failure_signature_daily"), 4);
  // Each incident learnt its signature and category.
  EXPECT_EQ(database_.count("SELECT count(*) FROM incidents i JOIN job_failures j"
                            " ON j.incident_id = i.id AND j.signature = i.signature"
                            " AND j.category = i.category"),
            4);
  const auto signature = database_.scalar(
      "SELECT signature FROM job_failures WHERE category = 'platform/network' LIMIT 1");
  EXPECT_EQ(signature.size(), 16u);

  // The issues name the cause; the last of the three knows it was seen in all of them.
  const auto all = json::parse(github_.issues());
  int naming_the_cause = 0, seen_everywhere = 0;
  for (const auto& [repo, list] : all.GetObject())
    for (const auto& issue : list.GetArray()) {
      const std::string body(json::string_member(issue, "body").value_or(""));
      naming_the_cause +=
          body.find("Cause: `platform/network` (signature `" + signature) != std::string::npos;
      seen_everywhere +=
          body.find("seen 3 times in 3 repositories since 2026-11-23") != std::string::npos;
    }
  EXPECT_EQ(naming_the_cause, 3) << github_.issues();
  EXPECT_EQ(seen_everywhere, 1) << github_.issues();

  // The incident event carries them once known (the issue link comes after).
  EXPECT_EQ(database_.count("SELECT count(*) FROM outbox WHERE event_type = 'issue_linked'"
                            " AND payload::jsonb->'incident'->>'signature' IS NOT NULL"
                            " AND payload::jsonb->'incident'->>'category' IS NOT NULL"),
            4);
}

TEST_F(GitHubIssuesTest, KilledBetweenGitHubsAnswerAndTheCommitDoesNotOpenASecondIssue) {
  auto incidents = start("incidents");
  publish(10, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(
      database_.wait_for_count("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL", 1), 1)
      << incidents->log();

  // The issues role creates the issue, then blocks before its commit.
  soci::session blocker(soci::postgresql, with_utc_sessions(database_.url()));
  soci::transaction hold(blocker);
  blocker << "LOCK TABLE consumer_offsets IN EXCLUSIVE MODE";
  auto issues_role = start("issues");
  const auto deadline = std::chrono::steady_clock::now() + 40s;
  while (issues().Size() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  ASSERT_EQ(issues().Size(), 1u) << issues_role->log();
  ASSERT_TRUE(database_.wait_until_blocked_on("consumer_offsets"));
  issues_role->signal(SIGKILL);
  issues_role->wait(10s);
  hold.rollback();
  EXPECT_EQ(database_.count("SELECT count(*) FROM incident_issues"), 0);

  auto restarted = start("issues");
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_issues", 1), 1)
      << restarted->log();
  EXPECT_EQ(issues().Size(), 1u);  // found by its marker, not made again
}

TEST_F(GitHubIssuesTest, AFlakyResolutionSaysItPassedOnAReRunOfTheSameCommit) {
  auto processors = start("incidents,issues");
  publish(30, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_issues", 1), 1)
      << processors->log();
  RunSpec rerun;
  rerun.run_id = 30;
  rerun.attempt = 2;
  rerun.conclusion = "success";
  rerun.created_at = "2026-11-23T10:00:00Z";
  rerun.delivery_id = "d-30-2";
  ASSERT_EQ(producer_->produce_and_wait(run_message(run_event(rerun))), RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_issues WHERE closed", 1), 1)
      << processors->log();
  const auto list = issues();
  ASSERT_EQ(list.Size(), 1u);
  const auto& comments = (*json::member(list[0], "comments")).GetArray();
  ASSERT_EQ(comments.Size(), 1u);
  EXPECT_NE(std::string(comments[0].GetString())
                .find("Resolved by run 30: it passed on a re-run of the same commit"),
            std::string::npos)
      << comments[0].GetString();
}

TEST_F(GitHubIssuesTest, AGitLabIncidentIsLeftAloneAndCallsNothingOnGitHub) {
  auto processors = start("incidents,issues");
  ASSERT_EQ(
      producer_->produce_and_wait(gitlab_message(
          ingest::kPipelineHook, "p-1", pipeline_hook(31, "failed", "2026-11-23 10:05:00 UTC"))),
      RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents", 1), 1) << processors->log();
  publish(40, "failure", "2026-11-23T10:00:00Z");  // a GitHub incident beside it
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_issues", 1), 1)
      << processors->log();
  // Both opened events and the issue_linked one have been consumed.
  ASSERT_EQ(database_.wait_for_count("SELECT COALESCE(sum(next_offset), 0) FROM consumer_offsets"
                                     " WHERE group_id = 'faultline-issues'",
                                     3),
            3)
      << processors->log();
  EXPECT_EQ(database_.count("SELECT count(*) FROM github_calls WHERE repository_id < 0"), 0);
  EXPECT_EQ(github_.requests().find("gitlab-org"), std::string::npos) << github_.requests();
  EXPECT_EQ(database_.scalar("SELECT string_agg(r.provider, ',') FROM incident_issues i"
                             " JOIN repositories r ON r.id = i.repository_id"),
            "github");
}

TEST_F(GitHubIssuesTest, WithoutAnyTokenTheSkipIsRecorded) {
  auto processors = start("incidents,issues", "");
  publish(20, "failure", "2026-11-23T10:00:00Z");
  // At least one: the record is written beside the batch's transaction, so a
  // batch handled again (a rebalance, an incident event published twice by the
  // outbox) records its skip again.
  EXPECT_EQ(database_.wait_for_count("SELECT LEAST(count(*), 1) FROM github_calls"
                                     " WHERE status = 0 AND error LIKE 'no token%'",
                                     1),
            1)
      << processors->log();
  EXPECT_EQ(issues().Size(), 0u);
}

TEST_F(GitHubIssuesTest, ReconcilerFindsAFailedRunWhoseWebhookNeverArrived) {
  {
    soci::session sql(soci::postgresql, with_utc_sessions(database_.url()));
    sql << "INSERT INTO repositories (id, full_name, connected, hook_id) VALUES (555, "
           "'octo/widgets', true, 77)";
  }
  const std::string now = utc_now_rfc3339();
  github_.seed_runs("octo/widgets", R"([{"id":4242,"run_attempt":1,"name":"CI","workflow_id":31,
      "head_branch":"main","head_sha":"abc","event":"push","status":"completed","conclusion":"failure",
      "html_url":"https://github.com/octo/widgets/actions/runs/4242","created_at":")" +
                                        now + R"(","updated_at":")" + now +
                                        R"(","run_number":9}])");
  github_.seed_deliveries("octo/widgets", 77,
                          R"([
      {"id":1,"guid":"lost-1","delivered_at":")" +
                              now + R"(","status_code":502,"event":"workflow_run"},
      {"id":2,"guid":"fine-1","delivered_at":")" +
                              now + R"(","status_code":202,"event":"workflow_run"},
      {"id":3,"guid":"fine-1","delivered_at":")" +
                              now + R"(","status_code":500,"event":"workflow_run"}])");
  auto processors = start("runs,incidents,issues");

  ChildProcess pass({binary("faultline-processors"), "reconcile", "--since", "24h", "--repository",
                     "octo/widgets"},
                    environment(), scratch_path("reconcile.log"));
  ASSERT_EQ(pass.wait(60s), 0) << pass.log();

  EXPECT_EQ(database_.wait_for_count("SELECT count(*) FROM workflow_runs WHERE run_id = 4242", 1),
            1)
      << processors->log();
  EXPECT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM incidents WHERE first_failed_run_id = 4242", 1),
            1);
  EXPECT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_issues", 1), 1);
  EXPECT_EQ(database_.scalar(
                "SELECT runs_inspected || '/' || runs_missing || '/' || redeliveries_requested"
                " FROM reconciliations"),
            "1/1/1");
  const auto redelivered = json::parse(github_.redeliveries());
  ASSERT_EQ(redelivered.Size(), 1u);
  EXPECT_EQ(json::integer_member(redelivered[0], "delivery_id"), 1);

  // A second pass finds nothing missing and asks for nothing again.
  ChildProcess again({binary("faultline-processors"), "reconcile", "--repository", "octo/widgets"},
                     environment(), scratch_path("reconcile-2.log"));
  ASSERT_EQ(again.wait(60s), 0) << again.log();
  EXPECT_EQ(
      database_.scalar("SELECT runs_missing || '/' || redeliveries_requested FROM reconciliations"
                       " ORDER BY id DESC LIMIT 1"),
      "0/0");
  EXPECT_EQ(json::parse(github_.redeliveries()).Size(), 1u);
  EXPECT_EQ(database_.count("SELECT count(*) FROM incidents"), 1);
}

}  // namespace
}  // namespace faultline::testing
