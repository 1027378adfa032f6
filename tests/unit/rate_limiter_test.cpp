#include "api/auth/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace faultline::api::auth {
namespace {

Environment Env(std::map<std::string, std::string> variables) {
  return Environment(std::move(variables));
}

TEST(RatePolicyTest, ReadsRequestsPerWindow) {
  const auto policy =
      RatePolicy::from(Env({{"FAULTLINE_X_LIMIT", "7/15m"}}), "FAULTLINE_X_LIMIT", "x", "1/1s");
  EXPECT_EQ(policy.limit, 7);
  EXPECT_EQ(policy.window.count(), 900);
  EXPECT_EQ(RatePolicy::from(Environment(std::map<std::string, std::string>{}), "FAULTLINE_X_LIMIT",
                             "x", "20/1m")
                .limit,
            20);
  for (const char* bad : {"7", "/1m", "0/1m", "-1/1m", "7/", "7/0s", "7/soon", "x/1m", "7 /1m"})
    EXPECT_THROW(
        RatePolicy::from(Env({{"FAULTLINE_X_LIMIT", bad}}), "FAULTLINE_X_LIMIT", "x", "1/1s"),
        ConfigError)
        << bad;
}

TEST(RatePolicyTest, HeadersSayLimitRemainingAndReset) {
  const RatePolicy policy{"login", 20, std::chrono::seconds(60)};
  RateDecision decision{true, 20, 3, 1'800'000'060, 42};
  auto headers = rate_limit_headers(policy, decision);
  const auto value = [&](const std::string& name) {
    const auto it = std::find_if(headers.begin(), headers.end(),
                                 [&](const auto& h) { return h.first == name; });
    return it == headers.end() ? std::string("<absent>") : it->second;
  };
  EXPECT_EQ(value("X-RateLimit-Limit"), "20");
  EXPECT_EQ(value("X-RateLimit-Remaining"), "3");
  EXPECT_EQ(value("X-RateLimit-Reset"), "1800000060");
  EXPECT_EQ(value("RateLimit-Policy"), "\"login\";q=20;w=60");
  EXPECT_EQ(value("RateLimit"), "\"login\";r=3;t=42");
  EXPECT_EQ(value("Retry-After"), "<absent>");

  decision.allowed = false;
  decision.remaining = 0;
  const auto refused = too_many_requests(policy, decision);
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(refused.content_type, "application/problem+json");
  headers = refused.headers;
  EXPECT_EQ(value("Retry-After"), "42");
}

}  // namespace
}  // namespace faultline::api::auth
