#include "common/time.hpp"

#include <gtest/gtest.h>

#include <string>

namespace faultline {
namespace {

TEST(Rfc3339, AcceptsWhatGitHubSends) {
  for (const char* ok : {
           "2021-08-05T10:33:58Z",
           "2019-05-15T15:20:31Z",
           "2021-08-05T10:33:58.123Z",
           "2021-08-05T10:33:58.1Z",
           "2021-08-05T10:33:58.123456789Z",
           "2021-08-05T10:33:58+02:00",
           "2021-08-05T10:33:58-07:00",
           "2021-08-05T10:33:58.5+05:30",
           "2021-08-05T10:33:58+00:00",
           "2021-08-05t10:33:58z",
           "2024-02-29T00:00:00Z",  // leap day
           "2000-02-29T00:00:00Z",  // divisible by 400: a leap year
           "2021-04-30T23:59:59Z",
           "2021-12-31T23:59:60Z",  // leap second
           "2026-11-23T10:00:00.000Z",
       })
    EXPECT_TRUE(is_rfc3339(ok)) << ok;
}

TEST(Rfc3339, RejectsImpossibleDatesAndTimes) {
  for (const char* bad : {
           "2021-13-01T00:00:00Z",
           "2021-00-01T00:00:00Z",
           "2021-01-00T00:00:00Z",
           "2021-01-32T00:00:00Z",
           "2021-04-31T00:00:00Z",
           "2021-02-29T00:00:00Z",  // not a leap year
           "2021-02-30T00:00:00Z",
           "1900-02-29T00:00:00Z",  // divisible by 100, not by 400: not a leap year
           "2021-06-31T00:00:00Z",
           "2021-01-01T24:00:00Z",
           "2021-01-01T00:60:00Z",
           "2021-01-01T00:00:61Z",
           "2021-01-01T00:00:00+24:00",
           "2021-01-01T00:00:00+01:60",
       })
    EXPECT_FALSE(is_rfc3339(bad)) << bad;
}

TEST(Rfc3339, RejectsMalformedText) {
  for (const char* bad : {
           "",
           "garbage",
           "2021-08-05",
           "2021-08-05T10:33:58",  // no zone
           "2021-08-05T10:33Z",
           "2021-8-05T10:33:58Z",
           "2021/08/05T10:33:58Z",
           "2021-08-05X10:33:58Z",
           "2021-08-05T10:33:58.Z",  // empty fraction
           "2021-08-05T10:33:58.1234567890Z",
           "2021-08-05T10:33:58+0200",
           "2021-08-05T10:33:58+02",
           "2021-08-05T10:33:58Zjunk",
           "2021-08-05T10:33:58+02:00x",
           " 2021-08-05T10:33:58Z",
           "1628159638",
       })
    EXPECT_FALSE(is_rfc3339(bad)) << bad;
}

TEST(Rfc3339, NowIsUtcWithMilliseconds) {
  const auto now = utc_now_rfc3339();
  EXPECT_TRUE(is_rfc3339(now)) << now;
  ASSERT_EQ(now.size(), 24u) << now;
  EXPECT_EQ(now[19], '.');
  EXPECT_EQ(now.back(), 'Z');
  EXPECT_GE(now.substr(0, 4), "2025");
}

TEST(Rfc3339, UtcSecondsMovesOffsetsToUtcAndDropsTheFraction) {
  EXPECT_EQ(utc_seconds("2021-08-05T10:26:11.000Z"), "2021-08-05T10:26:11");
  EXPECT_EQ(utc_seconds("2021-08-05T10:26:11Z"), "2021-08-05T10:26:11");
  EXPECT_EQ(utc_seconds("2020-01-20T09:42:40.999-08:00"), "2020-01-20T17:42:40");
  EXPECT_EQ(utc_seconds("2020-01-01T01:30:00+02:00"), "2019-12-31T23:30:00");
  EXPECT_EQ(utc_seconds("2024-02-28T23:00:00-01:00"), "2024-02-29T00:00:00");
  EXPECT_EQ(utc_seconds("2021-08-05T10:26:11"), std::nullopt);
  EXPECT_EQ(utc_seconds(""), std::nullopt);
}

TEST(GitLabTime, TheHooksFormIsUtc) {
  // What Pipeline Hooks send (GitLab's documented example).
  EXPECT_EQ(gitlab_time_utc("2016-08-12 15:23:28 UTC"), "2016-08-12T15:23:28Z");
  EXPECT_EQ(gitlab_time_utc("2024-02-29 00:00:00 UTC"), "2024-02-29T00:00:00Z");
  EXPECT_EQ(gitlab_time_utc("2016-08-12 15:23:28.5 UTC"), "2016-08-12T15:23:28.5Z");
}

TEST(GitLabTime, Iso8601WithAnOffsetIsMovedToUtc) {
  // A commit's timestamp in GitLab's example, and what Job Hooks send.
  EXPECT_EQ(gitlab_time_utc("2016-08-12T17:23:21+02:00"), "2016-08-12T15:23:21Z");
  EXPECT_EQ(gitlab_time_utc("2021-02-23T02:41:37.886Z"), "2021-02-23T02:41:37.886Z");
  EXPECT_EQ(gitlab_time_utc("2020-01-01T01:30:00.25+02:00"), "2019-12-31T23:30:00.25Z");
  EXPECT_EQ(gitlab_time_utc("2024-02-28T23:00:00-01:00"), "2024-02-29T00:00:00Z");
  EXPECT_EQ(gitlab_time_utc("2021-08-05t10:33:58z"), "2021-08-05T10:33:58Z");
}

TEST(GitLabTime, BothFormsOfOneMomentAgreeAndNormalizingTwiceChangesNothing) {
  const auto hook = gitlab_time_utc("2016-08-12 15:23:28 UTC");
  EXPECT_EQ(hook, gitlab_time_utc("2016-08-12T17:23:28+02:00"));
  EXPECT_EQ(gitlab_time_utc(*hook), hook);
  EXPECT_TRUE(is_rfc3339(*hook));
}

TEST(GitLabTime, AnythingElseIsRefused) {
  for (const char* bad :
       {"", "UTC", " UTC", "2016-08-12 15:23:28", "2016-08-12 15:23:28 utc",
        "2016-08-12 15:23:28  UTC", "2016-08-12 15:23:28 CEST", "2016-08-12 15:23:28 +0200",
        "2016-02-30 15:23:28 UTC", "2016-08-12 25:23:28 UTC", "2016-08-12T15:23:28", "1471015408",
        "12/08/2016 15:23:28 UTC", "2016-08-12 15:23:28 UTCZ"})
    EXPECT_EQ(gitlab_time_utc(bad), std::nullopt) << bad;
}

TEST(SqlTimeFormat, RendersAnExpressionAsRfc3339InUtc) {
  EXPECT_STREQ(FAULTLINE_SQL_RFC3339("r.last_seen"),
               "to_char((r.last_seen) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
  EXPECT_STREQ(FAULTLINE_SQL_RFC3339("now() - interval '3 days'"),
               "to_char((now() - interval '3 days') AT TIME ZONE 'UTC',"
               " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
}

TEST(SqlTimeFormat, MillisecondsHaveTheShapeOfUtcNow) {
  EXPECT_STREQ(FAULTLINE_SQL_RFC3339_MS("created_at"),
               "to_char((created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')");
  // Both shapes are RFC 3339, as the rest of Faultline reads it.
  EXPECT_TRUE(is_rfc3339("2026-11-23T10:15:30Z"));
  EXPECT_TRUE(is_rfc3339("2026-11-23T10:15:30.123Z"));
}

}  // namespace
}  // namespace faultline
