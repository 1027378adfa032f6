// kafka::Error answers "may I try again?" and "is this client finished?"
// from librdkafka's own flags, or for a bare code as librdkafka and the Kafka
// protocol document it.

#include <gtest/gtest.h>

#include "common/kafka.hpp"

namespace faultline {
namespace {

using namespace std::chrono_literals;

TEST(KafkaError, TransientCodesAreRetriable) {
  for (const auto code :
       {// librdkafka's own
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__RESOLVE, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
        RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TIMED_OUT,
        RD_KAFKA_RESP_ERR__QUEUE_FULL,
        // the protocol's error table says "True"
        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED}) {
    EXPECT_TRUE(kafka::is_retriable(code)) << rd_kafka_err2name(code);
    EXPECT_FALSE(kafka::is_fatal(code)) << rd_kafka_err2name(code);
    const kafka::Error error("produce", code);
    EXPECT_TRUE(error.retriable()) << rd_kafka_err2name(code);
    EXPECT_FALSE(error.fatal()) << rd_kafka_err2name(code);
    EXPECT_EQ(error.code(), code);
  }
}

TEST(KafkaError, PermanentCodesAreNotRetriable) {
  for (const auto code :
       {RD_KAFKA_RESP_ERR_NO_ERROR, RD_KAFKA_RESP_ERR_UNKNOWN,
        // the protocol's error table says "False"
        RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_INVALID_REQUIRED_ACKS,
        RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
        RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS,
        RD_KAFKA_RESP_ERR_POLICY_VIOLATION,
        // librdkafka's own, about the request rather than the moment
        RD_KAFKA_RESP_ERR__INVALID_ARG, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__SSL,
        RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE,
        RD_KAFKA_RESP_ERR__FATAL}) {
    EXPECT_FALSE(kafka::is_retriable(code)) << rd_kafka_err2name(code);
    EXPECT_FALSE(kafka::Error("produce", code).retriable()) << rd_kafka_err2name(code);
  }
}

TEST(KafkaError, OnlyTheFatalCodeIsFatal) {
  EXPECT_TRUE(kafka::is_fatal(RD_KAFKA_RESP_ERR__FATAL));
  EXPECT_TRUE(kafka::Error("produce", RD_KAFKA_RESP_ERR__FATAL).fatal());
  // What a fatal error was raised for is not itself fatal in a report.
  for (const auto code : {RD_KAFKA_RESP_ERR_NO_ERROR, RD_KAFKA_RESP_ERR_UNKNOWN,
                          RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                          RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR__PURGE_QUEUE})
    EXPECT_FALSE(kafka::is_fatal(code)) << rd_kafka_err2name(code);
}

TEST(KafkaError, AnUnclassifiedErrorIsNeither) {
  const kafka::Error error("cannot create Kafka client");
  EXPECT_EQ(error.code(), RD_KAFKA_RESP_ERR_UNKNOWN);
  EXPECT_FALSE(error.retriable());
  EXPECT_FALSE(error.fatal());
}

// An error object's own flags win over the code's classification.
TEST(KafkaError, AnErrorObjectCarriesItsOwnFlags) {
  const kafka::ErrorPtr plain(rd_kafka_error_new(RD_KAFKA_RESP_ERR__TIMED_OUT, "waited %d ms", 5));
  const kafka::Error error("cannot seek", *plain);
  EXPECT_STREQ(error.what(), "cannot seek: waited 5 ms");
  EXPECT_EQ(error.code(), RD_KAFKA_RESP_ERR__TIMED_OUT);
  EXPECT_FALSE(error.retriable());  // librdkafka did not mark this one
  EXPECT_FALSE(error.fatal());
}

// A transactional producer that reaches no broker: librdkafka itself marks
// its timeout retriable.
kafka::HandlePtr transactional_producer() {
  kafka::Settings settings;
  settings.brokers = "127.0.0.1:9";  // nothing listens on the discard port
  settings.properties = {{"transactional.id", "faultline-unit"}, {"log_level", "0"}};
  return kafka::make_client(RD_KAFKA_PRODUCER, settings);
}

TEST(KafkaError, LibrdkafkaMarksATimedOutCallRetriable) {
  const auto producer = transactional_producer();
  const kafka::ErrorPtr raw(rd_kafka_init_transactions(producer.get(), 200));
  ASSERT_TRUE(raw);
  const kafka::Error error("cannot start transactions", *raw);
  EXPECT_EQ(error.code(), RD_KAFKA_RESP_ERR__TIMED_OUT) << error.what();
  EXPECT_TRUE(error.retriable()) << error.what();
  EXPECT_FALSE(error.fatal()) << error.what();
}

}  // namespace
}  // namespace faultline
