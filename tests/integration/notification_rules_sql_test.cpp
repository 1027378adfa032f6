// The notification rules' SQL (schemas/db/functions/notification_rules.sql):
// branch globs and quiet hours, read in an IANA zone across midnight and a
// daylight-saving change.

#include <gtest/gtest.h>

#include <string>

#include "tests/support/environment.hpp"

namespace faultline::testing {
namespace {

class NotificationRulesSql : public ::testing::Test {
 protected:
  // When quiet hours `start`-`end` in `zone` that hold `at` end (UTC, ISO), or "" outside them.
  std::string until(const char* start, const char* end, const char* zone, const char* at) const {
    return database_.scalar(std::string("SELECT COALESCE(to_char(faultline_quiet_until('") + start +
                            "', '" + end + "', '" + zone + "', '" + at +
                            "') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI'), '')");
  }
  bool matches(const char* branch, const char* glob) const {
    return database_.scalar(std::string("SELECT ('") + branch + "' LIKE faultline_glob_to_like('" +
                            glob + "'))::text") == "true";
  }

  TestDatabase database_;
};

TEST_F(NotificationRulesSql, QuietHoursEndAtTheirLocalEnd) {
  // 22:00-07:00 in Berlin (UTC+1 in December): 23:30 local ends at 07:00 local the next day.
  EXPECT_EQ(until("22:00", "07:00", "Europe/Berlin", "2026-12-02T22:30:00Z"), "2026-12-03T06:00");
  // 05:00 local, the same morning.
  EXPECT_EQ(until("22:00", "07:00", "Europe/Berlin", "2026-12-03T04:00:00Z"), "2026-12-03T06:00");
  // Noon is outside them.
  EXPECT_EQ(until("22:00", "07:00", "Europe/Berlin", "2026-12-02T11:00:00Z"), "");
  // A range within one day, in New York (UTC-5).
  EXPECT_EQ(until("09:00", "17:00", "America/New_York", "2026-12-02T15:00:00Z"),
            "2026-12-02T22:00");
  EXPECT_EQ(until("09:00", "17:00", "America/New_York", "2026-12-02T23:00:00Z"), "");
  // The end is exclusive, the start inclusive; start = end is no quiet hours.
  EXPECT_EQ(until("22:00", "07:00", "UTC", "2026-12-02T07:00:00Z"), "");
  EXPECT_EQ(until("22:00", "07:00", "UTC", "2026-12-02T22:00:00Z"), "2026-12-03T07:00");
  EXPECT_EQ(until("08:00", "08:00", "UTC", "2026-12-02T08:00:00Z"), "");
  // Across the spring change in Berlin (2027-03-28, 02:00 -> 03:00): 07:00 local is 05:00 UTC.
  EXPECT_EQ(until("22:00", "07:00", "Europe/Berlin", "2027-03-27T22:30:00Z"), "2027-03-28T05:00");
}

TEST_F(NotificationRulesSql, BranchGlobsTakeLikesWildcardsLiterally) {
  EXPECT_TRUE(matches("release/1.2", "release/*"));
  EXPECT_FALSE(matches("main", "release/*"));
  EXPECT_TRUE(matches("main", "ma?n"));
  EXPECT_FALSE(matches("maaan", "ma?n"));
  EXPECT_TRUE(matches("feature_x", "feature_x"));
  EXPECT_FALSE(matches("featureAx", "feature_x"));  // _ is no wildcard in a glob
  EXPECT_FALSE(matches("100 percent", "100%"));     // nor is %
  EXPECT_TRUE(matches("100%", "100%"));
  EXPECT_TRUE(matches("a\\b", "a\\b"));
  EXPECT_TRUE(matches("anything", "*"));
}

}  // namespace
}  // namespace faultline::testing
