#include "processors/transactional_consumer.hpp"

#include <algorithm>
#include <thread>

#include "common/log.hpp"
#include "common/topics.hpp"
#include "common/trace_context.hpp"

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

// Every partition `batch` holds messages of, once each.
std::vector<kafka::TopicPartition> partitions_of(const std::vector<kafka::Message>& batch) {
  std::vector<kafka::TopicPartition> partitions;
  for (const auto& m : batch) {
    kafka::TopicPartition tp{std::string(m.topic()), m.partition()};
    if (std::find(partitions.begin(), partitions.end(), tp) == partitions.end())
      partitions.push_back(tp);
  }
  return partitions;
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
                                         {{"group", settings_.group_id}})),
      lag_gauge_(
          registry.gauge("faultline_processor_consumer_lag_messages",
                         "Messages on the group's partitions of this process not yet applied "
                         "(end offsets as last fetched, minus the offsets stored in PostgreSQL)",
                         {{"group", settings_.group_id}})) {
  kafka::RebalanceListener& listener = *this;
  consumer_ =
      std::make_unique<kafka::Consumer>(kafka, settings_.group_id, settings_.topics, listener);
  lag_ = std::make_unique<ConsumerLag>(*consumer_, lag_gauge_);
}

TransactionalConsumer::~TransactionalConsumer() = default;

