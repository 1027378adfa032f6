#include "common/secret_box.hpp"

#include <gtest/gtest.h>

#include "common/crypto.hpp"

namespace faultline {
namespace {

TEST(SecretBoxTest, SealsAndOpens) {
  const SecretBox box(crypto::random_bytes(32));
  const auto sealed = box.seal("ghp_example-token");
  EXPECT_EQ(sealed.find("ghp_"), std::string::npos);
  EXPECT_EQ(box.open(sealed), "ghp_example-token");
  // A fresh nonce each time: equal secrets do not look equal at rest.
  EXPECT_NE(box.seal("same"), box.seal("same"));
}

TEST(SecretBoxTest, RefusesTamperedTextAndOtherKeys) {
  const SecretBox box(crypto::random_bytes(32));
  auto sealed = box.seal("secret");
  EXPECT_FALSE(SecretBox(crypto::random_bytes(32)).open(sealed));
  sealed[sealed.size() / 2] = sealed[sealed.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(box.open(sealed));
  EXPECT_FALSE(box.open("not base64!"));
  EXPECT_FALSE(box.open(""));
}

TEST(SecretBoxTest, ReadsTheKeyFromTheEnvironment) {
  const std::string hex(64, 'a');
  const auto a = SecretBox::from(
      Environment(std::map<std::string, std::string>{{"FAULTLINE_ENCRYPTION_KEY", hex}}));
  const auto b = SecretBox::from(
      Environment(std::map<std::string, std::string>{{"FAULTLINE_ENCRYPTION_KEY", hex}}));
  EXPECT_EQ(b.open(a.seal("x")), "x");
  EXPECT_THROW(SecretBox::from(Environment(
                   std::map<std::string, std::string>{{"FAULTLINE_ENCRYPTION_KEY", "short"}})),
               ConfigError);
  EXPECT_THROW(SecretBox::from(Environment(
                   std::map<std::string, std::string>{{"FAULTLINE_ENV", "production"}})),
               ConfigError);
}

}  // namespace
}  // namespace faultline
