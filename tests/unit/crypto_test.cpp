#include "common/crypto.hpp"

#include <gtest/gtest.h>

#include <string>

namespace faultline {
namespace {

TEST(Crypto, HmacSha256Rfc4231TestCase2) {
  EXPECT_EQ(crypto::to_hex(crypto::hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HmacSha256Rfc4231TestCase1) {
  const std::string key(20, '\x0b');
  EXPECT_EQ(crypto::to_hex(crypto::hmac_sha256(key, "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(Crypto, Sha256KnownVectors) {
  EXPECT_EQ(crypto::to_hex(crypto::sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(crypto::to_hex(crypto::sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, ToHexIsLowercaseTwoDigitsPerByte) {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa0, 0xff};
  EXPECT_EQ(crypto::to_hex(bytes, sizeof bytes), "000fa0ff");
  EXPECT_EQ(crypto::to_hex(bytes, 0), "");
}

TEST(Crypto, ConstantTimeEqual) {
  EXPECT_TRUE(crypto::constant_time_equal("abcdef", "abcdef"));
  EXPECT_TRUE(crypto::constant_time_equal("", ""));
  EXPECT_FALSE(crypto::constant_time_equal("abcdef", "abcdeg"));
  EXPECT_FALSE(crypto::constant_time_equal("abcdef", "Abcdef"));
  EXPECT_FALSE(crypto::constant_time_equal("abcdef", "abcde"));
  EXPECT_FALSE(crypto::constant_time_equal("abc", "abcdef"));
  EXPECT_FALSE(crypto::constant_time_equal("", "a"));
}

TEST(Crypto, RandomBytesHaveTheSizeAskedAndDiffer) {
  const auto a = crypto::random_bytes(32);
  const auto b = crypto::random_bytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(b.size(), 32u);
  EXPECT_NE(a, b);
  EXPECT_NE(a, std::string(32, '\0'));
  EXPECT_EQ(crypto::random_bytes(0).size(), 0u);
  EXPECT_EQ(crypto::random_bytes(1000).size(), 1000u);
}

}  // namespace
}  // namespace faultline
