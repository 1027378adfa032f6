#pragma once

// Accounts: who may sign in, with which password and role.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "api/auth/password_hasher.hpp"
#include "common/json.hpp"
#include "common/soci.hpp"

namespace faultline::api::auth {

// Password policy: 12 to 128 characters (Unicode code points), not only
// whitespace. Long passphrases are welcome; the cap bounds the hashing work a
// request can ask for.
inline constexpr std::size_t kMinPasswordLength = 12;
inline constexpr std::size_t kMaxPasswordLength = 128;

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string role;
  std::string password_hash;
};

// Trimmed and lower-cased, or nothing when it is not a plausible address
// (one '@', a local part of 1-64 printable characters, a dotted domain of
// letters, digits and hyphens; 254 characters at most).
std::optional<std::string> normalize_email(std::string_view email);

// Nothing when the password meets the policy, else what is wrong with it.
std::optional<std::string> password_problem(std::string_view password);

bool valid_role(std::string_view role);

class DuplicateEmail : public std::runtime_error {
 public:
  DuplicateEmail() : std::runtime_error("an account with this email exists") {}
};

// `email` already normalized, `password` already checked. Throws DuplicateEmail.
User create_user(soci::session& sql, const PasswordHasher& hasher, const std::string& email,
                 std::string_view password, const std::string& role);

std::optional<User> find_user_by_email(soci::session& sql, const std::string& email);
std::optional<User> find_user_by_id(soci::session& sql, std::int64_t id);

// The members "id", "email" and "role", into an object the caller opened:
// who a token or a new account belongs to.
void write_user_fields(json::Writer& out, const User& user);

// {"id", "email", "role", "created_at"}, or nothing.
std::optional<std::string> user_document(soci::session& sql, std::int64_t id);

// Gives account `id` a new (normalized) email; DuplicateEmail when another
// account has it.
void replace_email(soci::session& sql, std::int64_t id, const std::string& email);

void replace_password_hash(soci::session& sql, std::int64_t id, const std::string& hash);

}  // namespace faultline::api::auth
