#include "api/auth/sessions.hpp"

#include "common/base64.hpp"
#include "common/crypto.hpp"
#include "common/time.hpp"

namespace faultline::api::auth {

SessionSettings SessionSettings::from(const Environment& env) {
  SessionSettings s;
  s.lifetime = std::chrono::duration_cast<std::chrono::seconds>(
      env.duration("FAULTLINE_AUTH_SESSION_LIFETIME", s.lifetime));
  s.refresh_grace = std::chrono::duration_cast<std::chrono::seconds>(
      env.duration("FAULTLINE_AUTH_REFRESH_GRACE", s.refresh_grace));
  if (s.lifetime.count() < 60)
    throw ConfigError("FAULTLINE_AUTH_SESSION_LIFETIME: expected at least 1m");
  if (s.refresh_grace.count() < 0 || s.refresh_grace.count() > 10)
    throw ConfigError("FAULTLINE_AUTH_REFRESH_GRACE: expected 0s to 10s");
  return s;
}

std::string new_refresh_token() {
  return "flr_" + base64url_encode(crypto::random_bytes(32));
}

std::string refresh_token_hash(const std::string& token) {
  return crypto::to_hex(crypto::sha256(token));
}

bool plausible_session_id(const std::string& text) {
  if (text.size() != 36)
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : crypto::hex_value(text[i]) < 0)
      return false;
  }
  return true;
}

IssuedSession Sessions::issue_token(soci::session& sql, const std::string& session_id,
                                    std::int64_t expires_at) const {
  IssuedSession issued{session_id, new_refresh_token(), expires_at};
  const auto hash = refresh_token_hash(issued.refresh_token);
  sql << "INSERT INTO refresh_tokens (token_hash, session_id) VALUES (:hash, :sid::uuid)",
      soci::use(hash), soci::use(session_id);
  return issued;
}

IssuedSession Sessions::open(soci::session& sql, std::int64_t user_id,
                             const ClientInfo& client) const {
  std::string session_id;
  long long expires_at = 0;
  const long long user = user_id;
  const long long lifetime = settings_.lifetime.count();
  sql << "INSERT INTO sessions (user_id, user_agent, ip, expires_at)"
         " VALUES (:user, :agent, :ip, now() + make_interval(secs => :lifetime))"
         " RETURNING id::text, extract(epoch FROM expires_at)::bigint",
      soci::use(user), soci::use(client.user_agent), soci::use(client.ip), soci::use(lifetime),
      soci::into(session_id), soci::into(expires_at);
  return issue_token(sql, session_id, expires_at);
}

Rotation Sessions::rotate(soci::session& sql, const std::string& refresh_token) const {
  Rotation rotation;
  const auto hash = refresh_token_hash(refresh_token);
  std::string session_id;
  int retired = 0, live = 0;
  double retired_seconds_ago = 0;
  long long expires_at = 0, user_id = 0;
  // The row lock makes concurrent refreshes of one token take turns; the
  // second then sees the token retired a moment ago, inside the grace window.
  sql << "SELECT t.session_id::text, (t.retired_at IS NOT NULL)::int,"
         " COALESCE(extract(epoch FROM clock_timestamp() - t.retired_at), 0)::float8,"
         " (s.revoked_at IS NULL AND s.expires_at > now())::int,"
         " extract(epoch FROM s.expires_at)::bigint, u.id, u.email, u.role"
         " FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id"
         " JOIN users u ON u.id = s.user_id"
         " WHERE t.token_hash = :hash FOR UPDATE OF t",
      soci::use(hash), soci::into(session_id), soci::into(retired), soci::into(retired_seconds_ago),
      soci::into(live), soci::into(expires_at), soci::into(user_id),
      soci::into(rotation.user.email), soci::into(rotation.user.role);
  if (!sql.got_data() || !live)
    return rotation;  // kUnknown
  rotation.user.id = user_id;
  if (retired && retired_seconds_ago > static_cast<double>(settings_.refresh_grace.count())) {
    sql << "UPDATE sessions SET revoked_at = now(), revoked_reason = 'refresh-token-reuse'"
           " WHERE id = :sid::uuid AND revoked_at IS NULL",
        soci::use(session_id);
    rotation.session.session_id = session_id;
    rotation.outcome = Rotation::Outcome::kReused;
    return rotation;
  }
  if (!retired)
    sql << "UPDATE refresh_tokens SET retired_at = clock_timestamp() WHERE token_hash = :hash",
        soci::use(hash);
  sql << "UPDATE sessions SET last_used_at = now() WHERE id = :sid::uuid", soci::use(session_id);
  rotation.session = issue_token(sql, session_id, expires_at);
  rotation.outcome = Rotation::Outcome::kRotated;
  return rotation;
}

