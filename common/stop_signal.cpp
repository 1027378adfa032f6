#include "common/stop_signal.hpp"

#include "common/log.hpp"

namespace faultline {

void repeat_until_stopped(const StopSignal& stop, std::chrono::milliseconds interval,
                          const std::function<void()>& pass, const char* failure, FirstPass first) {
  if (first == FirstPass::kAfterInterval && stop.wait_for(interval))
    return;
  while (!stop.stop_requested()) {
    try {
      pass();
    } catch (const std::exception& e) {
      log::warn(failure, {{"error", e.what()}});
    }
    if (stop.wait_for(interval))
      return;
  }
}

}  // namespace faultline
