#pragma once

// A user's connection to GitHub through the OAuth App web flow:
//   POST authorize  -> a URL to send the browser to, with a `state` that is
//                      random, bound to the user, single-use, valid 10 minutes;
//   GitHub          -> sends the browser back to the dashboard with code+state;
//   GET callback    -> the dashboard hands both over; the state is checked,
//                      the code exchanged, the GitHub user fetched, the token
//                      stored sealed (SecretBox, with its key id).
// The token never leaves this class except to call GitHub.

#include <cstdint>
#include <optional>
#include <string>

#include "api/audit/audit_log.hpp"
#include "api/github/github_settings.hpp"
#include "common/database.hpp"
#include "common/github_client.hpp"
#include "common/secret_box.hpp"

namespace faultline::api {

class OAuthConnections {
 public:
  OAuthConnections(const GitHubSettings& settings, const SecretBox& secrets, github::Client& github,
                   Database& database, const audit::AuditLog& audit)
      : settings_(settings),
        secrets_(secrets),
        github_(github),
        database_(database),
        audit_(audit) {}

  // {authorization_url, state, expires_at}.
  std::string authorize(std::int64_t user_id) const;
  // The connection made (200), or a problem: the state refused (400), the
  // code refused by GitHub (400), GitHub unreachable (502). The connection
  // and its audit row (on behalf of `who`) commit together.
  std::string complete(std::int64_t user_id, const std::string& code, const std::string& state,
                       const audit::Context& who) const;

  // {items, total, page, page_size, pages}: every provider the user connected.
  std::string list(std::int64_t user_id) const;
  std::optional<std::string> get(std::int64_t user_id) const;
  // Revokes the token at GitHub, then forgets it; repositories that used it
  // fall back to the default token. False when there was none.
  bool disconnect(std::int64_t user_id, const audit::Context& who) const;

  // The user's GitHub token, if connected.
  std::optional<std::string> token(soci::session& sql, std::int64_t user_id) const;

  // Expired states, removed by the API's cleanup thread.
  static std::size_t remove_expired_states(soci::session& sql);

 private:
  void require_configured() const;
  std::string exchange_code(const std::string& code) const;

  const GitHubSettings& settings_;
  const SecretBox& secrets_;
  github::Client& github_;
  Database& database_;
  const audit::AuditLog& audit_;
};

}  // namespace faultline::api
