#include "api/auth/accounts.hpp"
#include "common/time.hpp"

#include <algorithm>
#include <cctype>

namespace faultline::api::auth {
namespace {

bool domain_label_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253 || domain.find('.') == std::string_view::npos)
    return false;
  std::size_t start = 0;
  while (start <= domain.size()) {
    const auto end = std::min(domain.find('.', start), domain.size());
    const auto label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), domain_label_char))
      return false;
    start = end + 1;
  }
  return true;
}

bool valid_local_part(std::string_view local) {
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos)
    return false;
  return std::all_of(local.begin(), local.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '@' && c != '"' && c != '(' && c != ')' && c != ',' &&
           c != ':' && c != ';' && c != '<' && c != '>' && c != '[' && c != ']' && c != '\\';
  });
}

std::size_t code_points(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

std::optional<std::string> normalize_email(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front())))
    email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back())))
    email.remove_suffix(1);
  if (email.size() > 254)
    return std::nullopt;
  const auto at = email.find('@');
  if (at == std::string_view::npos || email.find('@', at + 1) != std::string_view::npos)
    return std::nullopt;
  if (!valid_local_part(email.substr(0, at)) || !valid_domain(email.substr(at + 1)))
    return std::nullopt;
  std::string normalized(email);
  for (auto& c : normalized)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return normalized;
}

std::optional<std::string> password_problem(std::string_view password) {
  const auto length = code_points(password);
  if (length < kMinPasswordLength)
    return "The password must be at least " + std::to_string(kMinPasswordLength) +
           " characters long.";
  if (length > kMaxPasswordLength || password.size() > 4 * kMaxPasswordLength)
    return "The password must be at most " + std::to_string(kMaxPasswordLength) +
           " characters long.";
  if (std::all_of(password.begin(), password.end(),
                  [](char c) { return std::isspace(static_cast<unsigned char>(c)); }))
    return "The password must not be only whitespace.";
  if (password.find('\0') != std::string_view::npos)
    return "The password must not contain NUL characters.";
  return std::nullopt;
}

bool valid_role(std::string_view role) {
  return role == "user" || role == "admin";
}

User create_user(soci::session& sql, const PasswordHasher& hasher, const std::string& email,
                 std::string_view password, const std::string& role) {
  User user{0, email, role, hasher.hash(password)};
  long long id = 0;
  soci::indicator found = soci::i_null;
  sql << "INSERT INTO users (email, password_hash, role) VALUES (:email, :hash, :role)"
         " ON CONFLICT (email) DO NOTHING RETURNING id",
      soci::use(user.email), soci::use(user.password_hash), soci::use(user.role),
      soci::into(id, found);
  if (!sql.got_data() || found != soci::i_ok)
    throw DuplicateEmail();
  user.id = id;
  return user;
}

namespace {

// One user by a column the caller names (a constant, never input).
template <typename Key>
std::optional<User> find_user_where(soci::session& sql, const char* condition, const Key& key) {
  User user;
  long long id = 0;
  sql << std::string("SELECT id, email, role, password_hash FROM users WHERE ") + condition,
      soci::use(key), soci::into(id), soci::into(user.email), soci::into(user.role),
      soci::into(user.password_hash);
  if (!sql.got_data())
    return std::nullopt;
  user.id = id;
  return user;
}

}  // namespace

std::optional<User> find_user_by_email(soci::session& sql, const std::string& email) {
  return find_user_where(sql, "email = :email", email);
}

std::optional<User> find_user_by_id(soci::session& sql, std::int64_t id) {
  const long long key = id;
  return find_user_where(sql, "id = :id", key);
}

void write_user_fields(json::Writer& out, const User& user) {
  out.Key("id");
  out.Int64(user.id);
  out.Key("email");
  json::write(out, user.email);
  out.Key("role");
  json::write(out, user.role);
}

std::optional<std::string> user_document(soci::session& sql, std::int64_t id) {
  std::string document;
  const long long key = id;
  sql << "SELECT json_build_object('id', id, 'email', email, 'role', role, "
         "'created_at', " FAULTLINE_SQL_RFC3339("created_at") ")::text FROM users WHERE id = :id",
      soci::use(key), soci::into(document);
  if (!sql.got_data())
    return std::nullopt;
  return document;
}

void replace_email(soci::session& sql, std::int64_t id, const std::string& email) {
  const long long key = id;
  try {
    sql << "UPDATE users SET email = :email, updated_at = now() WHERE id = :id",
        soci::use(email, "email"), soci::use(key, "id");
  } catch (const soci::postgresql_soci_error& e) {
    // The unique index on email: another account has it.
    if (e.sqlstate() == "23505")
      throw DuplicateEmail();
    throw;
  }
}

void replace_password_hash(soci::session& sql, std::int64_t id, const std::string& hash) {
  const long long key = id;
  sql << "UPDATE users SET password_hash = :hash, updated_at = now() WHERE id = :id",
      soci::use(hash), soci::use(key);
}

}  // namespace faultline::api::auth
