#include "api/auth/rate_limiter.hpp"

#include <algorithm>
#include <charconv>

#include "common/problem.hpp"

namespace faultline::api::auth {

RatePolicy RatePolicy::from(const Environment& env, const std::string& variable, std::string name,
                            const std::string& fallback) {
  const std::string text = env.text(variable, fallback);
  const auto slash = text.find('/');
  RatePolicy policy{std::move(name), 0, {}};
  const auto* end = text.data() + (slash == std::string::npos ? text.size() : slash);
  const auto [stop, ec] = std::from_chars(text.data(), end, policy.limit);
  if (slash == std::string::npos || ec != std::errc{} || stop != end || policy.limit < 1)
    throw ConfigError(variable + ": expected requests/window such as 20/1m, got '" + text + "'");
  try {
    policy.window =
        std::chrono::duration_cast<std::chrono::seconds>(parse_duration(text.substr(slash + 1)));
  } catch (const ConfigError&) {
    throw ConfigError(variable + ": expected requests/window such as 20/1m, got '" + text + "'");
  }
  if (policy.window.count() < 1)
    throw ConfigError(variable + ": the window must be at least 1s");
  return policy;
}

namespace {

RateDecision decide(const RatePolicy& policy, long long hits, long long reset_at, long long now) {
  RateDecision d;
  d.limit = policy.limit;
  d.allowed = hits <= policy.limit;
  d.remaining = std::max<std::int64_t>(0, policy.limit - hits);
  d.reset_at = reset_at;
  d.reset_after = std::max<std::int64_t>(1, reset_at - now);
  return d;
}

std::string bucket(const RatePolicy& policy, const std::string& key) {
  return policy.name + ":" + key;
}

}  // namespace

RateDecision RateLimiter::hit(soci::session& sql, const RatePolicy& policy,
                              const std::string& key) {
  const std::string name = bucket(policy, key);
  const long long window = policy.window.count();
  long long hits = 0, reset_at = 0, now = 0;
  // One statement, so concurrent requests from any process serialise on the row.
  sql << "INSERT INTO rate_limit_windows AS w (bucket, window_start, window_seconds, hits)"
         " VALUES (:bucket, clock_timestamp(), :window, 1)"
         " ON CONFLICT (bucket) DO UPDATE SET"
         "  hits = CASE WHEN w.window_start <= clock_timestamp() -"
         "   make_interval(secs => EXCLUDED.window_seconds) THEN 1 ELSE w.hits + 1 END,"
         "  window_start = CASE WHEN w.window_start <= clock_timestamp() -"
         "   make_interval(secs => EXCLUDED.window_seconds) THEN clock_timestamp()"
         "   ELSE w.window_start END,"
         "  window_seconds = EXCLUDED.window_seconds"
         " RETURNING hits, ceil(extract(epoch FROM window_start))::bigint + window_seconds,"
         "  extract(epoch FROM clock_timestamp())::bigint",
      soci::use(name), soci::use(window), soci::into(hits), soci::into(reset_at), soci::into(now);
  return decide(policy, hits, reset_at, now);
}

RateDecision RateLimiter::peek(soci::session& sql, const RatePolicy& policy,
                               const std::string& key) const {
  const std::string name = bucket(policy, key);
  long long hits = 0, reset_at = 0, now = 0;
  soci::indicator found = soci::i_null;
  sql << "SELECT CASE WHEN window_start <= clock_timestamp() -"
         "  make_interval(secs => window_seconds) THEN 0 ELSE hits END,"
         " ceil(extract(epoch FROM window_start))::bigint + window_seconds,"
         " extract(epoch FROM clock_timestamp())::bigint"
         " FROM rate_limit_windows WHERE bucket = :bucket",
      soci::use(name), soci::into(hits, found), soci::into(reset_at), soci::into(now);
  if (!sql.got_data() || found != soci::i_ok) {
    RateDecision fresh;
    fresh.limit = policy.limit;
    fresh.remaining = policy.limit;
    return fresh;
  }
  // The next failure would be hit number hits + 1.
  return decide(policy, hits + 1, reset_at, now);
}

long long RateLimiter::remove_expired(soci::session& sql) {
  soci::statement st =
      (sql.prepare
       << "DELETE FROM rate_limit_windows WHERE window_start < now() - interval '1 day'");
  st.execute(true);
  return st.get_affected_rows();
}

std::string lock_reason(const RatePolicy& policy, const RateDecision& decision,
                        const std::string& what) {
  return std::to_string(policy.limit) + " " + what + " within " +
         std::to_string(policy.window.count()) + " s; locked for " +
         std::to_string(decision.reset_after) + " s";
}

ClientError account_locked(const RatePolicy& policy, const RateDecision& decision,
                           const std::string& what) {
  return ClientError(Problem{429,
                             "Too Many Requests",
                             "Too many " + what + " for this account; retry after " +
                                 std::to_string(decision.reset_after) + " seconds.",
                             "rate-limited",
                             {}},
                     rate_limit_headers(policy, decision));
}

http::Headers rate_limit_headers(const RatePolicy& policy, const RateDecision& decision) {
  const auto limit = std::to_string(decision.limit);
  const auto remaining = std::to_string(decision.remaining);
  const auto reset_after = std::to_string(decision.reset_after);
  http::Headers headers{
      {"X-RateLimit-Limit", limit},
      {"X-RateLimit-Remaining", remaining},
      {"X-RateLimit-Reset", std::to_string(decision.reset_at)},
      {"RateLimit-Policy",
       "\"" + policy.name + "\";q=" + limit + ";w=" + std::to_string(policy.window.count())},
      {"RateLimit", "\"" + policy.name + "\";r=" + remaining + ";t=" + reset_after},
  };
  if (!decision.allowed)
    headers.emplace_back("Retry-After", reset_after);
  return headers;
}

http::Reply too_many_requests(const RatePolicy& policy, const RateDecision& decision) {
  auto reply = http::problem_reply(Problem{
      429,
      "Too Many Requests",
      "Too many requests; retry after " + std::to_string(decision.reset_after) + " seconds.",
      "rate-limited",
      {}});
  reply.headers = rate_limit_headers(policy, decision);
  return reply;
}

}  // namespace faultline::api::auth
