#include "processors/periodic.hpp"

#include <thread>

#include "common/log.hpp"

namespace faultline::processors {

void repeat_until_stopped(const std::atomic<bool>& stop, std::chrono::milliseconds interval,
                          const std::function<void()>& pass, const char* failure) {
  while (!stop) {
    try {
      pass();
    } catch (const std::exception& e) {
      log::warn(failure, {{"error", e.what()}});
    }
    const auto until = std::chrono::steady_clock::now() + interval;
    while (!stop && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace faultline::processors
