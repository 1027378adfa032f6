// Two-factor sign-in over a real database: enrolment and its confirmation,
// the login challenge, codes accepted at most once, recovery codes, the
// guess limit, disabling with a fresh factor, and the audit rows of each step.

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "api/auth/totp.hpp"
#include "common/json.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
namespace totp = api::auth::totp;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Enrolled {
  SignedIn signed_in;
  std::string secret;  // raw bytes
  std::string secret_base32;
  std::vector<std::string> recovery_codes;
  std::int64_t confirmed_step = 0;
};

class ApiTwoFactorTest : public ::testing::Test {
 protected:
  void start(std::map<std::string, std::string> environment = {}) {
    api_ = std::make_unique<ApiProcess>(database_, std::move(environment));
  }

  HttpResponse post(const std::string& path, const std::string& body,
                    const std::string& authorization = "X-Nothing: 1") {
    return client_.request("POST", api_->base() + path,
                           {"Content-Type: application/json", authorization}, body);
  }
  static std::string code_body(const std::string& key, const std::string& value) {
    return json::object([&](json::Writer& out) {
      out.Key(key.c_str());
      json::write(out, value);
    });
  }
  static std::string login_body(const std::string& challenge, const std::string& key,
                                const std::string& value) {
    return json::object([&](json::Writer& out) {
      out.Key("challenge");
      json::write(out, challenge);
      out.Key(key.c_str());
      json::write(out, value);
    });
  }

  // Signs up, starts an enrolment, checks it is pending, confirms it.
  Enrolled enrol(const std::string& email) {
    Enrolled e;
    e.signed_in = new_account(database_, client_, api_->base(), email);
    const auto started = post("/api/v1/auth/two-factor/enrolment", "", e.signed_in.authorization());
    EXPECT_EQ(started.status, 201) << started.body;
    const auto document = json::parse(started.body);
    const auto uri = std::string(json::string_member(document, "otpauth_uri").value_or(""));
    e.secret_base32 = std::string(json::string_member(document, "secret").value_or(""));
    EXPECT_EQ(uri.rfind("otpauth://totp/Faultline:", 0), 0u) << uri;
    EXPECT_NE(uri.find("secret=" + e.secret_base32), std::string::npos);
    EXPECT_NE(uri.find("algorithm=SHA1&digits=6&period=30"), std::string::npos);
    e.secret = totp::base32_decode(e.secret_base32).value_or("");
    EXPECT_EQ(e.secret.size(), totp::kSecretBytes);
    for (const auto& code : document["recovery_codes"].GetArray())
      e.recovery_codes.emplace_back(code.GetString());
    EXPECT_EQ(e.recovery_codes.size(), 10u);
    // Pending: a login still answers tokens.
    sign_in(client_, api_->base(), email);
    e.confirmed_step = totp::step_at(now_seconds());
    const auto confirmed = post("/api/v1/auth/two-factor/enrolment/confirm",
                                code_body("code", totp::code_at_step(e.secret, e.confirmed_step)),
                                e.signed_in.authorization());
    EXPECT_EQ(confirmed.status, 200) << confirmed.body;
    EXPECT_NE(confirmed.body.find("\"enabled\":true"), std::string::npos) << confirmed.body;
    return e;
  }

  // A password login of an account with two-factor on: its challenge.
  std::string challenge_for(const std::string& email) {
    const auto response = post("/api/v1/auth/login", credentials(email, kTestPassword));
    EXPECT_EQ(response.status, 401) << response.body;
    EXPECT_EQ(response.headers.at("content-type"), "application/problem+json");
    EXPECT_EQ(response.body.find("access_token"), std::string::npos);
    const auto document = json::parse(response.body);
    EXPECT_EQ(json::string_member(document, "type"), "urn:faultline:problem:two-factor-required");
    EXPECT_TRUE(document["two_factor_required"].GetBool());
    EXPECT_GT(document["expires_in"].GetInt64(), 0);
    return std::string(json::string_member(document, "challenge").value_or(""));
  }

