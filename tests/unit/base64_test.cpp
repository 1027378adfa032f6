#include "common/base64.hpp"

#include <gtest/gtest.h>

#include "common/crypto.hpp"

namespace faultline {
namespace {

TEST(Base64Test, RoundTripsEveryLength) {
  for (std::size_t n = 0; n < 20; ++n) {
    const auto bytes = crypto::random_bytes(n);
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << n;
    EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes) << n;
  }
  EXPECT_EQ(base64_encode("Man"), "TWFu");
  EXPECT_EQ(base64_encode("Ma"), "TWE=");
}

TEST(Base64Test, UrlFormUsesItsOwnAlphabetWithoutPadding) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_encode("Ma"), "TWE");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_EQ(base64url_decode(""), std::string());
}

TEST(Base64Test, UrlFormRefusesAnythingButItsOneEncoding) {
  EXPECT_FALSE(base64url_decode("TWE="));  // padding
  EXPECT_FALSE(base64url_decode("+/8"));   // the standard alphabet
  EXPECT_FALSE(base64url_decode("TW E"));  // whitespace
  EXPECT_FALSE(base64url_decode("T"));     // a length no encoding has
  EXPECT_FALSE(base64url_decode("TWF"));   // non-zero bits after the last byte
  EXPECT_FALSE(base64url_decode(std::string("TW\0E", 4)));
}

}  // namespace
}  // namespace faultline
