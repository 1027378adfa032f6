#include "api/auth/two_factor.hpp"

#include "api/auth/recovery_codes.hpp"
#include "api/auth/totp.hpp"
#include "api/auth/two_factor_store.hpp"
#include "api/json_body.hpp"
#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/time.hpp"

namespace faultline::api::auth {
namespace {

std::string user_target(std::int64_t user_id) {
  return "user:" + std::to_string(user_id);
}

[[noreturn]] void refuse_challenge() {
  throw ClientError(Problem{401,
                            "Unauthorized",
                            "The challenge is unknown, used or expired; sign in again.",
                            "invalid-challenge",
                            {}});
}

}  // namespace

TwoFactorSettings TwoFactorSettings::from(const Environment& env) {
  TwoFactorSettings s;
  s.failures = RatePolicy::from(env, "FAULTLINE_AUTH_TWO_FACTOR_FAILURE_LIMIT",
                                "two-factor-failures", "5/15m");
  s.challenge_lifetime = std::chrono::duration_cast<std::chrono::seconds>(
      env.duration("FAULTLINE_AUTH_TWO_FACTOR_CHALLENGE_LIFETIME", s.challenge_lifetime));
  if (s.challenge_lifetime.count() < 1)
    throw ConfigError("FAULTLINE_AUTH_TWO_FACTOR_CHALLENGE_LIFETIME: expected at least 1 s");
  return s;
}

TwoFactor::TwoFactor(const TwoFactorSettings& settings, Database& database, RateLimiter& limiter,
                     const audit::AuditLog& audit, const SecretBox& secrets)
    : settings_(settings),
      database_(database),
      limiter_(limiter),
      audit_(audit),
      secrets_(secrets) {}

void TwoFactor::succeeded(soci::session& sql, const audit::Context& context, audit::Action action,
                          std::int64_t user_id, const std::string& reason) const {
  audit_.append(sql, context,
                audit::Event{action, user_target(user_id), audit::Outcome::kSuccess, reason});
}

TwoFactor::Factor TwoFactor::factor_of(const json::Value& body, bool recovery_allowed) {
  const auto code = text_member(body, "code", 1, 64);
  const auto recovery = recovery_allowed ? text_member(body, "recovery_code", 1, 64) : std::nullopt;
  if (code.has_value() == recovery.has_value())
    throw ClientError(bad_request(
        recovery_allowed ? "Send exactly one of code and recovery_code." : "code must be a string.",
        "invalid-body"));
  if (code)
    return Factor{Proof::kCode, *code};
  // A value that cannot be a recovery code is simply a wrong one.
  return Factor{Proof::kRecoveryCode, normalize_recovery_code(*recovery).value_or("")};
}

TwoFactor::Check TwoFactor::check_and_use(soci::session& sql, std::int64_t user_id,
                                          const std::string& sealed_secret,
                                          std::int64_t last_used_step, const Factor& factor) const {
  if (factor.proof == Proof::kRecoveryCode) {
    if (factor.value.empty())
      return Check::kWrong;
    return use_recovery_code(sql, user_id, recovery_code_hash(user_id, factor.value))
               ? Check::kAccepted
               : Check::kWrong;
  }
  const auto secret = secrets_.open(sealed_secret);
  if (!secret)
    throw std::runtime_error(
        "a two-factor secret opens with none of FAULTLINE_ENCRYPTION_KEY's keys");
  const auto verdict = totp::check_code(*secret, factor.value, epoch_seconds(), last_used_step);
  switch (verdict.check) {
    case totp::CodeCheck::kAccepted:
      return use_step(sql, user_id, verdict.step) ? Check::kAccepted : Check::kReused;
    case totp::CodeCheck::kReused:
      return Check::kReused;
    case totp::CodeCheck::kWrong:
      break;
  }
  return Check::kWrong;
}

void TwoFactor::refuse_if_locked(std::int64_t user_id, const audit::Context& context) {
  const auto decision = database_.with_session([&](soci::session& sql) {
    return limiter_.peek(sql, settings_.failures, user_target(user_id));
  });
  if (decision.allowed)
    return;
  audit_.record(
      database_, context,
      audit::Event{audit::Action::kAuthnMfaLock, user_target(user_id), audit::Outcome::kFailure,
                   lock_reason(settings_.failures, decision, "wrong codes")});
  throw account_locked(settings_.failures, decision, "wrong codes");
}

void TwoFactor::refuse(std::int64_t user_id, const audit::Context& context, Check check,
                       const Factor& factor, int status) {
  const bool recovery = factor.proof == Proof::kRecoveryCode;
  const std::string reason = recovery                  ? "wrong or already used recovery code"
                             : check == Check::kReused ? "code already used"
                                                       : "wrong code";
  database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    limiter_.hit(sql, settings_.failures, user_target(user_id));
    audit_.append(sql, context,
                  audit::Event{audit::Action::kAuthnMfaFail, user_target(user_id),
                               audit::Outcome::kFailure, reason});
    tx.commit();
  });
  const std::string detail = recovery ? "The recovery code is wrong or was used."
                             : check == Check::kReused
                                 ? "This code was already used; wait for the next one."
                                 : "The code is wrong.";
  throw ClientError(
      Problem{status,
              status == 401 ? "Unauthorized" : "Unprocessable Content",
              detail,
              check == Check::kReused ? "two-factor-code-reused" : "invalid-two-factor-code",
              {}});
}

