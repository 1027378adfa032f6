#include "common/utf8.hpp"

#include <gtest/gtest.h>

namespace faultline::utf8 {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(valid(""));
  EXPECT_TRUE(valid("plain ascii"));
  EXPECT_TRUE(valid("caf\xC3\xA9 \xE2\x80\xA6 \xF0\x9F\x9A\x80"));  // é … 🚀
}

TEST(Utf8, RefusesWhatTheUnicodeTableRefuses) {
  EXPECT_FALSE(valid("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(valid("\xED\xB3\x9D"));      // a lone surrogate (U+DCDD)
  EXPECT_FALSE(valid("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(valid("\xE2\x80"));          // cut short
  EXPECT_FALSE(valid("\x80"));              // a continuation byte alone
}

TEST(Utf8, AnIllFormedSequenceSpansItsMaximalSubpart) {
  EXPECT_EQ(sequence_at("\xE2\x80x", 0).length, 2u);
  EXPECT_FALSE(sequence_at("\xE2\x80x", 0).valid);
  EXPECT_EQ(sequence_at("\xF0\x9F\x9A\x80", 0).length, 4u);
  EXPECT_TRUE(sequence_at("\xF0\x9F\x9A\x80", 0).valid);
}

}  // namespace
}  // namespace faultline::utf8