  // A six-digit code that is valid for no step near now.
  static std::string wrong_code(const std::string& secret) {
    const auto step = totp::step_at(now_seconds());
    for (int n = 0;; ++n) {
      auto candidate = std::to_string(100000 + n);
      bool valid = false;
      for (auto s = step - 2; s <= step + 2; ++s)
        valid = valid || totp::code_at_step(secret, s) == candidate;
      if (!valid)
        return candidate;
    }
  }

  long long audited(const std::string& action, const std::string& outcome = "success") {
    return database_.count("SELECT count(*) FROM audit_log WHERE action = '" + action +
                           "' AND outcome = '" + outcome + "'");
  }

  TestDatabase database_;
  std::unique_ptr<ApiProcess> api_;
  HttpClient client_;
};

TEST_F(ApiTwoFactorTest, SignInNeedsTheCodeAndRefusesItsReuse) {
  start();
  const auto e = enrol("ada@example.com");
  EXPECT_EQ(database_.count("SELECT count(*) FROM two_factor WHERE confirmed_at IS NOT NULL"), 1);
  // The secret is sealed at rest, the recovery codes hashed.
  EXPECT_EQ(database_.count("SELECT count(*) FROM two_factor WHERE secret_ciphertext LIKE '%" +
                            e.secret_base32 + "%'"),
            0);
  EXPECT_EQ(database_.count("SELECT count(*) FROM two_factor_recovery_codes WHERE code_hash = '" +
                            e.recovery_codes[0] + "'"),
            0);
  EXPECT_EQ(database_.count("SELECT count(*) FROM two_factor_recovery_codes"), 10);

  // Without the code: no tokens.
  const auto challenge = challenge_for("ada@example.com");
  ASSERT_EQ(challenge.rfind("flc_", 0), 0u);
  const auto sessions_before = database_.count("SELECT count(*) FROM sessions");

  // The code that confirmed the enrolment is spent already.
  const auto spent =
      post("/api/v1/auth/login/two-factor",
           login_body(challenge, "code", totp::code_at_step(e.secret, e.confirmed_step)));
  EXPECT_EQ(spent.status, 401) << spent.body;
  EXPECT_NE(spent.body.find("two-factor-code-reused"), std::string::npos) << spent.body;

  // The next step's code (one step of drift): tokens.
  const auto next = totp::code_at_step(e.secret, e.confirmed_step + 1);
  const auto accepted = post("/api/v1/auth/login/two-factor", login_body(challenge, "code", next));
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_NE(json::string_member(json::parse(accepted.body), "access_token"), std::nullopt);
  EXPECT_EQ(database_.count("SELECT count(*) FROM sessions"), sessions_before + 1);

  // The challenge is single-use, and the same code is refused on a new one.
  EXPECT_EQ(post("/api/v1/auth/login/two-factor", login_body(challenge, "code", next)).status, 401);
  const auto reused = post("/api/v1/auth/login/two-factor",
                           login_body(challenge_for("ada@example.com"), "code", next));
  EXPECT_EQ(reused.status, 401) << reused.body;
  EXPECT_NE(reused.body.find("two-factor-code-reused"), std::string::npos) << reused.body;
  EXPECT_EQ(database_.count("SELECT count(*) FROM sessions"), sessions_before + 1);

  // The OAuth password grant cannot skip the second factor.
  const auto grant = client_.request(
      "POST", api_->base() + "/api/v1/auth/token",
      {"Content-Type: application/x-www-form-urlencoded"},
      "grant_type=password&username=ada%40example.com&password=correct%20horse%20battery%20staple");
  EXPECT_EQ(grant.status, 400) << grant.body;
  EXPECT_NE(grant.body.find("invalid_grant"), std::string::npos);

  // Every step audited, and no row holds a code, the secret or a recovery code.
  EXPECT_EQ(audited("authn_mfa_enroll_start"), 1);
  EXPECT_EQ(audited("authn_mfa_enroll"), 1);
  EXPECT_GE(audited("authn_mfa_challenge"), 3);
  EXPECT_EQ(audited("authn_mfa_success"), 1);
  EXPECT_GE(audited("authn_mfa_fail", "failure"), 3);
  std::string secrets = "'%" + e.secret_base32 + "%', '%" + next + "%', '%" +
                        totp::code_at_step(e.secret, e.confirmed_step) + "%', '%" + challenge +
                        "%'";
  for (const auto& code : e.recovery_codes)
    secrets += ", '%" + code + "%'";
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log WHERE concat_ws(' ', actor, target,"
                            " reason, user_agent) LIKE ANY (ARRAY[" +
                            secrets + "])"),
            0);
}

