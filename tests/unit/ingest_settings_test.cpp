#include "ingest/ingest_settings.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/config.hpp"

namespace faultline {
namespace {

// Environment from exactly these variables (a braced list is ambiguous with its copy constructor).
Environment env_of(std::map<std::string, std::string> variables) {
  return Environment(std::move(variables));
}

using ingest::IngestSettings;

TEST(IngestSettings, ProductionWithoutSecretsRefusesToStart) {
  const Environment env = env_of({{"FAULTLINE_ENV", "production"}});
  try {
    IngestSettings::from(env);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("FAULTLINE_WEBHOOK_SECRETS"), std::string::npos)
        << e.what();
  }
  // Blank counts as unset.
  EXPECT_THROW(IngestSettings::from(
                   env_of({{"FAULTLINE_ENV", "production"}, {"FAULTLINE_WEBHOOK_SECRETS", " , "}})),
               ConfigError);
}

TEST(IngestSettings, ProductionUsesTheGivenSecrets) {
  const auto s = IngestSettings::from(env_of(
      {{"FAULTLINE_ENV", "production"}, {"FAULTLINE_WEBHOOK_SECRETS", "old-secret, new-secret"}}));
  EXPECT_EQ(s.webhook_secrets, (std::vector<std::string>{"old-secret", "new-secret"}));
}

TEST(IngestSettings, DevelopmentFallsBackToADevSecret) {
  const auto s = IngestSettings::from(env_of({}));
  ASSERT_EQ(s.webhook_secrets.size(), 1u);
  EXPECT_FALSE(s.webhook_secrets[0].empty());
}

TEST(IngestSettings, Defaults) {
  const auto s = IngestSettings::from(env_of({}));
  EXPECT_EQ(s.address.host, "127.0.0.1");
  EXPECT_EQ(s.address.port, 8081);
  EXPECT_EQ(s.max_body_bytes, 25u * 1024 * 1024);
  EXPECT_EQ(s.publish_timeout, std::chrono::milliseconds(5000));
}

TEST(IngestSettings, ReadsTheEnvironment) {
  const auto s = IngestSettings::from(env_of({{"FAULTLINE_INGEST_ADDR", "0.0.0.0:9999"},
                                              {"FAULTLINE_WEBHOOK_SECRETS", "s"},
                                              {"FAULTLINE_INGEST_MAX_BODY_BYTES", "4096"},
                                              {"FAULTLINE_INGEST_PUBLISH_TIMEOUT", "2s"},
                                              {"FAULTLINE_KAFKA_BROKERS", "k1:9092"}}));
  EXPECT_EQ(s.address.host, "0.0.0.0");
  EXPECT_EQ(s.address.port, 9999);
  EXPECT_EQ(s.max_body_bytes, 4096u);
  EXPECT_EQ(s.publish_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(s.kafka.brokers, "k1:9092");
}

TEST(IngestSettings, RejectsUnusableValues) {
  EXPECT_THROW(IngestSettings::from(env_of({{"FAULTLINE_INGEST_MAX_BODY_BYTES", "lots"}})),
               ConfigError);
  EXPECT_THROW(IngestSettings::from(env_of({{"FAULTLINE_INGEST_ADDR", "nowhere"}})), ConfigError);
  EXPECT_THROW(IngestSettings::from(env_of({{"FAULTLINE_INGEST_PUBLISH_TIMEOUT", "0s"}})),
               ConfigError);
}

}  // namespace
}  // namespace faultline
