// faultline-processors (role runs) with GitLab's topics: pipelines and jobs in
// the tables GitHub's runs and jobs are in, under negated ids, never going
// backwards, exactly-once under a crash as GitHub's events are, and rebuilt
// the same by a replay.

#include <gtest/gtest.h>
#include <signal.h>

#include "common/database.hpp"
#include "common/gitlab_events.hpp"
#include "common/json.hpp"
#include "common/kafka.hpp"
#include "common/soci.hpp"
#include "common/topics.hpp"
#include "ingest/gitlab_normalize.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/gitlab_hooks.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

class RunsGitLabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    producer_ = std::make_unique<kafka::Producer>(kafka::Settings{broker_.bootstrap(), {}}, 10s);
  }

  std::unique_ptr<ChildProcess> start_processors() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-processors"), "--roles", "runs"},
        std::map<std::string, std::string>{{"FAULTLINE_DATABASE_URL", database_.url()},
                                           {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
                                           {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"},
                                           {"FAULTLINE_PROCESSORS_BATCH", "50"}},
        scratch_path("processors-gitlab.log"));
  }

  // Published as faultline-ingest publishes a delivery of `event`.
  void publish(const char* event, const std::string& delivery, const std::string& body) {
    ASSERT_EQ(producer_->produce_and_wait(gitlab_message(event, delivery, body)),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void pipeline(std::int64_t id, const std::string& status, const char* finished_at,
                const std::string& delivery) {
    publish(ingest::kPipelineHook, delivery, pipeline_hook(id, status, finished_at));
  }
  void job(std::int64_t id, std::int64_t pipeline, const std::string& status,
           const char* failure_reason, const std::string& delivery,
           const JobHookOptions& options = {}) {
    publish(ingest::kJobHook, delivery, job_hook(id, pipeline, status, failure_reason, options));
  }

  TestDatabase database_;
  TestBroker broker_;
  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(RunsGitLabTest, PipelinesAreStoredNegatedInGitHubsVocabularyAndNeverGoBackwards) {
  // Each pipeline ends at one of GitLab's statuses, reached through running.
  const std::vector<std::pair<std::string, std::string>> cases{
      {"created", "requested/"},
      {"waiting_for_resource", "waiting/"},
      {"preparing", "queued/"},
      {"pending", "queued/"},
      {"scheduled", "waiting/"},
      {"manual", "waiting/"},
      {"waiting_for_callback", "in_progress/"},
      {"canceling", "in_progress/"},
      {"running", "in_progress/"},
      {"success", "completed/success"},
      {"failed", "completed/failure"},
      {"canceled", "completed/cancelled"},
      {"skipped", "completed/skipped"}};
  int deliveries = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const bool done = cases[i].second.rfind("completed", 0) == 0;
    pipeline(100 + static_cast<std::int64_t>(i), cases[i].first,
             done ? "2026-11-23 10:05:00 UTC" : nullptr, "p-" + std::to_string(++deliveries));
  }
  // A finished pipeline's late, reordered running and pending events change nothing.
  pipeline(109, "success", "2026-11-23 10:05:00 UTC", "late-1");
  pipeline(109, "running", nullptr, "late-2");
  pipeline(109, "pending", nullptr, "late-3");
  deliveries += 3;

  auto processors = start_processors();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", deliveries), deliveries)
      << processors->log();
  for (std::size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(database_.scalar("SELECT status || '/' || COALESCE(conclusion, '')"
                               " FROM workflow_runs WHERE run_id = -" +
                               std::to_string(100 + i)),
              i == 9 ? "completed/success" : cases[i].second)
        << cases[i].first;
  EXPECT_EQ(database_.scalar("SELECT status || '/' || conclusion FROM workflow_runs"
                             " WHERE run_id = -109"),
            "completed/success");
  EXPECT_EQ(database_.scalar("SELECT provider || ' ' || full_name || ' ' || id FROM repositories"),
            "gitlab gitlab-org/gitlab-test -1");
  // Named by its source (the example pipeline has no name), on its ref.
  EXPECT_EQ(database_.scalar("SELECT name || ' ' || head_branch FROM workflow_runs"
                             " WHERE run_id = -109"),
            "merge_request_event master");
  // Four completed pipelines, each counted once although 109 was told twice.
  EXPECT_EQ(database_.count("SELECT sum(runs) FROM ci_hourly"), 4);
  EXPECT_EQ(database_.count("SELECT sum(failures) FROM ci_hourly"), 1);
}

TEST_F(RunsGitLabTest, ARetriedJobIsANewJobInTheSamePipelineAndKeepsItsFailureReason) {
  job(9, 7, "running", nullptr, "j-1");
  job(9, 7, "failed", "runner_system_failure", "j-2");
  job(9, 7, "running", nullptr, "j-3");   // late: the failed job stays failed
  job(10, 7, "success", nullptr, "j-4");  // the retry
  job(11, 7, "failed", "script_failure", "j-5");

  auto processors = start_processors();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 5), 5)
      << processors->log();
  EXPECT_EQ(database_.count("SELECT count(*) FROM workflow_jobs WHERE run_id = -7"), 3);
  EXPECT_EQ(database_.scalar("SELECT conclusion || ' ' || failure_reason FROM workflow_jobs"
                             " WHERE job_id = -9"),
            "failure runner_system_failure");
  EXPECT_EQ(database_.scalar("SELECT conclusion || ' ' || COALESCE(failure_reason, '-')"
                             " FROM workflow_jobs WHERE job_id = -10"),
            "success -");
  EXPECT_EQ(database_.scalar("SELECT html_url FROM workflow_jobs WHERE job_id = -11"),
            "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/jobs/11");
  // The jobs prove their pipeline runs before its own event arrives.
  EXPECT_EQ(database_.scalar("SELECT status FROM workflow_runs WHERE run_id = -7"), "in_progress");
  EXPECT_EQ(database_.scalar("SELECT provider FROM repositories WHERE id = -380"), "gitlab");
}

