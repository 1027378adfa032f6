#pragma once

#include <atomic>
#include <chrono>
#include <functional>

namespace faultline::processors {

// Runs `pass` every `interval` until `stop`. A pass that throws is logged
// with `failure` and tried again at the next interval; `stop` is noticed
// within a tenth of a second.
void repeat_until_stopped(const std::atomic<bool>& stop, std::chrono::milliseconds interval,
                          const std::function<void()>& pass, const char* failure);

}  // namespace faultline::processors
