// common/kafka against the embedded broker: the producer starts over after a
// fatal error without losing a report or publishing anything twice.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "common/kafka.hpp"
#include "tests/support/environment.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTopic = "faultline.test.producer";

// Appended, not "m" + ...: GCC 12 warns falsely (-Wrestrict) on that form.
std::string numbered(int i) {
  std::string value = "m";
  value += std::to_string(i);
  return value;
}

kafka::OutgoingMessage message(const std::string& value) {
  return {kTopic, value, value, {}};
}

TEST(KafkaProducer, StartsOverAfterAFatalError) {
  TestBroker broker(3, {kTopic});
  kafka::Settings settings;
  settings.brokers = broker.bootstrap();
  kafka::Producer producer(settings, 10s);
  ASSERT_EQ(producer.produce_and_wait(message("first")), RD_KAFKA_RESP_ERR_NO_ERROR);

  // A stream of messages with a fatal error in the middle of it: each one is
  // either queued and reported once, or refused at once (never both, never neither).
  std::mutex mutex;
  std::map<std::string, rd_kafka_resp_err_t> reports;
  int refused = 0;
  constexpr int kMessages = 200;
  for (int i = 0; i < kMessages; ++i) {
    if (i == kMessages / 2)
      producer.inject_fatal_error("injected by the test");
    const auto value = numbered(i);
    try {
      producer.produce(message(value), [&, value](rd_kafka_resp_err_t err) {
        std::lock_guard lock(mutex);
        EXPECT_TRUE(reports.emplace(value, err).second) << value << " reported twice";
      });
    } catch (const kafka::Error&) {
      std::lock_guard lock(mutex);
      ++refused;
    }
  }
  EXPECT_TRUE(producer.flush(20s));
  EXPECT_EQ(producer.restarts(), 1);
  ASSERT_EQ(producer.produce_and_wait(message("last")), RD_KAFKA_RESP_ERR_NO_ERROR);

  std::set<std::string> acknowledged{"first", "last"};
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(static_cast<int>(reports.size()) + refused, kMessages);
    for (const auto& [value, err] : reports)
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        acknowledged.insert(value);
  }
  // Messages after the restart went through.
  EXPECT_TRUE(acknowledged.count(numbered(kMessages - 1)));

  // Every acknowledged message is on the topic exactly once.
  std::map<std::string, int> published;
  for (const auto& m : read_topic(broker.bootstrap(), kTopic, acknowledged.size(), 20s))
    ++published[m.value];
  for (const auto& value : acknowledged)
    EXPECT_EQ(published[value], 1) << value;
}

}  // namespace
}  // namespace faultline::testing