TEST_F(RunsGitLabTest, ARetriedPipelineIsItsNextAttemptAndPassingOnItIsFlaky) {
  // Attempt 1 fails at 10:05. A job retried at 10:20 runs the pipeline again,
  // whose hooks still carry the 10:05 finish; it passes at 10:30.
  job(40, 31, "failed", "script_failure", "j-1", {"2026-11-23T10:01:00Z", 1});
  pipeline(31, "failed", "2026-11-23 10:05:00 UTC", "p-1");
  pipeline(31, "running", nullptr, "p-late");  // attempt 1's, late: changes nothing
  auto processors = start_processors();
  // Jobs and pipelines travel on two topics, read in no set order: a retried
  // job is numbered by the finishes seen when it is applied (README, limits),
  // so the retry comes after the failure has been.
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 3), 3)
      << processors->log();
  job(41, 31, "success", nullptr, "j-2", {"2026-11-23T10:20:00Z", 1});
  pipeline(31, "running", "2026-11-23 10:05:00 UTC", "p-2");
  pipeline(31, "success", "2026-11-23 10:30:00 UTC", "p-3");
  pipeline(31, "success", "2026-11-23 10:30:00 UTC", "p-3-resent");
  pipeline(31, "running", "2026-11-23 10:05:00 UTC", "p-2-resent");  // late: changes nothing

  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 8), 8)
      << processors->log();
  EXPECT_EQ(database_.scalar("SELECT string_agg(run_attempt || ' ' || status || ' ' || conclusion"
                             " || ' ' || to_char(updated_at AT TIME ZONE 'UTC', 'HH24:MI'), ','"
                             " ORDER BY run_attempt) FROM workflow_runs WHERE run_id = -31"),
            "1 completed failure 10:05,2 completed success 10:30");
  EXPECT_EQ(database_.scalar("SELECT string_agg(job_id || '@' || run_attempt, ',' ORDER BY job_id"
                             " DESC) FROM workflow_jobs WHERE run_id = -31"),
            "-40@1,-41@2");
  // Passing on a later attempt of the same pipeline (the same commit) is flaky.
  EXPECT_EQ(database_.scalar("SELECT failed_attempt || '->' || passed_attempt FROM flaky_runs"
                             " WHERE repository_id = -1 AND run_id = -31"),
            "1->2");
  EXPECT_EQ(database_.count("SELECT sum(flaky_runs) FROM ci_hourly"), 1);
  // The API's latest attempt is the retry.
  EXPECT_EQ(database_.scalar("SELECT run_attempt || ' ' || conclusion FROM latest_workflow_runs"
                             " WHERE run_id = -31"),
            "2 success");
}

