#pragma once

// Time-based one-time passwords as RFC 6238 has them (HMAC-SHA1, 6 digits,
// 30-second steps from the Unix epoch), and the RFC 4648 base32 their
// secrets are written in for authenticator apps. Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::api::auth::totp {

inline constexpr std::int64_t kStepSeconds = 30;
inline constexpr int kDigits = 6;
// 160 bits: the length RFC 4226 §4 recommends for HMAC-SHA1.
inline constexpr std::size_t kSecretBytes = 20;
// Steps either side of now that are still accepted: a clock a little off, or
// a code typed as it changed.
inline constexpr std::int64_t kDriftSteps = 1;

// Upper case, unpadded (what authenticator apps expect in a URI).
std::string base32_encode(std::string_view bytes);
// Either case, padding optional; nothing for any other character or a
// length no encoding has.
std::optional<std::string> base32_decode(std::string_view text);

// The step `epoch_seconds` falls in (floor division, so negative times work).
std::int64_t step_at(std::int64_t epoch_seconds);

// The RFC 4226 HOTP value for the step, `digits` long with leading zeros.
std::string code_at_step(std::string_view secret, std::int64_t step, int digits = kDigits);

enum class CodeCheck {
  kAccepted,  // matches a step within the drift, later than the last one used
  kReused,    // matches a step within the drift, but one already used (or before it)
  kWrong,     // matches no step within the drift, or is not six digits
};

struct Verdict {
  CodeCheck check = CodeCheck::kWrong;
  std::int64_t step = 0;  // the step matched (kAccepted, kReused)
};

// Checks `code` against every step within the drift of `epoch_seconds`,
// comparing each in constant time and always all of them. A code is accepted
// at most once: only for a step after `last_used_step`.
Verdict check_code(std::string_view secret, std::string_view code, std::int64_t epoch_seconds,
                   std::int64_t last_used_step);

// otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30,
// the Key URI Format authenticator apps read (usually from a QR code).
std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace faultline::api::auth::totp
