#include "api/total_cache.hpp"

namespace faultline::api {

std::int64_t TotalCache::get(const std::string& key, const std::function<std::int64_t()>& count) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(key);
    if (found != entries_.end() && found->second.expires > now)
      return found->second.total;
  }
  // Counted outside the lock: two requests may both count, which is cheaper
  // than making every other filter wait for this one.
  const auto total = count();
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_)
    entries_.clear();  // hostile filters cannot grow memory without bound
  entries_[key] = Entry{total, now + ttl_};
  return total;
}

}  // namespace faultline::api
