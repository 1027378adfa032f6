#pragma once

// Analytics answers are sums over rollups that change only when runs,
// incidents or failures are stored, and dashboards ask the same few questions
// over and over. An answer is kept until the change feed moves on. After a
// change, one request computes the answer again while the others are given
// the one before, and a question is computed again at most once per `refresh`
// however often the data changes: answers are exact while the data is
// quiet, and at most about `refresh` behind while it is not. While nothing
// can tell whether the data changed, every answer is computed.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/metrics.hpp"

namespace faultline::api {

class AnalyticsCache {
 public:
  // Whether the data moved on: a value that changes with it, or nullopt while
  // nothing can tell.
  using Generation = std::function<std::optional<std::uint64_t>()>;

  // Counts answers in faultline_api_analytics_cache_total{result}: hit (kept,
  // current), stale (kept, the data changed since), miss (computed) and
  // bypass (computed: nothing could tell).
  AnalyticsCache(Generation generation, std::chrono::milliseconds refresh,
                 metrics::Registry& registry, std::size_t max_entries = 1024);

  // The answer for `key`, kept or from `compute()`.
  std::string get(const std::string& key, const std::function<std::string()>& compute);

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::uint64_t generation;
    std::string answer;
    Clock::time_point computed_at;
    bool computing = false;
  };
  Generation generation_;
  std::chrono::milliseconds refresh_;
  std::size_t max_entries_;
  metrics::Counter& hits_;
  metrics::Counter& stale_;
  metrics::Counter& misses_;
  metrics::Counter& bypassed_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace faultline::api
