#include "api/auth/two_factor_store.hpp"

#include "common/base64.hpp"
#include "common/crypto.hpp"

namespace faultline::api::auth {
namespace {

// Row locks make concurrent requests for one user take turns.
constexpr const char* kLockEnrolment =
    "SELECT secret_ciphertext, (confirmed_at IS NOT NULL)::int, last_used_step"
    " FROM two_factor WHERE user_id = :user FOR UPDATE";
// Restarting a pending enrolment replaces its secret; a confirmed one is
// never overwritten (the caller checked, the WHERE makes sure).
constexpr const char* kBeginEnrolment =
    "INSERT INTO two_factor (user_id, secret_ciphertext) VALUES (:user, :secret)"
    " ON CONFLICT (user_id) DO UPDATE SET secret_ciphertext = EXCLUDED.secret_ciphertext,"
    " last_used_step = -1, created_at = now() WHERE two_factor.confirmed_at IS NULL";
// The step only moves forward: a code is accepted at most once.
constexpr const char* kUseStep =
    "UPDATE two_factor SET last_used_step = :step WHERE user_id = :user AND last_used_step < :step";
// A challenge counts only while unused and unexpired.
constexpr const char* kLockChallenge =
    "SELECT user_id FROM two_factor_challenges WHERE challenge_hash = :hash"
    " AND used_at IS NULL AND expires_at > now() FOR UPDATE";

long long affected(soci::statement& st) {
  st.execute(true);
  return st.get_affected_rows();
}

std::string challenge_hash(const std::string& challenge) {
  return crypto::to_hex(crypto::sha256(challenge));
}

}  // namespace

std::optional<Enrolment> lock_enrolment(soci::session& sql, std::int64_t user_id) {
  const long long user = user_id;
  Enrolment enrolment;
  int confirmed = 0;
  long long step = -1;
  sql << kLockEnrolment, soci::use(user), soci::into(enrolment.secret_ciphertext),
      soci::into(confirmed), soci::into(step);
  if (!sql.got_data())
    return std::nullopt;
  enrolment.confirmed = confirmed != 0;
  enrolment.last_used_step = step;
  return enrolment;
}

bool two_factor_enabled(soci::session& sql, std::int64_t user_id) {
  const long long user = user_id;
  int enabled = 0;
  sql << "SELECT count(*) FROM two_factor WHERE user_id = :user AND confirmed_at IS NOT NULL",
      soci::use(user), soci::into(enabled);
  return enabled > 0;
}

void begin_enrolment(soci::session& sql, std::int64_t user_id, const std::string& ciphertext,
                     const std::vector<std::string>& recovery_hashes) {
  const long long user = user_id;
  sql << kBeginEnrolment, soci::use(user), soci::use(ciphertext);
  sql << "DELETE FROM two_factor_recovery_codes WHERE user_id = :user", soci::use(user);
  for (const auto& hash : recovery_hashes)
    sql << "INSERT INTO two_factor_recovery_codes (user_id, code_hash) VALUES (:user, :hash)",
        soci::use(user), soci::use(hash);
}

void confirm_enrolment(soci::session& sql, std::int64_t user_id, std::int64_t step) {
  const long long user = user_id, used = step;
  sql << "UPDATE two_factor SET confirmed_at = now(), last_used_step = :step WHERE user_id = :user",
      soci::use(used, "step"), soci::use(user, "user");
}

bool use_step(soci::session& sql, std::int64_t user_id, std::int64_t step) {
  const long long user = user_id, used = step;
  soci::statement st = (sql.prepare << kUseStep, soci::use(used, "step"), soci::use(user, "user"));
  return affected(st) == 1;
}

bool use_recovery_code(soci::session& sql, std::int64_t user_id, const std::string& hash) {
  const long long user = user_id;
  soci::statement st =
      (sql.prepare << "UPDATE two_factor_recovery_codes SET used_at = now()"
                      " WHERE user_id = :user AND code_hash = :hash AND used_at IS NULL",
       soci::use(user), soci::use(hash));
  return affected(st) == 1;
}

std::int64_t recovery_codes_left(soci::session& sql, std::int64_t user_id) {
  const long long user = user_id;
  long long left = 0;
  sql << "SELECT count(*) FROM two_factor_recovery_codes WHERE user_id = :user AND used_at IS NULL",
      soci::use(user), soci::into(left);
  return left;
}

void remove_enrolment(soci::session& sql, std::int64_t user_id) {
  const long long user = user_id;
  sql << "DELETE FROM two_factor_challenges WHERE user_id = :user", soci::use(user);
  sql << "DELETE FROM two_factor WHERE user_id = :user", soci::use(user);
}

std::string open_challenge(soci::session& sql, std::int64_t user_id,
                           std::chrono::seconds lifetime) {
  std::string challenge = "flc_" + base64url_encode(crypto::random_bytes(32));
  const auto hash = challenge_hash(challenge);
  const long long user = user_id, seconds = lifetime.count();
  sql << "INSERT INTO two_factor_challenges (challenge_hash, user_id, expires_at)"
         " VALUES (:hash, :user, now() + make_interval(secs => :lifetime))",
      soci::use(hash), soci::use(user), soci::use(seconds);
  return challenge;
}

std::optional<std::int64_t> lock_challenge(soci::session& sql, const std::string& challenge) {
  const auto hash = challenge_hash(challenge);
  long long user = 0;
  sql << kLockChallenge, soci::use(hash), soci::into(user);
  if (!sql.got_data())
    return std::nullopt;
  return user;
}

void close_challenge(soci::session& sql, const std::string& challenge) {
  const auto hash = challenge_hash(challenge);
  sql << "UPDATE two_factor_challenges SET used_at = now() WHERE challenge_hash = :hash",
      soci::use(hash);
}

long long remove_expired_challenges(soci::session& sql) {
  soci::statement st = (sql.prepare << "DELETE FROM two_factor_challenges"
                                       " WHERE expires_at < now() - interval '1 hour'");
  return affected(st);
}

}  // namespace faultline::api::auth
