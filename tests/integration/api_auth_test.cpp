// /api/v1/auth over a real database: accounts, logins, forged tokens, refresh
// rotation and reuse, sessions, the OAuth token endpoint, and rate limits that
// hold across two API processes.

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <set>
#include <thread>

#include "api/auth/access_token.hpp"
#include "common/base64.hpp"
#include "common/json.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class ApiAuthTest : public ::testing::Test {
 protected:
  void start(std::map<std::string, std::string> environment = {}) {
    api_ = std::make_unique<ApiProcess>(database_, std::move(environment));
  }

  HttpResponse post_json(const std::string& path, const std::string& body,
                         std::vector<std::string> headers = {}) {
    headers.emplace_back("Content-Type: application/json");
    return client_.request("POST", api_->base() + path, headers, body);
  }
  HttpResponse post_form(const std::string& body) {
    return client_.request("POST", api_->base() + "/api/v1/auth/token",
                           {"Content-Type: application/x-www-form-urlencoded"}, body);
  }
  HttpResponse get(const std::string& path, const std::string& authorization) {
    return client_.get(api_->base() + path, {authorization});
  }
  HttpResponse refresh(const std::string& token) {
    return post_json("/api/v1/auth/refresh", json::object([&](json::Writer& out) {
                       out.Key("refresh_token");
                       json::write(out, token);
                     }));
  }

  TestDatabase database_;
  std::unique_ptr<ApiProcess> api_;
  HttpClient client_;
};

