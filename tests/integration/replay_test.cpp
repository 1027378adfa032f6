// faultline-processors replay: rewinding a group's offsets and rebuilding the
// state from the topics.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <thread>

#include "common/database.hpp"
#include "common/soci.hpp"
#include "common/time.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/run_events.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRunsSnapshot =
    "SELECT string_agg(concat_ws('|', repository_id, run_id, run_attempt, name, head_branch,"
    " status, conclusion, updated_at), E'\\n' ORDER BY repository_id, run_id, run_attempt)"
    " FROM workflow_runs";

// The analytics rollups, counted from GitHub's timestamps, not Faultline's.
constexpr const char* kRollupsSnapshot =
    "SELECT string_agg(concat_ws('|', repository_id, workflow, bucket_start, runs, failures,"
    " flaky_runs, durations, queue_times), E'\\n' ORDER BY repository_id, workflow, bucket_start)"
    " FROM ci_hourly";

// Failure-only keys: their incidents do not depend on the order of arrival.
constexpr const char* kIncidentsSnapshot =
    "SELECT string_agg(concat_ws('|', repository_id, workflow_key, branch, state, occurrences),"
    " E'\\n' ORDER BY repository_id, workflow_key, branch) FROM incidents";

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    producer_ = std::make_unique<kafka::Producer>(kafka::Settings{broker_.bootstrap(), {}}, 10s);
  }

  std::map<std::string, std::string> environment() const {
    return {{"FAULTLINE_DATABASE_URL", database_.url()},
            {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
            {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"}};
  }

  std::unique_ptr<ChildProcess> start_processors() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-processors"), "--roles", "runs,incidents"},
        environment(), scratch_path("processors.log"));
  }

  int replay(std::vector<std::string> args) {
    args.insert(args.begin(), {binary("faultline-processors"), "replay"});
    ChildProcess process(args, environment(), scratch_path("replay.log"));
    const int status = process.wait(30s);
    replay_log_ = process.log();
    return status;
  }

  // How many of the last replay's rewound partitions were placed by `source`.
  std::size_t rewound_by(const std::string& source) const {
    std::size_t count = 0;
    for (auto at = replay_log_.find("\"source\":\"" + source + "\""); at != std::string::npos;
         at = replay_log_.find("\"source\":\"" + source + "\"", at + 1))
      ++count;
    return count;
  }

  // Runs on three branches: each goes queued, in progress, then fails or succeeds.
  void publish_runs(int first, int count) {
    for (int i = first; i < first + count; ++i) {
      for (const char* status : {"queued", "in_progress", "completed"}) {
        RunSpec spec;
        spec.run_id = 7000 + i;
        spec.status = status;
        spec.branch = i % 3 == 0 ? "main" : i % 3 == 1 ? "dev" : "release";
        spec.workflow = i % 2 ? "CI" : "Nightly";
        spec.workflow_id = i % 2 ? 1 : 2;
        if (std::string(status) == "completed")
          spec.conclusion = spec.branch == "release" ? "success" : "failure";
        spec.updated_at = std::string("2026-11-23T10:0") +
                          (status[0] == 'q'   ? "1"
                           : status[0] == 'i' ? "2"
                                              : "3") +
                          ":00Z";
        spec.delivery_id = "replay-" + std::to_string(i) + "-" + status;
        ASSERT_EQ(producer_->produce_and_wait(run_message(run_event(spec))),
                  RD_KAFKA_RESP_ERR_NO_ERROR);
      }
    }
  }

  TestDatabase database_;
  TestBroker broker_;
  std::unique_ptr<kafka::Producer> producer_;
  std::string replay_log_;
};

