#include "api/auth/auth_service.hpp"

#include "api/json_body.hpp"
#include "api/lookup.hpp"
#include "api/pagination.hpp"
#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api::auth {
namespace {

constexpr const char* kWrongCredentials = "The email or password is wrong.";

std::string jwt_secret_from(const Environment& env) {
  if (const auto secret = env.find("FAULTLINE_JWT_SECRET")) {
    if (secret->size() < 32)
      throw ConfigError("FAULTLINE_JWT_SECRET: expected at least 32 bytes, got " +
                        std::to_string(secret->size()));
    return *secret;
  }
  if (env.production())
    throw ConfigError("FAULTLINE_JWT_SECRET: required in production");
  log::warn("FAULTLINE_JWT_SECRET is not set; access tokens die with this process");
  return crypto::random_bytes(32);
}

// A string member of the body, or a 400 naming it.
std::string required_string(const json::Value& body, const char* key, std::size_t max_bytes) {
  const auto value = json::string_member(body, key);
  if (!value)
    throw ClientError(bad_request(std::string(key) + " must be a string.", "invalid-body"));
  if (value->size() > max_bytes)
    throw ClientError(unprocessable(std::string(key) + " is too long."));
  return std::string(*value);
}

ClientInfo client_of(const ApiRequest& request) {
  return ClientInfo{request.user_agent(), request.client_ip};
}

Problem duplicate_email() {
  return Problem{
      409, "Conflict", "An account with this email already exists.", "duplicate-email", {}};
}

[[noreturn]] void refuse_credentials() {
  throw ClientError(Problem{401, "Unauthorized", kWrongCredentials, "invalid-credentials", {}});
}

// RFC 6749 §5.2.
http::Reply oauth_error(const std::string& error, const std::string& description) {
  auto reply = http::json_reply(400, json::object([&](json::Writer& out) {
                                  out.Key("error");
                                  json::write(out, error);
                                  out.Key("error_description");
                                  json::write(out, description);
                                }));
  reply.headers = {{"Cache-Control", "no-store"}, {"Pragma", "no-cache"}};
  return reply;
}

http::Reply no_content() {
  return http::Reply{204, "", "application/json", {}};
}

}  // namespace

AuthSettings AuthSettings::from(const Environment& env) {
  AuthSettings s;
  s.jwt_secret = jwt_secret_from(env);
  s.argon2 = Argon2Parameters::from(env);
  s.sessions = SessionSettings::from(env);
  s.session_cache = env.duration("FAULTLINE_AUTH_SESSION_CACHE", s.session_cache);
  s.login = RatePolicy::from(env, "FAULTLINE_AUTH_LOGIN_LIMIT", "login", "20/1m");
  s.registration = RatePolicy::from(env, "FAULTLINE_AUTH_REGISTER_LIMIT", "register", "10/10m");
  s.refresh = RatePolicy::from(env, "FAULTLINE_AUTH_REFRESH_LIMIT", "refresh", "60/1m");
  s.token = RatePolicy::from(env, "FAULTLINE_AUTH_TOKEN_LIMIT", "token", "30/1m");
  s.login_failures =
      RatePolicy::from(env, "FAULTLINE_AUTH_LOGIN_FAILURE_LIMIT", "login-failures", "5/15m");
  s.csp_reports = RatePolicy::from(env, "FAULTLINE_API_CSP_REPORT_LIMIT", "csp-report", "120/1m");
  s.two_factor_requests =
      RatePolicy::from(env, "FAULTLINE_AUTH_TWO_FACTOR_LIMIT", "two-factor", "20/1m");
  s.two_factor = TwoFactorSettings::from(env);
  return s;
}

AuthService::AuthService(const AuthSettings& settings, Database& database,
                         metrics::Registry& registry, const audit::AuditLog& audit,
                         const SecretBox& secrets)
    : settings_(settings),
      database_(database),
      registry_(registry),
      audit_(audit),
      hasher_(settings.argon2),
      tokens_(settings.jwt_secret),
      sessions_(settings.sessions),
      authenticator_(tokens_, sessions_, database, registry, settings.session_cache),
      two_factor_(settings.two_factor, database, limiter_, audit, secrets) {}