TEST_F(ApiTwoFactorTest, WrongCodesAreRefusedAndLimitedPerAccount) {
  start({{"FAULTLINE_AUTH_TWO_FACTOR_FAILURE_LIMIT", "3/15m"}});
  const auto e = enrol("bob@example.com");
  const auto challenge = challenge_for("bob@example.com");
  const auto wrong = wrong_code(e.secret);
  for (int i = 0; i < 3; ++i) {
    const auto refused =
        post("/api/v1/auth/login/two-factor", login_body(challenge, "code", wrong));
    EXPECT_EQ(refused.status, 401) << refused.body;
    EXPECT_NE(refused.body.find("invalid-two-factor-code"), std::string::npos);
  }
  // Locked: even the right code waits.
  const auto locked =
      post("/api/v1/auth/login/two-factor",
           login_body(challenge, "code", totp::code_at_step(e.secret, e.confirmed_step + 1)));
  EXPECT_EQ(locked.status, 429) << locked.body;
  EXPECT_NE(locked.headers.count("retry-after"), 0u);
  EXPECT_EQ(audited("authn_mfa_lock", "failure"), 1);
  EXPECT_EQ(audited("authn_mfa_fail", "failure"), 3);
}

TEST_F(ApiTwoFactorTest, UnknownAndExpiredChallengesAreRefused) {
  start({{"FAULTLINE_AUTH_TWO_FACTOR_CHALLENGE_LIFETIME", "1s"}});
  const auto e = enrol("cy@example.com");
  const auto code = totp::code_at_step(e.secret, e.confirmed_step + 1);
  const auto unknown = post("/api/v1/auth/login/two-factor",
                            login_body("flc_" + std::string(43, 'A'), "code", code));
  EXPECT_EQ(unknown.status, 401) << unknown.body;
  EXPECT_NE(unknown.body.find("invalid-challenge"), std::string::npos);
  const auto challenge = challenge_for("cy@example.com");
  std::this_thread::sleep_for(2100ms);
  const auto expired = post("/api/v1/auth/login/two-factor", login_body(challenge, "code", code));
  EXPECT_EQ(expired.status, 401) << expired.body;
  EXPECT_NE(expired.body.find("invalid-challenge"), std::string::npos);
}

TEST_F(ApiTwoFactorTest, ARecoveryCodeWorksExactlyOnce) {
  start();
  const auto e = enrol("dee@example.com");
  const auto first =
      post("/api/v1/auth/login/two-factor",
           login_body(challenge_for("dee@example.com"), "recovery_code", e.recovery_codes[3]));
  ASSERT_EQ(first.status, 200) << first.body;
  const auto again =
      post("/api/v1/auth/login/two-factor",
           login_body(challenge_for("dee@example.com"), "recovery_code", e.recovery_codes[3]));
  EXPECT_EQ(again.status, 401) << again.body;
  EXPECT_EQ(audited("authn_mfa_recovery_code_used"), 1);
  const auto status =
      client_.get(api_->base() + "/api/v1/auth/two-factor", {e.signed_in.authorization()});
  EXPECT_NE(status.body.find("\"recovery_codes_left\":9"), std::string::npos) << status.body;
  // Disabling takes a recovery code too, but not a used one.
  const auto auth = e.signed_in.authorization();
  EXPECT_EQ(
      post("/api/v1/auth/two-factor/disable", code_body("recovery_code", e.recovery_codes[3]), auth)
          .status,
      422);
  EXPECT_EQ(
      post("/api/v1/auth/two-factor/disable", code_body("recovery_code", e.recovery_codes[4]), auth)
          .status,
      204);
  EXPECT_EQ(audited("authn_mfa_recovery_code_used"), 2);
  EXPECT_EQ(audited("authn_mfa_disable"), 1);
}