TEST_F(ApiAuthTest, RegistersSignsInAndKnowsWhoIsCalling) {
  start();
  const auto created =
      post_json("/api/v1/auth/register", credentials("  Ada@Example.COM ", kTestPassword));
  ASSERT_EQ(created.status, 201) << created.body;
  const auto user = json::parse(created.body);
  EXPECT_EQ(json::string_member(user, "email"), "ada@example.com");
  EXPECT_EQ(json::string_member(user, "role"), "user");
  EXPECT_EQ(created.body.find("password"), std::string::npos);
  EXPECT_NE(created.headers.at("x-ratelimit-limit"), "");

  // The same address in other letters is the same account.
  EXPECT_EQ(
      post_json("/api/v1/auth/register", credentials("ADA@example.com", kTestPassword)).status,
      409);
  EXPECT_EQ(database_.count("SELECT count(*) FROM users"), 1);
  // Stored as an Argon2id hash, never as given.
  EXPECT_EQ(database_.count("SELECT count(*) FROM users WHERE password_hash LIKE "
                            "'$argon2id$v=19$m=19456,t=2,p=1$%'"),
            1);

  const auto signed_in = sign_in(client_, api_->base(), "ada@example.com");
  const auto me = get("/api/v1/auth/me", signed_in.authorization());
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(json::string_member(json::parse(me.body), "email"), "ada@example.com");
  EXPECT_EQ(me.headers.at("cache-control"), "no-store");
  EXPECT_EQ(me.headers.at("x-content-type-options"), "nosniff");
  EXPECT_NE(me.headers.at("content-security-policy").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(me.headers.at("referrer-policy"), "no-referrer");
  EXPECT_EQ(get("/api/v1/auth/me", "X-Nothing: 1").status, 401);
}

TEST_F(ApiAuthTest, RefusesBadRegistrationsClearly) {
  start();
  const auto expect = [&](const std::string& body, long status, const std::string& type) {
    const auto response = post_json("/api/v1/auth/register", body);
    EXPECT_EQ(response.status, status) << body << ": " << response.body;
    EXPECT_EQ(response.headers.count("content-type") ? response.headers.at("content-type") : "",
              type)
        << body;
  };
  const std::string problem = "application/problem+json";
  expect(credentials("ada@example.com", "short"), 422, problem);
  expect(credentials("ada@example.com", std::string(129, 'x')), 422, problem);
  expect(credentials("ada@example.com", std::string(20, ' ')), 422, problem);
  expect(credentials("not-an-address", kTestPassword), 422, problem);
  expect(credentials("a@b", kTestPassword), 422, problem);
  expect(credentials("x'); DROP TABLE users;--@example.com", kTestPassword), 422, problem);
  expect(R"({"email":42,"password":"correct horse battery"})", 400, problem);
  expect(R"({"email":"ada@example.com"})", 400, problem);
  expect("{not json", 400, problem);
  expect("[]", 400, problem);
  expect("", 400, problem);
  expect(R"({"email":")" + std::string(5000, 'a') + R"(@example.com","password":"x"})", 422,
         problem);
  // On a connection of its own: Pistache goes on reading an over-limit body as
  // further requests of the same connection (README, Known limits).
  HttpClient once;
  const auto oversized =
      once.request("POST", api_->base() + "/api/v1/auth/register",
                   {"Content-Type: application/json"}, std::string(2 * 1024 * 1024, ' '));
  EXPECT_EQ(oversized.status, 413);
  const auto wrong_type =
      client_.request("POST", api_->base() + "/api/v1/auth/register", {"Content-Type: text/plain"},
                      credentials("ada@example.com", kTestPassword));
  EXPECT_EQ(wrong_type.status, 415) << wrong_type.body;
  EXPECT_EQ(database_.count("SELECT count(*) FROM users"), 0);
}

TEST_F(ApiAuthTest, WrongEmailAndWrongPasswordLookTheSame) {
  start();
  create_account(database_, "ada@example.com");
  const auto wrong_password =
      post_json("/api/v1/auth/login", credentials("ada@example.com", "not the password!"));
  const auto wrong_email =
      post_json("/api/v1/auth/login", credentials("bob@example.com", kTestPassword));
  const auto impossible_email =
      post_json("/api/v1/auth/login", credentials("' OR 1=1 --", kTestPassword));
  EXPECT_EQ(wrong_password.status, 401);
  EXPECT_EQ(wrong_email.status, 401);
  EXPECT_EQ(impossible_email.status, 401);
  EXPECT_EQ(wrong_password.body, wrong_email.body);
  EXPECT_EQ(wrong_password.body, impossible_email.body);
  EXPECT_EQ(wrong_password.headers.at("content-type"), wrong_email.headers.at("content-type"));
  EXPECT_EQ(database_.count("SELECT count(*) FROM sessions"), 0);
}

TEST_F(ApiAuthTest, ForgedAndStaleTokensAreRefused) {
  start();
  create_account(database_, "ada@example.com");
  const auto real = sign_in(client_, api_->base(), "ada@example.com");
  ASSERT_EQ(get("/api/v1/auth/me", real.authorization()).status, 200);

  const auto payload = [&](const std::string& type, std::int64_t exp) {
    return R"({"sub":"1","email":"ada@example.com","role":"admin","iat":)" +
           std::to_string(now_seconds()) + R"(,"exp":)" + std::to_string(exp) + R"(,"type":")" +
           type + R"(","jti":"x","sid":")" + real.session_id + R"("})";
  };
  const auto later = now_seconds() + 600;
  const api::auth::AccessTokens right_key(kTestJwtSecret);
  const api::auth::AccessTokens wrong_key(std::string(40, 'w'));
  const std::string hs512_header = R"({"alg":"HS512","typ":"JWT"})";
  const std::string signing_input =
      base64url_encode(hs512_header) + "." + base64url_encode(payload("access", later));
  unsigned char mac[64];
  unsigned int mac_size = 0;
  HMAC(EVP_sha512(), kTestJwtSecret, static_cast<int>(std::string(kTestJwtSecret).size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
       &mac_size);
  const std::string hs512 =
      signing_input + "." +
      base64url_encode(std::string(reinterpret_cast<const char*>(mac), mac_size));
  const auto valid = right_key.sign_raw(R"({"alg":"HS256","typ":"JWT"})", payload("access", later));
  std::string tampered = valid;
  const auto dot = tampered.find('.');
  tampered.replace(dot + 1, tampered.find('.', dot + 1) - dot - 1,
                   base64url_encode(payload("access", later + 1)));

  const std::vector<std::pair<std::string, std::string>> forged{
      {"alg none", base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." +
                       base64url_encode(payload("access", later)) + "."},
      {"HS512, same key", hs512},
      {"wrong key", wrong_key.sign_raw(R"({"alg":"HS256"})", payload("access", later))},
      {"tampered payload", tampered},
      {"expired, validly signed",
       right_key.sign_raw(R"({"alg":"HS256"})", payload("access", now_seconds() - 1))},
      {"refresh type", right_key.sign_raw(R"({"alg":"HS256"})", payload("refresh", later))},
      {"the refresh token itself", real.refresh_token},
      {"empty", ""},
      {"oversized", std::string(10000, 'a')},
  };
  for (const auto& [what, token] : forged) {
    auto response = get("/api/v1/auth/me", "Authorization: Bearer " + token);
    EXPECT_EQ(response.status, 401) << what;
    EXPECT_EQ(response.headers["content-type"], "application/problem+json") << what;
  }
  // The control: the same forging code with the right key and claims passes.
  EXPECT_EQ(get("/api/v1/auth/me", "Authorization: Bearer " + valid).status, 200);
}

