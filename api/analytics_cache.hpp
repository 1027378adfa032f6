#pragma once

// Analytics answers are sums over rollups that change only when runs,
// incidents or failures are stored, and dashboards ask the same few questions
// over and over. An answer is kept until the change feed moves on; while it
// is not listening nothing is kept, so an answer is never staler than the
// notification that would have replaced it.

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
  // `generation` says whether the data moved on: a value, or nullopt while
  // nothing can tell (then every call computes).
  using Generation = std::function<std::optional<std::uint64_t>()>;

  // Counts answers in faultline_api_analytics_cache_total{result}: hit, miss
  // or bypass (nothing could tell).
  AnalyticsCache(Generation generation, metrics::Registry& registry,
                 std::size_t max_entries = 1024);

  // The answer kept for `key` in the current generation, or `compute()`.
  std::string get(const std::string& key, const std::function<std::string()>& compute);

 private:
  struct Entry {
    std::uint64_t generation;
    std::string answer;
  };
  Generation generation_;
  std::size_t max_entries_;
  metrics::Counter& hits_;
  metrics::Counter& misses_;
  metrics::Counter& bypassed_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace faultline::api