http::Reply AuthService::limited(const RatePolicy& policy, const ApiRequest& request,
                                 const std::function<http::Reply()>& handle) {
  const auto decision = database_.with_session(
      [&](soci::session& sql) { return limiter_.hit(sql, policy, request.client_ip); });
  if (!decision.allowed) {
    count_refusal(policy);
    audit_.record(database_, audit::context_of(request),
                  audit::Event{audit::Action::kExcessRateLimitExceeded,
                               request.method + " " + request.path, audit::Outcome::kFailure,
                               "policy " + policy.name + ": " + std::to_string(policy.limit) +
                                   " requests per " + std::to_string(policy.window.count()) +
                                   " s from this address"});
    return too_many_requests(policy, decision);
  }
  http::Reply reply;
  try {
    reply = handle();
  } catch (const ClientError& e) {
    reply = http::error_reply(e);
    if (reply.status == 429)
      return reply;  // refused by a narrower limit, whose headers it carries
  }
  for (auto& header : rate_limit_headers(policy, decision))
    reply.headers.push_back(std::move(header));
  return reply;
}

void AuthService::count_refusal(const RatePolicy& policy) {
  registry_
      .counter("faultline_api_rate_limited_total", "Requests refused by a rate limit, by policy",
               {{"policy", policy.name}})
      .increment();
}

std::string AuthService::token_response(const User& user, const IssuedSession& session) const {
  const auto access = tokens_.issue(
      AccessClaims{user.id, user.email, user.role, 0, 0, "", session.session_id}, epoch_seconds());
  return json::object([&](json::Writer& out) {
    out.Key("access_token");
    json::write(out, access);
    out.Key("token_type");
    json::write(out, "Bearer");
    out.Key("expires_in");
    out.Int64(AccessTokens::kLifetimeSeconds);
    out.Key("refresh_token");
    json::write(out, session.refresh_token);
    out.Key("refresh_token_expires_in");
    out.Int64(std::max<std::int64_t>(0, session.expires_at - epoch_seconds()));
    out.Key("session_id");
    json::write(out, session.session_id);
    out.Key("user");
    out.StartObject();
    write_user_fields(out, user);
    out.EndObject();
  });
}

std::string AuthService::open_session(soci::session& sql, const User& user,
                                      const ApiRequest& request, audit::Context& context) {
  auto opened = sessions_.open(sql, user.id, client_of(request));
  context.actor = std::to_string(user.id);
  context.session_hash = audit::session_hash(opened.session_id);
  registry_.counter("faultline_api_logins_total", "Logins, by outcome", {{"outcome", "accepted"}})
      .increment();
  log::info("login", {{"user_id", user.id}, {"session_id", opened.session_id}});
  return token_response(user, opened);
}

// 401 so that a client that knows only one step shows the detail rather
// than taking the answer for tokens; the challenge rides along.
http::Reply AuthService::second_factor_required(const std::string& challenge) const {
  auto reply = http::json_reply(401, json::object([&](json::Writer& out) {
                                  out.Key("type");
                                  json::write(out, "urn:faultline:problem:two-factor-required");
                                  out.Key("title");
                                  json::write(out, "Unauthorized");
                                  out.Key("status");
                                  out.Int(401);
                                  out.Key("detail");
                                  json::write(out,
                                              "This account signs in with a second factor: enter "
                                              "the code from your authenticator app.");
                                  out.Key("two_factor_required");
                                  out.Bool(true);
                                  out.Key("challenge");
                                  json::write(out, challenge);
                                  out.Key("expires_in");
                                  out.Int64(two_factor_.settings().challenge_lifetime.count());
                                }));
  reply.content_type = kProblemContentType;
  return reply;
}

