#pragma once

// The rows behind two-factor sign-in (schemas/db/017_two_factor.sql): a
// user's enrolment, its recovery codes and the login challenges. Statements
// only; what they mean is decided in two_factor.cpp.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/soci.hpp"

namespace faultline::api::auth {

struct Enrolment {
  std::string secret_ciphertext;  // SecretBox-sealed raw secret
  bool confirmed = false;
  std::int64_t last_used_step = -1;
};

// The user's enrolment, locked FOR UPDATE until the transaction ends (so two
// requests with one code take turns, and the second sees the step used).
std::optional<Enrolment> lock_enrolment(soci::session& sql, std::int64_t user_id);

// Whether the user has a confirmed enrolment (sign-in asks for the code).
bool two_factor_enabled(soci::session& sql, std::int64_t user_id);

// Starts (or restarts) a pending enrolment with a new secret and new
// recovery-code hashes. The caller has checked none is confirmed.
void begin_enrolment(soci::session& sql, std::int64_t user_id, const std::string& ciphertext,
                     const std::vector<std::string>& recovery_hashes);

// Marks the enrolment confirmed, with the step of the code that confirmed it.
void confirm_enrolment(soci::session& sql, std::int64_t user_id, std::int64_t step);

// Stores `step` as the last one used, if it is later than the stored one;
// false if it is not (the code was used meanwhile).
bool use_step(soci::session& sql, std::int64_t user_id, std::int64_t step);

// Marks an unused recovery code used; false if there is none with this hash.
bool use_recovery_code(soci::session& sql, std::int64_t user_id, const std::string& hash);

std::int64_t recovery_codes_left(soci::session& sql, std::int64_t user_id);

// Deletes the enrolment, its recovery codes and the user's open challenges.
void remove_enrolment(soci::session& sql, std::int64_t user_id);

// A new challenge for `user_id`, valid for `lifetime`: the value to hand out
// ("flc_" + 43 characters of base64url); only its SHA-256 is stored.
std::string open_challenge(soci::session& sql, std::int64_t user_id, std::chrono::seconds lifetime);

// The user a challenge belongs to, if it is unused and unexpired; the row is
// locked until the transaction ends.
std::optional<std::int64_t> lock_challenge(soci::session& sql, const std::string& challenge);

// Marks a challenge used (a second factor was accepted for it).
void close_challenge(soci::session& sql, const std::string& challenge);

// Deletes challenges that expired more than an hour ago; returns how many.
long long remove_expired_challenges(soci::session& sql);

}  // namespace faultline::api::auth
