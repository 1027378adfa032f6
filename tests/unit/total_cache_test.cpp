#include "api/total_cache.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace faultline::api {
namespace {

using namespace std::chrono_literals;

TEST(TotalCacheTest, ReusesATotalUntilItExpires) {
  TotalCache cache(200ms);
  int counted = 0;
  const auto count = [&] { return std::int64_t{10} * ++counted; };
  EXPECT_EQ(cache.get("a", count), 10);
  EXPECT_EQ(cache.get("a", count), 10);
  EXPECT_EQ(cache.get("b", count), 20);  // each filter its own
  std::this_thread::sleep_for(250ms);
  EXPECT_EQ(cache.get("a", count), 30);
}

TEST(TotalCacheTest, ZeroMeansAlwaysCount) {
  TotalCache cache(0ms);
  int counted = 0;
  const auto count = [&] { return static_cast<std::int64_t>(++counted); };
  EXPECT_EQ(cache.get("a", count), 1);
  EXPECT_EQ(cache.get("a", count), 2);
}

TEST(TotalCacheTest, StaysBounded) {
  TotalCache cache(1h, 3);
  for (int i = 0; i < 10; ++i)
    cache.get(std::to_string(i), [] { return std::int64_t{1}; });
  int counted = 0;
  // "9" survived the last clear; "0" did not.
  cache.get("9", [&] { return std::int64_t{++counted}; });
  cache.get("0", [&] { return std::int64_t{++counted}; });
  EXPECT_EQ(counted, 1);
}

}  // namespace
}  // namespace faultline::api

namespace faultline::api {
namespace {

TEST(TotalCacheTest, OneCallerRecountsWhileOthersKeepTheOldTotal) {
  TotalCache cache(std::chrono::milliseconds(1));
  cache.get("a", [] { return std::int64_t{1}; });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::atomic<bool> inside{false}, release{false};
  std::thread recounter([&] {
    cache.get("a", [&] {
      inside = true;
      while (!release)
        std::this_thread::yield();
      return std::int64_t{2};
    });
  });
  while (!inside)
    std::this_thread::yield();
  int counted = 0;
  EXPECT_EQ(cache.get("a", [&] { return std::int64_t{++counted + 100}; }), 1);
  EXPECT_EQ(counted, 0);
  release = true;
  recounter.join();
}

}  // namespace
}  // namespace faultline::api
