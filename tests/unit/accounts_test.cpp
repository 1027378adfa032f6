#include "api/auth/accounts.hpp"

#include <gtest/gtest.h>

#include "api/auth/password_hasher.hpp"

namespace faultline::api::auth {
namespace {

Environment Env(std::map<std::string, std::string> variables) {
  return Environment(std::move(variables));
}

TEST(AccountsTest, NormalizesPlausibleAddresses) {
  EXPECT_EQ(normalize_email("  Ada.Lovelace+ci@Example.COM "), "ada.lovelace+ci@example.com");
  EXPECT_EQ(normalize_email("o'neil@sub.example.org"), "o'neil@sub.example.org");
  for (const std::string& bad : std::vector<std::string>{
           "", "ada", "ada@", "@example.com", "ada@example", "ada@@example.com", "a b@example.com",
           "ada@exa_mple.com", "ada@-example.com", "ada@example..com", ".ada@example.com",
           "ada..x@example.com", "ada@example.com\n@x.com", std::string(65, 'a') + "@example.com",
           "ada@" + std::string(250, 'a') + ".com", "<script>@example.com"})
    EXPECT_FALSE(normalize_email(bad)) << bad;
}

TEST(AccountsTest, PasswordPolicyCountsCharactersNotBytes) {
  EXPECT_FALSE(password_problem("correct horse"));
  EXPECT_TRUE(password_problem("elevenchars"));
  EXPECT_FALSE(password_problem("twelve chars"));
  EXPECT_TRUE(password_problem("ééééé"));  // 10 bytes, 5 characters
  EXPECT_FALSE(password_problem("éééééééééééé"));
  EXPECT_FALSE(password_problem(std::string(128, 'x')));
  EXPECT_TRUE(password_problem(std::string(129, 'x')));
  EXPECT_TRUE(password_problem(std::string(20, ' ')));
  EXPECT_TRUE(password_problem(std::string("twelve chars\0x", 14)));
}

TEST(PasswordHasherTest, VerifiesOnlyTheRightPassword) {
  const PasswordHasher hasher;
  const auto hash = hasher.hash("correct horse battery");
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << hash;
  EXPECT_TRUE(hasher.verify(hash, "correct horse battery"));
  EXPECT_FALSE(hasher.verify(hash, "correct horse batterY"));
  EXPECT_FALSE(hasher.verify("$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "x"));
  EXPECT_FALSE(hasher.verify("plain text", "plain text"));
  EXPECT_NE(hasher.hash("correct horse battery"), hash);  // salted
  EXPECT_FALSE(hasher.verify(hasher.decoy(), ""));
}

TEST(PasswordHasherTest, KnowsWhenAHashIsOutOfDate) {
  const PasswordHasher current;
  Argon2Parameters stronger;
  stronger.iterations = 3;
  const PasswordHasher upgraded(stronger);
  const auto hash = current.hash("correct horse battery");
  EXPECT_FALSE(current.needs_rehash(hash));
  EXPECT_TRUE(upgraded.needs_rehash(hash));
  EXPECT_TRUE(upgraded.verify(hash, "correct horse battery"));  // old hashes still verify
  EXPECT_TRUE(current.needs_rehash("garbage"));
}

TEST(PasswordHasherTest, RefusesParametersBelowTheFloor) {
  EXPECT_THROW(Argon2Parameters::from(Env({{"FAULTLINE_ARGON2_MEMORY_KIB", "1024"}})), ConfigError);
  EXPECT_THROW(Argon2Parameters::from(Env({{"FAULTLINE_ARGON2_ITERATIONS", "1"}})), ConfigError);
  EXPECT_EQ(Argon2Parameters::from(Env({{"FAULTLINE_ARGON2_ITERATIONS", "4"}})).iterations, 4u);
}

}  // namespace
}  // namespace faultline::api::auth
