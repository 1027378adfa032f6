#pragma once

// Optional TOTP two-factor sign-in (README, Two-factor sign-in): enrolment
// and its confirmation, disabling, and the second step of a login. Every
// step is audited; no code, secret or recovery code is ever logged.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "api/audit/audit_log.hpp"
#include "api/auth/accounts.hpp"
#include "api/auth/rate_limiter.hpp"
#include "common/database.hpp"
#include "common/http.hpp"
#include "common/secret_box.hpp"

namespace faultline::api::auth {

struct TwoFactorSettings {
  // Wrong codes per account: FAULTLINE_AUTH_TWO_FACTOR_FAILURE_LIMIT.
  RatePolicy failures{"two-factor-failures", 5, std::chrono::seconds(900)};
  // How long a login's challenge waits for the code:
  // FAULTLINE_AUTH_TWO_FACTOR_CHALLENGE_LIFETIME.
  std::chrono::seconds challenge_lifetime{300};
  std::string issuer = "Faultline";  // the name authenticator apps show

  static TwoFactorSettings from(const Environment& env);
};

class TwoFactor {
 public:
  // Opens a session for a user whose second factor was accepted, inside the
  // caller's transaction; returns the token response and sets the context's
  // actor and session.
  using OpenSession = std::function<std::string(soci::session&, const User&, audit::Context&)>;

  TwoFactor(const TwoFactorSettings& settings, Database& database, RateLimiter& limiter,
            const audit::AuditLog& audit, const SecretBox& secrets);

  // GET /api/v1/auth/two-factor: {enabled, pending, recovery_codes_left}.
  http::Reply status(const ApiRequest& request);
  // POST /api/v1/auth/two-factor/enrolment: a new secret, its otpauth URI and
  // ten recovery codes, shown this once; pending until confirmed.
  http::Reply enrol(const ApiRequest& request);
  // POST /api/v1/auth/two-factor/enrolment/confirm {code}.
  http::Reply confirm(const ApiRequest& request);
  // POST /api/v1/auth/two-factor/disable {code | recovery_code}.
  http::Reply disable(const ApiRequest& request);

  // After a password is accepted: a challenge when the user has two-factor
  // on (audited), nothing otherwise. Inside the caller's transaction.
  std::optional<std::string> challenge(soci::session& sql, const User& user,
                                       const audit::Context& context);
  // Runs `then` in one transaction: for a caller with two-factor on, the one
  // that checks and uses the fresh factor `body` names (code or
  // recovery_code; a wrong or used one is refused with 422 and audited); for
  // a caller without, a plain one. For changes that must not rest on a
  // stolen session alone (changing the email).
  void with_fresh_factor_if_on(const ApiRequest& request, const json::Value& body,
                               const std::function<void(soci::session&)>& then);

  // POST /api/v1/auth/login/two-factor {challenge, code | recovery_code}.
  http::Reply complete(const ApiRequest& request, const OpenSession& open_session);

  const TwoFactorSettings& settings() const { return settings_; }

 private:
  enum class Proof { kCode, kRecoveryCode };
  struct Factor {
    Proof proof = Proof::kCode;
    std::string value;  // six digits, or a normalized recovery code
  };
  enum class Check { kAccepted, kReused, kWrong };

  // A success row for the user, in the caller's transaction.
  void succeeded(soci::session& sql, const audit::Context& context, audit::Action action,
                 std::int64_t user_id, const std::string& reason) const;
  static Factor factor_of(const json::Value& body, bool recovery_allowed);
  // Checks and uses the factor against the locked, confirmed enrolment.
  Check check_and_use(soci::session& sql, std::int64_t user_id, const std::string& sealed_secret,
                      std::int64_t last_used_step, const Factor& factor) const;
  // 429 (audited) while the account has had too many wrong codes.
  void refuse_if_locked(std::int64_t user_id, const audit::Context& context);
  // Counts a wrong or reused code against the account, audits it, and throws
  // `status` (401 at login, 422 for a signed-in caller).
  [[noreturn]] void refuse(std::int64_t user_id, const audit::Context& context, Check check,
                           const Factor& factor, int status);
  // Runs `then` in the transaction that checks and uses a fresh factor of
  // the signed-in caller (disabling, changing the email); a wrong or used
  // factor is refused (422) and audited.
  void require_fresh_factor(const ApiRequest& request, const Factor& factor,
                            const std::function<void(soci::session&)>& then);

  TwoFactorSettings settings_;
  Database& database_;
  RateLimiter& limiter_;
  const audit::AuditLog& audit_;
  const SecretBox& secrets_;
};

}  // namespace faultline::api::auth
