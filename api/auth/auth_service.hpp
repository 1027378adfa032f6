#pragma once

// /api/v1/auth: accounts, logins, refresh-token rotation, sessions, and the
// OAuth 2.0 token endpoint, all behind the rate limits.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/audit/audit_log.hpp"
#include "api/auth/access_token.hpp"
#include "api/auth/accounts.hpp"
#include "api/auth/authenticator.hpp"
#include "api/auth/password_hasher.hpp"
#include "api/auth/rate_limiter.hpp"
#include "api/auth/sessions.hpp"
#include "api/auth/two_factor.hpp"
#include "api/route_table.hpp"
#include "common/config.hpp"
#include "common/database.hpp"
#include "common/secret_box.hpp"

namespace faultline::api::auth {

struct AuthSettings {
  std::string jwt_secret;  // FAULTLINE_JWT_SECRET
  Argon2Parameters argon2;
  SessionSettings sessions;
  std::chrono::milliseconds session_cache{2000};  // FAULTLINE_AUTH_SESSION_CACHE
  // Per client address: FAULTLINE_AUTH_{LOGIN,REGISTER,REFRESH,TOKEN}_LIMIT.
  RatePolicy login{"login", 20, std::chrono::seconds(60)};
  RatePolicy registration{"register", 10, std::chrono::seconds(600)};
  RatePolicy refresh{"refresh", 60, std::chrono::seconds(60)};
  RatePolicy token{"token", 30, std::chrono::seconds(60)};
  // Failed logins per account: FAULTLINE_AUTH_LOGIN_FAILURE_LIMIT.
  RatePolicy login_failures{"login-failures", 5, std::chrono::seconds(900)};
  // CSP reports per client address (anyone may send them):
  // FAULTLINE_API_CSP_REPORT_LIMIT.
  RatePolicy csp_reports{"csp-report", 120, std::chrono::seconds(60)};
  // The second step of a login, and confirming or disabling two-factor, per
  // client address: FAULTLINE_AUTH_TWO_FACTOR_LIMIT.
  RatePolicy two_factor_requests{"two-factor", 20, std::chrono::seconds(60)};
  TwoFactorSettings two_factor;

  static AuthSettings from(const Environment& env);
};

class AuthService {
 public:
  AuthService(const AuthSettings& settings, Database& database, metrics::Registry& registry,
              const audit::AuditLog& audit, const SecretBox& secrets);

  Authenticator& authenticator() { return authenticator_; }
  const PasswordHasher& hasher() const { return hasher_; }
  const AuthSettings& settings() const { return settings_; }

  void declare_routes(RouteTable& routes);

  // Runs `handle` after counting the request against `policy` for the
  // client's address; every answer carries the policy's headers.
  http::Reply limited(const RatePolicy& policy, const ApiRequest& request,
                      const std::function<http::Reply()>& handle);

 private:
  http::Reply login(const ApiRequest& request);
  http::Reply refresh(const ApiRequest& request);
  http::Reply token_endpoint(const ApiRequest& request);
  http::Reply register_account(const ApiRequest& request);
  // PATCH /api/v1/auth/me {email, password, code | recovery_code}: the
  // password again, and a fresh second factor when two-factor is on.
  http::Reply change_email(const ApiRequest& request);

  // A password login's answer: the token response, or (for an account with
  // two-factor on) the challenge the second step must present.
  struct SignIn {
    std::string document;
    std::optional<std::string> challenge;
  };
  // Checks a password login and opens a session or a challenge; or a
  // ClientError (401 with one body for every wrong email or password, 429).
  SignIn sign_in(const std::string& email, const std::string& password, const ApiRequest& request);
  http::Reply second_factor_required(const std::string& challenge) const;
  // 429 (audited, counted) for an account past its failed-login limit.
  [[noreturn]] void refuse_locked_login(const audit::Context& context, const std::string& target,
                                        const RateDecision& locked);
  // Opens a session and writes its login row context (a second factor's).
  std::string open_session(soci::session& sql, const User& user, const ApiRequest& request,
                           audit::Context& context);
  // Rotates a refresh token: the token response, or a ClientError 401.
  std::string rotate(const std::string& refresh_token, const ApiRequest& request);
  std::string token_response(const User& user, const IssuedSession& session) const;
  void count_refusal(const RatePolicy& policy);

  AuthSettings settings_;
  Database& database_;
  metrics::Registry& registry_;
  const audit::AuditLog& audit_;
  PasswordHasher hasher_;
  AccessTokens tokens_;
  Sessions sessions_;
  RateLimiter limiter_;
  Authenticator authenticator_;
  TwoFactor two_factor_;
};

}  // namespace faultline::api::auth
