// processors::TransactionalConsumer in this process, against real PostgreSQL
// and a mock cluster of its own whose broker refuses produce requests on cue:
// a dead letter the broker will not take holds the batch back whole, as an
// unavailable database would, and is not taken for a message at fault.

#include "processors/transactional_consumer.hpp"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "common/database.hpp"
#include "common/kafka.hpp"
#include "common/metrics.hpp"
#include "common/stop_signal.hpp"
#include "common/topics.hpp"
#include "tests/support/environment.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTopic = "faultline.test.consumer";
constexpr const char* kGroup = "faultline-test-consumer";
constexpr std::int16_t kProduceRequest = 0;  // the Kafka protocol's ApiKey for Produce

struct MockClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* cluster) const {
    rd_kafka_mock_cluster_destroy(cluster);
  }
};

// Hands back the message "poison" as one it can never apply; remembers the
// offsets of every batch it was given.
class PoisonRejectingHandler : public processors::BatchHandler {
 public:
  std::vector<processors::Rejection> apply(soci::session&,
                                           const std::vector<kafka::Message>& batch) override {
    std::vector<processors::Rejection> rejections;
    std::vector<std::int64_t> offsets;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      offsets.push_back(batch[i].offset());
      if (batch[i].value() == "poison")
        rejections.push_back({i, "poison is no event"});
    }
    std::lock_guard lock(mutex_);
    batches_.push_back(std::move(offsets));
    return rejections;
  }

  std::vector<std::vector<std::int64_t>> batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::vector<std::int64_t>> batches_;
};

class TransactionalConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The mock cluster lives inside a client handle that is never used otherwise.
    char error[512];
    owner_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), error, sizeof error));
    ASSERT_TRUE(owner_) << error;
    cluster_.reset(rd_kafka_mock_cluster_new(owner_.get(), 1));
    ASSERT_TRUE(cluster_);
    for (const char* topic : {kTopic, topics::kDeadLetter})
      ASSERT_EQ(rd_kafka_mock_topic_create(cluster_.get(), topic, 1, 1),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    settings_.brokers = rd_kafka_mock_cluster_bootstraps(cluster_.get());
  }

  std::uint64_t counter(const char* name) {
    return registry_.counter(name, "", {{"group", kGroup}}).value();
  }

  TestDatabase database_;
  kafka::HandlePtr owner_;
  std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDeleter> cluster_;
  kafka::Settings settings_;
  metrics::Registry registry_;
};

TEST_F(TransactionalConsumerTest, ADeadLetterTheBrokerRefusesIsRetriedWithTheWholeBatch) {
  {
    // Queued together, so they share a record batch and are fetched as one batch.
    kafka::Producer producer(settings_, 10s);
    std::atomic<int> acknowledged{0};
    for (const char* value : {"first", "poison", "last"})
      producer.produce({kTopic, value, value, {}}, [&](rd_kafka_resp_err_t err) {
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
          ++acknowledged;
      });
    ASSERT_TRUE(producer.flush(10s));
    ASSERT_EQ(acknowledged, 3);
  }
  // The next three produce requests, which can only be dead letters, are
  // refused for good: librdkafka does not retry a policy violation itself.
  rd_kafka_mock_push_request_errors(
      cluster_.get(), kProduceRequest, 3, RD_KAFKA_RESP_ERR_POLICY_VIOLATION,
      RD_KAFKA_RESP_ERR_POLICY_VIOLATION, RD_KAFKA_RESP_ERR_POLICY_VIOLATION);

  Database database(DatabaseSettings{with_utc_sessions(database_.url()), 2});
  kafka::Producer dead_letters(settings_, 10s);
  PoisonRejectingHandler handler;
  processors::TransactionalConsumer consumer({kGroup, {kTopic}, 500, 50ms, 3}, settings_, database,
                                             dead_letters, handler, registry_);
  StopSignal stop;
  std::thread running([&] { consumer.run(stop); });
  const auto committed = database_.wait_for_count(
      "SELECT count(*) FROM consumer_offsets WHERE group_id = 'faultline-test-consumer'"
      " AND next_offset = 3",
      1, 60s);
  stop.request_stop();
  running.join();
  ASSERT_EQ(committed, 1);

  // Four tries of the same whole batch: three rolled back because the broker
  // refused the dead letter, then one that committed. Never split.
  const auto batches = handler.batches();
  ASSERT_EQ(batches.size(), 4u);
  for (const auto& batch : batches)
    EXPECT_EQ(batch, (std::vector<std::int64_t>{0, 1, 2}));
  EXPECT_EQ(counter("faultline_processor_batch_failures_total"), 3u);
  EXPECT_EQ(counter("faultline_processor_messages_applied_total"), 3u);
  EXPECT_EQ(counter("faultline_processor_messages_dead_lettered_total"), 1u);

  // The poison reached the dead-letter topic once, with the handler's reason.
  const auto dead = read_topic(settings_.brokers, topics::kDeadLetter, 2, 3s);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].value, "poison");
  std::map<std::string, std::string> headers(dead[0].headers.begin(), dead[0].headers.end());
  EXPECT_EQ(headers["faultline_error"], "poison is no event");
  EXPECT_EQ(headers["faultline_source_offset"], "1");
}

}  // namespace
}  // namespace faultline::testing
