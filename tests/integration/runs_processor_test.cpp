// faultline-processors (role runs) against real PostgreSQL and the embedded
// broker: exactly-once under crashes, and state that never goes backwards.

#include <gtest/gtest.h>
#include <signal.h>

#include <random>
#include <thread>

#include "common/cloudevents.hpp"
#include "common/database.hpp"
#include "common/events.hpp"
#include "common/kafka.hpp"
#include "common/soci.hpp"
#include "common/time.hpp"
#include "common/topics.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/run_events.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

events::WorkflowRunEvent run_event(std::int64_t run_id, const std::string& status,
                                   const std::string& updated_at, const std::string& delivery,
                                   std::int64_t attempt = 1,
                                   std::optional<std::string> conclusion = std::nullopt) {
  RunSpec spec;
  spec.run_id = run_id;
  spec.status = status;
  spec.updated_at = updated_at;
  spec.delivery_id = delivery;
  spec.attempt = attempt;
  spec.conclusion = std::move(conclusion);
  return testing::run_event(spec);
}

class RunsProcessorTest : public ::testing::Test {
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
        scratch_path("processors.log"));
  }

  void publish(const events::WorkflowRunEvent& e) {
    ASSERT_EQ(producer_->produce_and_wait(run_message(e)), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  TestDatabase database_;
  TestBroker broker_;
  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(RunsProcessorTest, RunsStoredBeforeTheRollupsExistedAreCountedOnceAtStart) {
  {
    soci::session sql(soci::postgresql, with_utc_sessions(database_.url()));
    sql << "INSERT INTO repositories (id, full_name) VALUES (555, 'octo/widgets')";
    sql << "INSERT INTO workflow_runs (repository_id, run_id, run_attempt, name, status, "
           "conclusion,"
           " created_at, run_started_at, updated_at)"
           " SELECT 555, g, 1, 'CI', 'completed', CASE WHEN g % 3 = 0 THEN 'failure' ELSE 'success'"
           " END, '2026-11-20T10:00:00Z', '2026-11-20T10:00:00Z', '2026-11-20T10:05:00Z'"
           " FROM generate_series(1, 12000) g";  // more than one transaction's worth
  }
  for (int start = 0; start < 2; ++start) {  // the second start finds nothing left to count
    auto processors = start_processors();
    processors->wait_for_log("\"msg\":\"started\"", 60s);
    EXPECT_EQ(database_.count("SELECT sum(runs) FROM ci_hourly"), 12000) << processors->log();
    EXPECT_EQ(database_.count("SELECT sum(failures) FROM ci_hourly_all"), 4000);
    EXPECT_EQ(database_.count("SELECT sum(n) FROM ci_hourly, unnest(durations) n"), 12000);
    EXPECT_EQ(processors->log().find("counted stored runs") != std::string::npos, start == 0);
  }
}

TEST_F(RunsProcessorTest, KilledWhileItsTransactionIsOpenLosesAndDuplicatesNothing) {
  constexpr int kRuns = 300;
  for (int i = 1; i <= kRuns; ++i)
    publish(run_event(1000 + i, "completed", "2026-11-23T10:05:00Z", "d-" + std::to_string(i), 1,
                      "success"));

  // Hold the offsets table so the processor's first batch writes its rows and
  // then blocks inside its open transaction, right before storing offsets.
  soci::session blocker(soci::postgresql, with_utc_sessions(database_.url()));
  soci::transaction hold(blocker);
  blocker << "LOCK TABLE consumer_offsets IN EXCLUSIVE MODE";

  auto processors = start_processors();
  ASSERT_TRUE(database_.wait_until_blocked_on("consumer_offsets")) << processors->log();

  processors->signal(SIGKILL);  // a real crash, mid-batch
  ASSERT_EQ(processors->wait(10s), 128 + SIGKILL);
  hold.rollback();

  // The batch's rows were written but never committed.
  EXPECT_EQ(database_.count("SELECT count(*) FROM applied_events"), 0);
  EXPECT_EQ(database_.count("SELECT count(*) FROM workflow_runs"), 0);

  auto restarted = start_processors();
  EXPECT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", kRuns), kRuns)
      << restarted->log();
  std::this_thread::sleep_for(1s);  // anything applied twice would show up now
  EXPECT_EQ(database_.count("SELECT count(*) FROM applied_events"), kRuns);
  EXPECT_EQ(database_.count("SELECT count(DISTINCT delivery_id) FROM applied_events"), kRuns);
  EXPECT_EQ(database_.count("SELECT count(*) FROM workflow_runs WHERE status = 'completed'"),
            kRuns);
  // Counted into the rollups once: the crashed batch's counting went with it.
  EXPECT_EQ(database_.count("SELECT sum(runs) FROM ci_hourly"), kRuns);
  EXPECT_EQ(database_.count("SELECT sum(runs) FROM ci_hourly_all"), kRuns);
}

TEST_F(RunsProcessorTest, RepeatedCrashesAtRandomMomentsStillApplyEveryEventOnce) {
  constexpr int kEvents = 2000;
  std::thread stream([&] {
    for (int i = 1; i <= kEvents; ++i) {
      // Runs see queued, then in_progress, then completed; some duplicates.
      const int run = 5000 + i / 3;
      const char* status = i % 3 == 0 ? "queued" : i % 3 == 1 ? "in_progress" : "completed";
      publish(run_event(run, status, "2026-11-23T10:0" + std::to_string(i % 3) + ":00Z",
                        "stream-" + std::to_string(i)));
    }
  });
  std::mt19937 random(42);
  std::unique_ptr<ChildProcess> processors;
  for (int crash = 0; crash < 5; ++crash) {
    processors = start_processors();
    std::this_thread::sleep_for(std::chrono::milliseconds(3500 + random() % 1500));
    processors->signal(SIGKILL);
    processors->wait(10s);
  }
  stream.join();
  processors = start_processors();
  EXPECT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", kEvents, 90s), kEvents)
      << processors->log();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(database_.count("SELECT count(*) FROM applied_events"), kEvents);
  EXPECT_EQ(
      database_.count("SELECT count(DISTINCT (topic, partition, \"offset\")) FROM applied_events"),
      kEvents);
  // Every run stored completed is counted once, however often it was delivered.
  const auto completed =
      database_.count("SELECT count(*) FROM workflow_runs WHERE status = 'completed'");
  EXPECT_GT(completed, 0);
  EXPECT_EQ(database_.count("SELECT sum(runs) FROM ci_hourly_all"), completed);
  EXPECT_EQ(database_.count("SELECT count(*) FROM workflow_runs"
                            " WHERE status = 'completed' AND counted_in IS NULL"),
            0);
}

TEST_F(RunsProcessorTest, OutOfOrderAndDuplicateDeliveriesLeaveTheRightState) {
  // Completed arrives first, then the late in_progress and queued, then a redelivery.
  publish(run_event(42, "completed", "2026-11-23T10:05:00Z", "late-1", 1, "failure"));
  publish(run_event(42, "in_progress", "2026-11-23T10:03:00Z", "late-2"));
  publish(run_event(42, "queued", "2026-11-23T10:01:00Z", "late-3"));
  publish(run_event(42, "completed", "2026-11-23T10:05:00Z", "late-1", 1, "failure"));
  // A second attempt is a new row, not a change to the first.
  publish(run_event(42, "in_progress", "2026-11-23T10:20:00Z", "retry-1", 2));

  auto processors = start_processors();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM applied_events", 5), 5)
      << processors->log();
  EXPECT_EQ(database_.scalar("SELECT status || '/' || conclusion FROM workflow_runs"
                             " WHERE run_id = 42 AND run_attempt = 1"),
            "completed/failure");
  EXPECT_EQ(
      database_.scalar("SELECT status FROM workflow_runs WHERE run_id = 42 AND run_attempt = 2"),
      "in_progress");
  EXPECT_EQ(database_.count("SELECT count(*) FROM workflow_runs WHERE run_id = 42"), 2);
  // The redelivered completion is not counted again; the attempt in progress not yet.
  EXPECT_EQ(database_.count("SELECT sum(runs) FROM ci_hourly"), 1);
  EXPECT_EQ(database_.count("SELECT sum(failures) FROM ci_hourly"), 1);
}

TEST_F(RunsProcessorTest, DeadLettersWhatItCannotParseAndMovesOn) {
  ASSERT_EQ(
      producer_->produce_and_wait({topics::kWorkflowRun, "555/1", "{this is not an event", {}}),
      RD_KAFKA_RESP_ERR_NO_ERROR);
  publish(run_event(77, "queued", "2026-11-23T10:00:00Z", "after-poison"));

  auto processors = start_processors();
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM workflow_runs WHERE run_id = 77", 1), 1)
      << processors->log();
  const auto dead = read_topic(broker_.bootstrap(), topics::kDeadLetter, 1, 10s);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].value, "{this is not an event");
  std::map<std::string, std::string> headers(dead[0].headers.begin(), dead[0].headers.end());
  EXPECT_EQ(headers["faultline_source_topic"], topics::kWorkflowRun);
  EXPECT_FALSE(headers["faultline_source_offset"].empty());
  EXPECT_NE(headers["faultline_error"].find("invalid JSON"), std::string::npos);
}

}  // namespace
}  // namespace faultline::testing