TEST_F(ApiAuthTest, RefreshRotatesAndAReusedTokenEndsTheSession) {
  start({{"FAULTLINE_AUTH_REFRESH_GRACE", "1s"}});
  create_account(database_, "ada@example.com");
  const auto first = sign_in(client_, api_->base(), "ada@example.com");

  const auto rotated = refresh(first.refresh_token);
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const auto second = json::parse(rotated.body);
  const std::string next_refresh(json::string_member(second, "refresh_token").value_or(""));
  const std::string next_access(json::string_member(second, "access_token").value_or(""));
  EXPECT_NE(next_refresh, first.refresh_token);
  EXPECT_EQ(json::string_member(second, "session_id"), first.session_id);
  EXPECT_EQ(get("/api/v1/auth/me", "Authorization: Bearer " + next_access).status, 200);
  // Only hashes are stored.
  EXPECT_EQ(database_.count("SELECT count(*) FROM refresh_tokens WHERE token_hash LIKE 'flr_%'"),
            0);

  std::this_thread::sleep_for(1500ms);  // past the grace window
  const auto reused = refresh(first.refresh_token);
  EXPECT_EQ(reused.status, 401);
  EXPECT_NE(reused.body.find("refresh-token-reused"), std::string::npos) << reused.body;
  // Everything descended from that login is dead: the newer refresh token and
  // every access token of the session.
  EXPECT_EQ(refresh(next_refresh).status, 401);
  EXPECT_EQ(get("/api/v1/auth/me", "Authorization: Bearer " + next_access).status, 401);
  EXPECT_EQ(get("/api/v1/auth/me", first.authorization()).status, 401);
  EXPECT_EQ(database_.count("SELECT count(*) FROM sessions WHERE revoked_reason = "
                            "'refresh-token-reuse'"),
            1);
  EXPECT_EQ(refresh("flr_not-a-token").status, 401);
}

TEST_F(ApiAuthTest, ConcurrentRefreshesOfOneTokenAllSucceedWithinTheGraceWindow) {
  start();
  create_account(database_, "ada@example.com");
  const auto signed_in = sign_in(client_, api_->base(), "ada@example.com");
  std::vector<HttpResponse> responses(8);
  std::vector<std::thread> threads;
  for (auto& response : responses)
    threads.emplace_back([&] {
      HttpClient client;
      response = client.request("POST", api_->base() + "/api/v1/auth/refresh",
                                {"Content-Type: application/json"},
                                R"({"refresh_token":")" + signed_in.refresh_token + "\"}");
    });
  for (auto& thread : threads)
    thread.join();
  std::set<std::string> issued;
  for (const auto& response : responses) {
    ASSERT_EQ(response.status, 200) << response.body;
    issued.insert(
        std::string(json::string_member(json::parse(response.body), "refresh_token").value_or("")));
  }
  EXPECT_EQ(issued.size(), 8u);
  EXPECT_EQ(database_.count("SELECT count(*) FROM sessions WHERE revoked_at IS NULL"), 1);
  EXPECT_EQ(database_.count("SELECT count(*) FROM refresh_tokens WHERE retired_at IS NULL"), 8);
  EXPECT_EQ(refresh(*issued.begin()).status, 200);
}

