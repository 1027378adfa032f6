// processors/retention: applied_events past the retention are deleted, in
// batches, and nothing newer is touched; faultline-processors does it on its own.

#include <gtest/gtest.h>

#include "common/database.hpp"
#include "common/stop_signal.hpp"
#include "processors/retention.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/process.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

// `count` rows of applied_events whose events are `age` old.
std::string applied_events(int first, int count, const char* age) {
  return "INSERT INTO applied_events (group_id, topic, partition, \"offset\", delivery_id,"
         " repository_id, run_id, kafka_timestamp)"
         " SELECT 'faultline-runs', 'ci.workflow_run.v1', 0, g, 'd-' || g, 1, g, now() - interval "
         "'" +
         std::string(age) + "' FROM generate_series(" + std::to_string(first) + ", " +
         std::to_string(first + count - 1) + ") g";
}

constexpr const char* kOlderThanAWeek =
    "SELECT count(*) FROM applied_events WHERE kafka_timestamp < now() - interval '7 days'";

TEST(Retention, DeletesOnlyWhatIsPastTheRetentionInBatches) {
  TestDatabase database;
  database.execute(applied_events(1, 2500, "10 days"));
  database.execute(applied_events(3000, 300, "6 days 23 hours"));
  Database pool(DatabaseSettings{database.url(), 1});
  metrics::Registry registry;
  processors::Retention retention(pool, std::chrono::hours(24 * 7), registry);
  const StopSignal stop;

  EXPECT_EQ(retention.prune(stop, 1000), 2500);  // 1,000 + 1,000 + 500
  EXPECT_EQ(database.count(kOlderThanAWeek), 0);
  EXPECT_EQ(database.count("SELECT count(*) FROM applied_events"), 300);
  EXPECT_EQ(retention.prune(stop, 1000), 0);
  EXPECT_NE(registry.render().find("faultline_processor_applied_events_pruned_total 2500"),
            std::string::npos)
      << registry.render();
}

TEST(Retention, ProcessorsPruneOnTheirOwn) {
  TestDatabase database;
  TestBroker broker;
  database.execute(applied_events(1, 500, "2 hours"));
  database.execute(applied_events(1000, 50, "10 minutes"));
  ChildProcess processors({binary("faultline-processors"), "--roles", "runs"},
                          {{"FAULTLINE_DATABASE_URL", database.url()},
                           {"FAULTLINE_KAFKA_BROKERS", broker.bootstrap()},
                           {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"},
                           {"FAULTLINE_APPLIED_EVENTS_RETENTION", "1h"},
                           {"FAULTLINE_RETENTION_INTERVAL", "1s"}},
                          scratch_path("processors-retention.log"));
  EXPECT_EQ(database.wait_for_count("SELECT count(*) FROM applied_events", 50, 30s), 50);
  EXPECT_NE(processors.wait_for_log("applied events past the retention deleted", 10s)
                .find("\"rows\":500"),
            std::string::npos);
}

}  // namespace
}  // namespace faultline::testing