TEST_F(ReplayTest, ReplayFromTheBeginningIntoAnEmptiedDatabaseRebuildsTheSameState) {
  publish_runs(0, 40);
  auto processors = start_processors();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 120), 120)
      << processors->log();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_runs", 27), 27)
      << processors->log();
  const auto runs = database_.scalar(kRunsSnapshot);
  const auto incidents = database_.scalar(kIncidentsSnapshot);
  const auto rollups = database_.scalar(kRollupsSnapshot);
  ASSERT_EQ(database_.count("SELECT sum(runs) FROM ci_hourly"), 40);  // every run counted once
  ASSERT_EQ(database_.count("SELECT sum(runs) FROM ci_hourly_all"), 40);
  ASSERT_FALSE(runs.empty());
  ASSERT_FALSE(incidents.empty());

  processors->signal(SIGTERM);
  ASSERT_EQ(processors->wait(30s), 0) << processors->log();
  {
    soci::session sql(soci::postgresql, with_utc_sessions(database_.url()));
    sql << "TRUNCATE fix_model_calls, fix_proposals, workflow_jobs, workflow_runs, applied_events,"
           " incident_runs, incident_issues,"
           " incident_failure_contexts, job_failures, ci_hourly, ci_hourly_all, job_hourly,"
           " job_run_outcomes, flaky_runs, failure_signatures, failure_signature_daily,"
           " incidents, outbox, github_calls, redelivery_requests, reconciliations, repositories"
           " RESTART IDENTITY";
  }
  EXPECT_EQ(replay({"--group", "faultline-runs", "--to-beginning"}), 0);
  EXPECT_EQ(replay({"--group", "faultline-incidents", "--to-beginning"}), 0);
  EXPECT_EQ(database_.count("SELECT count(*) FROM consumer_offsets"), 0);

  auto rebuilt = start_processors();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 120), 120)
      << rebuilt->log();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incident_runs", 27), 27)
      << rebuilt->log();
  EXPECT_EQ(database_.scalar(kRunsSnapshot), runs);
  EXPECT_EQ(database_.scalar(kIncidentsSnapshot), incidents);
  EXPECT_EQ(database_.scalar(kRollupsSnapshot), rollups);
}

TEST_F(ReplayTest, ReplayToATimestampRewindsToTheFirstEventAtOrAfterIt) {
  publish_runs(0, 10);
  std::this_thread::sleep_for(1500ms);
  const std::string middle = utc_now_rfc3339();
  std::this_thread::sleep_for(1500ms);
  publish_runs(10, 10);

  auto processors = start_processors();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 60), 60)
      << processors->log();
  processors->signal(SIGTERM);
  ASSERT_EQ(processors->wait(30s), 0);

  // Expected: per partition, the first offset of the second wave.
  const auto expected = database_.scalar(
      "SELECT string_agg(partition || ':' || first, ',' ORDER BY partition) FROM ("
      " SELECT partition, min(\"offset\") AS first FROM applied_events"
      " WHERE delivery_id LIKE 'replay-1_-%' GROUP BY partition) x");
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(replay({"--group", "faultline-runs", "--to-timestamp", middle}), 0);
  const auto rewound = database_.scalar(
      "SELECT string_agg(partition || ':' || next_offset, ',' ORDER BY partition)"
      " FROM consumer_offsets WHERE group_id = 'faultline-runs' AND topic = 'ci.workflow_run.v1'"
      " AND partition IN (SELECT partition FROM applied_events WHERE delivery_id LIKE "
      "'replay-1_-%')");
  EXPECT_EQ(rewound, expected);
  // A real broker answers ListOffsets by timestamp; the embedded one cannot,
  // and the offsets recorded in applied_events stand in.
  const auto partitions = std::count(expected.begin(), expected.end(), ':');
  if (broker_.real()) {
    EXPECT_EQ(rewound_by("broker"), static_cast<std::size_t>(partitions)) << replay_log_;
    EXPECT_EQ(rewound_by("applied_events"), 0u) << replay_log_;
  } else {
    EXPECT_EQ(rewound_by("applied_events"), static_cast<std::size_t>(partitions)) << replay_log_;
    EXPECT_EQ(rewound_by("broker"), 0u) << replay_log_;
  }

  // Applying the rewound range again leaves the runs as they were.
  const auto before = database_.scalar(kRunsSnapshot);
  auto again = start_processors();
  EXPECT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 90), 90)
      << again->log();
  EXPECT_EQ(database_.scalar(kRunsSnapshot), before);
}

TEST_F(ReplayTest, RefusesUnclearRequests) {
  EXPECT_EQ(replay({"--group", "faultline-runs"}), 2);
  EXPECT_EQ(replay({"--group", "faultline-runs", "--to-beginning", "--to-timestamp",
                    "2026-11-23T00:00:00Z"}),
            2);
  EXPECT_EQ(replay({"--group", "faultline-runs", "--to-timestamp", "yesterday"}), 2);
  EXPECT_EQ(replay({"--to-beginning"}), 2);
}

}  // namespace
}  // namespace faultline::testing
