#pragma once

// The few primitives Faultline needs, on OpenSSL.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace faultline::crypto {

using Sha256Digest = std::array<unsigned char, 32>;
using Sha1Digest = std::array<unsigned char, 20>;

Sha256Digest hmac_sha256(std::string_view key, std::string_view message);
// Only where a standard names it: TOTP (RFC 6238) is HMAC-SHA1.
Sha1Digest hmac_sha1(std::string_view key, std::string_view message);
Sha256Digest sha256(std::string_view message);

std::string to_hex(const unsigned char* data, std::size_t size);
template <std::size_t N>
std::string to_hex(const std::array<unsigned char, N>& bytes) {
  return to_hex(bytes.data(), bytes.size());
}

// 0-15 for a hex digit of either case, -1 for anything else.
int hex_value(char c);

// Compares in time that depends only on the lengths, never on the contents.
bool constant_time_equal(std::string_view a, std::string_view b);

// Cryptographically secure bytes; throws if the generator fails.
std::string random_bytes(std::size_t count);

}  // namespace faultline::crypto
