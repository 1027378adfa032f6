#include "api/analytics_cache.hpp"

namespace faultline::api {
namespace {

metrics::Counter& answers(metrics::Registry& registry, const char* result) {
  return registry.counter("faultline_api_analytics_cache_total",
                          "Analytics answers, by whether they were kept from before",
                          {{"result", result}});
}

}  // namespace

AnalyticsCache::AnalyticsCache(Generation generation, std::chrono::milliseconds refresh,
                               metrics::Registry& registry, std::size_t max_entries)
    : generation_(std::move(generation)),
      refresh_(refresh),
      max_entries_(max_entries),
      hits_(answers(registry, "hit")),
      stale_(answers(registry, "stale")),
      misses_(answers(registry, "miss")),
      bypassed_(answers(registry, "bypass")) {}

std::string AnalyticsCache::get(const std::string& key,
                                const std::function<std::string()>& compute) {
  // Read before computing: a change committed while computing moves the
  // generation past the one the answer is kept under.
  const auto generation = generation_();
  if (!generation) {
    bypassed_.increment();
    return compute();
  }
  {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(key);
    if (found != entries_.end()) {
      auto& entry = found->second;
      if (entry.generation == *generation) {
        hits_.increment();
        return entry.answer;
      }
      if (entry.computing || Clock::now() - entry.computed_at < refresh_) {
        stale_.increment();
        return entry.answer;
      }
      entry.computing = true;
    }
  }
  misses_.increment();
  std::string answer;
  try {
    answer = compute();
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (const auto found = entries_.find(key); found != entries_.end())
      found->second.computing = false;  // the next request tries again
    throw;
  }
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_ && !entries_.count(key))
    entries_.clear();  // hostile filters cannot grow memory without bound
  entries_[key] = Entry{*generation, answer, Clock::now(), false};
  return answer;
}

}  // namespace faultline::api