TEST_F(ApiAuthTest, SessionsAreListedRevokedAndEnded) {
  start();
  create_account(database_, "ada@example.com");
  create_account(database_, "bob@example.com");
  const auto laptop = sign_in(client_, api_->base(), "ada@example.com");
  const auto phone = sign_in(client_, api_->base(), "ada@example.com");
  const auto bob = sign_in(client_, api_->base(), "bob@example.com");

  const auto listed = get("/api/v1/auth/sessions?page_size=1", laptop.authorization());
  ASSERT_EQ(listed.status, 200) << listed.body;
  const auto page = json::parse(listed.body);
  EXPECT_EQ(json::integer_member(page, "total"), 2);
  EXPECT_EQ(json::integer_member(page, "pages"), 2);
  const auto& item = page["items"][0];
  for (const char* field : {"id", "user_agent", "ip", "created_at", "last_used_at", "expires_at"})
    EXPECT_TRUE(json::member(item, field)) << field;
  EXPECT_TRUE(json::member(item, "is_current")->IsBool());
  EXPECT_EQ(listed.body.find("flr_"), std::string::npos);
  EXPECT_EQ(listed.body.find("token"), std::string::npos);
  EXPECT_EQ(get("/api/v1/auth/sessions?page_size=1000", laptop.authorization()).status, 400);

  // Someone else's session is as good as absent.
  EXPECT_EQ(
      post_json("/api/v1/auth/sessions/" + bob.session_id + "/revoke", "", {laptop.authorization()})
          .status,
      404);
  EXPECT_EQ(get("/api/v1/auth/me", bob.authorization()).status, 200);
  EXPECT_EQ(
      post_json("/api/v1/auth/sessions/1%27%20OR%201%3D1/revoke", "", {laptop.authorization()})
          .status,
      400);

  EXPECT_EQ(post_json("/api/v1/auth/sessions/" + phone.session_id + "/revoke", "",
                      {laptop.authorization()})
                .status,
            204);
  EXPECT_EQ(get("/api/v1/auth/me", phone.authorization()).status, 401);
  EXPECT_EQ(refresh(phone.refresh_token).status, 401);

  const auto again = sign_in(client_, api_->base(), "ada@example.com");
  const auto others =
      post_json("/api/v1/auth/sessions/revoke-others", "", {laptop.authorization()});
  ASSERT_EQ(others.status, 200);
  EXPECT_EQ(json::integer_member(json::parse(others.body), "revoked"), 1);
  EXPECT_EQ(get("/api/v1/auth/me", again.authorization()).status, 401);
  EXPECT_EQ(get("/api/v1/auth/me", laptop.authorization()).status, 200);

  EXPECT_EQ(post_json("/api/v1/auth/logout", "", {laptop.authorization()}).status, 204);
  EXPECT_EQ(get("/api/v1/auth/me", laptop.authorization()).status, 401);

  const auto one = sign_in(client_, api_->base(), "ada@example.com");
  const auto two = sign_in(client_, api_->base(), "ada@example.com");
  EXPECT_EQ(post_json("/api/v1/auth/logout-all", "", {one.authorization()}).status, 204);
  EXPECT_EQ(get("/api/v1/auth/me", two.authorization()).status, 401);
  EXPECT_EQ(get("/api/v1/auth/me", bob.authorization()).status, 200);
}

TEST_F(ApiAuthTest, TheTokenEndpointSpeaksOAuth) {
  start();
  create_account(database_, "ada@example.com");
  const auto granted = post_form(
      "grant_type=password&username=ada%40example.com&password=correct+horse+battery+"
      "staple");
  ASSERT_EQ(granted.status, 200) << granted.body;
  EXPECT_EQ(granted.headers.at("cache-control"), "no-store");
  EXPECT_EQ(granted.headers.at("pragma"), "no-cache");
  const auto doc = json::parse(granted.body);
  EXPECT_EQ(json::string_member(doc, "token_type"), "Bearer");
  EXPECT_EQ(json::integer_member(doc, "expires_in"), 3600);
  const std::string refresh_token(json::string_member(doc, "refresh_token").value_or(""));

  const auto refreshed = post_form("grant_type=refresh_token&refresh_token=" + refresh_token);
  EXPECT_EQ(refreshed.status, 200) << refreshed.body;

  const auto error_of = [&](const HttpResponse& response) {
    EXPECT_EQ(response.status, 400) << response.body;
    return std::string(json::string_member(json::parse(response.body), "error").value_or(""));
  };
  EXPECT_EQ(error_of(post_form("grant_type=password&username=ada%40example.com&password=nope")),
            "invalid_grant");
  EXPECT_EQ(error_of(post_form("grant_type=refresh_token&refresh_token=flr_unknown")),
            "invalid_grant");
  EXPECT_EQ(error_of(post_form("grant_type=client_credentials")), "unsupported_grant_type");
  EXPECT_EQ(error_of(post_form("username=ada")), "invalid_request");
  EXPECT_EQ(error_of(post_form("grant_type=password&grant_type=refresh_token")), "invalid_request");
  EXPECT_EQ(error_of(post_form("grant_type=%zz")), "invalid_request");
  EXPECT_EQ(error_of(post_json("/api/v1/auth/token", R"({"grant_type":"password"})")),
            "invalid_request");
}

TEST_F(ApiAuthTest, BruteForceMeets429) {
  start({{"FAULTLINE_AUTH_LOGIN_FAILURE_LIMIT", "3/1m"}});
  create_account(database_, "ada@example.com");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(post_json("/api/v1/auth/login",
                        credentials("ada@example.com", "guess " + std::to_string(i) + "xxxxxx"))
                  .status,
              401);
  auto locked = post_json("/api/v1/auth/login", credentials("ada@example.com", "guess again xx"));
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(locked.headers["content-type"], "application/problem+json");
  EXPECT_GE(std::stoi(locked.headers["retry-after"]), 1);
  EXPECT_EQ(locked.headers["x-ratelimit-remaining"], "0");
  EXPECT_EQ(locked.headers["ratelimit-policy"], "\"login-failures\";q=3;w=60");
  // While locked, even the right password waits: the guesser learns nothing.
  EXPECT_EQ(post_json("/api/v1/auth/login", credentials("ada@example.com", kTestPassword)).status,
            429);
  // An unknown account locks the same way.
  for (int i = 0; i < 3; ++i)
    post_json("/api/v1/auth/login", credentials("nobody@example.com", "guess guess guess"));
  EXPECT_EQ(post_json("/api/v1/auth/login", credentials("nobody@example.com", "guess guess guess"))
                .status,
            429);
}

