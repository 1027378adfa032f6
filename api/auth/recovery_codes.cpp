#include "api/auth/recovery_codes.hpp"

#include <cctype>

#include "api/auth/totp.hpp"
#include "common/crypto.hpp"

namespace faultline::api::auth {
namespace {

constexpr std::size_t kHalf = 5;

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

std::vector<std::string> generate_recovery_codes() {
  std::vector<std::string> codes;
  codes.reserve(kRecoveryCodeCount);
  while (codes.size() < kRecoveryCodeCount) {
    // 50 bits: 7 random bytes give 56, of which the first 10 characters use 50.
    const auto digits = lower(totp::base32_encode(crypto::random_bytes(7))).substr(0, 2 * kHalf);
    codes.push_back(digits.substr(0, kHalf) + "-" + digits.substr(kHalf));
  }
  return codes;
}

std::optional<std::string> normalize_recovery_code(std::string_view typed) {
  std::string digits;
  for (const char c : typed) {
    if (c == '-' || c == ' ')
      continue;
    const auto lowered = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!((lowered >= 'a' && lowered <= 'z') || (lowered >= '2' && lowered <= '7')))
      return std::nullopt;
    digits += lowered;
    if (digits.size() > 2 * kHalf)
      return std::nullopt;
  }
  if (digits.size() != 2 * kHalf)
    return std::nullopt;
  return digits.substr(0, kHalf) + "-" + digits.substr(kHalf);
}

std::string recovery_code_hash(std::int64_t user_id, std::string_view normalized) {
  return crypto::to_hex(crypto::sha256(std::to_string(user_id) + ":" + std::string(normalized)));
}

}  // namespace faultline::api::auth
