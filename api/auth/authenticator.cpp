#include "api/auth/authenticator.hpp"

#include <strings.h>

#include "common/log.hpp"
#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api::auth {
namespace {

constexpr std::size_t kMaxCachedSessions = 100'000;

[[noreturn]] void refuse(const std::string& detail, bool token_presented) {
  // RFC 6750 §3.1: say what kind of credential is wanted, and whether the one
  // sent was bad, without saying how.
  throw ClientError(
      Problem{401, "Unauthorized", detail, "unauthorized", {}},
      {{"WWW-Authenticate", token_presented ? R"(Bearer realm="faultline", error="invalid_token")"
                                            : R"(Bearer realm="faultline")"}});
}

}  // namespace

Authenticator::Authenticator(const AccessTokens& tokens, const Sessions& sessions,
                             Database& database, metrics::Registry& registry,
                             std::chrono::milliseconds session_cache)
    : tokens_(tokens),
      sessions_(sessions),
      database_(database),
      registry_(registry),
      session_cache_(session_cache) {}

Principal Authenticator::authenticate(const ApiRequest& request) {
  const auto header = request.headers.find("authorization");
  if (header == request.headers.end())
    refuse("Send an access token: Authorization: Bearer <token>.", false);
  const std::string& value = header->second;
  if (value.size() < 8 || strncasecmp(value.c_str(), "Bearer ", 7) != 0)
    refuse("Send an access token: Authorization: Bearer <token>.", false);
  const auto verified = tokens_.verify(std::string_view(value).substr(7), epoch_seconds());
  if (!verified.claims) {
    registry_
        .counter("faultline_api_tokens_refused_total", "Access tokens refused, by reason",
                 {{"reason", to_string(verified.error)}})
        .increment();
    refuse(verified.error == TokenError::kExpired ? "The access token has expired."
                                                  : "The access token is not valid.",
           true);
  }
  const auto& claims = *verified.claims;
  if (!session_live(claims.session_id)) {
    registry_
        .counter("faultline_api_tokens_refused_total", "Access tokens refused, by reason",
                 {{"reason", "session-ended"}})
        .increment();
    refuse("The session of this access token has ended.", true);
  }
  return Principal{claims.user_id, claims.email, claims.role, claims.session_id};
}

bool Authenticator::session_live(const std::string& session_id) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    const auto it = live_until_.find(session_id);
    if (it != live_until_.end() && it->second > now)
      return true;
  }
  const bool live =
      database_.with_session([&](soci::session& sql) { return sessions_.active(sql, session_id); });
  std::lock_guard lock(mutex_);
  if (!live) {
    live_until_.erase(session_id);
    return false;
  }
  if (live_until_.size() >= kMaxCachedSessions)
    live_until_.clear();
  live_until_[session_id] = now + session_cache_;
  return true;
}

void Authenticator::forget(const std::string& session_id) {
  std::lock_guard lock(mutex_);
  live_until_.erase(session_id);
}

void Authenticator::forget_all() {
  std::lock_guard lock(mutex_);
  live_until_.clear();
}

}  // namespace faultline::api::auth
