#include "common/url_encode.hpp"

#include <gtest/gtest.h>

namespace faultline {
namespace {

TEST(UrlEncode, KeepsOnlyTheUnreservedCharacters) {
  EXPECT_EQ(url_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(url_encode("a b&c=d/e?f#g+h%"), "a%20b%26c%3Dd%2Fe%3Ff%23g%2Bh%25");
  EXPECT_EQ(url_encode("octo:faultline/fix-1-1"), "octo%3Afaultline%2Ffix-1-1");
  EXPECT_EQ(url_encode("é"), "%C3%A9");
  EXPECT_EQ(url_encode(""), "");
}

TEST(UrlEncode, APathKeepsItsSlashesAndEncodesEachSegment) {
  EXPECT_EQ(url_encode_path("src/app/main.c"), "src/app/main.c");
  EXPECT_EQ(url_encode_path("docs/read me.md"), "docs/read%20me.md");
  EXPECT_EQ(url_encode_path("a/../b?c"), "a/../b%3Fc");
  EXPECT_EQ(url_encode_path("/leading/and/trailing/"), "/leading/and/trailing/");
  EXPECT_EQ(url_encode_path("#/%"), "%23/%25");
}

}  // namespace
}  // namespace faultline