bool Sessions::active(soci::session& sql, const std::string& session_id) const {
  if (!plausible_session_id(session_id))
    return false;
  int live = 0, stale = 0;
  sql << "SELECT (revoked_at IS NULL AND expires_at > now())::int,"
         " (last_used_at < now() - interval '1 minute')::int"
         " FROM sessions WHERE id = :sid::uuid",
      soci::use(session_id), soci::into(live), soci::into(stale);
  if (!sql.got_data() || !live)
    return false;
  if (stale)
    sql << "UPDATE sessions SET last_used_at = now() WHERE id = :sid::uuid", soci::use(session_id);
  return true;
}

int Sessions::revoke(soci::session& sql, std::int64_t user_id, const std::string& session_id,
                     const std::string& reason) const {
  if (!plausible_session_id(session_id))
    return 0;
  const long long user = user_id;
  soci::statement st = (sql.prepare << "UPDATE sessions SET revoked_at = COALESCE(revoked_at, "
                                       "now()), revoked_reason = COALESCE(revoked_reason, :reason)"
                                       " WHERE id = :sid::uuid AND user_id = :user",
                        soci::use(reason), soci::use(session_id), soci::use(user));
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

int Sessions::revoke_all(soci::session& sql, std::int64_t user_id,
                         const std::string& reason) const {
  const long long user = user_id;
  soci::statement st = (sql.prepare << "UPDATE sessions SET revoked_at = now(), revoked_reason ="
                                       " :reason WHERE user_id = :user AND revoked_at IS NULL",
                        soci::use(reason), soci::use(user));
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

int Sessions::revoke_others(soci::session& sql, std::int64_t user_id,
                            const std::string& current) const {
  const long long user = user_id;
  soci::statement st =
      (sql.prepare << "UPDATE sessions SET revoked_at = now(), revoked_reason = 'revoke-others'"
                      " WHERE user_id = :user AND revoked_at IS NULL AND id <> :current::uuid",
       soci::use(user), soci::use(current));
  st.execute(true);
  return static_cast<int>(st.get_affected_rows());
}

std::string Sessions::list(soci::session& sql, std::int64_t user_id, const std::string& current,
                           const Page& page) const {
  const long long user = user_id, limit = page.size, offset = page.offset();
  long long total = 0;
  std::string items;
  sql << "SELECT count(*) FROM sessions"
         " WHERE user_id = :user AND revoked_at IS NULL AND expires_at > now()",
      soci::use(user), soci::into(total);
  sql << "SELECT COALESCE(json_agg(doc ORDER BY created_at DESC, id), '[]')::text FROM ("
         " SELECT s.id, s.created_at, json_build_object('id', s.id, 'user_agent', s.user_agent,"
         " 'ip', s.ip, 'created_at', " FAULTLINE_SQL_RFC3339("s.created_at") ","
         " 'last_used_at', " FAULTLINE_SQL_RFC3339("s.last_used_at") ","
         " 'expires_at', " FAULTLINE_SQL_RFC3339("s.expires_at") ","
         " 'is_current', s.id::text = :current) AS doc"
         " FROM sessions s"
         " WHERE s.user_id = :user AND s.revoked_at IS NULL AND s.expires_at > now()"
         " ORDER BY s.created_at DESC, s.id LIMIT :limit OFFSET :offset) page",
      soci::use(current), soci::use(user), soci::use(limit), soci::use(offset),
      soci::into(items);
  return page_document(items, total, page);
}

}  // namespace faultline::api::auth
