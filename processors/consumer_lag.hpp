#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "common/kafka.hpp"
#include "common/metrics.hpp"
#include "common/stop_signal.hpp"

namespace faultline::processors {

// How far a consumer is behind on the partitions it owns: the end offsets
// librdkafka last fetched minus the offsets stored in PostgreSQL, in
// faultline_processor_consumer_lag_messages. The consumer's thread notes
// where it stands; a thread of the meter's own measures every second, so the
// gauge keeps moving while a batch is stuck on a lock or a back-off, which is
// when it matters.
class ConsumerLag {
 public:
  // The gauge may be shared by the group's consumers of one process: each
  // adds its own part, and takes it back when it goes.
  ConsumerLag(const kafka::Consumer& consumer, metrics::Gauge& gauge);
  ~ConsumerLag();
  ConsumerLag(const ConsumerLag&) = delete;
  ConsumerLag& operator=(const ConsumerLag&) = delete;

  // Owned from now on; `stored`: the next offset to apply, if one is stored.
  void assigned(const kafka::TopicPartition& partition, std::optional<std::int64_t> stored);
  void stored(const kafka::TopicPartition& partition, std::int64_t next);
  void revoked(const kafka::TopicPartition& partition);

  // Measures now (the thread does it every second).
  void measure();

 private:
  const kafka::Consumer& consumer_;
  metrics::Gauge& gauge_;
  std::mutex mutex_;
  // Owned partitions and the next offset to apply; 0 when none is stored, so
  // the whole partition counts (an upper bound once retention deleted its start).
  std::map<kafka::TopicPartition, std::int64_t> positions_;
  std::int64_t reported_ = 0;
  StopSignal stop_;
  std::thread thread_;  // last: it starts once the rest exists
};

}  // namespace faultline::processors
