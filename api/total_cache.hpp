#pragma once

// Counting every match of a list is the most expensive part of a page of the
// run list (the page itself is an index range): 60 ms for 100,000 runs.
// Dashboards poll the same lists, so the total of each filter is kept for a
// moment: a page's items are always fresh, its total may be up to `ttl` old
// (a little more while one request recounts it).

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace faultline::api {

class TotalCache {
 public:
  explicit TotalCache(std::chrono::milliseconds ttl, std::size_t max_entries = 4096)
      : ttl_(ttl), max_entries_(max_entries) {}

  // The cached total for `key`, or `count()` (then kept for ttl). Once it
  // expired, one caller recounts while the others keep the old total, so a
  // busy list is never counted by many requests at once.
  std::int64_t get(const std::string& key, const std::function<std::int64_t()>& count);

 private:
  struct Entry {
    std::int64_t total;
    std::chrono::steady_clock::time_point expires;
    bool recounting = false;
  };
  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace faultline::api
