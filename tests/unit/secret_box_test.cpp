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

TEST(SecretBoxTest, NamesTheKeyThatSealed) {
  const auto old_key = crypto::random_bytes(32), new_key = crypto::random_bytes(32);
  const SecretBox before(old_key);
  const auto sealed = before.seal("token");
  EXPECT_EQ(SecretBox::key_id_of(sealed), before.sealing_key_id());
  EXPECT_EQ(before.sealing_key_id().size(), 8u);
  EXPECT_EQ(sealed.find(crypto::to_hex(crypto::sha256(old_key))), std::string::npos);

  // Rotation: the new key first seals; the old one still opens what it sealed.
  const SecretBox during(std::vector<std::string>{new_key, old_key});
  EXPECT_EQ(during.open(sealed), "token");
  const auto resealed = during.seal("token");
  EXPECT_NE(SecretBox::key_id_of(resealed), SecretBox::key_id_of(sealed));
  EXPECT_FALSE(before.open(resealed));
  EXPECT_EQ(SecretBox(new_key).open(resealed), "token");
}

TEST(SecretBoxTest, OpensTextSealedBeforeKeyIds) {
  const auto key = crypto::random_bytes(32);
  const SecretBox box(key);
  const auto sealed = box.seal("token");
  const auto legacy = sealed.substr(sealed.find('.') + 1);
  EXPECT_EQ(SecretBox::key_id_of(legacy), "");
  EXPECT_EQ(SecretBox(std::vector<std::string>{crypto::random_bytes(32), key}).open(legacy),
            "token");
  // A key id naming no key of the box is not tried against the others.
  EXPECT_FALSE(box.open("00000000." + legacy));
}

TEST(SecretBoxTest, ReadsAKeyListForRotation) {
  const std::string a(64, 'a'), b(64, 'b');
  const auto both = SecretBox::from(
      Environment(std::map<std::string, std::string>{{"FAULTLINE_ENCRYPTION_KEY", b + "," + a}}));
  const auto only_a = SecretBox::from(
      Environment(std::map<std::string, std::string>{{"FAULTLINE_ENCRYPTION_KEY", a}}));
  EXPECT_EQ(both.open(only_a.seal("x")), "x");
  EXPECT_FALSE(only_a.open(both.seal("x")));
  EXPECT_THROW(SecretBox::from(Environment(
                   std::map<std::string, std::string>{{"FAULTLINE_ENCRYPTION_KEY", a + ",short"}})),
               ConfigError);
}

}  // namespace
}  // namespace faultline
