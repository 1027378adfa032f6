#include "tests/support/api_process.hpp"

#include <gtest/gtest.h>

#include "api/auth/accounts.hpp"
#include "common/database.hpp"
#include "common/json.hpp"

namespace faultline::testing {

using namespace std::chrono_literals;

ApiProcess::ApiProcess(const TestDatabase& database, std::map<std::string, std::string> environment,
                       const std::string& log_name) {
  environment.emplace("FAULTLINE_DATABASE_URL", database.url());
  environment.emplace("FAULTLINE_API_ADDR", "127.0.0.1:0");
  environment.emplace("FAULTLINE_JWT_SECRET", kTestJwtSecret);
  // Generous by default, so only the tests about limits meet them.
  for (const char* limit : {"FAULTLINE_AUTH_LOGIN_LIMIT", "FAULTLINE_AUTH_REGISTER_LIMIT",
                            "FAULTLINE_AUTH_REFRESH_LIMIT", "FAULTLINE_AUTH_TOKEN_LIMIT",
                            "FAULTLINE_AUTH_LOGIN_FAILURE_LIMIT"})
    environment.emplace(limit, "10000/1m");
  process_ = std::make_unique<ChildProcess>(std::vector<std::string>{binary("faultline-api")},
                                            std::move(environment), scratch_path(log_name));
  const auto line = process_->wait_for_log("\"msg\":\"listening\"", 20s);
  base_ = "http://127.0.0.1:" + std::to_string(log_field_int(line, "port"));
}

void create_account(const TestDatabase& database, const std::string& email, const std::string& role,
                    const std::string& password) {
  soci::session sql(soci::postgresql, with_utc_sessions(database.url()));
  api::auth::create_user(sql, api::auth::PasswordHasher(), email, password, role);
}

std::string credentials(const std::string& email, const std::string& password) {
  return json::object([&](json::Writer& out) {
    out.Key("email");
    json::write(out, email);
    out.Key("password");
    json::write(out, password);
  });
}

SignedIn sign_in(HttpClient& client, const std::string& base, const std::string& email,
                 const std::string& password) {
  const auto response =
      client.request("POST", base + "/api/v1/auth/login", {"Content-Type: application/json"},
                     credentials(email, password));
  EXPECT_EQ(response.status, 200) << response.body;
  SignedIn signed_in;
  if (response.status != 200)
    return signed_in;
  const auto doc = json::parse(response.body);
  signed_in.access_token = std::string(json::string_member(doc, "access_token").value_or(""));
  signed_in.refresh_token = std::string(json::string_member(doc, "refresh_token").value_or(""));
  signed_in.session_id = std::string(json::string_member(doc, "session_id").value_or(""));
  return signed_in;
}

SignedIn new_account(const TestDatabase& database, HttpClient& client, const std::string& base,
                     const std::string& email, const std::string& role) {
  create_account(database, email, role);
  return sign_in(client, base, email);
}

}  // namespace faultline::testing