http::Reply TwoFactor::status(const ApiRequest& request) {
  const auto user_id = request.user().user_id;
  return http::json_reply(200, database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    const auto enrolment = lock_enrolment(sql, user_id);
    const auto left = enrolment && enrolment->confirmed ? recovery_codes_left(sql, user_id) : 0;
    tx.commit();
    return json::object([&](json::Writer& out) {
      out.Key("enabled");
      out.Bool(enrolment && enrolment->confirmed);
      out.Key("pending");
      out.Bool(enrolment && !enrolment->confirmed);
      out.Key("recovery_codes_left");
      out.Int64(left);
    });
  }));
}

http::Reply TwoFactor::enrol(const ApiRequest& request) {
  const auto user_id = request.user().user_id;
  const auto context = audit::context_of(request);
  const auto secret = crypto::random_bytes(totp::kSecretBytes);
  const auto codes = generate_recovery_codes();
  std::vector<std::string> hashes;
  for (const auto& code : codes)
    hashes.push_back(recovery_code_hash(user_id, code));
  const auto email = audit_.failures_of(
      database_, context, audit::Action::kAuthnMfaEnrollStart, user_target(user_id), [&] {
        return database_.with_session([&](soci::session& sql) {
          soci::transaction tx(sql);
          const auto user = find_user_by_id(sql, user_id);
          if (!user)
            throw ClientError(not_found("This account no longer exists."));
          const auto enrolment = lock_enrolment(sql, user_id);
          if (enrolment && enrolment->confirmed)
            throw ClientError(Problem{409,
                                      "Conflict",
                                      "Two-factor sign-in is already on; disable it first.",
                                      "two-factor-enabled",
                                      {}});
          begin_enrolment(sql, user_id, secrets_.seal(secret), hashes);
          audit_.append(
              sql, context,
              audit::Event{audit::Action::kAuthnMfaEnrollStart, user_target(user_id),
                           audit::Outcome::kSuccess, "pending until confirmed with a code"});
          tx.commit();
          return user->email;
        });
      });
  return http::json_reply(201, json::object([&](json::Writer& out) {
                            out.Key("otpauth_uri");
                            json::write(out, totp::otpauth_uri(settings_.issuer, email, secret));
                            out.Key("secret");
                            json::write(out, totp::base32_encode(secret));
                            out.Key("recovery_codes");
                            out.StartArray();
                            for (const auto& code : codes)
                              json::write(out, code);
                            out.EndArray();
                          }));
}

http::Reply TwoFactor::confirm(const ApiRequest& request) {
  const auto user_id = request.user().user_id;
  const auto context = audit::context_of(request);
  const auto body = json_body(request);
  const auto factor = factor_of(body, false);
  refuse_if_locked(user_id, context);
  const auto check = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    const auto enrolment = lock_enrolment(sql, user_id);
    if (!enrolment || enrolment->confirmed)
      throw ClientError(
          Problem{409,
                  "Conflict",
                  enrolment ? "Two-factor sign-in is already on." : "Start an enrolment first.",
                  "no-pending-enrolment",
                  {}});
    const auto secret = secrets_.open(enrolment->secret_ciphertext);
    const auto verdict =
        secret ? totp::check_code(*secret, factor.value, epoch_seconds(), enrolment->last_used_step)
               : totp::Verdict{};
    if (verdict.check != totp::CodeCheck::kAccepted)
      return verdict.check == totp::CodeCheck::kReused ? Check::kReused : Check::kWrong;
    confirm_enrolment(sql, user_id, verdict.step);
    succeeded(sql, context, audit::Action::kAuthnMfaEnroll, user_id, "two-factor sign-in on");
    tx.commit();
    return Check::kAccepted;
  });
  if (check != Check::kAccepted)
    refuse(user_id, context, check, factor, 422);
  return status(request);
}

