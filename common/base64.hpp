#pragma once

// Base64 (RFC 4648 §4, padded) for secrets at rest, and its URL-safe,
// unpadded form (§5) for JSON Web Tokens.

#include <optional>
#include <string>
#include <string_view>

namespace faultline {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);
// Strict: only the URL-safe alphabet, no padding, no whitespace, and no
// non-zero bits after the last byte, so one value has exactly one encoding.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace faultline
