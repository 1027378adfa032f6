#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/database.hpp"
#include "common/kafka.hpp"
#include "common/metrics.hpp"
#include "common/stop_signal.hpp"
#include "processors/batch_fate.hpp"
#include "processors/consumer_lag.hpp"
#include "processors/offset_store.hpp"

namespace faultline::processors {

// Thrown by a handler when a dependency outside the database (GitHub) is
// unavailable for now: the batch is retried with backoff, never dead-lettered.
class RetryLater : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A message that can never be applied, and why. It goes to ci.deadletter.v1.
struct Rejection {
  std::size_t index;  // into the batch
  std::string error;
};

// What a role does with a batch. Called inside an open transaction that also
// stores the batch's offsets, so the state and the position move together.
class BatchHandler {
 public:
  virtual ~BatchHandler() = default;
  // Applies every message it can; returns the ones it cannot ever apply.
  // Throws for anything that might succeed on another try (the transaction
  // is rolled back and the batch retried).
  virtual std::vector<Rejection> apply(soci::session& sql,
                                       const std::vector<kafka::Message>& batch) = 0;
};

struct ConsumerSettings {
  std::string group_id;
  std::vector<std::string> topics;
  std::size_t max_batch = 500;
  std::chrono::milliseconds linger{50};  // the longest a batch keeps growing while messages flow
  // Failed tries before a batch is split to find the message at fault, and
  // before that message is dead-lettered; an unavailable dependency counts none.
  int attempts = 3;
};

// Consumes `topics` in batches and hands each to a BatchHandler in one
// PostgreSQL transaction with the group's offsets, which live in the database
// (not in Kafka) and are read back on every assignment. A crash at any point
// therefore loses nothing and applies nothing twice.
class TransactionalConsumer : private kafka::RebalanceListener {
 public:
  TransactionalConsumer(ConsumerSettings settings, const kafka::Settings& kafka, Database& database,
                        kafka::Producer& dead_letters, BatchHandler& handler,
                        metrics::Registry& registry);
  ~TransactionalConsumer() override;

  // Runs until `stop` is set, then applies what it holds and leaves the group.
  void run(const StopSignal& stop);

  // Why its consumer reaches no broker ("Kafka: SASL authentication failed:
  // …"), until one answers; also the gauge faultline_processor_kafka_connection_problem.
  std::optional<std::string> connection_problem() const { return consumer_->connection_problem(); }

 private:
  // How one try ended, and why if it did not commit.
  struct Tried {
    Outcome outcome;
    std::string error;
  };

  std::map<kafka::TopicPartition, std::int64_t> on_assigned(
      const std::vector<kafka::TopicPartition>& partitions) override;
  void on_revoked(const std::vector<kafka::TopicPartition>& partitions) override;

  void flush();
  // Tries `batch` until decide() settles its fate: committed, dropped, left
  // for the next start, or (a whole batch only) split.
  Fate::Kind settle(const std::vector<kafka::Message>& batch, Attempt::Scope scope);
  Fate::Kind settle_one_by_one(std::vector<kafka::Message> batch);
  // Metrics and the log line for one try.
  void record(const Tried& tried, const Attempt& attempt, std::size_t messages,
              std::chrono::steady_clock::time_point started);
  // Applies the batch (or, with `dead_letter_reason`, dead-letters all of it
  // for that reason) and moves the offsets past it, in one transaction.
  Tried commit(const std::vector<kafka::Message>& batch,
               const std::optional<std::string>& dead_letter_reason);
  // Nothing once the broker took it; otherwise why it did not.
  std::optional<kafka::Error> dead_letter(const kafka::Message& message, const std::string& error);
  void rewind_to_stored(const std::vector<kafka::TopicPartition>& partitions);
  void back_off(std::chrono::milliseconds delay);

  ConsumerSettings settings_;
  Database& database_;
  kafka::Producer& dead_letters_;
  BatchHandler& handler_;
  OffsetStore offsets_;
  std::unique_ptr<kafka::Consumer> consumer_;
  const StopSignal* stop_ = nullptr;

  std::vector<kafka::Message> pending_;
  std::chrono::steady_clock::time_point pending_since_;
  // Where each owned partition stands in the database, as far as we know.
  std::map<kafka::TopicPartition, std::int64_t> stored_;

  metrics::Counter& applied_;
  metrics::Counter& dead_lettered_;
  metrics::Counter& failed_batches_;
  metrics::Histogram& batch_seconds_;
  metrics::Gauge& connection_problem_;
  metrics::Gauge& lag_gauge_;
  // After consumer_, so it goes first: its thread reads the consumer.
  std::unique_ptr<ConsumerLag> lag_;
};

}  // namespace faultline::processors
