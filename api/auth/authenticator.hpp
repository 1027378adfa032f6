#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "api/api_request.hpp"
#include "api/auth/access_token.hpp"
#include "api/auth/principal.hpp"
#include "api/auth/sessions.hpp"
#include "common/database.hpp"
#include "common/metrics.hpp"

namespace faultline::api::auth {

// Turns "Authorization: Bearer <jwt>" into a Principal, or refuses with 401.
//
// The token's signature and claims are checked on every request; whether its
// session is still live costs a database lookup at most once per session per
// `session_cache` (a revocation made through this process takes effect at
// once, one made through another process within that time).
class Authenticator {
 public:
  Authenticator(const AccessTokens& tokens, const Sessions& sessions, Database& database,
                metrics::Registry& registry, std::chrono::milliseconds session_cache);

  Principal authenticate(const ApiRequest& request);

  void forget(const std::string& session_id);
  void forget_all();

 private:
  bool session_live(const std::string& session_id);

  const AccessTokens& tokens_;
  const Sessions& sessions_;
  Database& database_;
  metrics::Registry& registry_;
  std::chrono::milliseconds session_cache_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> live_until_;
};

}  // namespace faultline::api::auth
