#include "api/total_cache.hpp"

namespace faultline::api {

std::int64_t TotalCache::get(const std::string& key, const std::function<std::int64_t()>& count) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    const auto found = entries_.find(key);
    if (found != entries_.end()) {
      if (found->second.expires > now || found->second.recounting)
        return found->second.total;
      found->second.recounting = true;
    }
  }
  std::int64_t total = 0;
  try {
    total = count();
  } catch (...) {
    std::lock_guard lock(mutex_);
    if (const auto found = entries_.find(key); found != entries_.end())
      found->second.recounting = false;  // the next caller tries again
    throw;
  }
  std::lock_guard lock(mutex_);
  if (entries_.size() >= max_entries_ && !entries_.count(key))
    entries_.clear();  // hostile filters cannot grow memory without bound
  entries_[key] = Entry{total, std::chrono::steady_clock::now() + ttl_, false};
  return total;
}

}  // namespace faultline::api
