#pragma once

// Rate limits whose counters live in PostgreSQL, so that every API process
// counts against the same limit. Fixed windows: simple, one row per bucket,
// and one upsert per counted request.

#include <chrono>
#include <cstdint>
#include <string>

#include "common/config.hpp"
#include "common/http.hpp"
#include "common/soci.hpp"

namespace faultline::api::auth {

struct RatePolicy {
  std::string name;  // names the policy in RateLimit-Policy and the bucket key
  std::int64_t limit = 0;
  std::chrono::seconds window{60};

  // "N/duration", e.g. "20/1m"; the variable, if set, overrides `fallback`.
  static RatePolicy from(const Environment& env, const std::string& variable, std::string name,
                         const std::string& fallback);
};

struct RateDecision {
  bool allowed = true;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset_at = 0;     // epoch seconds when the window ends
  std::int64_t reset_after = 0;  // seconds until then
};

class RateLimiter {
 public:
  // Counts one request against `key` (a client address or an account).
  RateDecision hit(soci::session& sql, const RatePolicy& policy, const std::string& key);
  // Looks without counting (a request that may be refused before it costs anything).
  RateDecision peek(soci::session& sql, const RatePolicy& policy, const std::string& key) const;

  // Deletes windows that ended more than a day ago; returns how many.
  static long long remove_expired(soci::session& sql);
};

// X-RateLimit-Limit/-Remaining/-Reset (epoch seconds) and the IETF
// RateLimit/RateLimit-Policy fields; with Retry-After when refused.
http::Headers rate_limit_headers(const RatePolicy& policy, const RateDecision& decision);

// An account locked by a per-account `policy` after too many `what` ("failed
// logins"): the audit row's reason, and the 429 to throw (with the headers).
std::string lock_reason(const RatePolicy& policy, const RateDecision& decision,
                        const std::string& what);
ClientError account_locked(const RatePolicy& policy, const RateDecision& decision,
                           const std::string& what);

// 429 problem+json carrying the headers above.
http::Reply too_many_requests(const RatePolicy& policy, const RateDecision& decision);

}  // namespace faultline::api::auth
