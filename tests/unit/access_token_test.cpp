#include "api/auth/access_token.hpp"

#include <gtest/gtest.h>

#include "common/base64.hpp"

namespace faultline::api::auth {
namespace {

const std::string kKey(32, 'k');
constexpr std::int64_t kNow = 1'800'000'000;

AccessClaims claims() {
  return AccessClaims{
      42, "ada@example.com", "admin", 0, 0, "", "6f1c1c0e-2f6e-4d5b-9d1a-0b7d5c0e9f11"};
}

std::string payload(const std::string& extra_or_override) {
  return R"({"sub":"42","email":"ada@example.com","role":"user","iat":)" + std::to_string(kNow) +
         R"(,"exp":)" + std::to_string(kNow + 60) + R"(,"jti":"j","sid":"s")" + extra_or_override +
         "}";
}

TEST(AccessTokenTest, IssuesWhatItVerifies) {
  const AccessTokens tokens(kKey);
  const auto token = tokens.issue(claims(), kNow);
  const auto verified = tokens.verify(token, kNow + 10);
  ASSERT_TRUE(verified.claims) << to_string(verified.error);
  EXPECT_EQ(verified.claims->user_id, 42);
  EXPECT_EQ(verified.claims->email, "ada@example.com");
  EXPECT_EQ(verified.claims->role, "admin");
  EXPECT_EQ(verified.claims->issued_at, kNow);
  EXPECT_EQ(verified.claims->expires_at, kNow + AccessTokens::kLifetimeSeconds);
  EXPECT_EQ(verified.claims->session_id, claims().session_id);
  EXPECT_EQ(verified.claims->token_id.size(), 32u);
  EXPECT_NE(tokens.issue(claims(), kNow), token);  // a fresh jti each time
}

TEST(AccessTokenTest, RefusesShortKeys) {
  EXPECT_THROW(AccessTokens(std::string(31, 'k')), std::invalid_argument);
}

TEST(AccessTokenTest, PinsTheAlgorithm) {
  const AccessTokens tokens(kKey);
  const auto body = payload(R"(,"type":"access")");
  EXPECT_TRUE(tokens.verify(tokens.sign_raw(R"({"alg":"HS256"})", body), kNow).claims);
  for (const char* header :
       {R"({"alg":"none"})", R"({"alg":"HS512"})", R"({"alg":"HS384"})", R"({"alg":"RS256"})",
        R"({"alg":"hs256"})", R"({"typ":"JWT"})", R"({"alg":"HS256","kid":"../../key"})",
        R"({"alg":"HS256","crit":["exp"]})", R"({"alg":"HS256","alg":"none"})",
        R"({"alg":["HS256"]})"}) {
    const auto verified = tokens.verify(tokens.sign_raw(header, body), kNow);
    EXPECT_FALSE(verified.claims) << header;
  }
  // "none" with an empty signature is refused before any signature check.
  const auto unsigned_token =
      base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(body) + ".";
  EXPECT_EQ(tokens.verify(unsigned_token, kNow).error, TokenError::kAlgorithm);
}

TEST(AccessTokenTest, ChecksTheSignatureOverEveryByte) {
  const AccessTokens tokens(kKey), other(std::string(32, 'o'));
  const auto token = tokens.issue(claims(), kNow);
  EXPECT_EQ(other.verify(token, kNow).error, TokenError::kSignature);
  for (std::size_t i = 0; i < token.size(); i += 7) {
    std::string flipped = token;
    flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
    if (flipped != token) {
      EXPECT_FALSE(tokens.verify(flipped, kNow).claims) << i;
    }
  }
  EXPECT_FALSE(tokens.verify(token.substr(0, token.size() - 1), kNow).claims);
}

TEST(AccessTokenTest, RefusesWrongTypesAndMissingClaims) {
  const AccessTokens tokens(kKey);
  const auto verify = [&](const std::string& body) {
    return tokens.verify(tokens.sign_raw(R"({"alg":"HS256"})", body), kNow).error;
  };
  EXPECT_EQ(verify(payload(R"(,"type":"access")")), TokenError::kNone);
  EXPECT_EQ(verify(payload(R"(,"type":"refresh")")), TokenError::kType);
  EXPECT_EQ(verify(payload("")), TokenError::kType);
  EXPECT_EQ(verify(payload(R"(,"type":"access","type":"access")")), TokenError::kMalformed);
  EXPECT_EQ(verify(R"({"type":"access"})"), TokenError::kClaims);
  EXPECT_EQ(verify(R"({"sub":42,"email":"a","role":"user","iat":1,"exp":1900000000,)"
                   R"("jti":"j","sid":"s","type":"access"})"),
            TokenError::kClaims);
  EXPECT_EQ(verify(R"({"sub":"42","email":"a","role":"root","iat":1,"exp":1900000000,)"
                   R"("jti":"j","sid":"s","type":"access"})"),
            TokenError::kClaims);
  EXPECT_EQ(verify(R"({"sub":"042","email":"a","role":"user","iat":1,"exp":1900000000,)"
                   R"("jti":"j","sid":"s","type":"access"})"),
            TokenError::kClaims);
  EXPECT_EQ(verify(R"({"sub":"42","email":"a","role":"user","iat":1,"exp":"1900000000",)"
                   R"("jti":"j","sid":"s","type":"access"})"),
            TokenError::kClaims);
  EXPECT_EQ(verify("[]"), TokenError::kMalformed);
}

TEST(AccessTokenTest, HonoursTime) {
  const AccessTokens tokens(kKey);
  const auto token = tokens.issue(claims(), kNow);
  EXPECT_TRUE(tokens.verify(token, kNow + AccessTokens::kLifetimeSeconds - 1).claims);
  EXPECT_EQ(tokens.verify(token, kNow + AccessTokens::kLifetimeSeconds).error,
            TokenError::kExpired);
  EXPECT_TRUE(tokens.verify(token, kNow - 30).claims);  // clock skew
  EXPECT_EQ(tokens.verify(token, kNow - 3600).error, TokenError::kNotYetValid);
}

TEST(AccessTokenTest, RefusesMalformedTokens) {
  const AccessTokens tokens(kKey);
  const auto token = tokens.issue(claims(), kNow);
  for (const std::string& bad : std::vector<std::string>{
           std::string(), std::string("a.b"), std::string("a.b.c.d"), token + ".", "." + token,
           std::string("!!!.???.***"), std::string(5000, 'a'), token + "=",
           std::string(token).replace(token.find('.'), 1, " ")})
    EXPECT_FALSE(tokens.verify(bad, kNow).claims) << bad.substr(0, 40);
}

}  // namespace
}  // namespace faultline::api::auth
