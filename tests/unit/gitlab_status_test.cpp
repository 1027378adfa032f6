#include "processors/gitlab_status.hpp"

#include <gtest/gtest.h>

namespace faultline::processors {
namespace {

std::string mapped(std::string_view status, bool allow_failure = false) {
  const auto m = map_gitlab_status(status, allow_failure);
  return m.status + "/" + m.conclusion.value_or("");
}

TEST(GitLabStatus, EveryStatusOfGitLabHasAPlaceInGitHubsVocabulary) {
  EXPECT_EQ(mapped("created"), "requested/");
  EXPECT_EQ(mapped("waiting_for_resource"), "waiting/");
  EXPECT_EQ(mapped("scheduled"), "waiting/");
  EXPECT_EQ(mapped("manual"), "waiting/");
  EXPECT_EQ(mapped("preparing"), "queued/");
  EXPECT_EQ(mapped("pending"), "queued/");
  EXPECT_EQ(mapped("running"), "in_progress/");
  EXPECT_EQ(mapped("canceling"), "in_progress/");
  EXPECT_EQ(mapped("waiting_for_callback"), "in_progress/");
  EXPECT_EQ(mapped("success"), "completed/success");
  EXPECT_EQ(mapped("failed"), "completed/failure");
  EXPECT_EQ(mapped("canceled"), "completed/cancelled");
  EXPECT_EQ(mapped("skipped"), "completed/skipped");
}

TEST(GitLabStatus, AFailureThatIsAllowedIsNeutralAndAnUnknownStatusRanksNowhere) {
  EXPECT_EQ(mapped("failed", true), "completed/neutral");
  EXPECT_EQ(mapped("success", true), "completed/success");
  EXPECT_EQ(mapped("exploded"), "exploded/");
}

}  // namespace
}  // namespace faultline::processors