void AuthService::refuse_locked_login(const audit::Context& context, const std::string& target,
                                      const RateDecision& locked) {
  count_refusal(settings_.login_failures);
  audit_.record(database_, context,
                audit::Event{audit::Action::kAuthnLoginLock, target, audit::Outcome::kFailure,
                             lock_reason(settings_.login_failures, locked, "failed logins")});
  throw account_locked(settings_.login_failures, locked, "failed logins");
}

AuthService::SignIn AuthService::sign_in(const std::string& email, const std::string& password,
                                         const ApiRequest& request) {
  // An address that cannot exist is still counted and still costs a hash, so
  // nothing about the answer tells it apart from a wrong password.
  const auto normalized = normalize_email(email);
  const std::string account = normalized.value_or(email.substr(0, 254));
  const auto peeked = database_.with_session([&](soci::session& sql) {
    const auto decision = limiter_.peek(sql, settings_.login_failures, account);
    return std::pair(decision, normalized ? find_user_by_email(sql, *normalized) : std::nullopt);
  });
  // Named, not a structured binding: lambdas below capture them (clang 14).
  const auto& locked = peeked.first;
  const auto& user = peeked.second;
  // The account a login names, if it exists; never the email typed (it may
  // be a password typed in the wrong field).
  const std::string target = user ? "user:" + std::to_string(user->id) : "";
  auto context = audit::context_of(request);
  if (!locked.allowed)
    refuse_locked_login(context, target, locked);
  const auto started = std::chrono::steady_clock::now();
  const bool verified = hasher_.verify(user ? user->password_hash : hasher_.decoy(), password);
  registry_
      .histogram("faultline_api_password_verify_seconds",
                 "Time to verify a password with Argon2id (the cost of a login by design)",
                 metrics::latency_buckets())
      .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  if (!user || !verified) {
    database_.with_session([&](soci::session& sql) {
      soci::transaction tx(sql);
      limiter_.hit(sql, settings_.login_failures, account);
      audit_.append(sql, context,
                    audit::Event{audit::Action::kAuthnLoginFail, target, audit::Outcome::kFailure,
                                 user ? "wrong password" : "no such account"});
      tx.commit();
    });
    registry_.counter("faultline_api_logins_total", "Logins, by outcome", {{"outcome", "refused"}})
        .increment();
    refuse_credentials();
  }
  const std::string rehashed =
      hasher_.needs_rehash(user->password_hash) ? hasher_.hash(password) : std::string();
  return database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    if (!rehashed.empty())
      replace_password_hash(sql, user->id, rehashed);
    SignIn answer;
    answer.challenge = two_factor_.challenge(sql, *user, context);
    if (!answer.challenge) {
      answer.document = open_session(sql, *user, request, context);
      audit_.append(
          sql, context,
          audit::Event{audit::Action::kAuthnLoginSuccess, target, audit::Outcome::kSuccess,
                       rehashed.empty() ? "" : "password rehashed"});
    }
    tx.commit();
    return answer;
  });
}

std::string AuthService::rotate(const std::string& refresh_token, const ApiRequest& request) {
  // A refused refresh is recorded with the refusal it caused, in its
  // transaction; a successful one is not (its session's login was).
  const auto rotation = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    auto rotated = sessions_.rotate(sql, refresh_token);
    auto context = audit::context_of(request);
    if (rotated.outcome == Rotation::Outcome::kReused) {
      context.actor = std::to_string(rotated.user.id);
      context.session_hash = audit::session_hash(rotated.session.session_id);
      audit_.append(sql, context,
                    audit::Event{audit::Action::kAuthnTokenReuse, "session:" + context.session_hash,
                                 audit::Outcome::kFailure,
                                 "a retired refresh token presented again; the session is ended"});
    } else if (rotated.outcome == Rotation::Outcome::kUnknown) {
      audit_.append(sql, context,
                    audit::Event{audit::Action::kAuthnTokenInvalid, "", audit::Outcome::kFailure,
                                 "unknown refresh token, or its session has ended"});
    }
    tx.commit();
    return rotated;
  });
  switch (rotation.outcome) {
    case Rotation::Outcome::kRotated:
      return token_response(rotation.user, rotation.session);
    case Rotation::Outcome::kReused:
      authenticator_.forget_all();
      registry_
          .counter("faultline_api_refresh_reuse_total",
                   "Retired refresh tokens presented again (sessions ended)")
          .increment();
      log::warn("retired refresh token presented again; its session is ended",
                {{"client_ip", request.client_ip}});
      throw ClientError(Problem{401,
                                "Unauthorized",
                                "This refresh token was already used; its session has ended.",
                                "refresh-token-reused",
                                {}});
    case Rotation::Outcome::kUnknown:
      break;
  }
  throw ClientError(
      Problem{401, "Unauthorized", "The refresh token is not valid.", "invalid-refresh-token", {}});
}

