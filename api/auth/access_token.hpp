#pragma once

// Access tokens: JWTs signed with HMAC-SHA256 under FAULTLINE_JWT_SECRET.
//
// Verification is deliberately narrow. The header must say exactly HS256 (no
// "none", no other HMAC size, no key hints), the signature is compared in
// constant time, and every claim must be present with its type: a token that
// is odd in any way is refused rather than interpreted.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::api::auth {

struct AccessClaims {
  std::int64_t user_id = 0;  // "sub", as a decimal string
  std::string email;
  std::string role;             // "user" or "admin"
  std::int64_t issued_at = 0;   // "iat", epoch seconds
  std::int64_t expires_at = 0;  // "exp", epoch seconds
  std::string token_id;         // "jti"
  std::string session_id;       // "sid"
};

// Why a token was refused; for logs and tests, never shown to the client.
enum class TokenError {
  kNone,
  kMalformed,
  kAlgorithm,
  kSignature,
  kClaims,
  kType,
  kExpired,
  kNotYetValid,
};
const char* to_string(TokenError error);

struct VerifiedToken {
  std::optional<AccessClaims> claims;
  TokenError error = TokenError::kNone;
};

class AccessTokens {
 public:
  static constexpr std::int64_t kLifetimeSeconds = 3600;
  // Tokens longer than this are refused before any decoding.
  static constexpr std::size_t kMaxTokenBytes = 4096;

  // `key` is the raw secret; at least 32 bytes (RFC 7518 §3.2).
  explicit AccessTokens(std::string key);

  // Fills iat/exp from `now` and a fresh jti.
  std::string issue(AccessClaims claims, std::int64_t now) const;
  VerifiedToken verify(std::string_view token, std::int64_t now) const;

  // Signs exactly the given header and payload; for tests that forge tokens.
  std::string sign_raw(std::string_view header_json, std::string_view payload_json) const;

 private:
  std::string key_;
};

}  // namespace faultline::api::auth
