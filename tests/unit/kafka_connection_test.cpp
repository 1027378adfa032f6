// How a client's connection errors become one problem an operator reads once:
// librdkafka's texts as a real Kafka 3.9 cluster produced them.

#include <gtest/gtest.h>

#include "common/kafka.hpp"

namespace faultline::kafka {
namespace {

constexpr const char* kAuthFirst =
    "sasl_ssl://127.0.0.1:42556/bootstrap: SASL authentication error: Authentication failed "
    "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after "
    "784ms in state AUTH_REQ)";
constexpr const char* kAuthRetry =
    "sasl_ssl://127.0.0.1:28725/bootstrap: SASL authentication error: Authentication failed "
    "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512 (after "
    "473ms in state AUTH_REQ, 1 identical error(s) suppressed)";
constexpr const char* kUntrusted =
    "sasl_ssl://127.0.0.1:34663/bootstrap: SSL handshake failed: error:0A000086:SSL "
    "routines::certificate verify failed: broker certificate could not be verified, verify that "
    "ssl.ca.location is correctly configured or root CA certificates are installed (install "
    "ca-certificates package) (after 47ms in state SSL_HANDSHAKE)";
constexpr const char* kRefused =
    "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in "
    "state CONNECT)";

TEST(KafkaStableReason, DropsTheBrokerTheThreadAndTheRetrysTail) {
  const std::string auth =
      "SASL authentication error: Authentication failed during authentication due to invalid "
      "credentials with SASL mechanism SCRAM-SHA-512";
  EXPECT_EQ(stable_reason(kAuthFirst), auth);
  EXPECT_EQ(stable_reason(kAuthRetry), auth);
  EXPECT_EQ(
      stable_reason(std::string("[thrd:sasl_ssl://127.0.0.1:42556/bootstrap]: ") + kAuthFirst),
      auth);
  EXPECT_EQ(stable_reason(std::string("[thrd:app]: rdkafka#consumer-1: ") + kAuthRetry), auth);
  EXPECT_EQ(stable_reason(kRefused), "Connect to ipv4#127.0.0.1:1 failed: Connection refused");
  // Text that is not a broker's name, or a parenthesis of its own, stays.
  EXPECT_EQ(stable_reason("3/3 brokers are down"), "3/3 brokers are down");
  EXPECT_EQ(stable_reason("Broker: Not coordinator (retrying)"),
            "Broker: Not coordinator (retrying)");
}

TEST(KafkaConnectionError, NamesTheCauseInASentence) {
  EXPECT_EQ(describe_connection_error(RD_KAFKA_RESP_ERR__AUTHENTICATION, kAuthRetry),
            "Kafka: SASL authentication failed: Authentication failed during authentication due "
            "to invalid credentials with SASL mechanism SCRAM-SHA-512");
  EXPECT_EQ(describe_connection_error(RD_KAFKA_RESP_ERR__SSL, kUntrusted)
                .rfind("Kafka: SSL handshake failed: error:0A000086:SSL routines::certificate "
                       "verify failed",
                       0),
            0u);
  EXPECT_EQ(describe_connection_error(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "3/3 brokers are down"),
            "Kafka: no broker is reachable (3/3 brokers are down)");
  EXPECT_EQ(describe_connection_error(RD_KAFKA_RESP_ERR__AUTHENTICATION, "Unsupported mechanism"),
            "Kafka: authentication failed: Unsupported mechanism");
}

TEST(KafkaConnectionError, KnowsWhichCodesAreAboutConnections) {
  for (const auto code : {RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR__SSL,
                          RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TRANSPORT,
                          RD_KAFKA_RESP_ERR__RESOLVE, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED})
    EXPECT_TRUE(is_connection_error(code)) << rd_kafka_err2name(code);
  for (const auto code : {RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
                          RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR_NO_ERROR})
    EXPECT_FALSE(is_connection_error(code)) << rd_kafka_err2name(code);
}

TEST(KafkaConnectionHealth, ReportsARepeatedFailureOnceAcrossRetriesAndBrokers) {
  ConnectionHealth health;
  EXPECT_FALSE(health.problem());
  const auto first = health.report(RD_KAFKA_RESP_ERR__AUTHENTICATION, kAuthFirst);
  ASSERT_TRUE(first);
  EXPECT_NE(first->find("SASL authentication failed"), std::string::npos);
  EXPECT_FALSE(health.report(RD_KAFKA_RESP_ERR__AUTHENTICATION, kAuthRetry));
  EXPECT_FALSE(health.report(RD_KAFKA_RESP_ERR__AUTHENTICATION, kAuthFirst));
  // "All brokers are down" says less than why: the cause stays.
  EXPECT_FALSE(health.report(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "3/3 brokers are down"));
  EXPECT_EQ(health.problem(), first);
  EXPECT_TRUE(health.troubled());
}

TEST(KafkaConnectionHealth, ADifferentCauseIsAChange) {
  ConnectionHealth health;
  ASSERT_TRUE(health.report(RD_KAFKA_RESP_ERR__AUTHENTICATION, kAuthFirst));
  const auto tls = health.report(RD_KAFKA_RESP_ERR__SSL, kUntrusted);
  ASSERT_TRUE(tls);
  EXPECT_NE(tls->find("certificate verify failed"), std::string::npos);
  EXPECT_EQ(health.problem(), tls);
}

TEST(KafkaConnectionHealth, OneBrokersTransportFailureIsNoProblemUntilAllAreDown) {
  ConnectionHealth health;
  EXPECT_FALSE(health.report(RD_KAFKA_RESP_ERR__TRANSPORT, kRefused));
  EXPECT_FALSE(health.problem());
  EXPECT_FALSE(health.troubled());
  const auto down = health.report(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "1/1 brokers are down");
  ASSERT_TRUE(down);
  EXPECT_EQ(*down,
            "Kafka: no broker is reachable (1/1 brokers are down); last error: Connect to "
            "ipv4#127.0.0.1:1 failed: Connection refused");
  // Further retries while down change nothing; a precise cause does.
  EXPECT_FALSE(health.report(RD_KAFKA_RESP_ERR__TRANSPORT, kRefused));
  EXPECT_FALSE(health.report(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "1/1 brokers are down"));
  EXPECT_TRUE(health.report(RD_KAFKA_RESP_ERR__AUTHENTICATION, kAuthFirst));
}

TEST(KafkaConnectionHealth, AnAnswerEndsTheProblemAndTheSameCauseLaterIsNewAgain) {
  ConnectionHealth health;
  EXPECT_FALSE(health.answered());
  const auto first = health.report(RD_KAFKA_RESP_ERR__SSL, kUntrusted);
  ASSERT_TRUE(first);
  EXPECT_EQ(health.answered(), first);
  EXPECT_FALSE(health.problem());
  EXPECT_FALSE(health.troubled());
  EXPECT_FALSE(health.answered());
  EXPECT_EQ(health.report(RD_KAFKA_RESP_ERR__SSL, kUntrusted), first);
  // The transport detail of an earlier outage is forgotten too.
  health.answered();
  health.report(RD_KAFKA_RESP_ERR__TRANSPORT, kRefused);
  health.answered();
  EXPECT_EQ(health.report(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "3/3 brokers are down"),
            "Kafka: no broker is reachable (3/3 brokers are down)");
}

TEST(KafkaRepeatFilter, PassesTheFirstDropsRepeatsWithinTheWindowAndCountsThem) {
  using namespace std::chrono_literals;
  RepeatFilter filter(5min);
  const RepeatFilter::Clock::time_point t0{};
  EXPECT_EQ(filter.admit("FAIL: a", t0), 0u);
  EXPECT_FALSE(filter.admit("FAIL: a", t0 + 1s));
  EXPECT_FALSE(filter.admit("FAIL: a", t0 + 4min));
  EXPECT_EQ(filter.admit("FAIL: b", t0 + 4min), 0u);
  EXPECT_EQ(filter.admit("FAIL: a", t0 + 5min), 2u);
  EXPECT_FALSE(filter.admit("FAIL: a", t0 + 6min));
  EXPECT_EQ(filter.admit("FAIL: a", t0 + 11min), 1u);
}

TEST(KafkaRepeatFilter, StaysBoundedByForgettingWhatIsPastItsWindow) {
  using namespace std::chrono_literals;
  RepeatFilter filter(1min, 2);
  const RepeatFilter::Clock::time_point t0{};
  EXPECT_EQ(filter.admit("a", t0), 0u);
  EXPECT_EQ(filter.admit("b", t0 + 30s), 0u);
  EXPECT_EQ(filter.admit("c", t0 + 70s), 0u);  // "a" forgotten, "b" kept
  EXPECT_FALSE(filter.admit("b", t0 + 80s));
  EXPECT_EQ(filter.admit("a", t0 + 80s), 0u);  // full again: everything forgotten
  EXPECT_EQ(filter.admit("b", t0 + 81s), 0u);
}

TEST(KafkaSecrets, PropertiesHoldingSecretsAreKnownByName) {
  for (const char* name :
       {"sasl.password", "ssl.key.password", "ssl.keystore.password",
        "sasl.oauthbearer.client.secret", "ssl.key.pem", "sasl.oauthbearer.config"})
    EXPECT_TRUE(is_secret_property(name)) << name;
  for (const char* name : {"sasl.username", "security.protocol", "ssl.ca.location"})
    EXPECT_FALSE(is_secret_property(name)) << name;
}

TEST(KafkaSecrets, AConfiguredSecretNeverLeavesInALogText) {
  // make_client records secret values as it sets them, like every client.
  const std::string password = "unit-test-password-8c1f";
  Settings settings;
  settings.properties = {{"sasl.password", password}};
  const auto client = make_client(RD_KAFKA_PRODUCER, settings);
  EXPECT_EQ(redact("auth with " + password + " failed; again " + password),
            "auth with [redacted] failed; again [redacted]");
  EXPECT_EQ(redact("user faultline"), "user faultline");
}

}  // namespace
}  // namespace faultline::kafka