http::Reply AuthService::register_account(const ApiRequest& request) {
  return limited(settings_.registration, request, [&] {
    const auto body = json_body(request);
    const auto email = normalize_email(required_string(body, "email", 1024));
    if (!email)
      throw ClientError(unprocessable("email is not a valid address."));
    const auto password = required_string(body, "password", 4 * kMaxPasswordLength);
    if (const auto problem = password_problem(password))
      throw ClientError(unprocessable(*problem, "weak-password"));
    try {
      auto reply = http::json_reply(201, database_.with_session([&](soci::session& sql) {
        soci::transaction tx(sql);
        const auto user = create_user(sql, hasher_, *email, password, "user");
        audit_.append(sql, audit::context_of(request),
                      audit::Event{audit::Action::kUserCreated, "user:" + std::to_string(user.id),
                                   audit::Outcome::kSuccess, "registered; role user"});
        auto document = user_document(sql, user.id).value_or("{}");
        tx.commit();
        return document;
      }));
      reply.headers.emplace_back("Location", "/api/v1/auth/me");
      return reply;
    } catch (const DuplicateEmail&) {
      throw ClientError(duplicate_email());
    }
  });
}

http::Reply AuthService::change_email(const ApiRequest& request) {
  return limited(settings_.login, request, [&] {
    const auto body = json_body(request);
    const auto email = normalize_email(required_string(body, "email", 1024));
    if (!email)
      throw ClientError(unprocessable("email is not a valid address."));
    const auto password = required_string(body, "password", 4 * kMaxPasswordLength);
    const auto user_id = request.user().user_id;
    const std::string target = "user:" + std::to_string(user_id);
    const auto context = audit::context_of(request);
    // A wrong password here counts as a failed login of the account: a stolen
    // session must not become a way to guess it.
    const auto account = database_.with_session([&](soci::session& sql) {
      auto found = find_user_by_id(sql, user_id);
      if (!found)
        throw ClientError(not_found("This account no longer exists."));
      auto decision = limiter_.peek(sql, settings_.login_failures, found->email);
      return std::pair(std::move(*found), decision);
    });
    const User& user = account.first;
    if (!account.second.allowed)
      refuse_locked_login(context, target, account.second);
    if (!hasher_.verify(user.password_hash, password)) {
      database_.with_session([&](soci::session& sql) {
        soci::transaction tx(sql);
        limiter_.hit(sql, settings_.login_failures, user.email);
        audit_.append(sql, context,
                      audit::Event{audit::Action::kUserEmailChange, target,
                                   audit::Outcome::kFailure, "wrong password"});
        tx.commit();
      });
      throw ClientError(unprocessable("password is not this account's.", "wrong-password"));
    }
    if (*email == user.email)
      throw ClientError(unprocessable("email is this account's already."));
    std::optional<std::string> document;
    try {
      two_factor_.with_fresh_factor_if_on(request, body, [&](soci::session& sql) {
        replace_email(sql, user_id, *email);
        audit_.append(sql, context,
                      audit::Event{audit::Action::kUserEmailChange, target,
                                   audit::Outcome::kSuccess, "email changed"});
        document = user_document(sql, user_id);
      });
    } catch (const DuplicateEmail&) {
      throw ClientError(duplicate_email());
    }
    return http::json_reply(200, found(std::move(document), "This account no longer exists."));
  });
}

