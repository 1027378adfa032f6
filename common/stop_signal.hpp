#pragma once

// The one way Faultline's loops wait: a periodic pass, a back-off, a drain.
// A wait ends at its time or as soon as stop is requested, whichever comes
// first, so a service stops at once rather than at the end of its longest
// sleep.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

namespace faultline {

class StopSignal {
 public:
  using Clock = std::chrono::steady_clock;

  StopSignal() = default;
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Wakes every wait; from now on every wait returns true at once.
  void request_stop() {
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    wake_.notify_all();
  }

  bool stop_requested() const { return stopped_; }

  // Waits until `deadline` or stop; true when stop was requested.
  bool wait_until(Clock::time_point deadline) const {
    std::unique_lock lock(mutex_);
    return wake_.wait_until(lock, deadline, [this] { return stopped_.load(); });
  }

  template <class Rep, class Period>
  bool wait_for(std::chrono::duration<Rep, Period> duration) const {
    return wait_until(Clock::now() + std::chrono::duration_cast<Clock::duration>(duration));
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable wake_;
  std::atomic<bool> stopped_{false};
};

// Runs `pass` every `interval` until stop is requested: the loop of every
// periodic job (reconciliation, retention, the API's cleanup). A pass that
// throws is logged as a warning `failure` and tried again at the next
// interval. The first pass runs at once, or after one interval with kAfterInterval.
enum class FirstPass { kNow, kAfterInterval };
void repeat_until_stopped(const StopSignal& stop, std::chrono::milliseconds interval,
                          const std::function<void()>& pass, const char* failure,
                          FirstPass first = FirstPass::kNow);

}  // namespace faultline
