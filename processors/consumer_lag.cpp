#include "processors/consumer_lag.hpp"

#include <algorithm>

namespace faultline::processors {

ConsumerLag::ConsumerLag(const kafka::Consumer& consumer, metrics::Gauge& gauge)
    : consumer_(consumer), gauge_(gauge), thread_([this] {
        while (!stop_.wait_for(std::chrono::seconds(1)))
          measure();
      }) {}

ConsumerLag::~ConsumerLag() {
  stop_.request_stop();
  thread_.join();
  gauge_.add(static_cast<double>(-reported_));
}

void ConsumerLag::assigned(const kafka::TopicPartition& partition,
                           std::optional<std::int64_t> stored) {
  std::lock_guard lock(mutex_);
  positions_[partition] = stored.value_or(0);
}

void ConsumerLag::stored(const kafka::TopicPartition& partition, std::int64_t next) {
  std::lock_guard lock(mutex_);
  positions_[partition] = next;
}

void ConsumerLag::revoked(const kafka::TopicPartition& partition) {
  std::lock_guard lock(mutex_);
  positions_.erase(partition);
}

void ConsumerLag::measure() {
  std::lock_guard lock(mutex_);
  std::int64_t lag = 0;
  for (const auto& [partition, next] : positions_)
    if (const auto end = consumer_.cached_end_offset(partition))  // none before the first fetch
      lag += std::max<std::int64_t>(0, *end - next);
  gauge_.add(static_cast<double>(lag - reported_));
  reported_ = lag;
}

}  // namespace faultline::processors
