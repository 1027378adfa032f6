// TOTP against RFC 6238 Appendix B (SHA-1), base32, the drift window, the
// once-only rule, and recovery codes.

#include "api/auth/totp.hpp"

#include <gtest/gtest.h>

#include <set>

#include "api/auth/recovery_codes.hpp"

namespace faultline::api::auth {
namespace {

const std::string kRfcSecret = "12345678901234567890";

TEST(Totp, MatchesRfc6238AppendixBSha1Vectors) {
  const std::pair<std::int64_t, const char*> vectors[] = {
      {59, "94287082"},         {1111111109, "07081804"}, {1111111111, "14050471"},
      {1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
  };
  for (const auto& [time, expected] : vectors) {
    EXPECT_EQ(totp::code_at_step(kRfcSecret, totp::step_at(time), 8), expected) << time;
    // Six digits: the last six of the eight.
    EXPECT_EQ(totp::code_at_step(kRfcSecret, totp::step_at(time)), std::string(expected).substr(2))
        << time;
  }
}

TEST(Totp, StepsAreThirtySecondsFromTheEpoch) {
  EXPECT_EQ(totp::step_at(0), 0);
  EXPECT_EQ(totp::step_at(29), 0);
  EXPECT_EQ(totp::step_at(30), 1);
  EXPECT_EQ(totp::step_at(59), 1);
  EXPECT_EQ(totp::step_at(-1), -1);
}

TEST(Totp, Base32RoundTripsAndIsStrict) {
  EXPECT_EQ(totp::base32_encode(""), "");
  EXPECT_EQ(totp::base32_encode("f"), "MY");
  EXPECT_EQ(totp::base32_encode("foobar"), "MZXW6YTBOI");
  EXPECT_EQ(totp::base32_encode(kRfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  for (std::size_t n = 0; n < 41; ++n) {
    std::string bytes;
    for (std::size_t i = 0; i < n; ++i)
      bytes += static_cast<char>((i * 37 + n) & 0xff);
    EXPECT_EQ(totp::base32_decode(totp::base32_encode(bytes)), bytes) << n;
  }
  EXPECT_EQ(totp::base32_decode("mzxw6ytboi"), "foobar");
  EXPECT_EQ(totp::base32_decode("MZXW6YQ="), "foob");
  EXPECT_EQ(totp::base32_decode("MZXW6YT1"), std::nullopt);  // 1 is not base32
  EXPECT_EQ(totp::base32_decode("M"), std::nullopt);         // no whole byte
}

TEST(Totp, AcceptsOneStepOfDriftEitherSideAndNoMore) {
  const std::int64_t now = 1111111111;
  const auto step = totp::step_at(now);
  for (std::int64_t drift : {-1, 0, 1}) {
    const auto verdict =
        totp::check_code(kRfcSecret, totp::code_at_step(kRfcSecret, step + drift), now, -1);
    EXPECT_EQ(verdict.check, totp::CodeCheck::kAccepted) << drift;
    EXPECT_EQ(verdict.step, step + drift);
  }
  for (std::int64_t drift : {-2, 2})
    EXPECT_EQ(
        totp::check_code(kRfcSecret, totp::code_at_step(kRfcSecret, step + drift), now, -1).check,
        totp::CodeCheck::kWrong)
        << drift;
}

TEST(Totp, AcceptsACodeAtMostOnce) {
  const std::int64_t now = 1234567890;
  const auto step = totp::step_at(now);
  const auto code = totp::code_at_step(kRfcSecret, step);
  EXPECT_EQ(totp::check_code(kRfcSecret, code, now, step - 1).check, totp::CodeCheck::kAccepted);
  EXPECT_EQ(totp::check_code(kRfcSecret, code, now, step).check, totp::CodeCheck::kReused);
  // An earlier step's code after a later one was used: refused too.
  EXPECT_EQ(totp::check_code(kRfcSecret, totp::code_at_step(kRfcSecret, step - 1), now, step).check,
            totp::CodeCheck::kReused);
}

TEST(Totp, RefusesMalformedCodes) {
  const std::int64_t now = 59;
  for (const char* code : {"", "28708", "2870822", "28708a", " 87082", "-87082"})
    EXPECT_EQ(totp::check_code(kRfcSecret, code, now, -1).check, totp::CodeCheck::kWrong) << code;
}

TEST(Totp, WritesAnOtpauthUri) {
  EXPECT_EQ(totp::otpauth_uri("Faultline", "ada@example.com", kRfcSecret),
            "otpauth://totp/Faultline:ada%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            "&issuer=Faultline&algorithm=SHA1&digits=6&period=30");
}

TEST(RecoveryCodes, AreTenDistinctCodesThatNormalizeToThemselves) {
  const auto codes = generate_recovery_codes();
  ASSERT_EQ(codes.size(), kRecoveryCodeCount);
  EXPECT_EQ(std::set<std::string>(codes.begin(), codes.end()).size(), codes.size());
  for (const auto& code : codes) {
    EXPECT_EQ(code.size(), 11u);
    EXPECT_EQ(code[5], '-');
    EXPECT_EQ(normalize_recovery_code(code), code);
  }
  EXPECT_EQ(normalize_recovery_code(" ABCDE fghij "), "abcde-fghij");
  EXPECT_EQ(normalize_recovery_code("abcdefghij"), "abcde-fghij");
  EXPECT_EQ(normalize_recovery_code("abcde-fghi"), std::nullopt);
  EXPECT_EQ(normalize_recovery_code("abcde-fghij1"), std::nullopt);
  EXPECT_EQ(normalize_recovery_code("abcde-fghi1"), std::nullopt);
  EXPECT_NE(recovery_code_hash(1, "abcde-fghij"), recovery_code_hash(2, "abcde-fghij"));
  EXPECT_EQ(recovery_code_hash(1, "abcde-fghij").size(), 64u);
}

}  // namespace
}  // namespace faultline::api::auth
