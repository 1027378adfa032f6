#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>

#include "common/database.hpp"
#include "common/kafka.hpp"
#include "common/metrics.hpp"
#include "common/stop_signal.hpp"

namespace faultline::processors {

// Publishes what the outbox table holds, oldest first, and marks each row
// once the broker acknowledged it. A crash between the two publishes a row
// again on the next pass (consumers deduplicate on ce_id, the row's id);
// a change that never committed never reaches the outbox, so never the topic.
class OutboxRelay {
 public:
  OutboxRelay(Database& database, kafka::Producer& producer, metrics::Registry& registry);

  // One pass: publishes up to `limit` rows; returns how many it published.
  std::size_t publish_pending(std::size_t limit = 200);

  // Passes until `stop`, idling `interval` when there is nothing to publish.
  void run(const StopSignal& stop, std::chrono::milliseconds interval);

  // Sets faultline_outbox_backlog and faultline_outbox_oldest_seconds from
  // the rows not yet published (by any relay).
  void measure_backlog();

 private:
  Database& database_;
  kafka::Producer& producer_;
  metrics::Counter& published_;
  metrics::Counter& failures_;
  metrics::Gauge& backlog_;
  metrics::Gauge& oldest_seconds_;
};

}  // namespace faultline::processors
