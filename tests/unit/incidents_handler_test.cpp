#include "processors/incidents_handler.hpp"

#include <gtest/gtest.h>

#include "processors/issues_handler.hpp"

namespace faultline::processors {
namespace {

TEST(VerdictTest, FailuresOpenIncidents) {
  EXPECT_EQ(verdict_of(std::string("failure")), Verdict::kFailing);
  EXPECT_EQ(verdict_of(std::string("timed_out")), Verdict::kFailing);
  EXPECT_EQ(verdict_of(std::string("startup_failure")), Verdict::kFailing);
}

TEST(VerdictTest, OnlySuccessResolves) {
  EXPECT_EQ(verdict_of(std::string("success")), Verdict::kHealthy);
}

TEST(VerdictTest, EverythingElseSaysNothing) {
  for (const char* conclusion :
       {"cancelled", "skipped", "action_required", "neutral", "stale", "some_future_value", ""})
    EXPECT_EQ(verdict_of(std::string(conclusion)), Verdict::kNeutral) << conclusion;
  EXPECT_EQ(verdict_of(std::nullopt), Verdict::kNeutral);
}

TEST(IncidentMarkerTest, IsHiddenAndNamesTheIncident) {
  EXPECT_EQ(incident_marker(42), "<!-- faultline-incident:42 -->");
  // One incident's marker never matches inside another's.
  EXPECT_EQ(incident_marker(420).find(incident_marker(42)), std::string::npos);
}

}  // namespace
}  // namespace faultline::processors
