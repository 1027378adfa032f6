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

TEST(IngestSettings, GitLabTokensAndSigningSecretsAreLists) {
  const auto s =
      IngestSettings::from(env_of({{"FAULTLINE_ENV", "production"},
                                   {"FAULTLINE_WEBHOOK_SECRETS", "s"},
                                   {"FAULTLINE_GITLAB_WEBHOOK_TOKENS", "old-token, new-token"},
                                   {"FAULTLINE_GITLAB_SIGNING_SECRETS",
                                    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, whsec_c2Vjb25k"},
                                   {"FAULTLINE_GITLAB_SIGNATURE_TOLERANCE", "90s"}}));
  EXPECT_EQ(s.gitlab_webhook_tokens, (std::vector<std::string>{"old-token", "new-token"}));
  ASSERT_EQ(s.gitlab_signing_keys.size(), 2u);
  EXPECT_EQ(s.gitlab_signing_keys[0].size(), 24u);  // the key, decoded
  EXPECT_EQ(s.gitlab_signing_keys[1], "second");
  EXPECT_EQ(s.gitlab_signature_tolerance, std::chrono::seconds(90));
}

TEST(IngestSettings, GitLabDefaults) {
  const auto s = IngestSettings::from(env_of({}));
  EXPECT_EQ(s.gitlab_signature_tolerance, std::chrono::minutes(5));
  EXPECT_TRUE(s.gitlab_signing_keys.empty());
  // Development takes GitLab deliveries out of the box, with a token of its own.
  ASSERT_EQ(s.gitlab_webhook_tokens.size(), 1u);
  EXPECT_NE(s.gitlab_webhook_tokens[0], s.webhook_secrets[0]);
  // A signing secret alone configures GitLab: no development token then.
  EXPECT_TRUE(IngestSettings::from(env_of({{"FAULTLINE_GITLAB_SIGNING_SECRETS", "whsec_c2Vjb25k"}}))
                  .gitlab_webhook_tokens.empty());
}

TEST(IngestSettings, ProductionWithoutGitLabStartsAndRefusesGitLab) {
  const auto s = IngestSettings::from(
      env_of({{"FAULTLINE_ENV", "production"}, {"FAULTLINE_WEBHOOK_SECRETS", "s"}}));
  EXPECT_TRUE(s.gitlab_webhook_tokens.empty());
  EXPECT_TRUE(s.gitlab_signing_keys.empty());
}

TEST(IngestSettings, RejectsUnusableGitLabValuesWithoutShowingThem) {
  try {
    IngestSettings::from(
        env_of({{"FAULTLINE_GITLAB_SIGNING_SECRETS", "whsec_c2Vjb25k, sekrit-without-prefix"}}));
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("FAULTLINE_GITLAB_SIGNING_SECRETS: item 2"), std::string::npos)
        << message;
    EXPECT_EQ(message.find("sekrit"), std::string::npos) << message;
  }
  EXPECT_THROW(IngestSettings::from(env_of({{"FAULTLINE_GITLAB_SIGNING_SECRETS", "whsec_!!"}})),
               ConfigError);
  for (const char* tolerance : {"0s", "500ms", "25h", "soon"})
    EXPECT_THROW(
        IngestSettings::from(env_of({{"FAULTLINE_GITLAB_SIGNATURE_TOLERANCE", tolerance}})),
        ConfigError)
        << tolerance;
}

}  // namespace
}  // namespace faultline
