#pragma once

// faultline-api as a child process on a port of its own, and accounts to call
// it with: tests of any endpoint sign in the way a dashboard does.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/environment.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"

namespace faultline::testing {

inline constexpr const char* kTestJwtSecret = "test-secret-test-secret-test-secret-0123";
inline constexpr const char* kTestPassword = "correct horse battery staple";

class ApiProcess {
 public:
  // Starts it on `database` with a known JWT secret; `environment` adds or overrides variables.
  explicit ApiProcess(const TestDatabase& database,
                      std::map<std::string, std::string> environment = {},
                      const std::string& log_name = "api.log");

  const std::string& base() const { return base_; }
  ChildProcess& process() { return *process_; }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string base_;
};

// Creates an account in the database directly (the way `faultline-api
// create-user` does).
void create_account(const TestDatabase& database, const std::string& email,
                    const std::string& role = "user", const std::string& password = kTestPassword);

struct SignedIn {
  std::string access_token;
  std::string refresh_token;
  std::string session_id;
  std::string authorization() const { return "Authorization: Bearer " + access_token; }
};

// {"email": …, "password": …}: the body of register and login.
std::string credentials(const std::string& email, const std::string& password);

// POST /api/v1/auth/login; fails the test unless it answers 200.
SignedIn sign_in(HttpClient& client, const std::string& base, const std::string& email,
                 const std::string& password = kTestPassword);

// create_account and sign_in in one.
SignedIn new_account(const TestDatabase& database, HttpClient& client, const std::string& base,
                     const std::string& email, const std::string& role = "user");

}  // namespace faultline::testing
