#include "api/auth/totp.hpp"

#include <array>

#include "api/api_request.hpp"
#include "common/crypto.hpp"

namespace faultline::api::auth::totp {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int base32_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a';
  if (c >= '2' && c <= '7')
    return c - '2' + 26;
  return -1;
}

bool six_digits(std::string_view code) {
  if (code.size() != static_cast<std::size_t>(kDigits))
    return false;
  for (const char c : code)
    if (c < '0' || c > '9')
      return false;
  return true;
}

}  // namespace

std::string base32_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : bytes) {
    buffer = (buffer << 8) | static_cast<unsigned char>(c);
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0)
    out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=')
    text.remove_suffix(1);
  // 1, 3 and 6 characters past a multiple of 8 end no whole byte.
  const auto rest = text.size() % 8;
  if (rest == 1 || rest == 3 || rest == 6)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() * 5 / 8);
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    const int value = base32_value(c);
    if (value < 0)
      return std::nullopt;
    buffer = (buffer << 5) | static_cast<unsigned>(value);
    bits += 5;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::int64_t step_at(std::int64_t epoch_seconds) {
  const auto step = epoch_seconds / kStepSeconds;
  return (epoch_seconds % kStepSeconds < 0) ? step - 1 : step;
}

std::string code_at_step(std::string_view secret, std::int64_t step, int digits) {
  // RFC 4226 §5.3: HMAC of the counter as 8 big-endian bytes, then dynamic
  // truncation to 31 bits, then the low `digits` decimal digits.
  std::array<char, 8> counter{};
  auto value = static_cast<std::uint64_t>(step);
  for (int i = 7; i >= 0; --i, value >>= 8)
    counter[static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
  const auto mac = crypto::hmac_sha1(secret, std::string_view(counter.data(), counter.size()));
  const auto offset = static_cast<std::size_t>(mac[mac.size() - 1] & 0x0f);
  const std::uint32_t truncated = (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
                                  (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                                  (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                                  static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i)
    modulus *= 10;
  std::string code = std::to_string(truncated % modulus);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

Verdict check_code(std::string_view secret, std::string_view code, std::int64_t epoch_seconds,
                   std::int64_t last_used_step) {
  // Every step is computed and compared, whatever matched, so the time taken
  // says nothing about which one did.
  const bool well_formed = six_digits(code);
  const std::string candidate = well_formed ? std::string(code) : std::string(kDigits, 'x');
  const auto now = step_at(epoch_seconds);
  Verdict verdict;
  for (auto step = now - kDriftSteps; step <= now + kDriftSteps; ++step) {
    const bool match = crypto::constant_time_equal(code_at_step(secret, step), candidate);
    if (match && verdict.check != CodeCheck::kAccepted) {
      verdict.step = step;
      verdict.check = step > last_used_step ? CodeCheck::kAccepted : CodeCheck::kReused;
    }
  }
  return well_formed ? verdict : Verdict{};
}

std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        std::string_view secret) {
  const auto label = url_encode(issuer) + ":" + url_encode(account);
  return "otpauth://totp/" + label + "?secret=" + base32_encode(secret) +
         "&issuer=" + url_encode(issuer) + "&algorithm=SHA1&digits=" + std::to_string(kDigits) +
         "&period=" + std::to_string(kStepSeconds);
}

}  // namespace faultline::api::auth::totp
