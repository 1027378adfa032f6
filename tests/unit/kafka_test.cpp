#include "common/kafka.hpp"

#include <gtest/gtest.h>

#include "common/config.hpp"

namespace faultline {
namespace {

// Environment from exactly these variables (a braced list is ambiguous with its copy constructor).
Environment env_of(std::map<std::string, std::string> variables) {
  return Environment(std::move(variables));
}

TEST(KafkaSettings, MapsPrefixedVariablesToProperties) {
  const auto s = kafka::Settings::from(env_of({{"FAULTLINE_KAFKA_BROKERS", "k1:9092,k2:9092"},
                                               {"FAULTLINE_KAFKA_SECURITY_PROTOCOL", "SSL"},
                                               {"FAULTLINE_KAFKA_SASL_MECHANISMS", "PLAIN"},
                                               {"FAULTLINE_DATABASE_URL", "postgresql://x"}}));
  EXPECT_EQ(s.brokers, "k1:9092,k2:9092");
  EXPECT_EQ(s.properties, (std::map<std::string, std::string>{{"sasl.mechanisms", "PLAIN"},
                                                              {"security.protocol", "SSL"}}));
  EXPECT_EQ(s.properties.count("brokers"), 0u);
  EXPECT_EQ(s.properties.count("bootstrap.servers"), 0u);
}

TEST(KafkaSettings, DefaultsToALocalBroker) {
  const auto s = kafka::Settings::from(env_of({}));
  EXPECT_FALSE(s.brokers.empty());
  EXPECT_TRUE(s.properties.empty());
}

}  // namespace
}  // namespace faultline
