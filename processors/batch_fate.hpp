#pragma once

// What the transactional consumer does with a batch after one try at it, as
// one pure function of how the try ended and which try it was.

#include <algorithm>
#include <chrono>

namespace faultline::processors {

// How one try at a batch (its transaction) ended.
enum class Outcome {
  kCommitted,      // applied, and the offsets moved past it
  kLostOwnership,  // a partition moved to another consumer, which may have applied it
  kUnavailable,    // PostgreSQL or GitHub cannot be reached, or the database is briefly busy
  // The broker did not take a dead letter: says nothing about the messages.
  kDeadLetterUnavailable,
  kFailed,  // anything else: maybe a message that can never be applied
};

// Which try it was.
struct Attempt {
  enum class Scope {
    kBatch,    // the batch as it was consumed
    kMessage,  // one message of a batch that was split
  };
  Scope scope = Scope::kBatch;
  int number = 1;    // of this batch (or message), from 1
  int failures = 0;  // earlier tries of it that ended kFailed
  int limit = 3;     // tries that may fail before the batch is split or the message dead-lettered
  bool dead_lettering = false;  // this try dead-lettered the message instead of applying it
  bool stopping = false;        // the consumer is shutting down
};

struct Fate {
  enum class Kind {
    kCommitted,   // done: take the next batch
    kDrop,        // forget it and fetch again from the offsets in the database
    kLeave,       // stop without it: the offsets still point at it, so the next start reads it
    kRetry,       // try it again, as it is, after `delay`
    kSplit,       // try each message alone
    kDeadLetter,  // try the message once more, at once, dead-lettering it with the last error
  };
  Kind kind;
  std::chrono::milliseconds delay{0};  // kRetry only

  static Fate retry_after(std::chrono::milliseconds d) { return {Kind::kRetry, d}; }
  bool operator==(const Fate&) const = default;
};

// How long to wait before try `number + 1`: 200 ms doubling, at most 5 s.
inline std::chrono::milliseconds back_off_delay(int number) {
  return std::chrono::milliseconds(std::min(5000, 100 << std::clamp(number, 0, 6)));
}

// Only a failure that may be the messages' own counts towards the limit:
// an unavailable dependency, the dead-letter topic included, is waited out
// however long it lasts, and never splits a batch or dead-letters a message.
inline Fate decide(Outcome outcome, const Attempt& attempt) {
  switch (outcome) {
    case Outcome::kCommitted:
      return {Fate::Kind::kCommitted};
    case Outcome::kLostOwnership:
      return {Fate::Kind::kDrop};
    case Outcome::kUnavailable:
    case Outcome::kDeadLetterUnavailable:
    case Outcome::kFailed:
      break;
  }
  if (attempt.stopping)
    return {Fate::Kind::kLeave};
  const auto retry = Fate::retry_after(back_off_delay(attempt.number));
  if (outcome != Outcome::kFailed)
    return retry;
  // Dead-lettering touches no message, so its failure is not theirs either.
  if (attempt.dead_lettering || attempt.failures + 1 < attempt.limit)
    return retry;
  return {attempt.scope == Attempt::Scope::kBatch ? Fate::Kind::kSplit : Fate::Kind::kDeadLetter};
}

// The try after `attempt`, which ended `outcome` and was given `fate`.
inline Attempt next_attempt(Attempt attempt, Outcome outcome, const Fate& fate) {
  ++attempt.number;
  if (outcome == Outcome::kFailed)
    ++attempt.failures;
  attempt.dead_lettering = fate.kind == Fate::Kind::kDeadLetter;
  return attempt;
}

}  // namespace faultline::processors
