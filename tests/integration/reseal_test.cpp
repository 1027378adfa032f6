// `faultline-api reseal` after a key rotation: every stored token moves to
// the new key and still opens to the same value (notification channels' secrets too).

#include <gtest/gtest.h>

#include "common/secret_box.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/process.hpp"

namespace faultline::testing {
namespace {

TEST(Reseal, MovesEveryStoredTokenToTheNewKey) {
  TestDatabase database;
  const std::string old_key(64, 'a'), new_key(64, 'b');
  auto box = [](const std::string& keys) {
    return SecretBox::from(
        Environment(std::map<std::string, std::string>{{"FAULTLINE_ENCRYPTION_KEY", keys}}));
  };
  const auto old_box = box(old_key);
  const auto new_box = box(new_key);
  // Applies the migrations first.
  ChildProcess migrate({binary("faultline-api"), "migrate"},
                       {{"FAULTLINE_DATABASE_URL", database.url()}}, scratch_path("migrate.log"));
  ASSERT_EQ(migrate.wait(std::chrono::seconds(30)), 0) << migrate.log();
  database.execute(
      "INSERT INTO users (id, email, password_hash, role) VALUES (1, 'a@b.c', 'x', "
      "'admin')");
  database.execute(
      "INSERT INTO repositories (id, full_name, token_ciphertext) VALUES (1, 'o/r', '" +
      old_box.seal("ghp_repository") + "')");
  database.execute(
      "INSERT INTO oauth_connections (user_id, provider, account_id, account_login,"
      " token_ciphertext) VALUES (1, 'github', 9, 'octocat', '" +
      old_box.seal("gho_connection") + "')");
  database.execute(
      "INSERT INTO notification_channels (kind, name, secret_ciphertext) VALUES ('slack', 's', '" +
      old_box.seal("https://hooks.slack.com/services/T/B/secret") + "')");

  auto reseal = [&](const std::string& keys) {
    ChildProcess process(
        {binary("faultline-api"), "reseal"},
        {{"FAULTLINE_DATABASE_URL", database.url()}, {"FAULTLINE_ENCRYPTION_KEY", keys}},
        scratch_path("reseal.log"));
    return process.wait(std::chrono::seconds(30));
  };
  // Without the old key nothing can be opened: it refuses and changes nothing.
  EXPECT_NE(reseal(new_key), 0);
  EXPECT_EQ(old_box.open(database.scalar("SELECT token_ciphertext FROM repositories")),
            "ghp_repository");

  ASSERT_EQ(reseal(new_key + "," + old_key), 0);
  const auto repository = database.scalar("SELECT token_ciphertext FROM repositories");
  const auto connection = database.scalar("SELECT token_ciphertext FROM oauth_connections");
  EXPECT_EQ(SecretBox::key_id_of(repository), new_box.sealing_key_id());
  EXPECT_EQ(new_box.open(repository), "ghp_repository");
  EXPECT_EQ(new_box.open(connection), "gho_connection");
  EXPECT_FALSE(old_box.open(connection));
  const auto channel = database.scalar("SELECT secret_ciphertext FROM notification_channels");
  EXPECT_EQ(new_box.open(channel), "https://hooks.slack.com/services/T/B/secret");
}

}  // namespace
}  // namespace faultline::testing
