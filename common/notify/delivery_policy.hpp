#pragma once

// What an answer means for a delivery, and when to try again: one pure
// function each, so the sender acts on a value and the rules are tested alone.

#include <chrono>
#include <optional>
#include <random>

#include "common/http_exchange.hpp"
#include "common/notify/messages.hpp"

namespace faultline::notify {

enum class Verdict {
  kSent,         // 2xx
  kRetry,        // 5xx, a timeout, a 4xx that may pass: the schedule says when
  kRateLimited,  // 429: when Retry-After says; does not count toward giving up
  kRefused,      // this message will never be taken (Slack 400, PagerDuty 400): given up
  kGone,         // the receiver is gone for good: the channel is disabled
  kBlocked,      // the receiver's address is not allowed: the channel is disabled
  kUnreachable,  // no HTTP answer: as kRetry
};

const char* to_string(Verdict verdict);

struct Judgement {
  Verdict verdict = Verdict::kRetry;
  // From Retry-After (seconds or an HTTP date is not parsed: seconds only).
  std::optional<std::chrono::seconds> retry_after;
};

// 410 is gone for every kind; Slack also answers 403 (invalid_token,
// action_prohibited), 404 (channel_not_found, no_service) for a webhook that
// will not come back.
Judgement judge(ChannelKind kind, const http_exchange::Response& response);

// Failed attempts after which a delivery is given up.
constexpr int kMaxFailures = 12;

// The longest a delivery ever waits for its next attempt.
constexpr std::chrono::milliseconds kDay = std::chrono::hours(24);

// How long after the `failures`-th failed attempt the next one is due:
// 5 s, 5 min, 30 min, 2 h, then doubling, capped at a day, each with ±10 %
// jitter (only shorter at the cap) so receivers that came back are not hit by
// every sender at once; nothing once kMaxFailures is reached. The first
// attempt is immediate.
std::optional<std::chrono::milliseconds> retry_delay(int failures, std::mt19937_64& random);

// The wait a rate limit asks for: Retry-After, at least a second, at most a day.
std::chrono::milliseconds rate_limit_delay(const Judgement& judgement);

}  // namespace faultline::notify