TEST_F(ApiAuthTest, LimitsHoldAcrossTwoApiProcesses) {
  const std::map<std::string, std::string> limits{{"FAULTLINE_AUTH_LOGIN_LIMIT", "6/1m"}};
  start(limits);
  ApiProcess other(database_, limits, "api-2.log");
  create_account(database_, "ada@example.com");
  std::vector<long> statuses;
  for (int i = 0; i < 8; ++i) {
    const auto& base = i % 2 ? other.base() : api_->base();
    auto response =
        client_.request("POST", base + "/api/v1/auth/login", {"Content-Type: application/json"},
                        credentials("ada@example.com", kTestPassword));
    statuses.push_back(response.status);
    if (i == 0) {
      EXPECT_EQ(response.headers["x-ratelimit-limit"], "6");
      EXPECT_EQ(response.headers["x-ratelimit-remaining"], "5");
      EXPECT_EQ(response.headers["ratelimit"].rfind("\"login\";r=5;t=", 0), 0u);
      EXPECT_GT(std::stoll(response.headers["x-ratelimit-reset"]), now_seconds());
    }
    if (response.status == 429) {
      EXPECT_FALSE(response.headers["retry-after"].empty());
    }
  }
  EXPECT_EQ(statuses, (std::vector<long>{200, 200, 200, 200, 200, 200, 429, 429}));
}

TEST_F(ApiAuthTest, ARevocationThroughOneProcessReachesTheOther) {
  start({{"FAULTLINE_AUTH_SESSION_CACHE", "200ms"}});
  ApiProcess other(database_, {{"FAULTLINE_AUTH_SESSION_CACHE", "200ms"}}, "api-2.log");
  create_account(database_, "ada@example.com");
  const auto signed_in = sign_in(client_, api_->base(), "ada@example.com");
  EXPECT_EQ(client_.get(other.base() + "/api/v1/auth/me", {signed_in.authorization()}).status, 200);
  EXPECT_EQ(post_json("/api/v1/auth/logout", "", {signed_in.authorization()}).status, 204);
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(client_.get(other.base() + "/api/v1/auth/me", {signed_in.authorization()}).status, 401);
}

TEST_F(ApiAuthTest, StrongerHashingParametersRehashAtLogin) {
  create_account(database_, "ada@example.com");
  start({{"FAULTLINE_ARGON2_ITERATIONS", "3"}});
  sign_in(client_, api_->base(), "ada@example.com");
  EXPECT_EQ(database_.count("SELECT count(*) FROM users WHERE password_hash LIKE "
                            "'$argon2id$v=19$m=19456,t=3,p=1$%'"),
            1);
  sign_in(client_, api_->base(), "ada@example.com");  // the new hash verifies
}

TEST_F(ApiAuthTest, CorsAnswersOnlyTheAllowedOrigins) {
  start({{"FAULTLINE_CORS_ORIGINS", "https://dash.example, https://ops.example"}});
  auto allowed =
      client_.request("OPTIONS", api_->base() + "/api/v1/auth/me",
                      {"Origin: https://dash.example", "Access-Control-Request-Method: GET"});
  EXPECT_EQ(allowed.status, 204);
  EXPECT_EQ(allowed.headers["access-control-allow-origin"], "https://dash.example");
  EXPECT_NE(allowed.headers["access-control-allow-headers"].find("Authorization"),
            std::string::npos);
  auto refused = client_.request("OPTIONS", api_->base() + "/api/v1/auth/me",
                                 {"Origin: https://evil.example"});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.headers.count("access-control-allow-origin"), 0u);
  auto simple = client_.get(api_->base() + "/api/v1/auth/me", {"Origin: https://ops.example"});
  EXPECT_EQ(simple.status, 401);
  EXPECT_EQ(simple.headers["access-control-allow-origin"], "https://ops.example");
  auto other = client_.get(api_->base() + "/health", {"Origin: https://evil.example"});
  EXPECT_EQ(other.headers.count("access-control-allow-origin"), 0u);
}

}  // namespace
}  // namespace faultline::testing