http::Reply AuthService::login(const ApiRequest& request) {
  return limited(settings_.login, request, [&] {
    const auto body = json_body(request);
    const auto email = required_string(body, "email", 1024);
    const auto password = required_string(body, "password", 4 * kMaxPasswordLength);
    auto answer = sign_in(email, password, request);
    if (answer.challenge)
      return second_factor_required(*answer.challenge);
    return http::json_reply(200, std::move(answer.document));
  });
}

http::Reply AuthService::refresh(const ApiRequest& request) {
  return limited(settings_.refresh, request, [&] {
    const auto body = json_body(request);
    return http::json_reply(200, rotate(required_string(body, "refresh_token", 256), request));
  });
}

http::Reply AuthService::token_endpoint(const ApiRequest& request) {
  return limited(settings_.token, request, [&]() -> http::Reply {
    const auto type = request.headers.find("content-type");
    if (type == request.headers.end() ||
        type->second.rfind("application/x-www-form-urlencoded", 0) != 0)
      return oauth_error("invalid_request", "Send the body as application/x-www-form-urlencoded.");
    const auto form = parse_form(request.body);
    if (!form)
      return oauth_error("invalid_request", "The body is not a valid form, or repeats a field.");
    const auto field = [&](const char* name) -> std::optional<std::string> {
      const auto it = form->find(name);
      if (it == form->end() || it->second.empty() || it->second.size() > 1024)
        return std::nullopt;
      return it->second;
    };
    const auto grant = field("grant_type");
    if (!grant)
      return oauth_error("invalid_request", "grant_type is required.");
    std::string document;
    try {
      if (*grant == "password") {
        const auto username = field("username"), password = field("password");
        if (!username || !password)
          return oauth_error("invalid_request", "username and password are required.");
        auto answer = sign_in(*username, *password, request);
        if (answer.challenge)
          return oauth_error("invalid_grant",
                             "This account signs in with a second factor; use POST "
                             "/api/v1/auth/login and /api/v1/auth/login/two-factor.");
        document = std::move(answer.document);
      } else if (*grant == "refresh_token") {
        const auto token = field("refresh_token");
        if (!token)
          return oauth_error("invalid_request", "refresh_token is required.");
        document = rotate(*token, request);
      } else {
        return oauth_error("unsupported_grant_type",
                           "Only password and refresh_token grants are supported.");
      }
    } catch (const ClientError& e) {
      if (e.problem().status != 401)
        throw;
      return oauth_error("invalid_grant", e.problem().detail);
    }
    auto reply = http::json_reply(200, std::move(document));
    reply.headers = {{"Cache-Control", "no-store"}, {"Pragma", "no-cache"}};
    return reply;
  });
}