void TransactionalConsumer::run(const StopSignal& stop) {
  stop_ = &stop;
  log::info("consuming", {{"group", settings_.group_id}});
  while (!stop.stop_requested()) {
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
  auto batch = std::move(pending_);
  pending_.clear();
  const auto partitions = partitions_of(batch);
  Fate::Kind end = settle(batch, Attempt::Scope::kBatch);
  if (end == Fate::Kind::kSplit)
    end = settle_one_by_one(std::move(batch));
  // What was not committed is fetched again, from all of the batch's partitions.
  if (end == Fate::Kind::kDrop)
    rewind_to_stored(partitions);
}

Fate::Kind TransactionalConsumer::settle(const std::vector<kafka::Message>& batch,
                                         Attempt::Scope scope) {
  Attempt attempt{.scope = scope, .limit = settings_.attempts};
  std::optional<std::string> dead_letter_reason;
  for (;;) {
    const auto started = Clock::now();
    const Tried tried = commit(batch, dead_letter_reason);
    attempt.stopping = stop_ && stop_->stop_requested();
    const Fate fate = decide(tried.outcome, attempt);
    record(tried, attempt, batch.size(), started);
    switch (fate.kind) {
      case Fate::Kind::kCommitted:
      case Fate::Kind::kDrop:
      case Fate::Kind::kSplit:
        return fate.kind;
      case Fate::Kind::kLeave:
        // Not committed, so the offsets still point here: the next start re-reads it.
        log::warn("stopping with an uncommitted batch", {{"messages", batch.size()}});
        return fate.kind;
      case Fate::Kind::kRetry:
        dead_letter_reason.reset();
        back_off(fate.delay);
        break;
      case Fate::Kind::kDeadLetter:
        dead_letter_reason = tried.error;
        break;
    }
    attempt = next_attempt(attempt, tried.outcome, fate);
  }
}

void TransactionalConsumer::record(const Tried& tried, const Attempt& attempt, std::size_t messages,
                                   Clock::time_point started) {
  const bool whole = attempt.scope == Attempt::Scope::kBatch;
  if (tried.outcome == Outcome::kCommitted) {
    if (whole)
      batch_seconds_.observe(std::chrono::duration<double>(Clock::now() - started).count());
    applied_.increment(messages);
    return;
  }
  if (whole)
    failed_batches_.increment();
  const auto warn = [&](std::string_view what) {
    log::warn(what, {{"error", tried.error}, {"attempt", attempt.number}, {"messages", messages}});
  };
  switch (tried.outcome) {
    case Outcome::kCommitted:
      break;
    case Outcome::kLostOwnership:
      warn("partition moved to another consumer; dropping the batch");
      break;
    case Outcome::kUnavailable:
      warn("a dependency is unavailable; retrying the batch");
      break;
    case Outcome::kDeadLetterUnavailable:
      warn("the broker does not take dead letters; retrying the batch");
      break;
    case Outcome::kFailed:
      warn(whole ? "batch failed" : "message failed");
      break;
  }
}

// A batch that keeps failing holds at least one message that cannot be
// applied: each is tried alone, and the ones that still fail are dead-lettered.
Fate::Kind TransactionalConsumer::settle_one_by_one(std::vector<kafka::Message> batch) {
  for (auto& message : batch) {
    std::vector<kafka::Message> single;
    single.push_back(std::move(message));
    if (const auto end = settle(single, Attempt::Scope::kMessage); end != Fate::Kind::kCommitted)
      return end;
  }
  return Fate::Kind::kCommitted;
}

TransactionalConsumer::Tried TransactionalConsumer::commit(
    const std::vector<kafka::Message>& batch,
    const std::optional<std::string>& dead_letter_reason) {
  std::map<kafka::TopicPartition, std::int64_t> next;
  for (const auto& m : batch) {
    auto& slot = next[{std::string(m.topic()), m.partition()}];
    slot = std::max(slot, m.offset() + 1);
  }
  try {
    return database_.with_session([&](soci::session& sql) -> Tried {
      try {
        soci::transaction tx(sql);
        std::vector<Rejection> rejections;
        if (dead_letter_reason)
          for (std::size_t i = 0; i < batch.size(); ++i)
            rejections.push_back({i, *dead_letter_reason});
        else
          rejections = handler_.apply(sql, batch);
        for (const auto& r : rejections)
          if (auto refused = dead_letter(batch[r.index], r.error))
            return {Outcome::kDeadLetterUnavailable, refused->what()};  // rolled back
        offsets_.advance(sql, stored_, next);
        tx.commit();
        for (const auto& [tp, offset] : next) {
          stored_[tp] = offset;
          lag_->stored(tp, offset);
        }
        return {Outcome::kCommitted, {}};
      } catch (const LostOwnership& e) {
        return {Outcome::kLostOwnership, e.what()};
      } catch (const RetryLater& e) {
        return {Outcome::kUnavailable, e.what()};
      } catch (const soci::postgresql_soci_error& e) {
        if (transient(e.sqlstate()))
          return {Outcome::kUnavailable, e.what()};
        return {sql.is_connected() ? Outcome::kFailed : Outcome::kUnavailable, e.what()};
      } catch (const std::exception& e) {
        return {sql.is_connected() ? Outcome::kFailed : Outcome::kUnavailable, e.what()};
      }
    });
  } catch (const std::exception& e) {  // leasing or reconnecting failed
    return {Outcome::kUnavailable, e.what()};
  }
}

std::optional<kafka::Error> TransactionalConsumer::dead_letter(const kafka::Message& message,
                                                               const std::string& error) {
  const trace::Scope traced(trace::continue_from(message));
  kafka::OutgoingMessage out{topics::kDeadLetter, std::string(message.key()),
                             std::string(message.value()), message.headers()};
  out.headers.push_back({"faultline_source_topic", std::string(message.topic())});
  out.headers.push_back({"faultline_source_partition", std::to_string(message.partition())});
  out.headers.push_back({"faultline_source_offset", std::to_string(message.offset())});
  out.headers.push_back({"faultline_consumer_group", settings_.group_id});
  out.headers.push_back({"faultline_error", error});
  try {
    if (const auto err = dead_letters_.produce_and_wait(std::move(out))) {
      kafka::Error refused(std::string("cannot dead-letter: ") + rd_kafka_err2str(err), err);
      log::warn("the broker did not take a dead letter", {{"error", refused.what()},
                                                          {"retriable", refused.retriable()},
                                                          {"fatal", refused.fatal()}});
      return refused;
    }
  } catch (const kafka::Error& e) {  // not even queued
    log::warn("cannot queue a dead letter",
              {{"error", e.what()}, {"retriable", e.retriable()}, {"fatal", e.fatal()}});
    return e;
  }
  dead_lettered_.increment();
  log::warn("dead-lettered a message", {{"topic", message.topic()},
                                        {"partition", message.partition()},
                                        {"offset", message.offset()},
                                        {"error", error}});
  return std::nullopt;
}

// After a batch is dropped, fetch again from where the database says we are.
void TransactionalConsumer::rewind_to_stored(const std::vector<kafka::TopicPartition>& partitions) {
  try {
    auto stored =
        database_.with_session([&](soci::session& sql) { return offsets_.load(sql, partitions); });
    std::map<kafka::TopicPartition, std::int64_t> positions;
    for (const auto& tp : partitions) {
      const auto found = stored.find(tp);
      if (found == stored.end()) {
        positions[tp] = RD_KAFKA_OFFSET_BEGINNING;  // rewound by `replay --to-beginning`
        stored_.erase(tp);
        lag_->assigned(tp, std::nullopt);
      } else {
        positions[tp] = found->second;
        stored_[tp] = found->second;
        lag_->stored(tp, found->second);
      }
    }
    consumer_->seek(positions);
  } catch (const std::exception& e) {
    log::warn("cannot rewind after a dropped batch", {{"error", e.what()}});
  }
}

void TransactionalConsumer::back_off(std::chrono::milliseconds delay) {
  if (stop_)
    stop_->wait_for(delay);
  else
    std::this_thread::sleep_for(delay);
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
      for (const auto& tp : partitions) {
        const auto found = stored.find(tp);
        lag_->assigned(
            tp, found == stored.end() ? std::nullopt : std::optional<std::int64_t>(found->second));
      }
      log::info("partitions assigned", {{"group", settings_.group_id},
                                        {"partitions", partitions.size()},
                                        {"with_stored_offsets", stored.size()}});
      return stored;
    } catch (const std::exception& e) {
      // Without the stored offsets we cannot know where to start: wait for the database.
      log::warn("cannot load offsets; retrying", {{"error", e.what()}, {"attempt", attempt}});
      if (stop_ && stop_->stop_requested())
        return {};
      back_off(back_off_delay(attempt));
    }
  }
}

void TransactionalConsumer::on_revoked(const std::vector<kafka::TopicPartition>& partitions) {
  flush();
  for (const auto& tp : partitions) {
    stored_.erase(tp);
    lag_->revoked(tp);
  }
  log::info("partitions revoked",
            {{"group", settings_.group_id}, {"partitions", partitions.size()}});
}

}  // namespace faultline::processors
