#pragma once

// Recovery codes: ten single-use codes an enrolment hands out once, for when
// the authenticator is lost. Only their hashes are stored. Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::api::auth {

inline constexpr std::size_t kRecoveryCodeCount = 10;

// Ten fresh codes, each "xxxxx-xxxxx" of lower-case base32 (50 random bits).
std::vector<std::string> generate_recovery_codes();

// The code as generated, from what a person typed (either case, with or
// without the hyphen or spaces); nothing when it cannot be one.
std::optional<std::string> normalize_recovery_code(std::string_view typed);

// What is stored: hex(SHA-256("<user id>:" + code)). The codes are random
// enough that a fast hash is as good as a slow one, and the user id keeps
// one account's hashes from matching another's.
std::string recovery_code_hash(std::int64_t user_id, std::string_view normalized);

}  // namespace faultline::api::auth