TEST_F(ApiTwoFactorTest, DisablingNeedsAFreshFactor) {
  start();
  const auto e = enrol("eve@example.com");
  const auto auth = e.signed_in.authorization();
  const auto spent = post("/api/v1/auth/two-factor/disable",
                          code_body("code", totp::code_at_step(e.secret, e.confirmed_step)), auth);
  EXPECT_EQ(spent.status, 422) << spent.body;
  EXPECT_EQ(
      post("/api/v1/auth/two-factor/disable", code_body("code", wrong_code(e.secret)), auth).status,
      422);
  EXPECT_EQ(post("/api/v1/auth/two-factor/disable", "{}", auth).status, 400);
  const auto off =
      post("/api/v1/auth/two-factor/disable",
           code_body("code", totp::code_at_step(e.secret, e.confirmed_step + 1)), auth);
  EXPECT_EQ(off.status, 204) << off.body;
  EXPECT_EQ(audited("authn_mfa_disable"), 1);
  EXPECT_EQ(database_.count("SELECT count(*) FROM two_factor"), 0);
  EXPECT_EQ(database_.count("SELECT count(*) FROM two_factor_recovery_codes"), 0);
  // Off: a password is enough again.
  sign_in(client_, api_->base(), "eve@example.com");
}

TEST_F(ApiTwoFactorTest, GuessesAreLimitedPerAddressAcrossAccounts) {
  // Two enrolments' confirmations and two wrong codes from one address: the
  // fifth request waits, whichever account it names.
  start({{"FAULTLINE_AUTH_TWO_FACTOR_LIMIT", "4/1m"}});
  const auto a = enrol("gil@example.com");
  const auto b = enrol("hal@example.com");
  for (const auto& [email, enrolled] :
       {std::pair{"gil@example.com", &a}, {"hal@example.com", &b}}) {
    const auto refused =
        post("/api/v1/auth/login/two-factor",
             login_body(challenge_for(email), "code", wrong_code(enrolled->secret)));
    EXPECT_EQ(refused.status, 401) << refused.body;
  }
  const auto limited = post("/api/v1/auth/login/two-factor",
                            login_body(challenge_for("gil@example.com"), "code",
                                       totp::code_at_step(a.secret, a.confirmed_step + 1)));
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_NE(limited.headers.count("retry-after"), 0u);
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log WHERE action ="
                            " 'excess_rate_limit_exceeded' AND reason LIKE 'policy two-factor:%'"),
            1);
  // The per-account limit was not what refused it.
  EXPECT_EQ(audited("authn_mfa_lock", "failure"), 0);
}

