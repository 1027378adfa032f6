#include "common/stop_signal.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace faultline {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(StopSignal, AWaitRunsItsTimeUnlessStopped) {
  const StopSignal stop;
  const auto started = Clock::now();
  EXPECT_FALSE(stop.wait_for(30ms));
  EXPECT_GE(Clock::now() - started, 30ms);
  EXPECT_FALSE(stop.stop_requested());
}

TEST(StopSignal, RequestStopEndsAWaitAtOnce) {
  StopSignal stop;
  const auto started = Clock::now();
  std::thread stopper([&] {
    std::this_thread::sleep_for(20ms);
    stop.request_stop();
  });
  EXPECT_TRUE(stop.wait_for(60s));
  stopper.join();
  EXPECT_LT(Clock::now() - started, 10s);
  EXPECT_TRUE(stop.stop_requested());
  EXPECT_TRUE(stop.wait_for(60s));  // and every later one
}

TEST(StopSignal, RepeatsAPassUntilStoppedAndSurvivesOneThatThrows) {
  StopSignal stop;
  std::atomic<int> passes{0};
  std::thread loop([&] {
    repeat_until_stopped(
        stop, 1ms,
        [&] {
          if (++passes == 1)
            throw std::runtime_error("first pass fails");
          if (passes == 3)
            stop.request_stop();
        },
        "pass failed");
  });
  loop.join();
  EXPECT_EQ(passes, 3);
}

TEST(StopSignal, AfterIntervalStoppedBeforeTheFirstPassRunsNone) {
  StopSignal stop;
  stop.request_stop();
  int passes = 0;
  repeat_until_stopped(
      stop, 60s, [&] { ++passes; }, "pass failed", FirstPass::kAfterInterval);
  EXPECT_EQ(passes, 0);
}

}  // namespace
}  // namespace faultline