void TwoFactor::require_fresh_factor(const ApiRequest& request, const Factor& factor,
                                     const std::function<void(soci::session&)>& then) {
  const auto user_id = request.user().user_id;
  const auto context = audit::context_of(request);
  refuse_if_locked(user_id, context);
  const auto check = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    const auto enrolment = lock_enrolment(sql, user_id);
    if (!enrolment || !enrolment->confirmed)
      throw ClientError(
          Problem{409, "Conflict", "Two-factor sign-in is not on.", "two-factor-disabled", {}});
    const auto checked = check_and_use(sql, user_id, enrolment->secret_ciphertext,
                                       enrolment->last_used_step, factor);
    if (checked != Check::kAccepted)
      return checked;
    if (factor.proof == Proof::kRecoveryCode)
      succeeded(sql, context, audit::Action::kAuthnMfaRecoveryCodeUsed, user_id,
                "for " + request.path);
    then(sql);
    tx.commit();
    return Check::kAccepted;
  });
  if (check != Check::kAccepted)
    refuse(user_id, context, check, factor, 422);
}

void TwoFactor::with_fresh_factor_if_on(const ApiRequest& request, const json::Value& body,
                                        const std::function<void(soci::session&)>& then) {
  const bool on = database_.with_session(
      [&](soci::session& sql) { return two_factor_enabled(sql, request.user().user_id); });
  if (on) {
    require_fresh_factor(request, factor_of(body, true), then);
    return;
  }
  database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    then(sql);
    tx.commit();
  });
}

http::Reply TwoFactor::disable(const ApiRequest& request) {
  const auto body = json_body(request);
  const auto user_id = request.user().user_id;
  const auto context = audit::context_of(request);
  require_fresh_factor(request, factor_of(body, true), [&](soci::session& sql) {
    remove_enrolment(sql, user_id);
    succeeded(sql, context, audit::Action::kAuthnMfaDisable, user_id, "two-factor sign-in off");
  });
  return http::Reply{204, "", "application/json", {}};
}

std::optional<std::string> TwoFactor::challenge(soci::session& sql, const User& user,
                                                const audit::Context& context) {
  if (!two_factor_enabled(sql, user.id))
    return std::nullopt;
  auto issued = open_challenge(sql, user.id, settings_.challenge_lifetime);
  audit_.append(sql, context,
                audit::Event{audit::Action::kAuthnMfaChallenge, user_target(user.id),
                             audit::Outcome::kSuccess, "password accepted; second factor asked"});
  return issued;
}

http::Reply TwoFactor::complete(const ApiRequest& request, const OpenSession& open_session) {
  const auto body = json_body(request);
  const auto challenge_value = text_member(body, "challenge", 1, 128);
  if (!challenge_value)
    throw ClientError(bad_request("challenge must be a string.", "invalid-body"));
  const auto factor = factor_of(body, true);
  auto context = audit::context_of(request);
  const auto owner = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    const auto user = lock_challenge(sql, *challenge_value);
    tx.commit();
    return user;
  });
  if (!owner) {
    audit_.record(database_, context,
                  audit::Event{audit::Action::kAuthnMfaFail, "", audit::Outcome::kFailure,
                               "unknown, used or expired challenge"});
    refuse_challenge();
  }
  const auto user_id = *owner;
  refuse_if_locked(user_id, context);
  struct Result {
    Check check = Check::kWrong;
    std::string document;
  };
  const auto result = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    // Locked again: a second request with this challenge waits, then finds it used.
    const auto still_open = lock_challenge(sql, *challenge_value);
    const auto enrolment = lock_enrolment(sql, user_id);
    const auto user = find_user_by_id(sql, user_id);
    if (!still_open || !enrolment || !enrolment->confirmed || !user)
      refuse_challenge();
    const auto checked = check_and_use(sql, user_id, enrolment->secret_ciphertext,
                                       enrolment->last_used_step, factor);
    if (checked != Check::kAccepted)
      return Result{checked, ""};
    close_challenge(sql, *challenge_value);
    auto document = open_session(sql, *user, context);
    const bool recovery = factor.proof == Proof::kRecoveryCode;
    audit_.append(
        sql, context,
        audit::Event{
            recovery ? audit::Action::kAuthnMfaRecoveryCodeUsed : audit::Action::kAuthnMfaSuccess,
            user_target(user_id), audit::Outcome::kSuccess,
            recovery ? std::to_string(recovery_codes_left(sql, user_id)) + " recovery codes left"
                     : "authenticator code"});
    audit_.append(
        sql, context,
        audit::Event{
            audit::Action::kAuthnLoginSuccess, user_target(user_id), audit::Outcome::kSuccess,
            recovery ? "second factor: recovery code" : "second factor: authenticator code"});
    tx.commit();
    return Result{Check::kAccepted, std::move(document)};
  });
  if (result.check != Check::kAccepted)
    refuse(user_id, context, result.check, factor, 401);
  return http::json_reply(200, result.document);
}

}  // namespace faultline::api::auth
