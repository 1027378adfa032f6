#include "api/analytics_cache.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>

namespace faultline::api {
namespace {

using namespace std::chrono_literals;

struct Source {
  std::optional<std::uint64_t> generation = 1;
};

TEST(AnalyticsCacheTest, AnAnswerIsKeptUntilTheGenerationMovesOn) {
  Source source;
  metrics::Registry registry;
  AnalyticsCache cache([&] { return source.generation; }, 0ms, registry);
  int computed = 0;
  const auto compute = [&] { return std::to_string(++computed); };

  EXPECT_EQ(cache.get("trends", compute), "1");
  EXPECT_EQ(cache.get("trends", compute), "1");
  EXPECT_EQ(cache.get("health", compute), "2");  // another question
  source.generation = 2;
  EXPECT_EQ(cache.get("trends", compute), "3");
  EXPECT_EQ(cache.get("trends", compute), "3");
  EXPECT_NE(registry.render().find("faultline_api_analytics_cache_total{result=\"hit\"} 2"),
            std::string::npos)
      << registry.render();
  EXPECT_NE(registry.render().find("faultline_api_analytics_cache_total{result=\"miss\"} 3"),
            std::string::npos);
}

TEST(AnalyticsCacheTest, NothingIsKeptWhileNothingCanTell) {
  Source source;
  source.generation.reset();
  metrics::Registry registry;
  AnalyticsCache cache([&] { return source.generation; }, 0ms, registry);
  int computed = 0;
  const auto compute = [&] { return std::to_string(++computed); };
  EXPECT_EQ(cache.get("trends", compute), "1");
  EXPECT_EQ(cache.get("trends", compute), "2");
  // Listening again: what was computed before is not trusted.
  source.generation = 7;
  EXPECT_EQ(cache.get("trends", compute), "3");
  EXPECT_EQ(cache.get("trends", compute), "3");
}

TEST(AnalyticsCacheTest, AChangeWhileComputingIsNotHiddenByTheAnswer) {
  Source source;
  metrics::Registry registry;
  AnalyticsCache cache([&] { return source.generation; }, 0ms, registry);
  int computed = 0;
  // The data changes (and the feed says so) while the first answer is read.
  EXPECT_EQ(cache.get("trends",
                      [&] {
                        source.generation = 2;
                        return std::to_string(++computed);
                      }),
            "1");
  EXPECT_EQ(cache.get("trends", [&] { return std::to_string(++computed); }), "2");
}

TEST(AnalyticsCacheTest, OneRequestComputesAgainWhileTheOthersGetTheAnswerBefore) {
  Source source;
  metrics::Registry registry;
  AnalyticsCache cache([&] { return source.generation; }, 0ms, registry);
  EXPECT_EQ(cache.get("trends", [] { return std::string("before"); }), "before");
  source.generation = 2;
  std::string meanwhile;
  EXPECT_EQ(cache.get("trends",
                      [&] {
                        // Another request for the same question, while this one computes.
                        meanwhile = cache.get("trends", [] { return std::string("second"); });
                        return std::string("after");
                      }),
            "after");
  EXPECT_EQ(meanwhile, "before");
  EXPECT_EQ(cache.get("trends", [] { return std::string("third"); }), "after");
  EXPECT_NE(registry.render().find("faultline_api_analytics_cache_total{result=\"stale\"} 1"),
            std::string::npos)
      << registry.render();
}

TEST(AnalyticsCacheTest, AQuestionIsComputedAgainAtMostOncePerRefresh) {
  Source source;
  metrics::Registry registry;
  AnalyticsCache cache([&] { return source.generation; }, 1h, registry);
  int computed = 0;
  const auto compute = [&] { return std::to_string(++computed); };
  EXPECT_EQ(cache.get("trends", compute), "1");
  source.generation = 2;  // changed just after: the answer before stands for now
  EXPECT_EQ(cache.get("trends", compute), "1");
  EXPECT_EQ(cache.get("health", compute), "2");  // a question not asked before is computed
}

TEST(AnalyticsCacheTest, AFailedComputationKeepsNothing) {
  Source source;
  metrics::Registry registry;
  AnalyticsCache cache([&] { return source.generation; }, 0ms, registry);
  EXPECT_THROW(cache.get("trends", []() -> std::string { throw std::runtime_error("gone"); }),
               std::runtime_error);
  EXPECT_EQ(cache.get("trends", [] { return std::string("back"); }), "back");
  // Failing to compute again leaves the next request to try, not the old answer forever.
  source.generation = 2;
  EXPECT_THROW(cache.get("trends", []() -> std::string { throw std::runtime_error("gone"); }),
               std::runtime_error);
  EXPECT_EQ(cache.get("trends", [] { return std::string("again"); }), "again");
}

TEST(AnalyticsCacheTest, ManyQuestionsDoNotGrowItWithoutBound) {
  Source source;
  metrics::Registry registry;
  AnalyticsCache cache([&] { return source.generation; }, 0ms, registry, 4);
  int computed = 0;
  const auto compute = [&] { return std::to_string(++computed); };
  for (int question = 0; question < 4; ++question)
    cache.get(std::to_string(question), compute);
  EXPECT_EQ(cache.get("0", compute), "1");  // still kept
  cache.get("4", compute);                  // a fifth: the rest go
  EXPECT_EQ(cache.get("0", compute), "6");
}

}  // namespace
}  // namespace faultline::api
