#include "common/status.hpp"

#include <gtest/gtest.h>

#include <string>

namespace faultline {
namespace {

TEST(Status, HealthIsAlwaysOk) {
  const auto reply = status::health();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, R"({"status":"ok"})");
}

TEST(Status, ReadyIsTheFirstProblemOfItsChecks) {
  int later_checks = 0;
  const status::Checks checks{
      [] { return std::optional<Problem>(); },
      [] { return std::optional<Problem>(status::unavailable("No broker answers.", "kafka")); },
      [&] {
        ++later_checks;
        return std::optional<Problem>(status::unavailable("Never asked."));
      },
  };
  const auto reply = status::ready(checks);
  EXPECT_EQ(reply.status, 503);
  EXPECT_EQ(reply.content_type, kProblemContentType);
  EXPECT_NE(reply.body.find("No broker answers."), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("urn:faultline:problem:kafka"), std::string::npos) << reply.body;
  EXPECT_EQ(later_checks, 0);
}

TEST(Status, ReadyWithoutProblems) {
  const auto reply = status::ready({[] { return std::optional<Problem>(); }});
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, R"({"status":"ready"})");
}

TEST(Status, AnswersOnlyItsThreePaths) {
  const metrics::Registry registry;
  EXPECT_TRUE(status::answer("/health", {}, registry));
  EXPECT_TRUE(status::answer("/ready", {}, registry));
  const auto metrics = status::answer("/metrics", {}, registry);
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->content_type, "text/plain; version=0.0.4");
  EXPECT_FALSE(status::answer("/healthz", {}, registry));
  EXPECT_FALSE(status::serves("/"));
}

}  // namespace
}  // namespace faultline