void AuthService::declare_routes(RouteTable& routes) {
  routes.post("/api/v1/auth/register", Access::kPublic,
              [this](const ApiRequest& r) { return register_account(r); });
  routes.post("/api/v1/auth/login", Access::kPublic,
              [this](const ApiRequest& r) { return login(r); });
  routes.post("/api/v1/auth/login/two-factor", Access::kPublic, [this](const ApiRequest& r) {
    return limited(settings_.two_factor_requests, r, [&] {
      return two_factor_.complete(
          r, [&](soci::session& sql, const User& user, audit::Context& context) {
            return open_session(sql, user, r, context);
          });
    });
  });
  routes.get("/api/v1/auth/two-factor", Access::kUser,
             [this](const ApiRequest& r) { return two_factor_.status(r); });
  routes.post("/api/v1/auth/two-factor/enrolment", Access::kUser,
              [this](const ApiRequest& r) { return two_factor_.enrol(r); });
  routes.post(
      "/api/v1/auth/two-factor/enrolment/confirm", Access::kUser, [this](const ApiRequest& r) {
        return limited(settings_.two_factor_requests, r, [&] { return two_factor_.confirm(r); });
      });
  routes.post("/api/v1/auth/two-factor/disable", Access::kUser, [this](const ApiRequest& r) {
    return limited(settings_.two_factor_requests, r, [&] { return two_factor_.disable(r); });
  });
  routes.post("/api/v1/auth/refresh", Access::kPublic,
              [this](const ApiRequest& r) { return refresh(r); });
  routes.post("/api/v1/auth/token", Access::kPublic,
              [this](const ApiRequest& r) { return token_endpoint(r); });

  routes.get("/api/v1/auth/me", Access::kUser, [this](const ApiRequest& r) {
    auto document = database_.with_session(
        [&](soci::session& sql) { return user_document(sql, r.user().user_id); });
    return http::json_reply(200, found(std::move(document), "This account no longer exists."));
  });
  routes.patch("/api/v1/auth/me", Access::kUser,
               [this](const ApiRequest& r) { return change_email(r); });
  routes.post("/api/v1/auth/logout", Access::kUser, [this](const ApiRequest& r) {
    database_.with_session([&](soci::session& sql) {
      soci::transaction tx(sql);
      sessions_.revoke(sql, r.user().user_id, r.user().session_id, "logout");
      const auto context = audit::context_of(r);
      audit_.append(sql, context,
                    audit::Event{audit::Action::kAuthnLogout, "session:" + context.session_hash,
                                 audit::Outcome::kSuccess, "this session"});
      tx.commit();
    });
    authenticator_.forget(r.user().session_id);
    return no_content();
  });
  routes.post("/api/v1/auth/logout-all", Access::kUser, [this](const ApiRequest& r) {
    database_.with_session([&](soci::session& sql) {
      soci::transaction tx(sql);
      const int ended = sessions_.revoke_all(sql, r.user().user_id, "logout-all");
      audit_.append(
          sql, audit::context_of(r),
          audit::Event{audit::Action::kAuthnLogoutAll, "user:" + std::to_string(r.user().user_id),
                       audit::Outcome::kSuccess, std::to_string(ended) + " sessions ended"});
      tx.commit();
    });
    authenticator_.forget_all();
    return no_content();
  });
  routes.get("/api/v1/auth/sessions", Access::kUser, [this](const ApiRequest& r) {
    const auto page = parse_page(r);
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return sessions_.list(sql, r.user().user_id, r.user().session_id, page);
    }));
  });
  routes.post("/api/v1/auth/sessions/:id/revoke", Access::kUser, [this](const ApiRequest& r) {
    const auto& id = r.params.at("id");
    if (!plausible_session_id(id))
      throw ClientError(bad_request("id must be a session id (a UUID).", "invalid-parameter"));
    const int revoked = database_.with_session([&](soci::session& sql) {
      soci::transaction tx(sql);
      const int ended = sessions_.revoke(sql, r.user().user_id, id, "revoked");
      // Another user's session is refused as one that does not exist, and audited.
      audit_.append(
          sql, audit::context_of(r),
          audit::Event{audit::Action::kSessionRevoked, "session:" + audit::session_hash(id),
                       ended > 0 ? audit::Outcome::kSuccess : audit::Outcome::kFailure,
                       ended > 0 ? "one session" : "no open session of the caller's"});
      tx.commit();
      return ended;
    });
    if (revoked == 0)
      throw ClientError(not_found("You have no session " + id + "."));
    authenticator_.forget(id);
    return no_content();
  });
  routes.post("/api/v1/auth/sessions/revoke-others", Access::kUser, [this](const ApiRequest& r) {
    const int revoked = database_.with_session([&](soci::session& sql) {
      soci::transaction tx(sql);
      const int ended = sessions_.revoke_others(sql, r.user().user_id, r.user().session_id);
      audit_.append(
          sql, audit::context_of(r),
          audit::Event{audit::Action::kSessionRevoked, "user:" + std::to_string(r.user().user_id),
                       audit::Outcome::kSuccess,
                       "every other session: " + std::to_string(ended) + " ended"});
      tx.commit();
      return ended;
    });
    authenticator_.forget_all();
    return http::json_reply(200, "{\"revoked\":" + std::to_string(revoked) + "}");
  });
}

}  // namespace faultline::api::auth
