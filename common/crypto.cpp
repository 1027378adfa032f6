#include "common/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace faultline::crypto {
namespace {

template <std::size_t N>
std::array<unsigned char, N> hmac(const EVP_MD* md, const char* name, std::string_view key,
                                  std::string_view message) {
  std::array<unsigned char, N> digest{};
  unsigned int length = 0;
  if (!HMAC(md, key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
            &length) ||
      length != digest.size())
    throw std::runtime_error(std::string(name) + " failed");
  return digest;
}

}  // namespace

Sha256Digest hmac_sha256(std::string_view key, std::string_view message) {
  return hmac<32>(EVP_sha256(), "HMAC-SHA256", key, message);
}

Sha1Digest hmac_sha1(std::string_view key, std::string_view message) {
  return hmac<20>(EVP_sha1(), "HMAC-SHA1", key, message);
}

Sha256Digest sha256(std::string_view message) {
  Sha256Digest digest{};
  unsigned int length = 0;
  if (!EVP_Digest(message.data(), message.size(), digest.data(), &length, EVP_sha256(), nullptr))
    throw std::runtime_error("SHA-256 failed");
  return digest;
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    hex[2 * i] = digits[data[i] >> 4];
    hex[2 * i + 1] = digits[data[i] & 0x0f];
  }
  return hex;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1)
    throw std::runtime_error("the random number generator failed");
  return bytes;
}

}  // namespace faultline::crypto