TEST_F(ApiTwoFactorTest, ChangingTheEmailNeedsThePasswordAndAFreshFactor) {
  start();
  const auto e = enrol("ivy@example.com");
  const auto auth = e.signed_in.authorization();
  const auto patch = [&](const std::string& body, const std::string& authorization) {
    return client_.request("PATCH", api_->base() + "/api/v1/auth/me",
                           {"Content-Type: application/json", authorization}, body);
  };
  const auto change = [](const std::string& email, const std::string& password,
                         const char* factor = nullptr, const std::string& value = "") {
    return json::object([&](json::Writer& out) {
      out.Key("email");
      json::write(out, email);
      out.Key("password");
      json::write(out, password);
      if (factor) {
        out.Key(factor);
        json::write(out, value);
      }
    });
  };
  const auto expect_problem = [](const HttpResponse& r, long status, const char* type) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_NE(r.body.find(type), std::string::npos) << r.body;
  };
  // The session alone is not enough: the password, then a fresh factor.
  expect_problem(patch(change("ivy.new@example.com", "not the password", "code",
                              totp::code_at_step(e.secret, e.confirmed_step + 1)),
                       auth),
                 422, "wrong-password");
  EXPECT_EQ(audited("user_email_change", "failure"), 1);
  expect_problem(patch(change("ivy.new@example.com", kTestPassword), auth), 400, "invalid-body");
  expect_problem(patch(change("ivy.new@example.com", kTestPassword, "code",
                              totp::code_at_step(e.secret, e.confirmed_step)),
                       auth),
                 422, "two-factor-code-reused");
  expect_problem(
      patch(change("ivy.new@example.com", kTestPassword, "code", wrong_code(e.secret)), auth), 422,
      "invalid-two-factor-code");
  EXPECT_EQ(database_.count("SELECT count(*) FROM users WHERE email = 'ivy@example.com'"), 1);
  const auto changed = patch(change("  Ivy.New@Example.com ", kTestPassword, "code",
                                    totp::code_at_step(e.secret, e.confirmed_step + 1)),
                             auth);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(json::string_member(json::parse(changed.body), "email"), "ivy.new@example.com");
  EXPECT_EQ(audited("user_email_change"), 1);
  // The new address signs in (to its second step); the old one is no account.
  challenge_for("ivy.new@example.com");
  EXPECT_EQ(post("/api/v1/auth/login", credentials("ivy@example.com", kTestPassword)).status, 401);

  // Without two-factor the password is enough; another account's address is taken.
  const auto other = new_account(database_, client_, api_->base(), "jo@example.com");
  expect_problem(patch(change("ivy.new@example.com", kTestPassword), other.authorization()), 409,
                 "duplicate-email");
  expect_problem(patch(change("jo@example.com", kTestPassword), other.authorization()), 422,
                 "invalid-body");
  expect_problem(patch(change("not an address", kTestPassword), other.authorization()), 422,
                 "invalid-body");
  expect_problem(patch(R"({"email":7,"password":"x"})", other.authorization()), 400,
                 "invalid-body");
  expect_problem(patch("{not json", other.authorization()), 400, "");
  EXPECT_EQ(patch(change("jo.2@example.com", kTestPassword), "X-Nothing: 1").status, 401);
  const auto moved = patch(change("jo.2@example.com", kTestPassword), other.authorization());
  EXPECT_EQ(moved.status, 200) << moved.body;
  EXPECT_EQ(audited("user_email_change"), 2);
  // No password or code is ever in the log.
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log WHERE reason LIKE '%" +
                            std::string(kTestPassword) + "%'"),
            0);
}

TEST_F(ApiTwoFactorTest, RefusesBadRequestsClearly) {
  start();
  const auto user = new_account(database_, client_, api_->base(), "fay@example.com");
  // Not signed in.
  EXPECT_EQ(post("/api/v1/auth/two-factor/enrolment", "").status, 401);
  EXPECT_EQ(post("/api/v1/auth/two-factor/disable", code_body("code", "123456")).status, 401);
  // Nothing to confirm or disable.
  EXPECT_EQ(post("/api/v1/auth/two-factor/enrolment/confirm", code_body("code", "123456"),
                 user.authorization())
                .status,
            409);
  EXPECT_EQ(
      post("/api/v1/auth/two-factor/disable", code_body("code", "123456"), user.authorization())
          .status,
      409);
  // Malformed and oversized.
  const auto problem = [&](const HttpResponse& r, long status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_EQ(r.headers.count("content-type") ? r.headers.at("content-type") : "",
              "application/problem+json");
  };
  problem(post("/api/v1/auth/login/two-factor", "{not json"), 400);
  problem(post("/api/v1/auth/login/two-factor", R"({"challenge":42,"code":"123456"})"), 422);
  problem(post("/api/v1/auth/login/two-factor", R"({"challenge":"flc_x"})"), 400);
  problem(post("/api/v1/auth/login/two-factor",
               R"({"challenge":"flc_x","code":"123456","recovery_code":"abcde-fghij"})"),
          400);
  problem(
      post("/api/v1/auth/login/two-factor", login_body(std::string(500, 'a'), "code", "123456")),
      422);
  problem(post("/api/v1/auth/login/two-factor", login_body("flc_x", "code", std::string(100, '1'))),
          422);
  problem(
      post("/api/v1/auth/two-factor/enrolment/confirm", R"({"code":123456})", user.authorization()),
      422);
}

}  // namespace
}  // namespace faultline::testing
