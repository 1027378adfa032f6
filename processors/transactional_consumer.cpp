#include "processors/transactional_consumer.hpp"

#include <algorithm>
#include <thread>

#include "common/log.hpp"
#include "common/topics.hpp"

namespace faultline::processors {

using Clock = std::chrono::steady_clock;

namespace {

// Errors that say nothing about the messages: a deadlock or serialization
// failure between consumers (class 40), a lost connection (08), a server short
// of resources (53) or shutting down (57P). The batch is retried as it is,
// never split or dead-lettered.
bool transient(const std::string& sqlstate) {
  return sqlstate.rfind("40", 0) == 0 || sqlstate.rfind("08", 0) == 0 ||
         sqlstate.rfind("53", 0) == 0 || sqlstate.rfind("57P", 0) == 0;
}

}  // namespace

TransactionalConsumer::TransactionalConsumer(ConsumerSettings settings,
                                             const kafka::Settings& kafka, Database& database,
                                             kafka::Producer& dead_letters, BatchHandler& handler,
                                             metrics::Registry& registry)
    : settings_(std::move(settings)),
      database_(database),
      dead_letters_(dead_letters),
      handler_(handler),
      offsets_(settings_.group_id),
      applied_(registry.counter("faultline_processor_messages_applied_total",
                                "Messages applied to PostgreSQL", {{"group", settings_.group_id}})),
      dead_lettered_(registry.counter("faultline_processor_messages_dead_lettered_total",
                                      "Messages sent to ci.deadletter.v1",
                                      {{"group", settings_.group_id}})),
      failed_batches_(registry.counter("faultline_processor_batch_failures_total",
                                       "Batch transactions rolled back",
                                       {{"group", settings_.group_id}})),
      batch_seconds_(registry.histogram(
          "faultline_processor_batch_seconds", "Time to apply and commit one batch",
          metrics::latency_buckets(), {{"group", settings_.group_id}})),
      connection_problem_(registry.gauge("faultline_processor_kafka_connection_problem",
                                         "1 while the group's consumer reaches no broker (the log "
                                         "says why)",
                                         {{"group", settings_.group_id}})) {
  kafka::RebalanceListener& listener = *this;
  consumer_ =
      std::make_unique<kafka::Consumer>(kafka, settings_.group_id, settings_.topics, listener);
}

TransactionalConsumer::~TransactionalConsumer() = default;

void TransactionalConsumer::run(const std::atomic<bool>& stop) {
  stop_ = &stop;
  log::info("consuming", {{"group", settings_.group_id}});
  while (!stop) {
    // Waits only for the first message of a batch; then takes what has already
    // been fetched. A batch is committed once the consumer has caught up, so a
    // quiet stream is applied at once and a busy one in full batches.
    auto message = consumer_->poll(pending_.empty() ? std::chrono::milliseconds(20)
                                                    : std::chrono::milliseconds(0));
    const bool caught_up = !message;
    connection_problem_.set(consumer_->connection_problem() ? 1 : 0);
    if (message) {
      if (pending_.empty())
        pending_since_ = Clock::now();
      pending_.push_back(std::move(*message));
    }
    if (pending_.size() >= settings_.max_batch ||
        (!pending_.empty() && (caught_up || Clock::now() - pending_since_ >= settings_.linger)))
      flush();
  }
  flush();
  consumer_->close();
  log::info("stopped consuming", {{"group", settings_.group_id}});
}

void TransactionalConsumer::flush() {
  if (pending_.empty())
    return;
  for (int attempt = 1;; ++attempt) {
    std::string error;
    const auto started = Clock::now();
    const Outcome outcome = commit(pending_, error);
    if (outcome == Outcome::kCommitted) {
      batch_seconds_.observe(std::chrono::duration<double>(Clock::now() - started).count());
      applied_.increment(pending_.size());
      pending_.clear();
      return;
    }
    failed_batches_.increment();
    if (outcome == Outcome::kLostOwnership) {
      log::warn("partition moved to another consumer; dropping the batch", {{"error", error}});
      rewind_to_stored(pending_);
      pending_.clear();
      return;
    }
    if (stop_ && *stop_) {
      // Not committed, so the offsets still point here: the next start re-reads it.
      log::warn("stopping with an uncommitted batch", {{"messages", pending_.size()}});
      pending_.clear();
      return;
    }
    if (outcome == Outcome::kUnavailable) {
      log::warn("a dependency is unavailable; retrying the batch",
                {{"error", error}, {"attempt", attempt}});
      back_off(attempt);
      continue;
    }
    log::warn("batch failed", {{"error", error}, {"attempt", attempt}});
    if (attempt >= settings_.attempts)
      return apply_one_by_one();
    back_off(attempt);
  }
}

TransactionalConsumer::Outcome TransactionalConsumer::commit(
    const std::vector<kafka::Message>& batch, std::string& error, const std::string* give_up) {
  std::map<kafka::TopicPartition, std::int64_t> next;
  for (const auto& m : batch) {
    auto& slot = next[{std::string(m.topic()), m.partition()}];
    slot = std::max(slot, m.offset() + 1);
  }
  try {
    return database_.with_session([&](soci::session& sql) {
      try {
        soci::transaction tx(sql);
        std::vector<Rejection> rejections;
        if (give_up)
          for (std::size_t i = 0; i < batch.size(); ++i)
            rejections.push_back({i, *give_up});
        else
          rejections = handler_.apply(sql, batch);
        for (const auto& r : rejections)
          dead_letter(batch[r.index], r.error);
        offsets_.advance(sql, stored_, next);
        tx.commit();
        for (const auto& [tp, offset] : next)
          stored_[tp] = offset;
        return Outcome::kCommitted;
      } catch (const LostOwnership& e) {
        error = e.what();
        return Outcome::kLostOwnership;
      } catch (const RetryLater& e) {
        error = e.what();
        return Outcome::kUnavailable;
      } catch (const soci::postgresql_soci_error& e) {
        error = e.what();
        if (transient(e.sqlstate()))
          return Outcome::kUnavailable;
        return sql.is_connected() ? Outcome::kFailed : Outcome::kUnavailable;
      } catch (const std::exception& e) {
        error = e.what();
        return sql.is_connected() ? Outcome::kFailed : Outcome::kUnavailable;
      }
    });
  } catch (const std::exception& e) {  // leasing or reconnecting failed
    error = e.what();
    return Outcome::kUnavailable;
  }
}

// A batch that keeps failing holds at least one message that cannot be
// applied: try each alone, and dead-letter the ones that still fail.
void TransactionalConsumer::apply_one_by_one() {
  auto batch = std::move(pending_);
  pending_.clear();
  for (auto& message : batch) {
    std::vector<kafka::Message> single;
    single.push_back(std::move(message));
    std::string error;
    for (int attempt = 1;; ++attempt) {
      const Outcome outcome = commit(single, error);
      if (outcome == Outcome::kCommitted) {
        applied_.increment();
        break;
      }
      if (outcome == Outcome::kLostOwnership || (stop_ && *stop_)) {
        rewind_to_stored(single);
        return;
      }
      if (outcome == Outcome::kFailed && attempt >= settings_.attempts) {
        std::string reason = error;
        if (commit(single, error, &reason) == Outcome::kCommitted)
          break;
      }
      back_off(attempt);
    }
  }
}

void TransactionalConsumer::dead_letter(const kafka::Message& message, const std::string& error) {
  kafka::OutgoingMessage out{topics::kDeadLetter, std::string(message.key()),
                             std::string(message.value()), message.headers()};
  out.headers.push_back({"faultline_source_topic", std::string(message.topic())});
  out.headers.push_back({"faultline_source_partition", std::to_string(message.partition())});
  out.headers.push_back({"faultline_source_offset", std::to_string(message.offset())});
  out.headers.push_back({"faultline_consumer_group", settings_.group_id});
  out.headers.push_back({"faultline_error", error});
  const auto err = dead_letters_.produce_and_wait(std::move(out));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    throw kafka::Error(std::string("cannot dead-letter: ") + rd_kafka_err2str(err), err);
  dead_lettered_.increment();
  log::warn("dead-lettered a message", {{"topic", message.topic()},
                                        {"partition", message.partition()},
                                        {"offset", message.offset()},
                                        {"error", error}});
}

// After a batch is dropped, fetch again from where the database says we are.
void TransactionalConsumer::rewind_to_stored(const std::vector<kafka::Message>& batch) {
  std::vector<kafka::TopicPartition> partitions;
  for (const auto& m : batch) {
    kafka::TopicPartition tp{std::string(m.topic()), m.partition()};
    if (std::find(partitions.begin(), partitions.end(), tp) == partitions.end())
      partitions.push_back(tp);
  }
  try {
    auto stored =
        database_.with_session([&](soci::session& sql) { return offsets_.load(sql, partitions); });
    std::map<kafka::TopicPartition, std::int64_t> positions;
    for (const auto& tp : partitions) {
      const auto found = stored.find(tp);
      if (found == stored.end()) {
        positions[tp] = RD_KAFKA_OFFSET_BEGINNING;  // rewound by `replay --to-beginning`
        stored_.erase(tp);
      } else {
        positions[tp] = found->second;
        stored_[tp] = found->second;
      }
    }
    consumer_->seek(positions);
  } catch (const std::exception& e) {
    log::warn("cannot rewind after a dropped batch", {{"error", e.what()}});
  }
}

void TransactionalConsumer::back_off(int attempt) {
  const auto delay = std::chrono::milliseconds(std::min(5000, 100 << std::min(attempt, 6)));
  const auto until = Clock::now() + delay;
  while (Clock::now() < until && !(stop_ && *stop_))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::map<kafka::TopicPartition, std::int64_t> TransactionalConsumer::on_assigned(
    const std::vector<kafka::TopicPartition>& partitions) {
  for (int attempt = 1;; ++attempt) {
    try {
      auto stored = database_.with_session(
          [&](soci::session& sql) { return offsets_.load(sql, partitions); });
      for (const auto& tp : partitions)
        stored_.erase(tp);
      for (const auto& [tp, offset] : stored)
        stored_[tp] = offset;
      log::info("partitions assigned", {{"group", settings_.group_id},
                                        {"partitions", partitions.size()},
                                        {"with_stored_offsets", stored.size()}});
      return stored;
    } catch (const std::exception& e) {
      // Without the stored offsets we cannot know where to start: wait for the database.
      log::warn("cannot load offsets; retrying", {{"error", e.what()}, {"attempt", attempt}});
      if (stop_ && *stop_)
        return {};
      back_off(attempt);
    }
  }
}

void TransactionalConsumer::on_revoked(const std::vector<kafka::TopicPartition>& partitions) {
  flush();
  for (const auto& tp : partitions)
    stored_.erase(tp);
  log::info("partitions revoked",
            {{"group", settings_.group_id}, {"partitions", partitions.size()}});
}

}  // namespace faultline::processors
