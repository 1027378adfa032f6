#pragma once

// Sessions and their rotating refresh tokens.
//
// A login opens a session and gives it a refresh token. Each refresh retires
// the presented token and issues the next one. A retired token presented again
// means two parties hold the session's tokens, so the whole session ends -
// unless it comes within the grace window, which covers a client that lost the
// response to its refresh and retries (or sends two refreshes at once).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "api/auth/accounts.hpp"
#include "api/pagination.hpp"
#include "common/config.hpp"
#include "common/soci.hpp"

namespace faultline::api::auth {

struct SessionSettings {
  std::chrono::seconds lifetime{std::chrono::hours(24 * 30)};
  std::chrono::seconds refresh_grace{10};  // at most 10 s, by design

  // FAULTLINE_AUTH_SESSION_LIFETIME, FAULTLINE_AUTH_REFRESH_GRACE (0-10 s).
  static SessionSettings from(const Environment& env);
};

struct ClientInfo {
  std::string user_agent;  // as ApiRequest::user_agent() gives it: bounded, printable
  std::string ip;
};

struct IssuedSession {
  std::string session_id;
  std::string refresh_token;
  std::int64_t expires_at = 0;  // epoch seconds
};

struct Rotation {
  enum class Outcome { kRotated, kUnknown, kReused };
  Outcome outcome = Outcome::kUnknown;
  User user;              // with kRotated (id alone with kReused); password_hash left empty
  IssuedSession session;  // with kReused, only the ended session's id
};

// The refresh token's form: "flr_" + 43 characters of base64url (256 bits),
// recognisable by secret scanners.
std::string new_refresh_token();
std::string refresh_token_hash(const std::string& token);

class Sessions {
 public:
  explicit Sessions(SessionSettings settings) : settings_(settings) {}

  // Both run in the caller's transaction, so the audit row of what they did
  // commits with it. `rotate` locks the token's row until then.
  IssuedSession open(soci::session& sql, std::int64_t user_id, const ClientInfo& client) const;
  Rotation rotate(soci::session& sql, const std::string& refresh_token) const;

  // True while the session is neither revoked nor expired; notes its use.
  bool active(soci::session& sql, const std::string& session_id) const;

  // Each returns how many sessions it ended; only ever the given user's.
  int revoke(soci::session& sql, std::int64_t user_id, const std::string& session_id,
             const std::string& reason) const;
  int revoke_all(soci::session& sql, std::int64_t user_id, const std::string& reason) const;
  int revoke_others(soci::session& sql, std::int64_t user_id, const std::string& current) const;

  // The user's live sessions, newest first, as a page document. Never token material.
  std::string list(soci::session& sql, std::int64_t user_id, const std::string& current,
                   const Page& page) const;

  const SessionSettings& settings() const { return settings_; }

 private:
  IssuedSession issue_token(soci::session& sql, const std::string& session_id,
                            std::int64_t expires_at) const;

  SessionSettings settings_;
};

// A session id is a UUID; anything else cannot name one.
bool plausible_session_id(const std::string& text);

}  // namespace faultline::api::auth
