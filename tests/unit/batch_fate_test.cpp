#include "processors/batch_fate.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace faultline::processors {
namespace {

using namespace std::chrono_literals;
using Kind = Fate::Kind;
using Scope = Attempt::Scope;

constexpr Outcome kOutcomes[] = {Outcome::kCommitted, Outcome::kLostOwnership,
                                 Outcome::kUnavailable, Outcome::kDeadLetterUnavailable,
                                 Outcome::kFailed};
constexpr Scope kScopes[] = {Scope::kBatch, Scope::kMessage};
constexpr int kLimit = 3;

// Every attempt decide() can be asked about, with a limit of 3: the number of
// tries and of failures below, at and beyond the limit.
std::vector<Attempt> every_attempt() {
  std::vector<Attempt> out;
  for (const Scope scope : kScopes)
    for (int number = 1; number <= 9; ++number)
      for (int failures = 0; failures < number; ++failures)
        for (const bool dead_lettering : {false, true})
          for (const bool stopping : {false, true})
            out.push_back({scope, number, failures, kLimit, dead_lettering, stopping});
  return out;
}

std::string describe(Outcome outcome, const Attempt& a) {
  return "outcome " + std::to_string(static_cast<int>(outcome)) + ", scope " +
         std::to_string(static_cast<int>(a.scope)) + ", try " + std::to_string(a.number) +
         ", failures " + std::to_string(a.failures) + (a.dead_lettering ? ", dead-lettering" : "") +
         (a.stopping ? ", stopping" : "");
}

// The whole table, one rule per outcome, each checked for every attempt.
TEST(BatchFate, EveryOutcomeAndAttempt) {
  for (const Outcome outcome : kOutcomes) {
    for (const Attempt& a : every_attempt()) {
      const Fate fate = decide(outcome, a);
      const Fate retry = Fate::retry_after(back_off_delay(a.number));
      SCOPED_TRACE(describe(outcome, a));
      switch (outcome) {
        case Outcome::kCommitted:
          EXPECT_EQ(fate, Fate{Kind::kCommitted});
          break;
        case Outcome::kLostOwnership:
          EXPECT_EQ(fate, Fate{Kind::kDrop});
          break;
        case Outcome::kUnavailable:
        case Outcome::kDeadLetterUnavailable:
          // Waited out however long it lasts: never split, never dead-lettered.
          EXPECT_EQ(fate, a.stopping ? Fate{Kind::kLeave} : retry);
          break;
        case Outcome::kFailed:
          if (a.stopping) {
            EXPECT_EQ(fate, Fate{Kind::kLeave});
          } else if (a.dead_lettering || a.failures + 1 < kLimit) {
            EXPECT_EQ(fate, retry);
          } else if (a.scope == Scope::kBatch) {
            EXPECT_EQ(fate, Fate{Kind::kSplit});
          } else {
            EXPECT_EQ(fate, Fate{Kind::kDeadLetter});
          }
          break;
      }
      // Only a whole batch is split, only a message of a split one dead-lettered.
      if (fate.kind == Kind::kSplit) {
        EXPECT_EQ(a.scope, Scope::kBatch);
      }
      if (fate.kind == Kind::kDeadLetter) {
        EXPECT_EQ(a.scope, Scope::kMessage);
      }
      if (fate.kind != Kind::kRetry) {
        EXPECT_EQ(fate.delay, 0ms);
      }
    }
  }
}

TEST(BatchFate, BackOffDoublesFrom200MsUpTo5s) {
  EXPECT_EQ(back_off_delay(1), 200ms);
  EXPECT_EQ(back_off_delay(2), 400ms);
  EXPECT_EQ(back_off_delay(3), 800ms);
  EXPECT_EQ(back_off_delay(4), 1600ms);
  EXPECT_EQ(back_off_delay(5), 3200ms);
  EXPECT_EQ(back_off_delay(6), 5000ms);
  EXPECT_EQ(back_off_delay(1000), 5000ms);
}

// The fates a run of outcomes meets, each try following the last as the
// consumer's loop does.
std::vector<Kind> run(Scope scope, const std::vector<Outcome>& outcomes) {
  Attempt attempt{.scope = scope, .limit = kLimit};
  std::vector<Kind> fates;
  for (const Outcome outcome : outcomes) {
    const Fate fate = decide(outcome, attempt);
    fates.push_back(fate.kind);
    attempt = next_attempt(attempt, outcome, fate);
  }
  return fates;
}

TEST(BatchFate, ABatchThatFailsThreeTimesIsSplit) {
  EXPECT_EQ(run(Scope::kBatch, {Outcome::kFailed, Outcome::kFailed, Outcome::kFailed}),
            (std::vector{Kind::kRetry, Kind::kRetry, Kind::kSplit}));
}

TEST(BatchFate, ADeadLetterTheBrokerWillNotTakeIsRetriedAndNeverSplitsTheBatch) {
  const std::vector<Outcome> refused(8, Outcome::kDeadLetterUnavailable);
  auto outcomes = refused;
  outcomes.push_back(Outcome::kCommitted);
  auto expected = std::vector<Kind>(8, Kind::kRetry);
  expected.push_back(Kind::kCommitted);
  EXPECT_EQ(run(Scope::kBatch, outcomes), expected);
  // Nor is a message of a split batch dead-lettered for it.
  EXPECT_EQ(run(Scope::kMessage, outcomes), expected);
}

TEST(BatchFate, TriesWhileADependencyIsUnavailableDoNotCountAsFailures) {
  using O = Outcome;
  EXPECT_EQ(run(Scope::kBatch, {O::kFailed, O::kUnavailable, O::kDeadLetterUnavailable,
                                O::kUnavailable, O::kFailed, O::kFailed}),
            (std::vector{Kind::kRetry, Kind::kRetry, Kind::kRetry, Kind::kRetry, Kind::kRetry,
                         Kind::kSplit}));
}

TEST(BatchFate, AMessageThatKeepsFailingIsDeadLetteredAndARefusedDeadLetterIsRetried) {
  using O = Outcome;
  EXPECT_EQ(run(Scope::kMessage, {O::kFailed, O::kFailed, O::kFailed,  // dead-letter it
                                  O::kDeadLetterUnavailable,           // the broker refuses
                                  O::kFailed,                          // applied again: fails
                                  O::kCommitted}),                     // dead-lettered
            (std::vector{Kind::kRetry, Kind::kRetry, Kind::kDeadLetter, Kind::kRetry,
                         Kind::kDeadLetter, Kind::kCommitted}));
  // A dead-lettering try that fails is retried, not dead-lettered again at once.
  EXPECT_EQ(run(Scope::kMessage, {O::kFailed, O::kFailed, O::kFailed, O::kFailed}),
            (std::vector{Kind::kRetry, Kind::kRetry, Kind::kDeadLetter, Kind::kRetry}));
}

TEST(BatchFate, NextAttemptCountsTriesFailuresAndDeadLettering) {
  const Attempt first{.limit = kLimit};
  const Attempt after_failure =
      next_attempt(first, Outcome::kFailed, Fate::retry_after(back_off_delay(1)));
  EXPECT_EQ(after_failure.number, 2);
  EXPECT_EQ(after_failure.failures, 1);
  EXPECT_FALSE(after_failure.dead_lettering);
  const Attempt after_refusal = next_attempt(after_failure, Outcome::kDeadLetterUnavailable,
                                             Fate::retry_after(back_off_delay(2)));
  EXPECT_EQ(after_refusal.number, 3);
  EXPECT_EQ(after_refusal.failures, 1);
  EXPECT_TRUE(
      next_attempt(after_refusal, Outcome::kFailed, Fate{Kind::kDeadLetter}).dead_lettering);
}

}  // namespace
}  // namespace faultline::processors