TEST_F(RunsGitLabTest, KilledWhileItsTransactionIsOpenLosesAndDuplicatesNothing) {
  constexpr int kPipelines = 120;
  for (int i = 1; i <= kPipelines; ++i) {
    pipeline(1000 + i, "failed", "2026-11-23 10:05:00 UTC", "p-" + std::to_string(i));
    job(5000 + i, 1000 + i, "failed", "stuck_or_timeout_failure", "j-" + std::to_string(i));
  }
  soci::session blocker(soci::postgresql, with_utc_sessions(database_.url()));
  soci::transaction hold(blocker);
  blocker << "LOCK TABLE consumer_offsets IN EXCLUSIVE MODE";

  auto processors = start_processors();
  ASSERT_TRUE(database_.wait_until_blocked_on("consumer_offsets")) << processors->log();
  processors->signal(SIGKILL);
  ASSERT_EQ(processors->wait(10s), 128 + SIGKILL);
  hold.rollback();
  EXPECT_EQ(database_.count("SELECT count(*) FROM applied_events"), 0);
  EXPECT_EQ(database_.count("SELECT count(*) FROM workflow_runs"), 0);

  auto restarted = start_processors();
  EXPECT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 2 * kPipelines),
            2 * kPipelines)
      << restarted->log();
  std::this_thread::sleep_for(1s);  // anything applied twice would show up now
  EXPECT_EQ(database_.count("SELECT count(*) FROM applied_events"), 2 * kPipelines);
  EXPECT_EQ(database_.count("SELECT count(*) FROM workflow_runs WHERE conclusion = 'failure'"),
            kPipelines);
  EXPECT_EQ(database_.count("SELECT count(*) FROM workflow_jobs"
                            " WHERE failure_reason = 'stuck_or_timeout_failure'"),
            kPipelines);
  EXPECT_EQ(database_.count("SELECT sum(runs) FROM ci_hourly"), kPipelines);
  EXPECT_EQ(database_.count("SELECT sum(failures) FROM ci_hourly"), kPipelines);
}

TEST_F(RunsGitLabTest, ReplayIntoAnEmptiedDatabaseRebuildsTheSameRows) {
  for (int i = 1; i <= 10; ++i) {
    pipeline(200 + i, "running", nullptr, "r-" + std::to_string(i));
    job(600 + i, 200 + i, i % 3 ? "success" : "failed", i % 3 ? nullptr : "script_failure",
        "rj-" + std::to_string(i));
    pipeline(200 + i, i % 3 ? "success" : "failed", "2026-11-23 10:05:00 UTC",
             "rf-" + std::to_string(i));
  }
  constexpr const char* kSnapshot =
      "SELECT (SELECT string_agg(concat_ws('|', repository_id, run_id, run_attempt, name,"
      " head_branch, status, conclusion, updated_at), ',' ORDER BY repository_id, run_id)"
      " FROM workflow_runs)"
      " || (SELECT string_agg(concat_ws('|', job_id, run_id, status, conclusion, failure_reason,"
      " html_url), ',' ORDER BY job_id) FROM workflow_jobs)"
      " || (SELECT string_agg(concat_ws('|', id, full_name, provider), ',' ORDER BY id)"
      " FROM repositories)"
      " || (SELECT sum(runs) || '/' || sum(failures) FROM ci_hourly)";
  auto processors = start_processors();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 30), 30)
      << processors->log();
  const auto before = database_.scalar(kSnapshot);
  processors->signal(SIGTERM);
  ASSERT_EQ(processors->wait(30s), 0) << processors->log();
  {
    soci::session sql(soci::postgresql, with_utc_sessions(database_.url()));
    sql << "TRUNCATE workflow_jobs, workflow_runs, applied_events, ci_hourly, ci_hourly_all,"
           " job_hourly, job_run_outcomes, flaky_runs, gitlab_pipeline_finishes, repositories"
           " CASCADE";
  }
  ChildProcess replay(
      {binary("faultline-processors"), "replay", "--group", "faultline-runs", "--to-beginning"},
      {{"FAULTLINE_DATABASE_URL", database_.url()},
       {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()}},
      scratch_path("replay-gitlab.log"));
  ASSERT_EQ(replay.wait(30s), 0) << replay.log();
  auto rebuilt = start_processors();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 30), 30)
      << rebuilt->log();
  EXPECT_EQ(database_.scalar(kSnapshot), before);
  EXPECT_NE(before.find("script_failure"), std::string::npos) << before;
}

}  // namespace
}  // namespace faultline::testing
